//! Versioned, re-runnable schema migrations. Each file `schemas/clickhouse/NNNN_name.sql` is applied once per
//! database, in order, and recorded in `schema_migrations`; its statements use `IF NOT EXISTS` so that a run
//! interrupted half-way can simply be repeated. `{db}` in a file stands for the quoted database name.

use super::quote_ident;
use clickhouse::Client;

pub struct Migration {
    pub version: u32,
    pub name: &'static str,
    pub sql: &'static str,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "statements",
        sql: include_str!("../../../../schemas/clickhouse/0001_statements.sql"),
    },
    Migration {
        version: 2,
        name: "statement_queries",
        sql: include_str!("../../../../schemas/clickhouse/0002_statement_queries.sql"),
    },
    Migration { version: 3, name: "documents", sql: include_str!("../../../../schemas/clickhouse/0003_documents.sql") },
    Migration {
        version: 4,
        name: "outcome_codes",
        sql: include_str!("../../../../schemas/clickhouse/0004_outcome_codes.sql"),
    },
    Migration { version: 5, name: "analytics", sql: include_str!("../../../../schemas/clickhouse/0005_analytics.sql") },
    Migration {
        version: 6,
        name: "analytics_rollups",
        sql: include_str!("../../../../schemas/clickhouse/0006_analytics_rollups.sql"),
    },
    Migration {
        version: 7,
        name: "analytics_activity_sums",
        sql: include_str!("../../../../schemas/clickhouse/0007_analytics_activity_sums.sql"),
    },
    Migration {
        version: 8,
        name: "analytics_score_sums",
        sql: include_str!("../../../../schemas/clickhouse/0008_analytics_score_sums.sql"),
    },
    Migration {
        version: 9,
        name: "analytics_people",
        sql: include_str!("../../../../schemas/clickhouse/0009_analytics_people.sql"),
    },
    Migration {
        version: 10,
        name: "stores_credentials",
        sql: include_str!("../../../../schemas/clickhouse/0010_stores_credentials.sql"),
    },
    Migration {
        version: 11,
        name: "analytics_daily_sums",
        sql: include_str!("../../../../schemas/clickhouse/0011_analytics_daily_sums.sql"),
    },
    Migration {
        version: 12,
        name: "analytics_names",
        sql: include_str!("../../../../schemas/clickhouse/0012_analytics_names.sql"),
    },
    Migration {
        version: 13,
        name: "admin_jobs",
        sql: include_str!("../../../../schemas/clickhouse/0013_admin_jobs.sql"),
    },
];

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("clickhouse: {0}")]
    ClickHouse(#[from] clickhouse::error::Error),
    #[error("migration {version} ({name}): {source}")]
    Step { version: u32, name: &'static str, source: clickhouse::error::Error },
}

#[derive(clickhouse::Row, serde::Deserialize)]
struct Applied {
    version: u32,
}

/// Creates `database` if needed and applies the migrations it has not seen. Returns the versions applied.
pub async fn apply(server: &Client, database: &str) -> Result<Vec<u32>, MigrateError> {
    let db = quote_ident(database);
    server.query(&format!("CREATE DATABASE IF NOT EXISTS {db}")).execute().await?;
    server
        .query(&format!(
            "CREATE TABLE IF NOT EXISTS {db}.schema_migrations (version UInt32, name String, applied_ms Int64) \
             ENGINE = MergeTree ORDER BY version"
        ))
        .execute()
        .await?;
    let done: Vec<u32> = server
        .query(&format!("SELECT version FROM {db}.schema_migrations"))
        .fetch_all::<Applied>()
        .await?
        .into_iter()
        .map(|a| a.version)
        .collect();
    let mut applied = Vec::new();
    for m in MIGRATIONS.iter().filter(|m| !done.contains(&m.version)) {
        for statement in statements(m.sql) {
            let sql = statement.replace("{db}", &db);
            match server.query(&sql).execute().await {
                Ok(()) => {}
                // 18.16 has no `ADD COLUMN IF NOT EXISTS`: a repeated run finds the column already there.
                Err(e) if is_add_column(&sql) && e.to_string().contains("already exists") => {}
                Err(source) => return Err(MigrateError::Step { version: m.version, name: m.name, source }),
            }
        }
        server
            .query(&format!("INSERT INTO {db}.schema_migrations (version, name, applied_ms) VALUES (?, ?, ?)"))
            .bind(m.version)
            .bind(m.name)
            .bind(crate::now_ms())
            .execute()
            .await?;
        applied.push(m.version);
    }
    Ok(applied)
}

fn is_add_column(sql: &str) -> bool {
    let upper = sql.to_ascii_uppercase();
    upper.starts_with("ALTER TABLE") && upper.contains("ADD COLUMN")
}

/// Splits a migration file into statements: drops `--` comment lines, splits on `;` at line ends.
fn statements(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in sql.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("--") || trimmed.is_empty() {
            continue;
        }
        current.push_str(line);
        current.push('\n');
        if trimmed.ends_with(';') {
            let stmt = current.trim().trim_end_matches(';').trim().to_string();
            if !stmt.is_empty() {
                out.push(stmt);
            }
            current.clear();
        }
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_statements_and_drops_comments() {
        let parts =
            statements("-- c\nCREATE TABLE a (x Int8)\nENGINE = Log;\n\n-- d\nCREATE TABLE b (y Int8) ENGINE = Log;\n");
        assert_eq!(parts, vec!["CREATE TABLE a (x Int8)\nENGINE = Log", "CREATE TABLE b (y Int8) ENGINE = Log"]);
    }

    #[test]
    fn migrations_are_ordered_and_use_the_placeholder() {
        let mut last = 0;
        for m in MIGRATIONS {
            assert!(m.version > last, "versions strictly increase");
            last = m.version;
            for s in statements(m.sql) {
                assert!(s.contains("{db}."), "every statement names {{db}}: {s}");
                let guarded_fill = s.starts_with("INSERT INTO") && s.contains(") = 0");
                assert!(s.contains("IF NOT EXISTS") || is_add_column(&s) || guarded_fill, "re-runnable: {s}");
            }
        }
    }

    #[test]
    fn quoting() {
        assert_eq!(quote_ident("lrs"), "`lrs`");
        assert_eq!(quote_ident("a`b"), "`a\\`b`");
    }
}
