//! The accept loop: one hyper HTTP/1.1 connection per client, a header-read timeout, and a
//! graceful shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::{Limits, MAX_HEADER_BYTES};

/// Serves `router` on `listener` until `shutdown` completes, then stops accepting, lets every
/// in-flight request finish (each connection closes after its current answer) for at most
/// `limits.grace`, and returns whether they all finished in time.
///
/// A client that takes longer than `limits.header_timeout` to send a request's headers, or
/// leaves a keep-alive connection idle that long, is disconnected: slow or idle clients cannot
/// pin the server's connections. At most `limits.max_connections` connections are open at once
/// (more wait in the listen backlog until one closes), and a request's line and headers may
/// take at most [`MAX_HEADER_BYTES`] (431 past it): a flood of connections or of headers costs
/// bounded memory.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: &Limits,
    shutdown: impl Future<Output = ()>,
) -> bool {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(MAX_HEADER_BYTES)
        .keep_alive(true);
    let graceful = GracefulShutdown::new();
    let connections = Arc::new(Semaphore::new(limits.max_connections));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // A connection is accepted only with a permit: at the cap, the next client waits in the
        // kernel's backlog, costing this process nothing, until a connection closes.
        let permit = tokio::select! {
            permit = Arc::clone(&connections).acquire_owned() => match permit {
                Ok(permit) => permit,
                // The semaphore is never closed.
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    // Small JSON answers: send them now rather than wait to fill a segment.
                    let _ = stream.set_nodelay(true);
                    let service = TowerToHyperService::new(router.clone());
                    let connection = builder.serve_connection(TokioIo::new(stream), service);
                    let connection = graceful.watch(connection);
                    tokio::spawn(async move {
                        // A client that hung up or timed out is that client's problem.
                        if let Err(err) = connection.await {
                            tracing::debug!(error = %err, "connection ended");
                        }
                        drop(permit);
                    });
                }
                Err(err) => {
                    // Out of file descriptors or a connection reset before accept: keep
                    // serving the connections already open, and try again shortly.
                    tracing::warn!(error = %err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    tracing::info!("shutting down: no new connections; finishing requests in flight");
    tokio::select! {
        () = graceful.shutdown() => true,
        () = tokio::time::sleep(limits.grace) => false,
    }
}
