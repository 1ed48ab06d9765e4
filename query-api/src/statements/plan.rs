//! The SQL of a statements query (pure: builds text and bind values, runs nothing).
//!
//! A page reads one contiguous key range of `statement_index` (ORDER BY store, dim, key, stored_ms, id, via): the
//! leading dimension is the most selective filter given (registration > agent > activity > verb > all), `since`,
//! `until` and the cursor narrow `stored_ms` inside it, and the other filters are checked on the row's own columns.
//! ClickHouse 18.16 cannot stop reading a range early in ORDER BY order, so the range is read in `stored_ms`
//! windows from the page's starting edge outwards, each one wider than the last, until a page is full; the
//! windows are disjoint and consecutive, so their results concatenate in page order.

use super::params::{Cursor, Filters};
use uuid::Uuid;

/// The `stored_ms` windows of one page read, adapting each width to what the previous window found: a window
/// that found `found` rows while `missing` more are needed is followed by one about `2 * missing / found` times
/// wider (at most 64 times; 64 times when it found none), so a dense range takes one or two reads and a sparse one a handful.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Windows {
    lo: i64,
    hi: i64,
    ascending: bool,
    /// The first window, until it is taken.
    pending: Option<(i64, i64)>,
    /// The window read last.
    last: Option<(i64, i64)>,
    width: i64,
    step: u32,
    max_steps: u32,
}

impl Windows {
    /// The next window to read, given what the last one found; `None` once the range is covered.
    pub fn next(&mut self, found: u64, missing: u64) -> Option<(i64, i64)> {
        if let Some(first) = self.pending.take() {
            self.last = Some(first);
            return Some(first);
        }
        let (start, end) = self.last?;
        if missing == 0 || (self.ascending && end >= self.hi) || (!self.ascending && start <= self.lo) {
            self.last = None;
            return None;
        }
        let growth = match missing.saturating_mul(2).checked_div(found) {
            None => EMPTY_GROWTH,
            Some(g) => g.clamp(2, MAX_GROWTH) as i64,
        };
        self.width = self.width.saturating_mul(growth);
        self.step += 1;
        let rest = self.step >= self.max_steps;
        let next = if self.ascending {
            let s = end + 1;
            (s, if rest { self.hi } else { s.saturating_add(self.width - 1).min(self.hi) })
        } else {
            let e = start - 1;
            (if rest { self.lo } else { e.saturating_sub(self.width - 1).max(self.lo) }, e)
        };
        self.last = Some(next);
        Some(next)
    }
}

/// A bind value for the `clickhouse` crate's client-side `?` placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bind {
    Str(String),
    I64(i64),
    U64(u64),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sql {
    pub text: String,
    pub binds: Vec<Bind>,
}

/// Windowed reads before one last read takes the rest of the range: more for a dense range (the store's
/// timeline, a verb), where reading all of it would be costly, fewer for a sparse one (an agent, activity or
/// registration), whose whole key range is cheap to read, so round trips cost more than rows.
const DENSE_STEPS: u32 = 4;
const SPARSE_STEPS: u32 = 2;
/// How much wider the next window is when a window found nothing, and at most otherwise: extrapolating from a
/// sparse window across a gap must not jump onto a dense stretch far wider than needed.
const EMPTY_GROWTH: i64 = 64;
/// The width of a page's first index window.
const FIRST_WINDOW_MS: i64 = 60_000;
const MAX_GROWTH: u64 = 64;

/// The whole index read of one page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub dim: &'static str,
    pub key: String,
    /// Inclusive `stored_ms` bounds (`i64::MIN` / `i64::MAX`: unbounded).
    pub lo: i64,
    pub hi: i64,
    /// The cursor position: rows at `stored_ms` equal to it must lie beyond its id in page order.
    pub after: Option<(i64, Uuid)>,
    pub ascending: bool,
    /// Row-column conditions beside the leading key, with their binds.
    conditions: Vec<(&'static str, Bind)>,
    /// The width of the first window.
    first_window_ms: i64,
    include_voided: bool,
}

