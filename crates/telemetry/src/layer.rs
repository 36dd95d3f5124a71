//! A tower layer giving every gRPC call a server span, continuing the caller's W3C trace,
//! and one log line when the call completes.

use std::fmt::Display;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Instant;

use http_body::{Body, Frame, SizeHint};
use opentelemetry::trace::TraceContextExt as _;
use pin_project_lite::pin_project;
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

use crate::propagation::extract_trace_context;

/// `tonic::transport::Server::builder().layer(GrpcTraceLayer::new())`. Put it outside the
/// auth layer so that layer can record `municipality` on this span.
#[derive(Debug, Clone, Copy, Default)]
pub struct GrpcTraceLayer {
    known: Option<fn(&str) -> bool>,
}

impl GrpcTraceLayer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Label metrics only with the paths `known` accepts (the methods the
    /// server has); any other path counts as `other`, so a caller cannot
    /// make up label values.
    pub fn with_known_methods(mut self, known: fn(&str) -> bool) -> Self {
        self.known = Some(known);
        self
    }
}

impl<S> tower::Layer<S> for GrpcTraceLayer {
    type Service = GrpcTraceService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GrpcTraceService {
            inner,
            known: self.known,
        }
    }
}

/// The service produced by [`GrpcTraceLayer`].
#[derive(Debug, Clone)]
pub struct GrpcTraceService<S> {
    inner: S,
    known: Option<fn(&str) -> bool>,
}

impl<S, B, ResBody> tower::Service<http::Request<B>> for GrpcTraceService<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<ResBody>>,
    S::Error: Display,
    ResBody: Body,
{
    type Response = http::Response<TracedBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let path = req.uri().path().to_owned();
        let (service, method) = split_path(&path);
        let span = tracing::info_span!(
            "grpc",
            otel.name = %path,
            otel.kind = "server",
            rpc.system = "grpc",
            rpc.service = %service,
            rpc.method = %method,
            municipality = tracing::field::Empty,
            // In every log line of the call (JSON logs carry the span's
            // fields), so an INTERNAL can be found in the trace backend.
            trace_id = tracing::field::Empty,
            rpc.grpc.status_code = tracing::field::Empty,
            // Set to "error" for the codes the OTel gRPC conventions count as server errors.
            otel.status_code = tracing::field::Empty,
        );
        // Continue the caller's trace. Only a valid remote context replaces the default
        // parent; an empty one would needlessly detach the span from anything enclosing it.
        // set_parent fails only when no OpenTelemetry layer is installed, i.e. export is off.
        let parent = extract_trace_context(req.headers());
        let trace_id = if parent.span().span_context().is_valid() {
            let id = parent.span().span_context().trace_id();
            let _ = span.set_parent(parent);
            Some(id)
        } else {
            // A new trace of our own, when OpenTelemetry is on.
            let own = span.context().span().span_context().clone();
            own.is_valid().then(|| own.trace_id())
        };
        if let Some(id) = trace_id {
            span.record("trace_id", tracing::field::display(id));
        }
        // Entered while calling too, not only while polling: some services do their work (or
        // record fields on Span::current()) synchronously in `call`.
        let future = span.in_scope(|| self.inner.call(req));
        ResponseFuture {
            inner: future,
            call: Some(Call {
                span,
                known: self.known.is_none_or(|k| k(&path)),
                path,
                start: Instant::now(),
            }),
        }
    }
}

/// Per-call state, carried from the response future to the body when the status arrives in
/// trailers.
#[derive(Debug)]
struct Call {
    span: Span,
    /// Whether `path` is a method the server has (metrics label it).
    known: bool,
    path: String,
    start: Instant,
}

impl Call {
    /// Records the outcome on the span and writes the one log line for this call.
    fn finish(self, code: Option<i64>) {
        let _entered = self.span.enter();
        let elapsed_ms = self.start.elapsed().as_secs_f64() * 1000.0;
        let Some(code) = code else {
            tracing::warn!(path = %self.path, elapsed_ms, "grpc call ended without a status");
            return;
        };
        self.span.record("rpc.grpc.status_code", code);
        let label = if self.known { &self.path } else { "other" };
        crate::metrics().rpc(label, code, elapsed_ms / 1000.0);
        if is_server_error(code) {
            self.span.record("otel.status_code", "error");
        }
        if code == 0 {
            // Health probes arrive every few seconds; at info they would drown real traffic.
            if self.path.starts_with("/grpc.health.v1.Health/") {
                tracing::debug!(path = %self.path, code, elapsed_ms, "grpc call completed");
            } else {
                tracing::info!(path = %self.path, code, elapsed_ms, "grpc call completed");
            }
        } else {
            tracing::warn!(path = %self.path, code, elapsed_ms, "grpc call completed");
        }
    }
}

