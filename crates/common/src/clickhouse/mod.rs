//! ClickHouse: the client as every service builds it, and the schema migrations of `schemas/clickhouse/`.

pub mod migrate;

use crate::config::Settings;
use clickhouse::Client;

/// A client for the LRS database. Validation is off because ClickHouse 18.16 lacks the
/// `RowBinaryWithNamesAndTypes` format it relies on; the row types are checked by the tests instead.
pub fn client(settings: &Settings) -> Client {
    server_client(settings).with_database(&settings.clickhouse_database)
}

/// A client without a default database (to create one).
pub fn server_client(settings: &Settings) -> Client {
    Client::default()
        .with_url(&settings.clickhouse_url)
        .with_user(&settings.clickhouse_user)
        .with_password(&settings.clickhouse_password)
        .with_compression(clickhouse::Compression::Lz4)
        .with_validation(false)
}

/// Quotes an identifier (database or table name) for DDL.
pub fn quote_ident(name: &str) -> String {
    format!("`{}`", name.replace('\\', "\\\\").replace('`', "\\`"))
}
