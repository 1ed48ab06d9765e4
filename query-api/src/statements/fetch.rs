//! Runs the plans of `plan.rs` against ClickHouse: a page of ids from the index, then the winning JSON of each.

use super::params::{Cursor, Filters};
use super::plan::{self, Bind, Plan, Sql};
use lrs_common::clickhouse::winner::{winners, Versioned};
use lrs_common::clickhouse::{query::Query, Db, DbError};
use std::collections::HashSet;
use uuid::Uuid;

pub type Result<T> = std::result::Result<T, DbError>;

/// One statement as stored: the JSON served and the columns the reader needs.
#[derive(Debug, Clone, clickhouse::Row, serde::Deserialize)]
pub struct Stored {
    #[serde(with = "clickhouse::serde::uuid")]
    pub id: Uuid,
    pub raw: String,
    pub ver: u64,
    pub stored_ms: i64,
    /// The statement this one voids (nil unless it is a voiding statement).
    #[serde(with = "clickhouse::serde::uuid")]
    pub voided_id: Uuid,
}

#[derive(Debug, clickhouse::Row, serde::Deserialize)]
struct Hit {
    #[serde(with = "clickhouse::serde::uuid")]
    id: Uuid,
    stored_ms: i64,
    ver: u64,
}

#[derive(Debug, Clone, clickhouse::Row, serde::Deserialize)]
pub struct Attachment {
    pub sha2: String,
    pub content_type: String,
    #[serde(with = "lrs_common::clickhouse::bytes")]
    pub content: Vec<u8>,
}

/// One page of a statements query and, when there is more, where the next one starts.
#[derive(Debug, Default)]
pub struct Page {
    pub statements: Vec<Stored>,
    pub next: Option<Cursor>,
    /// Index reads made (one per window), for tracing.
    pub reads: u32,
}

impl Versioned for Stored {
    fn id(&self) -> Uuid {
        self.id
    }
    fn ver(&self) -> u64 {
        self.ver
    }
}

fn query(db: &Db, sql: &Sql) -> Query {
    let mut q = db.query(&sql.text);
    for bind in &sql.binds {
        q = match bind {
            Bind::Str(s) => q.bind(s.as_str()),
            Bind::I64(v) => q.bind(*v),
            Bind::U64(v) => q.bind(*v),
        };
    }
    q
}

/// The statement `id` when it may be served: by `statementId` only when not voided, by `voidedStatementId` only
/// when voided. A voiding statement is never voided.
pub async fn single(client: &Db, store: &str, id: Uuid, want_voided: bool) -> Result<Option<Stored>> {
    let (rows, voids) = tokio::try_join!(
        query(client, &plan::statements_sql(store, &[id])).fetch_all::<Stored>(),
        query(client, &plan::voided_sql(store, id)).fetch_one::<u64>(),
    )?;
    let Some(statement) = winners(rows).into_values().next() else { return Ok(None) };
    let voided = voids > 0 && statement.voided_id.is_nil();
    Ok((voided == want_voided).then_some(statement))
}

/// One page of statements matching `f`, newest first unless ascending. `now_ms` anchors the first (narrowest)
/// index window of a descending read and, on a first page, the bound later pages never pass.
pub async fn page(client: &Db, store: &str, f: &Filters, now_ms: i64) -> Result<Page> {
    let plan = Plan::new(f);
    if plan.is_empty() {
        return Ok(Page::default());
    }
    let need = u64::from(f.limit) + 1;
    let mut reads = 0;
    let anchor = if !plan.ascending {
        now_ms
    } else if plan.needs_start() {
        reads += 1;
        match query(client, &plan.start_sql(store)).fetch_optional::<i64>().await? {
            Some(oldest) => oldest,
            None => return Ok(Page { reads, ..Page::default() }),
        }
    } else {
        plan.lo
    };
    let mut hits: Vec<Hit> = Vec::new();
    let mut windows = plan.windows(anchor);
    let mut found = 0;
    while let Some(window) = windows.next(found, need - hits.len() as u64) {
        reads += 1;
        let sql = plan.page_sql(store, window, need - hits.len() as u64);
        let rows = query(client, &sql).fetch_all::<Hit>().await?;
        found = rows.len() as u64;
        hits.extend(rows);
    }
    let mut more = hits.len() as u64 > u64::from(f.limit);
    hits.truncate(f.limit as usize);
    if hits.is_empty() {
        return Ok(Page { statements: vec![], next: None, reads });
    }
    let mut ids: Vec<Uuid> = Vec::with_capacity(hits.len());
    let mut seen = HashSet::with_capacity(hits.len());
    for h in &hits {
        if seen.insert(h.id) {
            ids.push(h.id);
        }
    }
    let rows = query(client, &plan::statements_sql(store, &ids)).fetch_all::<Stored>().await?;
    let mut by_id = winners(rows);
    let mut statements = Vec::with_capacity(hits.len());
    let mut last_served: Option<usize> = None;
    for (i, h) in hits.iter().enumerate() {
        match by_id.get(&h.id) {
            // A hit of a losing version (an id written twice) is not this statement: dropped.
            Some(s) if s.ver != h.ver => {}
            Some(_) => {
                if let Some(s) = by_id.remove(&h.id) {
                    statements.push(s);
                    last_served = Some(i);
                }
            }
            // Index rows are written before their statement rows, so this one is being written right now. The
            // page ends before it (the cursor must not pass it, or paging would skip it), unless nothing was
            // served yet: then it is simply not visible in this snapshot, like a statement posted a moment later.
            None if last_served.is_some() => {
                more = true;
                break;
            }
            None => {}
        }
    }
    let cursor_at = match last_served {
        Some(i) => &hits[i],
        None => &hits[hits.len() - 1],
    };
    let next = if more {
        let newest = hits.iter().map(|h| h.stored_ms).max().unwrap_or(now_ms);
        let bound_ms = match f.cursor {
            Some(c) => c.bound_ms,
            None => f.until_ms.unwrap_or(i64::MAX).min(now_ms.max(newest)),
        };
        Some(Cursor { stored_ms: cursor_at.stored_ms, id: cursor_at.id, bound_ms })
    } else {
        None
    };
    Ok(Page { statements, next, reads })
}

/// The stored contents of these attachments (those the store has).
pub async fn attachments(client: &Db, store: &str, sha2s: &[String]) -> Result<Vec<Attachment>> {
    if sha2s.is_empty() {
        return Ok(vec![]);
    }
    query(client, &plan::attachments_sql(store, sha2s)).fetch_all::<Attachment>().await
}
