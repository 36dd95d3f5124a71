//! The admin port (`samverkan serve --admin-addr`): plain HTTP/1.1 for what
//! load balancers and Prometheus ask, kept off the API's port.
//!
//! - `GET /metrics`: the process's metrics in the Prometheus text format
//!   (`samverkan_telemetry::Metrics`);
//! - `GET /healthz`: 200 while the process runs;
//! - `GET /readyz`: 200 when the server takes calls, 503 while the
//!   database lacks a migration this version needs or the server drains.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// Whether the server takes calls: what `/readyz` answers, set where the
/// gRPC health status is set.
#[derive(Debug, Clone, Default)]
pub struct Readiness(Arc<AtomicBool>);

impl Readiness {
    pub fn set(&self, ready: bool) {
        self.0.store(ready, Ordering::Release);
    }

    pub fn get(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// Answers on `listener` until `stop` turns true.
pub async fn serve(
    listener: TcpListener,
    ready: Readiness,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!(error = %e, "admin port: accept failed");
                    continue;
                }
            },
            _ = stop.changed() => return,
        };
        let ready = ready.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let ready = ready.clone();
                async move { Ok::<_, Infallible>(answer(&req, &ready)) }
            });
            if let Err(e) = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(error = %e, "admin port: connection ended");
            }
        });
    }
}

fn answer(req: &Request<Incoming>, ready: &Readiness) -> Response<Full<Bytes>> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return text(StatusCode::METHOD_NOT_ALLOWED, "only GET\n".into());
    }
    match req.uri().path() {
        "/metrics" => {
            let mut res = text(StatusCode::OK, samverkan_telemetry::metrics().render());
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                http::HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            );
            res
        }
        "/healthz" => text(StatusCode::OK, "ok\n".into()),
        "/readyz" if ready.get() => text(StatusCode::OK, "ready\n".into()),
        "/readyz" => text(
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: the database lacks migrations this version needs, or the server is stopping\n"
                .into(),
        ),
        _ => text(
            StatusCode::NOT_FOUND,
            "not found: /metrics, /healthz or /readyz\n".into(),
        ),
    }
}

fn text(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(Bytes::from(body)));
    *res.status_mut() = status;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res
}
