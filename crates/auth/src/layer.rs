//! The tower layer that authenticates every gRPC call and attaches its
//! [`RequestContext`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use samverkan_core::{ApiError, Credentials, Directory, RequestContext, TenantScope};
use tracing::Span;

use crate::error::AuthError;
use crate::verifier::Verifier;

/// Paths served without a token: load balancers and `grpcurl` must be able
/// to probe health and list services before anyone has logged in.
const PUBLIC_PREFIXES: &[&str] = &["/grpc.health.v1.", "/grpc.reflection."];

/// `Server::builder().layer(AuthLayer::new(verifier, directory))`.
///
/// Put it inside the telemetry layer, which declares the `municipality`
/// span field this layer records.
#[derive(Clone)]
pub struct AuthLayer {
    verifier: Verifier,
    directory: Arc<dyn Directory>,
}

impl AuthLayer {
    pub fn new(verifier: Verifier, directory: Arc<dyn Directory>) -> Self {
        Self {
            verifier,
            directory,
        }
    }
}

impl<S> tower::Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            verifier: self.verifier.clone(),
            directory: self.directory.clone(),
        }
    }
}

/// The service produced by [`AuthLayer`].
#[derive(Clone)]
pub struct AuthService<S> {
    inner: S,
    verifier: Verifier,
    directory: Arc<dyn Directory>,
}

impl<S, B, ResBody> tower::Service<http::Request<B>> for AuthService<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<ResBody>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = http::Response<ResBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: http::Request<B>) -> Self::Future {
        let path = req.uri().path();
        if PUBLIC_PREFIXES.iter().any(|p| path.starts_with(p)) {
            return Box::pin(self.inner.call(req));
        }
        // The inner service was driven to ready in `poll_ready`; take that
        // one into the future and leave a fresh clone behind (tower's
        // documented clone-and-swap).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let verifier = self.verifier.clone();
        let directory = self.directory.clone();
        // The telemetry layer enters its span around `call`, so the span is
        // current now; it may not be when this future is polled.
        let span = Span::current();
        // Calls this request makes to services in other processes continue
        // this span's trace: its context when tracing exports, else the
        // caller's own header, so the hops still share one trace id.
        let traceparent = outgoing_traceparent(req.headers());
        Box::pin(async move {
            // Only the headers cross the await: a request body need not be `Sync`.
            let rpc = req.uri().path().to_owned();
            match authenticate(
                &verifier,
                directory.as_ref(),
                req.headers(),
                rpc,
                traceparent,
                &span,
            )
            .await
            {
                Ok(ctx) => {
                    req.extensions_mut().insert(ctx);
                    inner.call(req).await
                }
                Err(e) => {
                    tracing::debug!(path = %req.uri().path(), error = %e, "request refused by authentication");
                    Ok(tonic::Status::from(e).into_http())
                }
            }
        })
    }
}

/// Who is calling, what they may see, and the request's date.
async fn authenticate(
    verifier: &Verifier,
    directory: &dyn Directory,
    headers: &http::HeaderMap,
    rpc: String,
    traceparent: Option<String>,
    span: &Span,
) -> Result<RequestContext, ApiError> {
    let token = bearer(headers).ok_or(AuthError::MissingBearer)?;
    let principal = verifier.verify(token).await?;
    // Recorded before the membership check so a refused municipality still
    // shows in the call's log line.
    span.record("municipality", principal.tenant.as_str());
    // One date for the whole request: the scope and the handler must agree
    // on it even across midnight.
    let today = samverkan_core::dates::today();
    let mut ctx = RequestContext {
        scope: TenantScope::private(principal.tenant.clone()),
        principal,
        today,
        rpc,
        credentials: Credentials {
            bearer: Some(token.to_owned()),
            traceparent,
        },
    };
    ctx.scope = directory
        .resolve_request_scope(&ctx)
        .await?
        .ok_or_else(|| {
            ApiError::PermissionDenied(format!(
                "municipality {} is not a member of this deployment",
                ctx.principal.tenant
            ))
        })?;
    Ok(ctx)
}

/// The `traceparent` calls made on behalf of this request carry.
fn outgoing_traceparent(incoming: &http::HeaderMap) -> Option<String> {
    let mut own = http::HeaderMap::new();
    samverkan_telemetry::inject_trace_context(&mut own);
    own.get("traceparent")
        .or_else(|| incoming.get("traceparent"))
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The token of `authorization: Bearer <token>`. The scheme is
/// case-insensitive (RFC 9110 §11.1).
fn bearer(headers: &http::HeaderMap) -> Option<&str> {
    let value = headers
        .get(http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwards_the_callers_trace_when_not_exporting() {
        let mut h = http::HeaderMap::new();
        assert_eq!(outgoing_traceparent(&h), None);
        let tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        h.insert("traceparent", http::HeaderValue::from_static(tp));
        assert_eq!(outgoing_traceparent(&h).as_deref(), Some(tp));
    }

    #[test]
    fn reads_bearer_tokens() {
        let mut h = http::HeaderMap::new();
        assert_eq!(bearer(&h), None);
        for (value, expect) in [
            ("Bearer abc", Some("abc")),
            ("bearer  abc ", Some("abc")),
            ("Basic abc", None),
            ("Bearer", None),
            ("Bearer ", None),
            ("abc", None),
        ] {
            h.insert(
                http::header::AUTHORIZATION,
                http::HeaderValue::from_static(value),
            );
            assert_eq!(bearer(&h), expect, "{value:?}");
        }
    }
}
