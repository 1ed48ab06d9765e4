//! An aggregate request as one ClickHouse query: over the per-learner counts (`people`) or the hourly sums
//! (`analytics_hourly*`) when they cover the request, else over `analytics_events` less the retracted (id,
//! ver) pairs. The SQL text holds only
//! names from fixed lists and the validated time zone; every value is bound.

use super::params::{Aggregate, Column, Dim, Filter, Measure};

/// The query and its values, in the order of its `?`.
#[derive(Debug, PartialEq)]
pub struct Sql {
    pub text: String,
    pub binds: Vec<Bind>,
    /// The table read: `analytics_hourly` or `analytics_events`.
    pub table: &'static str,
    /// Dimensions answered as hashes, by column index, with the kind of name (`analytics_names`) they stand for.
    pub names: Vec<(usize, u8)>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Bind {
    Text(String),
    Int(i64),
}

fn dim_sql(d: Dim, tz: &str, time: &str) -> String {
    let t = format!("toDateTime(intDiv({time}, 1000), '{tz}')");
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
        Dim::Score => "floor(score * 10) / 10".into(),
    }
}

/// The same measure over the hourly sums (None: they cannot give it).
fn rollup_measure_sql(m: Measure) -> Option<&'static str> {
    Some(match m {
        Measure::Statements => "sum(statements)",
        Measure::ScoreAvg => "if(sum(score_n) = 0, NULL, sum(score_sum) / sum(score_n))",
        Measure::SuccessRate => "if(sum(success_n) = 0, NULL, sum(success_true) / sum(success_n))",
        Measure::CompletionRate => "if(sum(completion_n) = 0, NULL, sum(completion_true) / sum(completion_n))",
        Measure::DurationSum => "if(sum(duration_n) = 0, NULL, sum(duration_sum) / 1000)",
        Measure::DurationAvg => "if(sum(duration_n) = 0, NULL, sum(duration_sum) / sum(duration_n) / 1000)",
        Measure::Actors | Measure::Activities | Measure::Registrations | Measure::ScoreMin | Measure::ScoreMax => {
            return None
        }
    })
}

pub const HOUR_MS: i64 = 3_600_000;

/// Where a request is answered from, smallest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// Sums per hour, content type and verb.
    HourlyTypes,
    /// Sums per hour, content type and activity.
    HourlyActivities,
    /// Sums per hour, content type and score tenth (scored statements only): for requests by score.
    HourlyScores,
    /// Sums per hour, course (one row per parent), content type and verb: only for requests about courses.
    HourlyCourses,
    /// Sums per hour, content type, verb, activity, courses, programmes and platform.
    Hourly,
    /// The counted statements, less the retracted ones.
    Events,
}

impl Source {
    fn table(self) -> &'static str {
        match self {
            Source::HourlyTypes => "analytics_hourly_types",
            Source::HourlyActivities => "analytics_hourly_activities",
            Source::HourlyScores => "analytics_hourly_scores",
            Source::HourlyCourses => "analytics_hourly_courses",
            Source::Hourly => "analytics_hourly",
            Source::Events => "analytics_events",
        }
    }

    fn is_sums(self) -> bool {
        self != Source::Events
    }
}

