//! The whole xAPI surface on one port: the gateway's write routes and the query service's read routes,
//! composed here so that each library keeps to its side (the gateway never reads statements). This is
//! what `make up` runs on the LRS endpoint; production puts a method-routing proxy in front of separate
//! gateway and query replicas instead (see `deploy/`).

use lrs_common::http::service::Ready;
use lrs_common::{http, Settings, Shutdown};
use std::sync::Arc;
use tokio::net::TcpListener;

pub async fn run(listener: TcpListener, settings: Settings, shutdown: Shutdown) -> anyhow::Result<()> {
    let (credentials, admin) = lrs_common::admin::credentials_and_router(&settings);
    let gateway = lrs_ingest::gateway(&settings, credentials.clone())?;
    let (reads, reads_ready) = lrs_query::reads(&settings, credentials);
    let writes_ready = gateway.ready.clone();
    // Ready when both halves are: the gateway's Kafka and the reads' ClickHouse.
    let ready: Ready = Arc::new(move || {
        let (w, r) = (writes_ready(), reads_ready());
        Box::pin(async move {
            let (w, r) = tokio::join!(w, r);
            if !w.status().is_success() {
                w
            } else {
                r
            }
        })
    });
    let router = http::service::wrap(gateway.routes.merge(reads).merge(admin), "server", ready, settings.http);
    tracing::info!(addr = %listener.local_addr()?, ack_mode = ?settings.ack_mode, "lrs listening");
    http::serve(listener, router, shutdown, settings.shutdown_grace, settings.http).await?;
    gateway.publisher.flush(settings.shutdown_grace);
    tracing::info!("lrs stopped");
    Ok(())
}
