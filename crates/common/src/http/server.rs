//! The HTTP server loop of every service, instead of `axum::serve` (which sets hyper up without a timer, so
//! no connection is ever timed out). Here:
//! - at most `max_connections` connections are served at once (more wait in the listen backlog);
//! - a connection must deliver each request's headers within `header_timeout` (hyper closes it otherwise);
//! - a connection with no request in progress and no traffic for `idle_timeout` is closed;
//! - on shutdown no new connection is accepted, idle ones close at once, and requests in flight get `grace`.
//!
//! Request bodies and handlers are bounded by the limits layer in `edge` (408, 413, 503).

use crate::config::HttpLimits;
use crate::Shutdown;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Serves `router` on `listener` until `shutdown`, then lets requests in flight finish for at most `grace`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: Shutdown,
    grace: Duration,
    limits: HttpLimits,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut connections = JoinSet::new();
    loop {
        let permit = tokio::select! {
            _ = shutdown.wait() => break,
            permit = slots.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let (stream, _) = tokio::select! {
            _ = shutdown.wait() => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: pause rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
        let router = router.clone();
        let shutdown = shutdown.clone();
        connections.spawn(async move {
            serve_connection(stream, router, shutdown, limits).await;
            drop(permit);
        });
        // Reap finished connection tasks so the set does not grow.
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    let drained = tokio::time::timeout(grace, async { while connections.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!(grace_ms = grace.as_millis() as u64, "requests still in flight after the grace period, closing");
        connections.abort_all();
    }
    Ok(())
}

async fn serve_connection(stream: tokio::net::TcpStream, router: Router, shutdown: Shutdown, limits: HttpLimits) {
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Tracked { inner: stream, activity: activity.clone() });
    let service = TowerToHyperService::new(InFlight { inner: router, activity: activity.clone() });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true)
        // The limits layer answers oversized headers with a JSON 431; hyper's own bounds sit above it.
        .max_buf_size((limits.max_header_bytes * 2).max(16 * 1024))
        .max_headers(limits.max_headers.saturating_mul(2).max(16));
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);
    let mut closing = false;
    loop {
        let idle_for = activity.idle_for(limits.idle_timeout);
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            _ = shutdown.wait(), if !closing => {
                closing = true;
                conn.as_mut().graceful_shutdown();
            }
            _ = tokio::time::sleep(idle_for.unwrap_or(limits.idle_timeout)), if !closing => {
                if activity.idle_for(limits.idle_timeout).is_none() {
                    closing = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// When a connection last moved bytes, and how many of its requests are being answered.
struct Activity {
    started: Instant,
    last_ms: AtomicU64,
    in_flight: AtomicUsize,
}

impl Activity {
    fn new() -> Self {
        Activity { started: Instant::now(), last_ms: AtomicU64::new(0), in_flight: AtomicUsize::new(0) }
    }

    fn touch(&self) {
        self.last_ms.store(self.started.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    /// How long until the connection counts as idle; None when it is idle now.
    fn idle_for(&self, idle: Duration) -> Option<Duration> {
        if self.in_flight.load(Ordering::Relaxed) > 0 {
            return Some(idle);
        }
        let last = Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
        let quiet = self.started.elapsed().saturating_sub(last);
        idle.checked_sub(quiet).filter(|left| !left.is_zero())
    }
}

/// The socket, noting every byte read or written.
struct Tracked<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Tracked<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        result
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tracked<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        result
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// The router, counting the requests of its connection that are being answered.
#[derive(Clone)]
struct InFlight {
    inner: Router,
    activity: Arc<Activity>,
}

impl<B> tower::Service<http::Request<B>> for InFlight
where
    B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = axum::response::Response;
    type Error = std::convert::Infallible;
    type Future = Pin<Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let guard = Answering::new(self.activity.clone());
        let mut router = self.inner.clone();
        let req = req.map(axum::body::Body::new);
        Box::pin(async move {
            let result = tower::Service::call(&mut router, req).await;
            drop(guard);
            result
        })
    }
}

/// One request being answered; dropped when answered or abandoned (the client went away).
struct Answering(Arc<Activity>);

impl Answering {
    fn new(activity: Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::Relaxed);
        Answering(activity)
    }
}

impl Drop for Answering {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.0.touch();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn limits() -> HttpLimits {
        let mut l = crate::Settings::from_lookup(|_| None).unwrap().http;
        l.header_timeout = Duration::from_millis(300);
        l.idle_timeout = Duration::from_millis(300);
        l.max_connections = 2;
        l
    }

    async fn start() -> (std::net::SocketAddr, Shutdown, tokio::task::JoinHandle<std::io::Result<()>>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = Shutdown::new();
        let router = Router::new().route("/", get(|| async { "ok" }));
        let task = tokio::spawn(serve(listener, router, shutdown.clone(), Duration::from_secs(1), limits()));
        (addr, shutdown, task)
    }

    /// Reads until the server closes the connection; the time it took.
    async fn closed_within(stream: &mut tokio::net::TcpStream, limit: Duration) -> Duration {
        let started = Instant::now();
        let mut buf = [0u8; 1024];
        loop {
            match tokio::time::timeout(limit, stream.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return started.elapsed(),
                Ok(Ok(_)) => continue,
                Err(_) => panic!("connection still open after {limit:?}"),
            }
        }
    }

    #[tokio::test]
    async fn silent_slow_and_idle_connections_are_closed() {
        let (addr, shutdown, task) = start().await;
        // Connects and says nothing.
        let mut silent = tokio::net::TcpStream::connect(addr).await.unwrap();
        closed_within(&mut silent, Duration::from_secs(3)).await;
        // Sends one header line at a time, slowly.
        let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
        slow.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
        let dribble = async {
            for _ in 0..20 {
                tokio::time::sleep(Duration::from_millis(100)).await;
                if slow.write_all(b"x-a: b\r\n").await.is_err() {
                    break;
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(5), dribble).await.unwrap();
        closed_within(&mut slow, Duration::from_secs(3)).await;
        // One request, then an idle keep-alive connection.
        let mut idle = tokio::net::TcpStream::connect(addr).await.unwrap();
        idle.write_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n").await.unwrap();
        let mut buf = [0u8; 256];
        let n = idle.read(&mut buf).await.unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
        closed_within(&mut idle, Duration::from_secs(3)).await;
        shutdown.trigger();
        task.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn connections_past_the_cap_wait() {
        let (addr, shutdown, task) = start().await;
        let _a = tokio::net::TcpStream::connect(addr).await.unwrap();
        let _b = tokio::net::TcpStream::connect(addr).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        let mut third = tokio::net::TcpStream::connect(addr).await.unwrap();
        third.write_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n").await.unwrap();
        let mut buf = [0u8; 64];
        // Not served while two connections hold the slots; served once the silent ones time out.
        assert!(tokio::time::timeout(Duration::from_millis(150), third.read(&mut buf)).await.is_err());
        let n = tokio::time::timeout(Duration::from_secs(3), third.read(&mut buf)).await.unwrap().unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
        shutdown.trigger();
        task.await.unwrap().unwrap();
    }
}