/// The smallest source that answers `a` exactly: its dimensions and filters are among the source's keys, its
/// measures are sums, its time bounds fall on hours, and its zone's hours are UTC hours.
fn source(a: &Aggregate) -> Source {
    let sums = a.measures.iter().all(|m| rollup_measure_sql(*m).is_some())
        && whole_hour_zone(a.tz)
        && a.filters.iter().all(|f| match f {
            Filter::Since(ms) | Filter::Until(ms) => ms.rem_euclid(HOUR_MS) == 0,
            _ => true,
        });
    if !sums {
        return Source::Events;
    }
    let dims_in = |allowed: &[Dim]| {
        a.by.iter().all(|d| d.is_bucket() || matches!(d, Dim::Weekday | Dim::HourOfDay) || allowed.contains(d))
    };
    let filters_in = |columns: &[&str], parent: bool| {
        a.filters.iter().all(|f| match f {
            Filter::Since(_) | Filter::Until(_) => true,
            Filter::Equals(column, _) => columns.contains(column),
            Filter::Has(column, _) => parent && *column == "parents",
        })
    };
    let about_courses = a.by.contains(&Dim::Parent) || a.filters.iter().any(|f| matches!(f, Filter::Has("parents", _)));
    if a.by.contains(&Dim::Score) {
        // Only the score sums (or the events) know a statement's score.
        if !about_courses && dims_in(&[Dim::Score, Dim::ActivityType]) && filters_in(&["activity_type"], false) {
            return Source::HourlyScores;
        }
        return Source::Events;
    }
    if !about_courses && dims_in(&[Dim::ActivityType, Dim::Verb]) && filters_in(&["activity_type", "verb"], false) {
        Source::HourlyTypes
    } else if !about_courses
        && dims_in(&[Dim::ActivityType, Dim::Activity])
        && filters_in(&["activity_type", "activity"], false)
    {
        Source::HourlyActivities
    } else if about_courses
        && dims_in(&[Dim::Parent, Dim::ActivityType, Dim::Verb])
        && filters_in(&["activity_type", "verb"], true)
        // One row per parent: a request by course and filtered on another course would need both.
        && !(a.by.contains(&Dim::Parent) && a.filters.iter().any(|f| matches!(f, Filter::Has("parents", _))))
    {
        Source::HourlyCourses
    } else if a.by.iter().all(|d| !matches!(d, Dim::Actor | Dim::Registration | Dim::Score))
        && filters_in(&["activity_type", "verb", "activity", "platform"], true)
    {
        Source::Hourly
    } else {
        Source::Events
    }
}

/// True when every offset the zone has used since 1970 and will use to 2100 is a whole number of hours.
/// Remembered per zone: the check takes some 1,500 offset lookups and every request asks it.
fn whole_hour_zone(tz: chrono_tz::Tz) -> bool {
    use chrono::{Offset, TimeZone};
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static KNOWN: OnceLock<Mutex<HashMap<chrono_tz::Tz, bool>>> = OnceLock::new();
    let known = KNOWN.get_or_init(Default::default);
    if let Some(answer) = known.lock().unwrap_or_else(|e| e.into_inner()).get(&tz) {
        return *answer;
    }
    // Monthly samples catch every standard and summer offset of modern rules.
    let answer = (0..130 * 12).all(|month: i64| {
        let at = month * 2_629_746;
        tz.timestamp_opt(at, 0).single().is_none_or(|t| t.offset().fix().local_minus_utc() % 3600 == 0)
    });
    known.lock().unwrap_or_else(|e| e.into_inner()).insert(tz, answer);
    answer
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
    if super::people::covers(a) {
        return super::people::build(a, store);
    }
    let tz = a.tz.name();
    let from = source(a);
    let hourly = from.is_sums();
    let table = from.table();
    let time = if hourly { "hour_ms" } else { "timestamp_ms" };
    let mut select: Vec<String> =
        a.by.iter()
            .enumerate()
            .map(|(i, d)| match (d, from) {
                (Dim::Parent, Source::HourlyCourses) => format!("parent AS d{i}"),
                (Dim::Score, Source::HourlyScores) => format!("tenth AS d{i}"),
                _ => format!("{} AS d{i}", dim_sql(*d, tz, time)),
            })
            .collect();
    select.extend(a.measures.iter().enumerate().map(|(i, m)| {
        let sql = if hourly { rollup_measure_sql(*m).unwrap_or("NULL") } else { measure_sql(*m) };
        format!("{sql} AS m{i}")
    }));
    let mut binds = Vec::new();
    let from_where = match daily_of(a, from) {
        // Whole UTC days from the daily sums, the ragged ends from the hourly ones.
        Some((daily, columns)) => {
            let (since, until) = bounds(a);
            let plan = super::people::split(since, until, DAY_MS);
            let mut parts = Vec::new();
            if let Some(range) = plan.spans {
                let conditions = conditions(a, from, store, "day_ms", &[range], &mut binds);
                parts.push(format!("SELECT {columns} FROM {daily} WHERE {}", conditions.join(" AND ")));
            }
            if !plan.hours.is_empty() {
                let conditions = conditions(a, from, store, "hour_ms", &plan.hours, &mut binds);
                parts.push(format!("SELECT {columns} FROM {table} WHERE {}", conditions.join(" AND ")));
            }
            format!("({})", parts.join(" UNION ALL "))
        }
        None => {
            let (since, until) = bounds(a);
            let conditions = conditions(a, from, store, time, &[(since, until)], &mut binds);
            format!("{table} WHERE {}", conditions.join(" AND "))
        }
    };
    let mut text = format!("SELECT {} FROM {from_where}", select.join(", "));
    if !a.by.is_empty() {
        let groups: Vec<String> = (0..a.by.len()).map(|i| format!("d{i}")).collect();
        text.push_str(&format!(" GROUP BY {}", groups.join(", ")));
        if hourly {
            // A group whose statements were all taken back has sums of zero, not statements.
            text.push_str(" HAVING sum(statements) > 0");
        }
        text.push_str(&order_limit(a, groups));
    }
    Sql { text, binds, table, names: Vec::new() }
}