impl Plan {
    pub fn new(f: &Filters) -> Plan {
        let registration = f.registration.map(|r| r.hyphenated().to_string());
        let (dim, key) = if let Some(a) = &f.authority {
            // Limited to its own statements: every filter the client gave is a condition on that key's rows.
            ("authority", a.clone())
        } else if let Some(r) = &registration {
            ("registration", r.clone())
        } else if let Some(a) = &f.agent {
            ("agent", a.clone())
        } else if let Some(a) = &f.activity {
            ("activity", a.clone())
        } else if let Some(v) = &f.verb {
            ("verb", v.clone())
        } else {
            ("all", String::new())
        };
        let mut conditions: Vec<(&'static str, Bind)> = Vec::new();
        if let Some(r) = registration.filter(|_| dim != "registration") {
            conditions.push(("registration = toUUID(?)", Bind::Str(r)));
        }
        if let Some(a) = &f.agent {
            // The agent dimension's keys are exactly the related agents: only the narrow filter needs a check.
            if !f.related_agents {
                conditions.push(("has(agents, ?)", Bind::Str(a.clone())));
            } else if dim != "agent" {
                conditions.push(("has(related_agents, ?)", Bind::Str(a.clone())));
            }
        }
        if let Some(a) = &f.activity {
            if !f.related_activities {
                conditions.push(("activity = ?", Bind::Str(a.clone())));
            } else if dim != "activity" {
                conditions.push(("has(related_activities, ?)", Bind::Str(a.clone())));
            }
        }
        if let Some(v) = f.verb.as_ref().filter(|_| dim != "verb") {
            conditions.push(("verb_id = ?", Bind::Str(v.clone())));
        }

        let mut lo = f.since_ms.map(|s| s.saturating_add(1)).unwrap_or(i64::MIN);
        let mut hi = f.until_ms.unwrap_or(i64::MAX);
        let mut after = None;
        if let Some(Cursor { stored_ms, id, bound_ms }) = f.cursor {
            hi = hi.min(bound_ms);
            if f.ascending {
                lo = lo.max(stored_ms);
            } else {
                hi = hi.min(stored_ms);
            }
            after = Some((stored_ms, id));
        }
        // Every key starts with the newest minute: how dense a key is cannot be told from its dimension (one
        // course's activity or a busy agent can take thousands of statements an hour), and a sparse key's
        // windows widen 64 times per empty read, so it still takes at most three reads.
        let first_window_ms = FIRST_WINDOW_MS;
        let include_voided = f.include_voided;
        Plan { dim, key, lo, hi, after, ascending: f.ascending, conditions, first_window_ms, include_voided }
    }

    fn dense(&self) -> bool {
        matches!(self.dim, "all" | "verb" | "authority")
    }

    /// True when no row can match (for instance `since` at or after `until`).
    pub fn is_empty(&self) -> bool {
        self.lo > self.hi
    }

    /// Whether the first window needs a starting point read from the data (ascending, no lower bound).
    pub fn needs_start(&self) -> bool {
        self.ascending && self.lo == i64::MIN
    }

    /// The oldest `stored_ms` of the leading key range (no row: no result), for [`Plan::needs_start`].
    pub fn start_sql(&self, store: &str) -> Sql {
        let mut sql = Sql { text: "SELECT stored_ms FROM statement_index WHERE ".into(), binds: vec![] };
        self.key_range(&mut sql, store, self.lo, self.hi);
        sql.text.push_str(" ORDER BY stored_ms LIMIT 1");
        sql
    }

    /// The windows to read, in page order. `anchor`: where the first window starts — for a descending page the
    /// newest time worth a narrow window (now), for an ascending one the oldest stored time of the range. The
    /// first window reaches the range's near edge (statements stored "in the future" by a skewed clock included).
    pub fn windows(&self, anchor: i64) -> Windows {
        let w = self.first_window_ms;
        let first = if self.is_empty() {
            None
        } else if self.ascending {
            Some((self.lo, anchor.max(self.lo).saturating_add(w - 1).min(self.hi)))
        } else {
            Some((anchor.min(self.hi).saturating_sub(w - 1).max(self.lo), self.hi))
        };
        let max_steps = if self.dense() { DENSE_STEPS } else { SPARSE_STEPS };
        Windows {
            lo: self.lo,
            hi: self.hi,
            ascending: self.ascending,
            pending: first,
            last: None,
            width: w,
            step: 0,
            max_steps,
        }
    }

    /// The ids of one window, in page order: one row per statement version (a statement's own row and the rows
    /// it has through a StatementRef target collapse), voided statements left out, at most `limit` rows.
    pub fn page_sql(&self, store: &str, window: (i64, i64), limit: u64) -> Sql {
        let mut sql = Sql { text: "SELECT id, stored_ms, ver FROM statement_index WHERE ".into(), binds: vec![] };
        self.key_range(&mut sql, store, window.0.max(self.lo), window.1.min(self.hi));
        if let Some((ms, id)) = self.after {
            let op = if self.ascending { '>' } else { '<' };
            sql.text.push_str(&format!(" AND (stored_ms != ? OR id {op} toUUID(?))"));
            sql.binds.push(Bind::I64(ms));
            sql.binds.push(Bind::Str(id.hyphenated().to_string()));
        }
        for (condition, bind) in &self.conditions {
            sql.text.push_str(" AND ");
            sql.text.push_str(condition);
            sql.binds.push(bind.clone());
        }
        if !self.include_voided {
            // A voiding statement cannot be voided; anything else a `voids` row targets is.
            sql.text.push_str(" AND (voiding = 1 OR id NOT IN (SELECT target FROM voids WHERE store = ?))");
            sql.binds.push(Bind::Str(store.to_string()));
        }
        let dir = if self.ascending { "ASC" } else { "DESC" };
        sql.text.push_str(&format!(" ORDER BY stored_ms {dir}, id {dir} LIMIT 1 BY id, ver LIMIT ?"));
        sql.binds.push(Bind::U64(limit));
        sql
    }

    fn key_range(&self, sql: &mut Sql, store: &str, lo: i64, hi: i64) {
        sql.text.push_str("store = ? AND dim = ? AND key = ?");
        sql.binds.push(Bind::Str(store.to_string()));
        sql.binds.push(Bind::Str(self.dim.to_string()));
        sql.binds.push(Bind::Str(self.key.clone()));
        // Unbounded ends are left out: ClickHouse would read i64::MIN as an unsigned number negated.
        if lo != i64::MIN {
            sql.text.push_str(" AND stored_ms >= ?");
            sql.binds.push(Bind::I64(lo));
        }
        if hi != i64::MAX {
            sql.text.push_str(" AND stored_ms <= ?");
            sql.binds.push(Bind::I64(hi));
        }
    }
}

/// Every stored copy of each statement (usually one; the reader keeps the highest `ver`). PREWHERE reads the
/// id column first and the JSON only of the granules that hold a match, and no aggregation copies the JSON:
/// both matter for a page of ids scattered over the whole table.
pub fn statements_sql(store: &str, ids: &[Uuid]) -> Sql {
    // The ids come from the index, not from the request: inlined as UUID literals, one primary-key set.
    Sql {
        text: format!(
            "SELECT id, raw, ver, stored_ms, voided_id FROM statements PREWHERE id IN ({}) WHERE store = ?",
            lrs_common::clickhouse::uuid_in_list(ids)
        ),
        binds: vec![Bind::Str(store.to_string())],
    }
}

/// Whether a statement is the target of a voiding statement (a `voids` row).
pub fn voided_sql(store: &str, id: Uuid) -> Sql {
    Sql {
        text: "SELECT count() FROM voids WHERE store = ? AND target IN (toUUID(?))".into(),
        binds: vec![Bind::Str(store.to_string()), Bind::Str(id.hyphenated().to_string())],
    }
}

/// The contents of the attachments with these SHA-2 hashes.
pub fn attachments_sql(store: &str, sha2s: &[String]) -> Sql {
    let marks = vec!["?"; sha2s.len()].join(", ");
    let mut binds = vec![Bind::Str(store.to_string())];
    binds.extend(sha2s.iter().map(|s| Bind::Str(s.clone())));
    Sql {
        text: format!(
            "SELECT sha2, argMax(content_type, stored_ms) AS top_type, argMax(content, stored_ms) AS top_content \
             FROM attachments WHERE store = ? AND sha2 IN ({marks}) GROUP BY sha2"
        ),
        binds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::statements::params::{decode_query, parse, percent_encode, Target};

    const REG: &str = "6f1c3b8e-2a44-4c1e-9d0b-7a5e2f3c4d5e";

    fn filters(query: &str) -> Filters {
        match parse(&decode_query(query).expect("decodes"), xapi::XapiVersion::V2_0_0).expect("valid").target {
            Target::Query(f) => f,
            t => panic!("not a query: {t:?}"),
        }
    }

    fn agent(mbox: &str) -> String {
        format!("agent={}", percent_encode(&format!(r#"{{"mbox":"mailto:{mbox}"}}"#)))
    }

    fn s(v: &str) -> Bind {
        Bind::Str(v.to_string())
    }

    #[test]
    fn leading_dimension_by_selectivity() {
        let all = format!("{}&verb=http://v.example/v&activity=http://a.example/a&registration={REG}", agent("a@b.c"));
        let cases = [
            (all.as_str(), "registration", REG),
            (
                "verb=http://v.example/v&activity=http://a.example/a&agent=%7B%22mbox%22%3A%22mailto%3Aa%40b.c%22%7D",
                "agent",
                "mbox:mailto:a@b.c",
            ),
            ("verb=http://v.example/v&activity=http://a.example/a", "activity", "http://a.example/a"),
            ("verb=http://v.example/v", "verb", "http://v.example/v"),
            ("since=2020-01-01T00:00:00Z", "all", ""),
        ];
        for (q, dim, key) in cases {
            let plan = Plan::new(&filters(q));
            assert_eq!((plan.dim, plan.key.as_str()), (dim, key), "{q}");
        }
    }

    #[test]
    fn other_filters_are_row_conditions() {
        let q = format!("{}&verb=http://v.example/v&activity=http://a.example/a&registration={REG}", agent("a@b.c"));
        let sql = Plan::new(&filters(&q)).page_sql("st", (i64::MIN, i64::MAX), 11);
        assert_eq!(
            sql.text,
            "SELECT id, stored_ms, ver FROM statement_index WHERE store = ? AND dim = ? AND key = ? \
             AND has(agents, ?) AND activity = ? AND verb_id = ? \
             AND (voiding = 1 OR id NOT IN (SELECT target FROM voids WHERE store = ?)) \
             ORDER BY stored_ms DESC, id DESC LIMIT 1 BY id, ver LIMIT ?"
        );
        assert_eq!(
            sql.binds,
            vec![
                s("st"),
                s("registration"),
                s(REG),
                s("mbox:mailto:a@b.c"),
                s("http://a.example/a"),
                s("http://v.example/v"),
                s("st"),
                Bind::U64(11)
            ]
        );
        assert_eq!(sql.text.matches('?').count(), sql.binds.len());
    }

    #[test]
    fn every_row_condition_is_a_column_its_dimension_carries() {
        let parts = [
            agent("a@b.c"),
            "related_agents=true".to_string(),
            "activity=http://a.example/a".to_string(),
            "related_activities=true".to_string(),
            "verb=http://v.example/v".to_string(),
            format!("registration={REG}"),
        ];
        for mask in 0u32..(1 << parts.len()) {
            for mine in [false, true] {
                let q: Vec<&str> =
                    parts.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, p)| p.as_str()).collect();
                let mut f = filters(&q.join("&"));
                if mine {
                    f.authority = Some("mbox:mailto:writer@b.c".into());
                }
                let plan = Plan::new(&f);
                let carried = xapi::index::carried(plan.dim);
                for (condition, _) in &plan.conditions {
                    let ok = match *condition {
                        "registration = toUUID(?)" => carried.registration,
                        "has(agents, ?)" => carried.agents,
                        "has(related_agents, ?)" => carried.related_agents,
                        "activity = ?" => carried.activity,
                        "has(related_activities, ?)" => carried.related_activities,
                        "verb_id = ?" => carried.verb,
                        other => panic!("a condition this test does not know: {other}"),
                    };
                    assert!(ok, "{} rows do not carry what `{condition}` checks (query {q:?})", plan.dim);
                }
            }
        }
    }

    #[test]
    fn related_filters() {
        // Leading on the agent dimension with related_agents: the key itself is the filter.
        let plan = Plan::new(&filters(&format!("{}&related_agents=true", agent("a@b.c"))));
        assert_eq!(plan.dim, "agent");
        let sql = plan.page_sql("st", (i64::MIN, i64::MAX), 5);
        assert!(!sql.text.contains("has("), "{}", sql.text);
        // Not leading: checked on the row.
        let q = format!(
            "{}&related_agents=true&activity=http://a.example/a&related_activities=true&registration={REG}",
            agent("a@b.c")
        );
        let sql = Plan::new(&filters(&q)).page_sql("st", (i64::MIN, i64::MAX), 5);
        assert!(
            sql.text.contains("AND has(related_agents, ?) AND has(related_activities, ?) AND (voiding"),
            "{}",
            sql.text
        );
        // Narrow activity filter while leading on activity: the row's own object activity must match.
        let sql = Plan::new(&filters("activity=http://a.example/a")).page_sql("st", (i64::MIN, i64::MAX), 5);
        assert!(sql.text.contains("AND activity = ?"), "{}", sql.text);
        let sql = Plan::new(&filters("activity=http://a.example/a&related_activities=true")).page_sql("st", (0, 9), 5);
        assert!(!sql.text.contains("activity = ?") && !sql.text.contains("has("), "{}", sql.text);
    }

    #[test]
    fn time_bounds_and_cursor() {
        let f = filters("since=1970-01-01T00:00:01Z&until=1970-01-01T00:00:09Z");
        let plan = Plan::new(&f);
        assert_eq!((plan.lo, plan.hi), (1001, 9000), "since is exclusive, until inclusive");
        let sql = plan.page_sql("st", (i64::MIN, i64::MAX), 3);
        assert!(sql.text.contains("key = ? AND stored_ms >= ? AND stored_ms <= ? AND (voiding"), "{}", sql.text);
        assert_eq!(sql.binds[3..5], [Bind::I64(1001), Bind::I64(9000)]);
        // A window narrower than the bounds narrows the read.
        let sql = plan.page_sql("st", (2000, 3000), 3);
        assert_eq!(sql.binds[3..5], [Bind::I64(2000), Bind::I64(3000)]);

        let id = Uuid::parse_str(REG).unwrap();
        let cursor = Cursor { stored_ms: 5000, id, bound_ms: 8000 };
        let f = filters(&format!("since=1970-01-01T00:00:01Z&until=1970-01-01T00:00:09Z&cursor={}", cursor.encode()));
        let plan = Plan::new(&f);
        assert_eq!((plan.lo, plan.hi), (1001, 5000));
        let sql = plan.page_sql("st", (i64::MIN, i64::MAX), 3);
        assert!(sql.text.contains("stored_ms <= ? AND (stored_ms != ? OR id < toUUID(?))"), "{}", sql.text);
        assert_eq!(sql.binds[5..7], [Bind::I64(5000), s(REG)]);

        let f = filters(&format!("ascending=true&cursor={}", cursor.encode()));
        let plan = Plan::new(&f);
        assert_eq!((plan.lo, plan.hi), (5000, 8000), "the bound caps ascending pages");
        let sql = plan.page_sql("st", (i64::MIN, i64::MAX), 3);
        assert!(
            sql.text.contains("(stored_ms != ? OR id > toUUID(?))")
                && sql.text.contains("ORDER BY stored_ms ASC, id ASC")
        );
        assert!(!plan.needs_start());
        assert!(Plan::new(&filters("ascending=true")).needs_start());
        assert!(Plan::new(&filters("since=1970-01-01T00:00:09Z&until=1970-01-01T00:00:09Z")).is_empty());
    }

    /// Every window `windows` yields when each finds `found(window)` rows, `need` wanted in all.
    fn walk(mut w: Windows, need: u64, found: impl Fn((i64, i64)) -> u64) -> Vec<(i64, i64)> {
        let mut out = vec![];
        let (mut last_found, mut have) = (0, 0);
        while let Some(win) = w.next(last_found, need - have) {
            out.push(win);
            last_found = found(win).min(need - have);
            have += last_found;
        }
        out
    }

    #[test]
    fn descending_windows_cover_the_range_and_widen() {
        let plan = Plan::new(&filters("verb=http://v.example/v"));
        let now = 1_000_000_000_000;
        let w = walk(plan.windows(now), 10, |_| 0);
        assert_eq!(w[0], (now - 59_999, i64::MAX), "the first window is open towards the future");
        assert_eq!(w[1], (now - 64 * 60_000 - 59_999, now - 60_000), "nothing found: 64 times wider");
        assert_eq!(w.last().map(|x| x.0), Some(i64::MIN), "the last one reaches the start");
        assert_eq!(w.len() as u32, DENSE_STEPS + 1);
        for pair in w.windows(2) {
            assert_eq!(pair[1].1 + 1, pair[0].0, "consecutive and disjoint");
        }
        // Found 5 of 101 wanted: the next window is 2 * 96 / 5 = 38 times wider.
        let w = walk(plan.windows(now), 101, |win| if win.1 == i64::MAX { 5 } else { 1000 });
        assert_eq!(w, vec![(now - 59_999, i64::MAX), (now - 60_000 - 38 * 60_000 + 1, now - 60_000)]);
        // Enough in the first window: one read.
        assert_eq!(walk(plan.windows(now), 101, |_| 101).len(), 1);
        // since bounds the windows.
        let minute = 60_000;
        let since = now - 10 * minute;
        let q = format!("agent=%7B%22mbox%22%3A%22mailto%3Aa%40b.c%22%7D&since={}", xapi::time::format_ms(since - 1));
        let plan = Plan::new(&filters(&q.replace(':', "%3A")));
        let w = walk(plan.windows(now), 10, |_| 0);
        assert_eq!(w, vec![(now - minute + 1, i64::MAX), (since, now - minute)]);
        // A sparse key: at most three reads.
        let plan = Plan::new(&filters("agent=%7B%22mbox%22%3A%22mailto%3Aa%40b.c%22%7D"));
        let w = walk(plan.windows(now), 10, |_| 0);
        assert_eq!(
            w,
            vec![(now - minute + 1, i64::MAX), (now - 65 * minute + 1, now - minute), (i64::MIN, now - 65 * minute)]
        );
    }

    #[test]
    fn ascending_windows() {
        let plan = Plan::new(&filters("ascending=true&until=1970-01-01T01:00:00Z"));
        let w = walk(plan.windows(0), 10, |_| 0);
        assert_eq!(w, vec![(i64::MIN, 59_999), (60_000, 3_600_000)]);
        let plan = Plan::new(&filters("ascending=true&since=1970-01-01T00:00:00Z"));
        let w = walk(plan.windows(5), 10, |_| 0);
        assert_eq!(w[0], (1, 60_004));
        assert_eq!(w.last().map(|x| x.1), Some(i64::MAX));
        for pair in w.windows(2) {
            assert_eq!(pair[0].1 + 1, pair[1].0);
        }
        assert!(walk(
            Plan::new(&filters("since=1970-01-01T00:00:09Z&until=1970-01-01T00:00:09Z")).windows(0),
            5,
            |_| 0
        )
        .is_empty());
    }

    #[test]
    fn fetch_statements_and_attachments() {
        let id = Uuid::parse_str(REG).unwrap();
        let sql = statements_sql("st", &[id, id]);
        assert!(sql.text.contains(&format!("id IN ('{REG}','{REG}') WHERE store = ?")), "{}", sql.text);
        assert_eq!(sql.binds, vec![s("st")]);
        let sql = attachments_sql("st", &["a".into(), "b'".into()]);
        assert!(sql.text.contains("sha2 IN (?, ?) GROUP BY sha2"));
        assert_eq!(sql.binds, vec![s("st"), s("a"), s("b'")]);
        assert_eq!(voided_sql("st", id).binds, vec![s("st"), s(REG)]);
    }
}
