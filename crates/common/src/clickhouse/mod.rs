//! ClickHouse: the client as every service builds it ([`Db`], bounded in time), the rule that picks the
//! winning copy of a statement, and the schema migrations of `schemas/clickhouse/`.

pub mod bytes;
pub mod db;
pub mod migrate;
pub mod watermarks;
pub mod winner;

pub use db::{Db, DbError};

/// The query and cursor types of [`Db`].
pub mod query {
    pub use super::db::{Cursor, Query};
}

use crate::config::Settings;
use clickhouse::Client;

/// The LRS database. Validation is off because ClickHouse 18.16 lacks the `RowBinaryWithNamesAndTypes`
/// format it relies on; the row types are checked by the tests instead.
pub fn db(settings: &Settings) -> Db {
    Db::new(server_client(settings).with_database(&settings.clickhouse_database), settings.clickhouse_timeout)
}

/// A client without a default database (to create one). Its HTTP connections set TCP_NODELAY: the crate's
/// default leaves Nagle on, and a query then waits for the server's delayed ACK (about 40 ms per round trip).
pub fn server_client(settings: &Settings) -> Client {
    use hyper_util::client::legacy::{connect::HttpConnector, Client as HyperClient};
    use std::time::Duration;
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    connector.set_keepalive(Some(Duration::from_secs(60)));
    connector.set_connect_timeout(Some(Duration::from_secs(5)));
    let http = HyperClient::builder(hyper_util::rt::TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(2))
        .build(connector);
    Client::with_http_client(http)
        .with_url(&settings.clickhouse_url)
        .with_user(&settings.clickhouse_user)
        .with_password(&settings.clickhouse_password)
        .with_compression(clickhouse::Compression::Lz4)
        // Id lookups inline their ids (`id IN ('…', …)`): a processor batch can name 20,000 of them, past the
        // default 256 KiB query text limit.
        .with_setting("max_query_size", "16777216")
        .with_validation(false)
}

/// `'…', '…'` for `id IN (…)` on a UUID column. Parsed UUIDs' hyphenated text needs no escaping, so lookups of
/// many ids inline them (bound parameters would be one round of escaping per id for nothing).
pub fn uuid_in_list(ids: &[uuid::Uuid]) -> String {
    let mut out = String::with_capacity(ids.len() * 39);
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('\'');
        out.push_str(id.hyphenated().encode_lower(&mut uuid::Uuid::encode_buffer()));
        out.push('\'');
    }
    out
}

/// Quotes an identifier (database or table name) for DDL.
pub fn quote_ident(name: &str) -> String {
    format!("`{}`", name.replace('\\', "\\\\").replace('`', "\\`"))
}