const DAY_MS: i64 = 86_400_000;

/// The daily table above `from` and the columns a part reads, when a request can use it: no time buckets.
fn daily_of(a: &Aggregate, from: Source) -> Option<(&'static str, &'static str)> {
    let timeless = a.by.iter().all(|d| !d.is_bucket() && !matches!(d, Dim::Weekday | Dim::HourOfDay));
    if !timeless {
        return None;
    }
    match from {
        Source::HourlyActivities => Some((
            "analytics_daily_activities",
            "activity_type, activity, statements, score_n, score_sum, success_n, \
                success_true, completion_n, completion_true, duration_n, duration_sum",
        )),
        Source::HourlyCourses => Some((
            "analytics_daily_courses",
            "parent, activity_type, verb, statements, score_n, score_sum, success_n, \
                success_true, completion_n, completion_true, duration_n, duration_sum",
        )),
        _ => None,
    }
}

fn bounds(a: &Aggregate) -> (Option<i64>, Option<i64>) {
    let mut b = (None, None);
    for f in &a.filters {
        match f {
            Filter::Since(ms) => b.0 = Some(*ms),
            Filter::Until(ms) => b.1 = Some(*ms),
            _ => {}
        }
    }
    b
}

/// The condition that `time` falls in one of `ranges` (`[lo, hi)`, None: unbounded), its bounds pushed to
/// `binds`; None when no range bounds anything.
pub fn time_ranges(time: &str, ranges: &[(Option<i64>, Option<i64>)], binds: &mut Vec<Bind>) -> Option<String> {
    let mut alternatives = Vec::new();
    for (lo, hi) in ranges {
        let mut both = Vec::new();
        if let Some(lo) = lo {
            both.push(format!("{time} >= ?"));
            binds.push(Bind::Int(*lo));
        }
        if let Some(hi) = hi {
            both.push(format!("{time} < ?"));
            binds.push(Bind::Int(*hi));
        }
        if !both.is_empty() {
            alternatives.push(both.join(" AND "));
        }
    }
    match alternatives.len() {
        0 => None,
        1 => alternatives.pop(),
        _ => Some(format!("(({}))", alternatives.join(") OR ("))),
    }
}

