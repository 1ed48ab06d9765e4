use lrs_common::{telemetry, Settings, Shutdown};

// The gateway allocates per statement; mimalloc is markedly cheaper than glibc malloc there.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init("server");
    let settings = Settings::from_env()?;
    let listener = tokio::net::TcpListener::bind(settings.ingest_addr).await?;
    let shutdown = Shutdown::new();
    shutdown.on_signals();
    lrs_server::run(listener, settings, shutdown).await
}
