//! Requests that count people (most active learners, distinct learners per content type or course) over the
//! per-learner counts (`analytics_people_spans` and `analytics_people_hourly`, see schema 0009): the whole
//! 16-day spans inside the range from the first, its ragged ends from the second. A learner counts in a group
//! when their statements there sum to more than zero (retractions subtract), so the answer is exact.

use super::params::{Aggregate, Column, Dim, Filter, Measure};
use super::sql::{order_limit, time_ranges, Bind, Sql, HOUR_MS};

/// The spans' length (16 days), as in the schema.
pub const SPAN_MS: i64 = 1_382_400_000;

/// Whether the per-learner counts answer `a`: it counts people (by actor, or the actors measure), asks only
/// statements and actors, cuts only by actor, content type and course, and its time bounds fall on hours.
pub fn covers(a: &Aggregate) -> bool {
    let about_people = a.by.contains(&Dim::Actor) || a.measures.contains(&Measure::Actors);
    let measures = a.measures.iter().all(|m| matches!(m, Measure::Statements | Measure::Actors));
    let dims = a.by.iter().all(|d| matches!(d, Dim::Actor | Dim::ActivityType | Dim::Parent));
    let by_parent = a.by.contains(&Dim::Parent);
    let filters = a.filters.iter().all(|f| match f {
        Filter::Since(ms) | Filter::Until(ms) => ms.rem_euclid(HOUR_MS) == 0,
        Filter::Equals(column, _) => matches!(*column, "activity_type" | "actor"),
        // Rows are per course: by course and filtered on another would need both at once.
        Filter::Has(column, _) => *column == "parents" && !by_parent,
    });
    let courses = a.filters.iter().filter(|f| matches!(f, Filter::Has(..))).count();
    about_people && measures && dims && filters && courses <= 1
}

/// A time range split between a coarse grain and hours: `[from, to)` (None: unbounded) read from each.
#[derive(Debug, PartialEq)]
pub struct Plan {
    pub spans: Option<(Option<i64>, Option<i64>)>,
    pub hours: Vec<(Option<i64>, Option<i64>)>,
}

fn plan(since: Option<i64>, until: Option<i64>) -> Plan {
    split(since, until, SPAN_MS)
}

/// The whole `grain`-long (epoch-aligned) periods of `[since, until)`, and the hours at its ends.
pub fn split(since: Option<i64>, until: Option<i64>, grain: i64) -> Plan {
    let first = since.map(|s| s.div_euclid(grain) * grain + if s.rem_euclid(grain) == 0 { 0 } else { grain });
    let end = until.map(|u| u.div_euclid(grain) * grain);
    match (first, end) {
        (Some(f), Some(e)) if f >= e => Plan { spans: None, hours: vec![(since, until)] },
        _ => {
            let mut hours = Vec::new();
            if let (Some(s), Some(f)) = (since, first) {
                if s < f {
                    hours.push((Some(s), Some(f)));
                }
            }
            if let (Some(e), Some(u)) = (end, until) {
                if e < u {
                    hours.push((Some(e), Some(u)));
                }
            }
            Plan { spans: Some((first, end)), hours }
        }
    }
}

/// A dimension's grouping key (hashes: integers group fast) and the value answered for the group: the hash
/// itself when the names are looked up afterwards, else the name.
fn dim_sql(d: Dim, hashed: bool) -> (&'static str, &'static str) {
    match (d, hashed) {
        (Dim::Parent, _) => ("parent", "parent"),
        (Dim::Actor, true) => ("who", "who"),
        (Dim::Actor, false) => ("who", "any(actor_name)"),
        (_, true) => ("type_hash", "type_hash"),
        (_, false) => ("type_hash", "any(type_name)"),
    }
}

/// The kind of name a hashed dimension stands for in `analytics_names`.
fn name_kind(d: Dim) -> Option<u8> {
    match d {
        Dim::ActivityType => Some(1),
        Dim::Actor => Some(2),
        _ => None,
    }
}