pin_project! {
    /// Future returned by [`GrpcTraceService`].
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        call: Option<Call>,
    }

    impl<F> PinnedDrop for ResponseFuture<F> {
        fn drop(this: Pin<&mut Self>) {
            // Dropped before the handler answered: hyper does that when the client cancels
            // or resets the stream. gRPC reports that as CANCELLED.
            if let Some(call) = this.project().call.take() {
                call.finish(Some(1));
            }
        }
    }
}

impl<F, ResBody, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<http::Response<ResBody>, E>>,
    E: Display,
    ResBody: Body,
{
    type Output = Result<http::Response<TracedBody<ResBody>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        // Instrument the inner future: inner layers (auth) record on Span::current().
        let entered = this.call.as_ref().map(|c| c.span.enter());
        let result = ready!(this.inner.poll(cx));
        drop(entered);
        let Some(call) = this.call.take() else {
            // Polled after completion: the inner future decides what that means.
            return Poll::Ready(result.map(|res| res.map(TracedBody::done)));
        };
        match result {
            Ok(res) => {
                let pending = match header_status(&res) {
                    Some(code) => {
                        call.finish(Some(code));
                        None
                    }
                    // A normal gRPC response: the status comes in the trailers after the
                    // messages, so the body finishes the call.
                    None => Some(call),
                };
                Poll::Ready(Ok(res.map(|body| TracedBody {
                    inner: body,
                    call: pending,
                })))
            }
            Err(e) => {
                let _entered = call.span.enter();
                let elapsed_ms = call.start.elapsed().as_secs_f64() * 1000.0;
                tracing::warn!(path = %call.path, error = %e, elapsed_ms, "grpc call failed");
                Poll::Ready(Err(e))
            }
        }
    }
}

/// The status known from response headers alone: `grpc-status` in a trailers-only response
/// (how tonic answers with an error), or the gRPC mapping of a non-200 HTTP status. `None`
/// for a 200 without it, whose status follows in the trailers.
fn header_status<B>(res: &http::Response<B>) -> Option<i64> {
    if let Some(code) = grpc_status(res.headers()) {
        return Some(code);
    }
    if res.status() == http::StatusCode::OK {
        return None;
    }
    // https://github.com/grpc/grpc/blob/master/doc/http-grpc-status-mapping.md
    Some(match res.status().as_u16() {
        400 => 13,             // INTERNAL
        401 => 16,             // UNAUTHENTICATED
        403 => 7,              // PERMISSION_DENIED
        404 => 12,             // UNIMPLEMENTED
        429 | 502..=504 => 14, // UNAVAILABLE
        _ => 2,                // UNKNOWN
    })
}

fn grpc_status(headers: &http::HeaderMap) -> Option<i64> {
    headers
        .get("grpc-status")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Codes the OpenTelemetry gRPC conventions treat as a server-side error; the rest (e.g.
/// NOT_FOUND, PERMISSION_DENIED) are the caller's problem and leave the span status unset.
fn is_server_error(code: i64) -> bool {
    // UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS
    matches!(code, 2 | 4 | 12 | 13 | 14 | 15)
}

/// `/pkg.Service/Method` → (`pkg.Service`, `Method`). Anything else keeps the whole path as
/// the service so it still shows up somewhere.
fn split_path(path: &str) -> (&str, &str) {
    path.strip_prefix('/')
        .and_then(|p| p.split_once('/'))
        .unwrap_or((path, ""))
}

pin_project! {
    /// Response body that finishes the call's span and log line when the gRPC status arrives
    /// in the trailers, so streaming calls are timed to their end and their errors counted.
    pub struct TracedBody<B> {
        #[pin]
        inner: B,
        call: Option<Call>,
    }

    impl<B> PinnedDrop for TracedBody<B> {
        fn drop(this: Pin<&mut Self>) {
            // Dropped before the trailers: the client went away (or the server gave up on
            // the stream). gRPC reports that as CANCELLED. A body that ends without any
            // trailers is not valid gRPC and is recorded as "ended without a status" in
            // poll_frame, before it gets here.
            if let Some(call) = this.project().call.take() {
                call.finish(Some(1));
            }
        }
    }
}

impl<B> TracedBody<B> {
    fn done(inner: B) -> Self {
        Self { inner, call: None }
    }
}

impl<B: Body> Body for TracedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        let frame = ready!(this.inner.poll_frame(cx));
        match &frame {
            Some(Ok(frame)) => {
                if let Some(trailers) = frame.trailers_ref()
                    && let Some(call) = this.call.take()
                {
                    call.finish(grpc_status(trailers));
                }
            }
            // A body error means the stream broke mid-way; no status will follow.
            Some(Err(_)) => {
                if let Some(call) = this.call.take() {
                    call.finish(Some(2)); // UNKNOWN
                }
            }
            None => {
                if let Some(call) = this.call.take() {
                    call.finish(None);
                }
            }
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
