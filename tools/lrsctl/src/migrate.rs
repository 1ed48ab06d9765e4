use lrs_common::{clickhouse, kafka, Settings};

/// Applies the ClickHouse schema and creates the topics; safe to run any number of times.
pub async fn run(settings: &Settings) -> anyhow::Result<()> {
    let applied =
        clickhouse::migrate::apply(&clickhouse::server_client(settings), &settings.clickhouse_database).await?;
    println!("clickhouse database {}: applied migrations {applied:?}", settings.clickhouse_database);
    let created = kafka::topics::ensure(settings, settings.kafka_replication).await?;
    println!("kafka topics created: {created:?} (existing ones kept)");
    Ok(())
}
