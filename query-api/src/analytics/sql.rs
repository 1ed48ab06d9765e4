//! An aggregate request as one ClickHouse query over `analytics_events`, less the retracted (id, ver) pairs.
//! The SQL text holds only names from fixed lists and the validated time zone; every value is bound.

use super::params::{Aggregate, Column, Dim, Filter, Measure};

/// The query and its values, in the order of its `?`.
#[derive(Debug, PartialEq)]
pub struct Sql {
    pub text: String,
    pub binds: Vec<Bind>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Bind {
    Text(String),
    Int(i64),
}

fn dim_sql(d: Dim, tz: &str) -> String {
    let t = format!("toDateTime(intDiv(timestamp_ms, 1000), '{tz}')");
    // Date-valued starts are turned back into the instant they begin in the zone, as epoch seconds.
    let date_start = |f: &str| format!("toUInt32(toDateTime({f}({t}), '{tz}'))");
    match d {
        Dim::Verb => "verb".into(),
        Dim::Activity => "activity".into(),
        Dim::ActivityType => "activity_type".into(),
        Dim::Actor => "actor".into(),
        Dim::Parent => "arrayJoin(parents)".into(),
        Dim::Grouping => "arrayJoin(groupings)".into(),
        Dim::Registration => "registration".into(),
        Dim::Platform => "platform".into(),
        Dim::Hour => format!("toUInt32(toStartOfHour({t}))"),
        Dim::Day => format!("toUInt32(toStartOfDay({t}))"),
        Dim::Week => date_start("toMonday"),
        Dim::Month => date_start("toStartOfMonth"),
        Dim::Year => date_start("toStartOfYear"),
        Dim::Weekday => format!("toDayOfWeek({t})"),
        Dim::HourOfDay => format!("toHour({t})"),
    }
}

fn measure_sql(m: Measure) -> &'static str {
    // Over no values a measure is NULL (not 0, not NaN).
    match m {
        Measure::Statements => "count()",
        Measure::Actors => "uniqExact(actor)",
        Measure::Activities => "uniqExactIf(activity, activity != '')",
        Measure::Registrations => "uniqExactIf(registration, registration != '')",
        Measure::ScoreAvg => "if(countIf(has_score = 1) = 0, NULL, avgIf(score, has_score = 1))",
        Measure::ScoreMin => "if(countIf(has_score = 1) = 0, NULL, minIf(score, has_score = 1))",
        Measure::ScoreMax => "if(countIf(has_score = 1) = 0, NULL, maxIf(score, has_score = 1))",
        Measure::SuccessRate => "if(countIf(success >= 0) = 0, NULL, countIf(success = 1) / countIf(success >= 0))",
        Measure::CompletionRate => {
            "if(countIf(completion >= 0) = 0, NULL, countIf(completion = 1) / countIf(completion >= 0))"
        }
        Measure::DurationSum => "if(countIf(has_duration = 1) = 0, NULL, sumIf(duration_ms, has_duration = 1) / 1000)",
        Measure::DurationAvg => "if(countIf(has_duration = 1) = 0, NULL, avgIf(duration_ms, has_duration = 1) / 1000)",
    }
}

pub fn build(a: &Aggregate, store: &str) -> Sql {
    let tz = a.tz.name();
    let mut select: Vec<String> =
        a.by.iter().enumerate().map(|(i, d)| format!("{} AS d{i}", dim_sql(*d, tz))).collect();
    select.extend(a.measures.iter().enumerate().map(|(i, m)| format!("{} AS m{i}", measure_sql(*m))));
    let mut binds = vec![Bind::Text(store.to_string())];
    let mut conditions = vec!["store = ?".to_string()];
    for f in &a.filters {
        match f {
            Filter::Since(ms) => {
                conditions.push("timestamp_ms >= ?".into());
                binds.push(Bind::Int(*ms));
            }
            Filter::Until(ms) => {
                conditions.push("timestamp_ms < ?".into());
                binds.push(Bind::Int(*ms));
            }
            Filter::Equals(column, v) => {
                conditions.push(format!("{column} = ?"));
                binds.push(Bind::Text(v.clone()));
            }
            Filter::Has(column, v) => {
                conditions.push(format!("has({column}, ?)"));
                binds.push(Bind::Text(v.clone()));
            }
        }
    }
    conditions.push("(id, ver) NOT IN (SELECT id, ver FROM analytics_retractions WHERE store = ?)".into());
    binds.push(Bind::Text(store.to_string()));
    let mut text = format!("SELECT {} FROM analytics_events WHERE {}", select.join(", "), conditions.join(" AND "));
    if !a.by.is_empty() {
        let groups: Vec<String> = (0..a.by.len()).map(|i| format!("d{i}")).collect();
        text.push_str(&format!(" GROUP BY {}", groups.join(", ")));
        let (column, desc) = a.order;
        let first = match column {
            Column::Dim(i) => format!("d{i}"),
            Column::Measure(i) => format!("m{i}"),
        };
        // Ties are broken by the dimensions, so a page is the same on every call.
        let mut order = vec![format!("{first} {}", if desc { "DESC" } else { "ASC" })];
        order.extend(groups.into_iter().filter(|g| *g != first).map(|g| format!("{g} ASC")));
        text.push_str(&format!(" ORDER BY {} LIMIT {}", order.join(", "), a.limit));
    }
    Sql { text, binds }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grouped_query() {
        let a = Aggregate::parse("measures=statements,score_avg&by=parent,week&verb=http://v&tz=Europe/Paris").unwrap();
        let sql = build(&a, "default");
        assert_eq!(
            sql.text,
            "SELECT arrayJoin(parents) AS d0, toUInt32(toDateTime(toMonday(toDateTime(intDiv(timestamp_ms, 1000), \
             'Europe/Paris')), 'Europe/Paris')) AS d1, count() AS m0, if(countIf(has_score = 1) = 0, NULL, \
             avgIf(score, has_score = 1)) AS m1 FROM analytics_events WHERE store = ? AND verb = ? AND (id, ver) \
             NOT IN (SELECT id, ver FROM analytics_retractions WHERE store = ?) GROUP BY d0, d1 ORDER BY m0 DESC, \
             d0 ASC, d1 ASC LIMIT 100"
        );
        assert_eq!(
            sql.binds,
            vec![Bind::Text("default".into()), Bind::Text("http://v".into()), Bind::Text("default".into())]
        );
    }

    #[test]
    fn totals_have_no_group_by() {
        let sql = build(&Aggregate::parse("measures=actors").unwrap(), "s");
        assert!(!sql.text.contains("GROUP BY") && sql.text.contains("uniqExact(actor) AS m0"));
    }
}
