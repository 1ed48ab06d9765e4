use lrs_common::{telemetry, Settings, Shutdown};

// The gateway and processor allocate per statement; mimalloc is markedly cheaper than glibc malloc there.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init("processor");
    let settings = Settings::from_env()?;
    let listener = tokio::net::TcpListener::bind(settings.processor_addr).await?;
    let shutdown = Shutdown::new();
    shutdown.on_signals();
    lrs_processor::run(listener, settings, shutdown).await
}