pub fn build(a: &Aggregate, store: &str) -> Sql {
    let mut since = None;
    let mut until = None;
    let mut course = None;
    let mut equals = Vec::new();
    for f in &a.filters {
        match f {
            Filter::Since(ms) => since = Some(*ms),
            Filter::Until(ms) => until = Some(*ms),
            Filter::Has(_, v) => course = Some(v.clone()),
            Filter::Equals(column, v) => equals.push((*column, v.clone())),
        }
    }
    let mut binds = Vec::new();
    // One part per grain, with the conditions every part shares.
    let mut part = |table: &str, time: &str, ranges: &[(Option<i64>, Option<i64>)]| -> String {
        let mut conditions = vec!["store = ?".to_string()];
        binds.push(Bind::Text(store.to_string()));
        if a.by.contains(&Dim::Parent) {
            conditions.push("parent != ''".into());
        } else {
            conditions.push("parent = ?".into());
            binds.push(Bind::Text(course.clone().unwrap_or_default()));
        }
        conditions.extend(time_ranges(time, ranges, &mut binds));
        for (column, v) in &equals {
            let hash = if *column == "actor" { "actor_hash" } else { "type_hash" };
            conditions.push(format!("{hash} = cityHash64(?)"));
            binds.push(Bind::Text(v.clone()));
        }
        format!(
            "SELECT parent, type_hash, actor_hash, type_name, actor_name, statements FROM {table} WHERE {}",
            conditions.join(" AND ")
        )
    };
    let p = plan(since, until);
    let mut parts = Vec::new();
    if let Some(range) = p.spans {
        parts.push(part("analytics_people_spans", "span_ms", &[range]));
    }
    if !p.hours.is_empty() {
        parts.push(part("analytics_people_hourly", "hour_ms", &p.hours));
    }
    // Ordered by a measure, a page's names are looked up for its rows only (reading them for every row costs
    // more than the grouping); ordered by a dimension, they are needed to sort.
    let hashed = matches!(a.order.0, Column::Measure(_));
    let dims: Vec<String> =
        a.by.iter().enumerate().map(|(i, d)| format!("{} AS d{i}", dim_sql(*d, hashed).1)).collect();
    let groups: Vec<String> = (0..a.by.len()).map(|i| format!("d{i}")).collect();
    let mut inner_keys: Vec<&str> = a.by.iter().map(|d| dim_sql(*d, hashed).0).collect();
    if !inner_keys.contains(&"who") {
        inner_keys.push("who");
    }
    let inner = format!(
        "SELECT {}actor_hash AS who, sum(statements) AS s FROM ({}) GROUP BY {} HAVING s > 0",
        dims.iter().map(|d| format!("{d}, ")).collect::<String>(),
        parts.join(" UNION ALL "),
        inner_keys.join(", ")
    );
    let measures: Vec<String> = a
        .measures
        .iter()
        .enumerate()
        .map(|(i, m)| format!("{} AS m{i}", if *m == Measure::Actors { "count()" } else { "sum(s)" }))
        .collect();
    let outer: Vec<String> = groups.iter().cloned().chain(measures).collect();
    let mut text = format!("SELECT {} FROM ({inner})", outer.join(", "));
    if !a.by.is_empty() {
        text.push_str(&format!(" GROUP BY {}", groups.join(", ")));
        text.push_str(&order_limit(a, groups));
    }
    let names = if hashed {
        a.by.iter().enumerate().filter_map(|(i, d)| name_kind(*d).map(|k| (i, k))).collect()
    } else {
        Vec::new()
    };
    Sql { text, binds, table: "analytics_people_spans", names }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    #[test]
    fn a_range_reads_whole_spans_and_hours_at_its_ends() {
        let s = 100 * SPAN_MS;
        assert_eq!(plan(None, None), Plan { spans: Some((None, None)), hours: vec![] });
        assert_eq!(plan(Some(s), None), Plan { spans: Some((Some(s), None)), hours: vec![] });
        assert_eq!(
            plan(Some(s - DAY), Some(s + 2 * SPAN_MS + 3 * HOUR_MS)),
            Plan {
                spans: Some((Some(s), Some(s + 2 * SPAN_MS))),
                hours: vec![(Some(s - DAY), Some(s)), (Some(s + 2 * SPAN_MS), Some(s + 2 * SPAN_MS + 3 * HOUR_MS))]
            }
        );
        assert_eq!(
            plan(Some(s + DAY), Some(s + 3 * DAY)),
            Plan { spans: None, hours: vec![(Some(s + DAY), Some(s + 3 * DAY))] },
            "inside one span"
        );
        assert_eq!(
            plan(None, Some(s + HOUR_MS)),
            Plan { spans: Some((None, Some(s))), hours: vec![(Some(s), Some(s + HOUR_MS))] }
        );
    }

    #[test]
    fn what_it_covers() {
        let yes = [
            "measures=statements&by=actor&limit=10",
            "measures=statements,actors&by=activity_type&since=2024-01-01T00:00:00Z",
            "measures=actors&by=parent",
            "measures=actors&parent=http://c&activity_type=http://t",
            "measures=actors&tz=Asia/Kolkata",
        ];
        for q in yes {
            assert!(covers(&Aggregate::parse(q).unwrap()), "{q}");
        }
        let no = [
            "measures=statements&by=activity_type",
            "measures=actors&by=verb",
            "measures=actors,score_avg&by=activity_type",
            "measures=actors&by=day",
            "measures=actors&since=2024-01-01T00:30:00Z",
            "measures=actors&by=parent&parent=http://c",
            "measures=actors&verb=http://v",
        ];
        for q in no {
            assert!(!covers(&Aggregate::parse(q).unwrap()), "{q}");
        }
    }

    #[test]
    fn learners_per_content_type() {
        let a = Aggregate::parse("measures=statements,actors&by=activity_type&since=2024-01-01T00:00:00Z").unwrap();
        let sql = build(&a, "s");
        let since = 1_704_067_200_000i64;
        let first = (since / SPAN_MS + 1) * SPAN_MS;
        assert_eq!(
            sql.text,
            "SELECT d0, sum(s) AS m0, count() AS m1 FROM (SELECT type_hash AS d0, actor_hash AS who, \
             sum(statements) AS s FROM (SELECT parent, type_hash, actor_hash, type_name, actor_name, statements FROM \
             analytics_people_spans WHERE store = ? AND parent = ? AND span_ms >= ? UNION ALL SELECT parent, \
             type_hash, actor_hash, type_name, actor_name, statements FROM analytics_people_hourly WHERE store = ? AND \
             parent = ? AND hour_ms >= ? AND hour_ms < ?) GROUP BY type_hash, who HAVING s > 0) GROUP BY d0 \
             ORDER BY m0 DESC, d0 ASC LIMIT 100"
        );
        assert_eq!(sql.names, vec![(0, 1)]);
        assert_eq!(sql.names, vec![(0, 1)]);
        assert_eq!(
            sql.binds,
            vec![
                Bind::Text("s".into()),
                Bind::Text("".into()),
                Bind::Int(first),
                Bind::Text("s".into()),
                Bind::Text("".into()),
                Bind::Int(since),
                Bind::Int(first)
            ]
        );
    }

    #[test]
    fn learners_by_course_and_totals() {
        let sql = build(&Aggregate::parse("measures=actors&by=parent").unwrap(), "s");
        assert!(sql.text.contains("parent != ''") && sql.text.contains("GROUP BY parent, who"), "{}", sql.text);
        let sql = build(&Aggregate::parse("measures=actors,statements&parent=http://c").unwrap(), "s");
        assert!(
            sql.text.starts_with("SELECT count() AS m0, sum(s) AS m1 FROM (SELECT actor_hash AS who"),
            "{}",
            sql.text
        );
        assert!(!sql.text.contains("ORDER BY"));
        assert_eq!(sql.binds, vec![Bind::Text("s".into()), Bind::Text("http://c".into())]);
        let sql = build(&Aggregate::parse("measures=statements&by=actor&activity_type=http://t").unwrap(), "s");
        assert!(sql.text.contains("SELECT who AS d0, actor_hash AS who") && sql.text.contains("GROUP BY who HAVING"));
        assert!(sql.text.contains("type_hash = cityHash64(?)"), "{}", sql.text);
        assert_eq!(sql.names, vec![(0, 2)], "the page's actors are named afterwards");
        let sql = build(&Aggregate::parse("measures=statements&by=actor&order=actor").unwrap(), "s");
        assert!(sql.text.contains("SELECT any(actor_name) AS d0") && sql.names.is_empty(), "sorted by name");
    }
}
