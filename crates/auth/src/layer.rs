//! The tower layer that authenticates every gRPC call and attaches its
//! [`RequestContext`].

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use samverkan_core::{ApiError, Credentials, Directory, RequestContext, TenantScope};
use tracing::Span;

use crate::error::AuthError;
use crate::verifier::{TokenHints, Verifier};

/// Paths served without a token: load balancers and `grpcurl` must be able
/// to probe health and list services before anyone has logged in.
const PUBLIC_PREFIXES: &[&str] = &["/grpc.health.v1.", "/grpc.reflection."];

/// What a registered person without any role assignment or seat may call:
/// only who they are. Everything else reads someone's data.
pub const OPEN_WITHOUT_ASSIGNMENT: &[&str] = &["/samverkan.roles.v1.RolesService/WhoAmI"];

/// At most this many refusals are logged per window; the rest are counted
/// and summed up in the next line, so a flood of bad tokens cannot fill
/// the log.
const REFUSAL_LINES_PER_WINDOW: u32 = 20;
const REFUSAL_WINDOW: Duration = Duration::from_secs(10);

/// `Server::builder().layer(AuthLayer::new(verifier, directory))`.
///
/// Put it inside the telemetry layer, which declares the `municipality`
/// span field this layer records.
#[derive(Clone)]
pub struct AuthLayer {
    verifier: Verifier,
    directory: Arc<dyn Directory>,
    refusals: Arc<Refusals>,
}

impl AuthLayer {
    pub fn new(verifier: Verifier, directory: Arc<dyn Directory>) -> Self {
        Self {
            verifier,
            directory,
            refusals: Arc::new(Refusals::default()),
        }
    }

    /// How many requests this layer has refused (bad tokens, unknown
    /// people, people without a role), logged or not.
    pub fn refused(&self) -> u64 {
        self.refusals.total.load(Ordering::Relaxed)
    }
}

/// The refusal log's rate limit, shared by every clone of the layer.
#[derive(Default)]
struct Refusals {
    total: AtomicU64,
    window: Mutex<Window>,
}

#[derive(Default)]
struct Window {
    start: Option<Instant>,
    logged: u32,
    suppressed: u64,
}

impl Refusals {
    /// Counts one refusal; says whether to log it, and how many were left
    /// unlogged since the last line.
    fn admit(&self, now: Instant) -> Option<u64> {
        self.total.fetch_add(1, Ordering::Relaxed);
        let mut w = self.window.lock().unwrap_or_else(|p| p.into_inner());
        if w.start
            .is_none_or(|s| now.duration_since(s) >= REFUSAL_WINDOW)
        {
            w.start = Some(now);
            w.logged = 0;
        }
        if w.logged >= REFUSAL_LINES_PER_WINDOW {
            w.suppressed += 1;
            return None;
        }
        w.logged += 1;
        Some(std::mem::take(&mut w.suppressed))
    }
}

/// Why a request was refused, for the operator's log line.
enum Refusal {
    Token(AuthError),
    /// Unknown municipality or person, or the registry did not answer.
    Registry(ApiError),
    /// A registered person without any role or seat on the day.
    Unassigned(ApiError),
}

impl Refusal {
    fn reason(&self) -> &'static str {
        match self {
            Self::Token(e) => e.reason(),
            Self::Registry(ApiError::PermissionDenied(_)) => "not_in_registry",
            Self::Registry(_) => "registry_unavailable",
            Self::Unassigned(_) => "no_assignment",
        }
    }

    fn into_status(self) -> tonic::Status {
        match self {
            Self::Token(e) => e.into(),
            Self::Registry(e) | Self::Unassigned(e) => e.into(),
        }
    }
}

impl From<AuthError> for Refusal {
    fn from(e: AuthError) -> Self {
        Self::Token(e)
    }
}

impl From<ApiError> for Refusal {
    fn from(e: ApiError) -> Self {
        Self::Registry(e)
    }
}

impl<S> tower::Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            verifier: self.verifier.clone(),
            directory: self.directory.clone(),
            refusals: self.refusals.clone(),
        }
    }
}

/// The service produced by [`AuthLayer`].
#[derive(Clone)]
pub struct AuthService<S> {
    inner: S,
    verifier: Verifier,
    directory: Arc<dyn Directory>,
    refusals: Arc<Refusals>,
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
        let refusals = self.refusals.clone();
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
                Err(refusal) => {
                    log_refusal(&refusals, &refusal, req.uri().path(), req.headers());
                    Ok(refusal.into_status().into_http())
                }
            }
        })
    }
}

/// Counts a refusal by reason (`samverkan_auth_refusals_total`) and logs it
/// once, at `info` for a missing token and `warn` for everything else, with
/// the reason, the token's issuer and key id as it claims them (never the
/// token), within the rate limit.
fn log_refusal(refusals: &Refusals, refusal: &Refusal, path: &str, headers: &http::HeaderMap) {
    // Counted whether or not the line is written.
    samverkan_telemetry::metrics().auth_refusal(refusal.reason());
    let Some(suppressed) = refusals.admit(Instant::now()) else {
        return;
    };
    let hints = bearer(headers)
        .map(|t| TokenHints::of(t).for_log())
        .unwrap_or_default();
    let issuer = hints.issuer.as_deref().unwrap_or("-");
    let kid = hints.kid.as_deref().unwrap_or("-");
    let reason = refusal.reason();
    let detail = match refusal {
        Refusal::Token(e) => e.to_string(),
        Refusal::Registry(e) | Refusal::Unassigned(e) => e.to_string(),
    };
    if matches!(refusal, Refusal::Token(AuthError::MissingBearer)) {
        tracing::info!(path, reason, suppressed, "request refused: {detail}");
    } else {
        tracing::warn!(
            path,
            reason,
            issuer,
            kid,
            suppressed,
            "request refused: {detail}"
        );
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
) -> Result<RequestContext, Refusal> {
    let token = bearer(headers).ok_or(AuthError::MissingBearer)?;
    let principal = verifier.verify(token).await?;
    // Recorded before the registry check so a refused municipality still
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
    let caller = directory.resolve_caller(&ctx).await?;
    let open = OPEN_WITHOUT_ASSIGNMENT.contains(&ctx.rpc.as_str());
    if !caller.assigned && !open && caller.scope.only_former() {
        // A former member's people read what it took part in, nothing more.
        if !directory.reads_only(&ctx.rpc) {
            return Err(Refusal::Unassigned(ApiError::PermissionDenied(format!(
                "{} has left its collaborations: its people may read their history up to the day it left, not change anything",
                ctx.principal.tenant
            ))));
        }
    } else if !caller.assigned && !open {
        return Err(Refusal::Unassigned(ApiError::PermissionDenied(format!(
            "{} holds no role or seat in {} on {}: only WhoAmI is open until an administrator assigns one",
            ctx.principal.subject, ctx.principal.tenant, ctx.today
        ))));
    }
    ctx.scope = caller.scope;
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
    fn refusal_lines_are_rate_limited() {
        let r = Refusals::default();
        let t0 = Instant::now();
        for _ in 0..REFUSAL_LINES_PER_WINDOW {
            assert_eq!(r.admit(t0), Some(0));
        }
        assert_eq!(r.admit(t0), None);
        assert_eq!(r.admit(t0 + Duration::from_secs(1)), None);
        // The next window logs again and reports what it left out.
        assert_eq!(r.admit(t0 + REFUSAL_WINDOW), Some(2));
        assert_eq!(r.admit(t0 + REFUSAL_WINDOW), Some(0));
        assert_eq!(r.total.load(Ordering::Relaxed), 24);
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
