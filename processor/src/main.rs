use lrs_common::{telemetry, Settings, Shutdown};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init("processor");
    let settings = Settings::from_env()?;
    let listener = tokio::net::TcpListener::bind(settings.processor_addr).await?;
    let shutdown = Shutdown::new();
    shutdown.on_signals();
    lrs_processor::run(listener, settings, shutdown).await
}