/// The WHERE conditions of a read of `from` over `ranges` of its `time` column, their values pushed to `binds`.
fn conditions(
    a: &Aggregate,
    from: Source,
    store: &str,
    time: &str,
    ranges: &[(Option<i64>, Option<i64>)],
    binds: &mut Vec<Bind>,
) -> Vec<String> {
    binds.push(Bind::Text(store.to_string()));
    let mut conditions = vec!["store = ?".to_string()];
    if a.by.contains(&Dim::Score) && from == Source::Events {
        conditions.push("has_score = 1".into());
    }
    conditions.extend(time_ranges(time, ranges, binds));
    for f in &a.filters {
        match f {
            Filter::Since(_) | Filter::Until(_) => {}
            Filter::Equals(column, v) => {
                conditions.push(format!("{column} = ?"));
                binds.push(Bind::Text(v.clone()));
            }
            Filter::Has(_, v) if from == Source::HourlyCourses => {
                conditions.push("parent = ?".into());
                binds.push(Bind::Text(v.clone()));
            }
            Filter::Has(column, v) => {
                conditions.push(format!("has({column}, ?)"));
                binds.push(Bind::Text(v.clone()));
            }
        }
    }
    if !from.is_sums() {
        conditions.push("(id, ver) NOT IN (SELECT id, ver FROM analytics_retractions WHERE store = ?)".into());
        binds.push(Bind::Text(store.to_string()));
    }
    conditions
}

