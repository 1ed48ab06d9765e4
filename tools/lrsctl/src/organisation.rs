//! A generated organisation that learns: programmes of courses made of videos, PDFs, articles, quizzes and
//! simulations; learners with their own taste for each kind of content, skill, and working hours; attempts
//! spread over months. Statements come out in a stable order for a seed, so a demo or a benchmark store can
//! be rebuilt exactly.

use serde_json::{json, Value};
use uuid::Uuid;

/// Reproducible pseudo-random numbers (xorshift64*), so the generator needs no dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn pick_weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut x = self.unit() * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }
}

/// A kind of content: its activity type, the verbs a learner's pass through it produces, and how long it takes.
struct Kind {
    name: &'static str,
    activity_type: &'static str,
    /// Overall popularity: videos and online courses are favoured, PDFs and articles least.
    appeal: f64,
    minutes: f64,
    scored: bool,
}

const KINDS: &[Kind] = &[
    Kind {
        name: "video",
        activity_type: "https://w3id.org/xapi/video/activity-type/video",
        appeal: 3.0,
        minutes: 8.0,
        scored: false,
    },
    Kind {
        name: "simulation",
        activity_type: "http://adlnet.gov/expapi/activities/simulation",
        appeal: 1.8,
        minutes: 25.0,
        scored: true,
    },
    Kind {
        name: "quiz",
        activity_type: "http://adlnet.gov/expapi/activities/assessment",
        appeal: 1.5,
        minutes: 10.0,
        scored: true,
    },
    Kind {
        name: "article",
        activity_type: "http://activitystrea.ms/schema/1.0/article",
        appeal: 0.6,
        minutes: 6.0,
        scored: false,
    },
    Kind {
        name: "pdf",
        activity_type: "http://id.tincanapi.com/activitytype/document",
        appeal: 0.4,
        minutes: 12.0,
        scored: false,
    },
];

const TOPICS: &[&str] = &[
    "Safety at work",
    "Data protection",
    "Negotiation",
    "Excel for analysts",
    "Leadership basics",
    "Customer care",
    "Project management",
    "Cyber security",
    "Onboarding",
    "Code of conduct",
    "Sales pitch",
    "First aid",
];
const PROGRAMMES: &[&str] = &["Compliance", "Management", "Digital skills", "Sales academy"];
const PLATFORMS: &[&str] = &["LMS (web)", "Mobile app", "LMS (web)", "Intranet"];
const VERB: &str = "http://adlnet.gov/expapi/verbs/";
const DEPARTMENTS: &[&str] = &["sales", "support", "engineering", "finance", "operations", "hr"];

struct Activity {
    id: String,
    name: String,
    kind: usize,
}

struct Course {
    id: String,
    name: String,
    programme: usize,
    activities: Vec<Activity>,
}

struct Learner {
    mbox: String,
    name: String,
    taste: Vec<f64>,
    skill: f64,
    platform: usize,
}

pub struct Organisation {
    rng: Rng,
    courses: Vec<Course>,
    learners: Vec<Learner>,
    start_ms: i64,
    span_days: i64,
    pending: Vec<Value>,
}

const HOME: &str = "https://academy.example.com";

impl Organisation {
    /// `learners` people, over `span_days` days ending at `end_ms`.
    pub fn new(seed: u64, learners: usize, end_ms: i64, span_days: i64) -> Self {
        let mut rng = Rng::new(seed);
        let courses = TOPICS
            .iter()
            .enumerate()
            .map(|(c, topic)| {
                let n = 5 + rng.below(6);
                let activities = (0..n)
                    .map(|a| {
                        // Most courses are mostly videos; every kind appears.
                        let kind = rng.pick_weighted(&[3.0, 1.0, 1.2, 1.0, 1.0]);
                        Activity {
                            id: format!("{HOME}/courses/{c}/{}/{a}", KINDS[kind].name),
                            name: format!("{topic}: {} {}", KINDS[kind].name, a + 1),
                            kind,
                        }
                    })
                    .collect();
                Course {
                    id: format!("{HOME}/courses/{c}"),
                    name: topic.to_string(),
                    programme: c % PROGRAMMES.len(),
                    activities,
                }
            })
            .collect();
        let learners = (0..learners)
            .map(|i| {
                let dept = DEPARTMENTS[i % DEPARTMENTS.len()];
                Learner {
                    mbox: format!("mailto:learner{i}@{dept}.example.com"),
                    name: format!("Learner {i} ({dept})"),
                    taste: KINDS.iter().map(|k| k.appeal * (0.3 + 1.4 * rng.unit())).collect(),
                    skill: 0.35 + 0.6 * rng.unit(),
                    platform: rng.below(PLATFORMS.len()),
                }
            })
            .collect();
        Organisation {
            rng,
            courses,
            learners,
            start_ms: end_ms - span_days * 86_400_000,
            span_days,
            pending: Vec::new(),
        }
    }

    /// A working-hours instant: weekdays far more than weekends, mornings and early afternoons.
    fn when(&mut self) -> i64 {
        loop {
            let day = self.rng.below(self.span_days as usize) as i64;
            let day_start = self.start_ms - self.start_ms.rem_euclid(86_400_000) + day * 86_400_000;
            // 1970-01-01 was a Thursday: day 0 of the week is Monday.
            let weekday = ((day_start / 86_400_000) + 3).rem_euclid(7);
            let hour_weights = [
                0.1, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.5, 3.0, 4.0, 4.0, 3.0, 2.0, 3.5, 3.5, 3.0, 2.0, 1.2, 0.8, 0.9,
                1.0, 0.7, 0.3, 0.2,
            ];
            let keep = if weekday >= 5 { 0.2 } else { 1.0 };
            if self.rng.unit() < keep {
                let hour = self.rng.pick_weighted(&hour_weights) as i64;
                return day_start + hour * 3_600_000 + self.rng.below(3_600_000) as i64;
            }
        }
    }

