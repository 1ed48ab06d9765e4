//! `GET /analytics/aggregate` parameters, parsed and checked (every refusal is a 400 with a message).

use chrono_tz::Tz;
use lrs_common::http::params::Params;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    Statements,
    Actors,
    Activities,
    Registrations,
    ScoreAvg,
    ScoreMin,
    ScoreMax,
    SuccessRate,
    CompletionRate,
    DurationSum,
    DurationAvg,
}

pub const MEASURES: &[(&str, Measure)] = &[
    ("statements", Measure::Statements),
    ("actors", Measure::Actors),
    ("activities", Measure::Activities),
    ("registrations", Measure::Registrations),
    ("score_avg", Measure::ScoreAvg),
    ("score_min", Measure::ScoreMin),
    ("score_max", Measure::ScoreMax),
    ("success_rate", Measure::SuccessRate),
    ("completion_rate", Measure::CompletionRate),
    ("duration_sum", Measure::DurationSum),
    ("duration_avg", Measure::DurationAvg),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dim {
    Verb,
    Activity,
    ActivityType,
    Actor,
    Parent,
    Grouping,
    Registration,
    Platform,
    Hour,
    Day,
    Week,
    Month,
    Year,
    Weekday,
    HourOfDay,
    /// `result.score.scaled` in tenths (0, 0.1, … 1): a score distribution; statements without a score are left out.
    Score,
}

pub const DIMS: &[(&str, Dim)] = &[
    ("verb", Dim::Verb),
    ("activity", Dim::Activity),
    ("activity_type", Dim::ActivityType),
    ("actor", Dim::Actor),
    ("parent", Dim::Parent),
    ("grouping", Dim::Grouping),
    ("registration", Dim::Registration),
    ("platform", Dim::Platform),
    ("hour", Dim::Hour),
    ("day", Dim::Day),
    ("week", Dim::Week),
    ("month", Dim::Month),
    ("year", Dim::Year),
    ("weekday", Dim::Weekday),
    ("hour_of_day", Dim::HourOfDay),
    ("score", Dim::Score),
];

impl Dim {
    pub fn is_bucket(self) -> bool {
        matches!(self, Dim::Hour | Dim::Day | Dim::Week | Dim::Month | Dim::Year)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Since(i64),
    Until(i64),
    /// A column equal to a value: verb, activity, activity_type, actor (agent key), registration, platform.
    Equals(&'static str, String),
    /// An array column holding a value: parents, groupings.
    Has(&'static str, String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

/// A column of the answer, by its position: a dimension of `by`, or a measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Dim(usize),
    Measure(usize),
}

#[derive(Debug, Clone)]
pub struct Aggregate {
    pub measures: Vec<Measure>,
    pub by: Vec<Dim>,
    pub filters: Vec<Filter>,
    pub tz: Tz,
    pub order: (Column, bool),
    pub limit: u64,
    pub format: Format,
}

pub const MAX_LIMIT: u64 = 10_000;
const PARAMS: &[&str] = &[
    "measures",
    "by",
    "since",
    "until",
    "verb",
    "activity",
    "activity_type",
    "agent",
    "parent",
    "registration",
    "platform",
    "tz",
    "order",
    "limit",
    "format",
];

fn list(v: Option<&str>) -> impl Iterator<Item = &str> {
    v.unwrap_or_default().split(',').map(str::trim).filter(|s| !s.is_empty())
}

fn time(name: &str, v: &str) -> Result<i64, String> {
    match xapi::time::parse(v) {
        Some(t) if t.has_zone => Ok(t.epoch_ms),
        _ => Err(format!("{name} must be an ISO 8601 timestamp with a time zone, e.g. 2024-05-01T00:00:00Z")),
    }
}

impl Aggregate {
    pub fn parse(query: &str) -> Result<Aggregate, String> {
        let p = Params::parse(query, PARAMS).map_err(|e| e.0)?;
        let mut measures = Vec::new();
        for name in list(p.get("measures")) {
            let m = MEASURES.iter().find(|(n, _)| *n == name).map(|(_, m)| *m).ok_or_else(|| {
                format!(
                    "unknown measure {name:?}; known: {}",
                    MEASURES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                )
            })?;
            if !measures.contains(&m) {
                measures.push(m);
            }
        }
        if measures.is_empty() {
            measures.push(Measure::Statements);
        }
        let mut by = Vec::new();
        for name in list(p.get("by")) {
            let d = DIMS.iter().find(|(n, _)| *n == name).map(|(_, d)| *d).ok_or_else(|| {
                format!(
                    "unknown dimension {name:?}; known: {}",
                    DIMS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                )
            })?;
            if by.contains(&d) {
                return Err(format!("dimension {name:?} given twice"));
            }
            by.push(d);
        }
        if by.len() > 2 {
            return Err("at most two dimensions in by".into());
        }
        let mut filters = Vec::new();
        if let Some(v) = p.get("since") {
            filters.push(Filter::Since(time("since", v)?));
        }
        if let Some(v) = p.get("until") {
            filters.push(Filter::Until(time("until", v)?));
        }
        for (param, column) in
            [("verb", "verb"), ("activity", "activity"), ("activity_type", "activity_type"), ("platform", "platform")]
        {
            if let Some(v) = p.get(param) {
                filters.push(Filter::Equals(column, v.to_string()));
            }
        }
        if let Some(v) = p.get("registration") {
            let id = uuid::Uuid::parse_str(v).map_err(|_| "registration must be a UUID".to_string())?;
            filters.push(Filter::Equals("registration", id.hyphenated().to_string()));
        }
        if let Some(v) = p.get("agent") {
            let key = xapi::agent::key_of_json(v)
                .ok_or("agent must be an Agent's JSON with an identifier (mbox, mbox_sha1sum, openid or account)")?;
            filters.push(Filter::Equals("actor", key));
        }
        if let Some(v) = p.get("parent") {
            filters.push(Filter::Has("parents", v.to_string()));
        }
        let tz: Tz = match p.get("tz") {
            Some(v) => {
                v.parse().map_err(|_| format!("unknown time zone {v:?} (use an IANA name, e.g. Europe/Paris)"))?
            }
            None => Tz::UTC,
        };
        let order = match p.get("order") {
            Some(v) => {
                let (desc, name) = match v.strip_prefix('-') {
                    Some(n) => (true, n),
                    None => (false, v),
                };
                let column = if let Some(i) = by.iter().position(|d| DIMS.iter().any(|(n, x)| n == &name && x == d)) {
                    Column::Dim(i)
                } else if let Some(i) = measures.iter().position(|m| MEASURES.iter().any(|(n, x)| n == &name && x == m))
                {
                    Column::Measure(i)
                } else {
                    return Err(format!("order {name:?} is not one of the requested measures or dimensions"));
                };
                (column, desc)
            }
            None => match by.first() {
                Some(d) if d.is_bucket() || matches!(d, Dim::Weekday | Dim::HourOfDay | Dim::Score) => {
                    (Column::Dim(0), false)
                }
                _ => (Column::Measure(0), true),
            },
        };
        let limit = match p.get("limit") {
            Some(v) => match v.parse::<u64>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => return Err(format!("limit must be a number from 1 to {MAX_LIMIT}")),
            },
            None => 100,
        };
        let format = match p.get("format") {
            None | Some("json") => Format::Json,
            Some("csv") => Format::Csv,
            Some(other) => return Err(format!("unknown format {other:?} (json or csv)")),
        };
        Ok(Aggregate { measures, by, filters, tz, order, limit, format })
    }

    pub fn column_names(&self) -> Vec<&'static str> {
        let dim = |d: &Dim| DIMS.iter().find(|(_, x)| x == d).map_or("", |(n, _)| *n);
        let measure = |m: &Measure| MEASURES.iter().find(|(_, x)| x == m).map_or("", |(n, _)| *n);
        self.by.iter().map(dim).chain(self.measures.iter().map(measure)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dashboard_query() {
        let a = Aggregate::parse("measures=statements,actors&by=activity_type,day&since=2024-05-01T00:00:00Z&tz=Europe/Paris&order=-actors&limit=10&format=csv").unwrap();
        assert_eq!(a.measures, vec![Measure::Statements, Measure::Actors]);
        assert_eq!(a.by, vec![Dim::ActivityType, Dim::Day]);
        assert_eq!(a.filters, vec![Filter::Since(1_714_521_600_000)]);
        assert_eq!(a.tz, chrono_tz::Europe::Paris);
        assert_eq!(a.order, (Column::Measure(1), true));
        assert_eq!((a.limit, a.format), (10, Format::Csv));
        assert_eq!(a.column_names(), vec!["activity_type", "day", "statements", "actors"]);
    }

    #[test]
    fn defaults() {
        let a = Aggregate::parse("").unwrap();
        assert_eq!(
            (a.measures.as_slice(), a.by.len(), a.limit, a.order),
            (&[Measure::Statements][..], 0, 100, (Column::Measure(0), true))
        );
        assert_eq!(Aggregate::parse("by=month").unwrap().order, (Column::Dim(0), false));
    }

    #[test]
    fn refusals() {
        for q in [
            "measures=bogus",
            "by=bogus",
            "by=verb,activity,actor",
            "by=verb,verb",
            "since=yesterday",
            "since=2024-05-01T00:00:00",
            "tz=Mars/Olympus",
            "order=actors",
            "limit=0",
            "limit=10001",
            "format=xml",
            "agent={}",
            "registration=nope",
            "colour=red",
        ] {
            let e = Aggregate::parse(q).unwrap_err();
            assert!(!e.is_empty(), "{q}");
        }
    }
}