/// ` ORDER BY … LIMIT n` of a grouped request, over its `d{i}` and `m{i}` columns.
pub fn order_limit(a: &Aggregate, groups: Vec<String>) -> String {
    let (column, desc) = a.order;
    let first = match column {
        Column::Dim(i) => format!("d{i}"),
        Column::Measure(i) => format!("m{i}"),
    };
    // Ties are broken by the dimensions, so a page is the same on every call.
    let mut order = vec![format!("{first} {}", if desc { "DESC" } else { "ASC" })];
    order.extend(groups.into_iter().filter(|g| *g != first).map(|g| format!("{g} ASC")));
    format!(" ORDER BY {} LIMIT {}", order.join(", "), a.limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grouped_query() {
        let a = Aggregate::parse("measures=statements,score_min&by=parent,week&verb=http://v&tz=Europe/Paris").unwrap();
        let sql = build(&a, "default");
        assert_eq!(
            sql.text,
            "SELECT arrayJoin(parents) AS d0, toUInt32(toDateTime(toMonday(toDateTime(intDiv(timestamp_ms, 1000), \
             'Europe/Paris')), 'Europe/Paris')) AS d1, count() AS m0, if(countIf(has_score = 1) = 0, NULL, \
             minIf(score, has_score = 1)) AS m1 FROM analytics_events WHERE store = ? AND verb = ? AND (id, ver) \
             NOT IN (SELECT id, ver FROM analytics_retractions WHERE store = ?) GROUP BY d0, d1 ORDER BY m0 DESC, \
             d0 ASC, d1 ASC LIMIT 100"
        );
        assert_eq!(
            sql.binds,
            vec![Bind::Text("default".into()), Bind::Text("http://v".into()), Bind::Text("default".into())]
        );
    }

    #[test]
    fn the_hourly_sums_answer_what_they_cover() {
        let dashboard = [
            ("measures=statements&by=day&tz=Europe/Paris&since=2024-01-01T00:00:00Z", "analytics_hourly_types"),
            ("measures=statements&by=weekday,hour_of_day&tz=America/New_York", "analytics_hourly_types"),
            ("measures=completion_rate,success_rate,score_avg&by=parent", "analytics_hourly_courses"),
            ("measures=duration_sum&by=activity_type&parent=http://c", "analytics_hourly_courses"),
            ("measures=statements&by=parent&parent=http://c", "analytics_hourly"),
            ("measures=statements&by=activity&parent=http://c", "analytics_hourly"),
            ("measures=statements,score_avg&by=activity&limit=10", "analytics_hourly_activities"),
            ("measures=completion_rate&by=activity_type&activity=http://a", "analytics_hourly_activities"),
            ("measures=statements&by=activity,verb", "analytics_hourly"),
            ("measures=statements&by=score", "analytics_hourly_scores"),
            ("measures=statements&by=score,activity_type&activity_type=http://t", "analytics_hourly_scores"),
            ("measures=statements&by=platform", "analytics_hourly"),
        ];
        for (q, table) in dashboard {
            assert_eq!(build(&Aggregate::parse(q).unwrap(), "s").table, table, "{q}");
        }
        assert_eq!(
            build(&Aggregate::parse("measures=statements&by=actor").unwrap(), "s").table,
            "analytics_people_spans"
        );
        let not_covered = [
            "measures=actors&by=verb",
            "measures=statements&by=actor,day",
            "measures=statements&tz=Asia/Kolkata&by=day",
            "measures=statements&since=2024-01-01T00:30:00Z",
            "measures=score_max",
            "measures=statements&by=score&verb=http://v",
        ];
        for q in not_covered {
            assert_eq!(build(&Aggregate::parse(q).unwrap(), "s").table, "analytics_events", "{q}");
        }
        let sql = build(&Aggregate::parse("measures=statements&by=verb").unwrap(), "s");
        assert_eq!(
            sql.text,
            "SELECT verb AS d0, sum(statements) AS m0 FROM analytics_hourly_types WHERE store = ? GROUP BY d0 \
             HAVING sum(statements) > 0 ORDER BY m0 DESC, d0 ASC LIMIT 100"
        );
    }

    #[test]
    fn long_ranges_read_whole_days_from_the_daily_sums() {
        let q = "measures=statements&by=activity&since=2024-01-01T05:00:00Z&until=2024-01-03T00:00:00Z";
        let sql = build(&Aggregate::parse(q).unwrap(), "s");
        assert_eq!(
            sql.text,
            "SELECT activity AS d0, sum(statements) AS m0 FROM (SELECT activity_type, activity, statements, score_n, \
             score_sum, success_n, success_true, completion_n, completion_true, duration_n, duration_sum FROM \
             analytics_daily_activities WHERE store = ? AND day_ms >= ? AND day_ms < ? UNION ALL SELECT \
             activity_type, activity, statements, score_n, score_sum, success_n, success_true, completion_n, \
             completion_true, duration_n, duration_sum FROM analytics_hourly_activities WHERE store = ? AND hour_ms \
             >= ? AND hour_ms < ?) GROUP BY d0 HAVING sum(statements) > 0 ORDER BY m0 DESC, d0 ASC LIMIT 100"
        );
        let (jan1, jan2, jan3) = (1_704_067_200_000i64, 1_704_153_600_000i64, 1_704_240_000_000i64);
        assert_eq!(
            sql.binds,
            vec![
                Bind::Text("s".into()),
                Bind::Int(jan2),
                Bind::Int(jan3),
                Bind::Text("s".into()),
                Bind::Int(jan1 + 5 * HOUR_MS),
                Bind::Int(jan2)
            ]
        );
        let by_day = build(&Aggregate::parse("measures=statements&by=activity,day").unwrap(), "s");
        assert!(!by_day.text.contains("daily"), "time buckets need the hours");
        let by_course = build(&Aggregate::parse("measures=completion_rate&by=parent&verb=http://v").unwrap(), "s");
        assert!(
            by_course.text.contains("FROM analytics_daily_courses WHERE store = ? AND verb = ?"),
            "{}",
            by_course.text
        );
    }

    #[test]
    fn totals_have_no_group_by() {
        let sql = build(&Aggregate::parse("measures=actors,registrations").unwrap(), "s");
        assert!(!sql.text.contains("GROUP BY") && sql.text.contains("uniqExact(actor) AS m0"));
    }
}