    /// One learner's attempt at some activities of one course: a burst of statements.
    fn attempt(&mut self) {
        let l = self.rng.below(self.learners.len());
        let c = self.rng.below(self.courses.len());
        let registration = Uuid::from_u64_pair(self.rng.next_u64(), self.rng.next_u64()).to_string();
        let mut at = self.when();
        let weights: Vec<f64> = {
            let learner = &self.learners[l];
            self.courses[c].activities.iter().map(|a| learner.taste[a.kind]).collect()
        };
        let steps = 1 + self.rng.below(4);
        for _ in 0..steps {
            let a = self.rng.pick_weighted(&weights);
            let (statements, took) = self.pass(l, c, a, &registration, at);
            self.pending.extend(statements);
            at += took + self.rng.below(600_000) as i64;
        }
    }

    /// A pass through one activity: launched, then completed (or abandoned), with a result.
    fn pass(&mut self, l: usize, c: usize, a: usize, registration: &str, at: i64) -> (Vec<Value>, i64) {
        let learner = &self.learners[l];
        let course = &self.courses[c];
        let activity = &course.activities[a];
        let kind = &KINDS[activity.kind];
        let minutes = kind.minutes * (0.4 + 1.2 * self.rng.unit());
        let took = (minutes * 60_000.0) as i64;
        let finished = self.rng.unit() < 0.35 + 0.6 * learner.taste[activity.kind] / (kind.appeal * 1.7);
        let object = json!({
            "objectType": "Activity",
            "id": activity.id,
            "definition": {"type": kind.activity_type, "name": {"en-US": activity.name}}
        });
        let context = json!({
            "registration": registration,
            "platform": PLATFORMS[learner.platform],
            "contextActivities": {
                "parent": [{"id": course.id, "definition": {"type": "http://adlnet.gov/expapi/activities/course", "name": {"en-US": course.name}}}],
                "grouping": [{"id": format!("{HOME}/programmes/{}", course.programme), "definition": {"name": {"en-US": PROGRAMMES[course.programme]}}}]
            }
        });
        let actor = json!({"objectType": "Agent", "name": learner.name, "mbox": learner.mbox});
        let statement = |verb: &str, at: i64, result: Option<Value>| {
            let mut s = json!({
                "id": Uuid::new_v4().to_string(),
                "actor": actor,
                "verb": {"id": format!("{VERB}{verb}"), "display": {"en-US": verb}},
                "object": object,
                "context": context,
                "timestamp": xapi::time::format_ms(at),
            });
            if let Some(r) = result {
                s["result"] = r;
            }
            s
        };
        let mut out = vec![statement("launched", at, None)];
        let end = at + took;
        let duration = format!("PT{:.0}S", minutes * 60.0);
        if kind.scored {
            let score = (learner.skill + 0.25 * (self.rng.unit() - 0.5)).clamp(0.0, 1.0);
            let score = (score * 100.0).round() / 100.0;
            let passed = score >= 0.6;
            let verb = if passed { "passed" } else { "failed" };
            out.push(statement(
                verb,
                end,
                Some(json!({"score": {"scaled": score, "raw": (score * 20.0).round(), "min": 0, "max": 20},
                            "success": passed, "completion": finished || passed, "duration": duration})),
            ));
        } else if finished {
            out.push(statement("completed", end, Some(json!({"completion": true, "duration": duration}))));
        } else {
            let partial = format!("PT{:.0}S", minutes * 60.0 * self.rng.unit());
            out.push(statement("experienced", end, Some(json!({"completion": false, "duration": partial}))));
        }
        (out, took)
    }

    pub fn next_statement(&mut self) -> Value {
        while self.pending.is_empty() {
            self.attempt();
        }
        self.pending.pop().unwrap_or(Value::Null)
    }
}

impl Iterator for Organisation {
    type Item = Value;
    fn next(&mut self) -> Option<Value> {
        Some(self.next_statement())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_are_valid_xapi() {
        let mut org = Organisation::new(42, 50, 1_780_000_000_000, 120);
        for _ in 0..2000 {
            let s = org.next_statement();
            let bytes = serde_json::to_vec(&s).unwrap_or_default();
            let authority = json!({"mbox": "mailto:lrs@example.com"});
            let ctx = xapi::PrepareContext { version: xapi::XapiVersion::V1_0_3, stored_ms: 0, authority: &authority };
            let parsed = xapi::prepare_batch(&bytes, &ctx);
            assert!(parsed.is_ok(), "{s}: {:?}", parsed.err());
        }
    }

    #[test]
    fn videos_are_favoured_over_pdfs() {
        let mut org = Organisation::new(7, 200, 1_780_000_000_000, 120);
        let (mut videos, mut pdfs) = (0, 0);
        for s in org.by_ref().take(20_000) {
            let t = s["object"]["definition"]["type"].as_str().unwrap_or_default().to_string();
            videos += usize::from(t.ends_with("/video"));
            pdfs += usize::from(t.ends_with("/document"));
        }
        assert!(videos > 3 * pdfs, "videos {videos}, pdfs {pdfs}");
    }
}
