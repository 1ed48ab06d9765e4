//! Which stored copy of a statement counts. Rows are never updated: a record re-delivered after a crash is
//! written again, and two clients may send different statements under one id. Every copy carries `ver`,
//! derived from its `stored` time (earlier is higher) with a tiebreak fixed by its Kafka position, so the
//! copy with the highest `ver` is the first write, wherever its copies landed. This module is the one
//! place that says so, for SQL reads (the gateway's conflict lookup, the processor's StatementRef targets)
//! and for reads that pick in Rust (the query service's page fetch, which avoids aggregating the JSON).

use std::collections::HashMap;
use uuid::Uuid;

/// `SELECT id, argMax(<c>, ver) AS <c>, … FROM statements WHERE store = ? AND id IN (<ids>) GROUP BY id`:
/// the winning copy's `columns` of each id that is stored. The ids are parsed UUIDs, inlined as literals.
pub fn latest_sql(columns: &[&str], ids: &[Uuid]) -> String {
    let picked: Vec<String> = columns.iter().map(|c| format!("argMax({c}, ver) AS {c}")).collect();
    format!(
        "SELECT id, {} FROM statements WHERE store = ? AND id IN ({}) GROUP BY id",
        picked.join(", "),
        super::uuid_in_list(ids)
    )
}

/// A stored copy as a Rust-side reader sees it.
pub trait Versioned {
    fn id(&self) -> Uuid;
    fn ver(&self) -> u64;
}

/// The winning copy of each id among `rows`.
pub fn winners<T: Versioned>(rows: Vec<T>) -> HashMap<Uuid, T> {
    let mut by_id: HashMap<Uuid, T> = HashMap::with_capacity(rows.len());
    for row in rows {
        match by_id.get(&row.id()) {
            Some(kept) if kept.ver() >= row.ver() => {}
            _ => {
                by_id.insert(row.id(), row);
            }
        }
    }
    by_id
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Copy(u128, u64);
    impl Versioned for Copy {
        fn id(&self) -> Uuid {
            Uuid::from_u128(self.0)
        }
        fn ver(&self) -> u64 {
            self.1
        }
    }

    #[test]
    fn the_highest_version_wins() {
        let w = winners(vec![Copy(1, 5), Copy(1, 9), Copy(2, 1), Copy(1, 7)]);
        assert_eq!(w[&Uuid::from_u128(1)].1, 9);
        assert_eq!(w[&Uuid::from_u128(2)].1, 1);
        let sql = latest_sql(&["raw", "ver"], &[Uuid::nil()]);
        assert!(sql.starts_with("SELECT id, argMax(raw, ver) AS raw, argMax(ver, ver) AS ver FROM statements"));
    }
}
