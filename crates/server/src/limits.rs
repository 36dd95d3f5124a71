//! Limits that keep one caller from exhausting the server or its database:
//! the largest request decoded, the longest a call may run, a token bucket
//! per principal, and the size of the database pool.
//!
//! - **Request size**: each service decodes at most
//!   [`Limits::max_request_bytes`]; the forums service, which takes
//!   documents, at most [`Limits::max_document_bytes`] plus 1 MiB of
//!   metadata. tonic refuses a larger message with `OUT_OF_RANGE`; gRPC's
//!   status-code table says a message over the configured limit is
//!   `RESOURCE_EXHAUSTED`, so [`OversizeLayer`] answers that instead.
//! - **Deadlines**: tonic's server reads the caller's `grpc-timeout` and
//!   drops the call's future when it passes, which rolls back its
//!   transaction; [`MaxDurationLayer`] adds a server-side ceiling for calls
//!   that carry no deadline (`DEADLINE_EXCEEDED`). Both time the call up to
//!   its response headers: a server stream, once open, is not cut.
//! - **Rate**: [`RateLimitLayer`] sits inside authentication and keys a
//!   token bucket on the principal (municipality and subject). Calls without
//!   a principal (health, reflection; everything else was refused by
//!   authentication) pass. A refused call answers `RESOURCE_EXHAUSTED` with
//!   a `google.rpc.RetryInfo` saying when a token is back.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use samverkan_core::{ApiError, RequestContext, reasons};
use samverkan_db::PoolOptions;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// Default largest request message: tonic's own default, made explicit.
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 4 * 1024 * 1024;
/// Default longest call when the caller sets no deadline.
pub const DEFAULT_MAX_CALL_DURATION: Duration = Duration::from_secs(30);
/// Room for a document request's other fields above the document itself.
const DOCUMENT_METADATA_BYTES: usize = 1024 * 1024;

/// Every limit of a serving process; [`Limits::default`] is what
/// `samverkan serve` uses without flags.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest request message any service decodes, in bytes.
    pub max_request_bytes: usize,
    /// Largest document the forums service stores, in bytes. Its requests
    /// may be this plus 1 MiB (and never less than `max_request_bytes`).
    pub max_document_bytes: usize,
    /// Longest a call may run when the caller's deadline is later or
    /// absent. `None`: only the caller's deadline applies.
    pub max_call_duration: Option<Duration>,
    /// Requests per principal.
    pub rate_limit: RateLimit,
    /// The database pool. [`serve`](crate::serve) is handed an open pool;
    /// whoever opens it (the binary, the testkit) reads this.
    pub db_pool: PoolOptions,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_request_bytes: DEFAULT_MAX_REQUEST_BYTES,
            max_document_bytes: samverkan_forums::api::DEFAULT_MAX_DOCUMENT_BYTES,
            max_call_duration: Some(DEFAULT_MAX_CALL_DURATION),
            rate_limit: RateLimit::default(),
            db_pool: PoolOptions::default(),
        }
    }
}

impl Limits {
    /// The decoding limit of the forums service.
    pub fn forums_request_bytes(&self) -> usize {
        self.max_document_bytes
            .saturating_add(DOCUMENT_METADATA_BYTES)
            .max(self.max_request_bytes)
    }
}

/// A token bucket per principal: `burst` calls at once, refilled at
/// `per_second`. A `per_second` of 0 turns the limit off.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    pub per_second: f64,
    pub burst: u32,
}

impl Default for RateLimit {
    /// Generous: a person clicking through a client, or a script doing a
    /// bulk import, never notices; a loop gone wrong does.
    fn default() -> Self {
        Self {
            per_second: 50.0,
            burst: 100,
        }
    }
}

impl RateLimit {
    pub const OFF: RateLimit = RateLimit {
        per_second: 0.0,
        burst: 0,
    };

    /// Zero (or a rate that is no number) means no limit.
    pub fn is_off(&self) -> bool {
        !self.per_second.is_finite() || self.per_second <= 0.0 || self.burst == 0
    }
}

/// How often buckets that have refilled are swept.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

type Principal = (String, String);
type Buckets<C> = governor::RateLimiter<
    Principal,
    governor::state::keyed::DashMapStateStore<Principal>,
    C,
    governor::middleware::NoOpMiddleware<<C as governor::clock::Clock>::Instant>,
>;

/// A token bucket (GCRA, the `governor` crate) for every principal seen
/// recently.
///
/// Memory stays bounded: a bucket that has refilled is indistinguishable
/// from a new one, so the sweep every [`SWEEP_EVERY`] drops it without
/// changing any answer. Principals are authenticated, so only real people
/// (of the identity provider) create buckets.
pub struct RateLimiter<C: governor::clock::Clock = governor::clock::DefaultClock> {
    limit: RateLimit,
    buckets: Buckets<C>,
    clock: C,
    last_sweep: Mutex<C::Instant>,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("limit", &self.limit)
            .field("buckets", &self.buckets.len())
            .finish()
    }
}

impl RateLimiter {
    /// A limiter on the monotonic clock. `limit` must not be off.
    pub fn new(limit: RateLimit) -> Self {
        Self::with_clock(limit, governor::clock::DefaultClock::default())
    }
}

impl<C: governor::clock::Clock + Clone> RateLimiter<C> {
    /// A limiter on `clock` (a fake one in tests).
    pub fn with_clock(limit: RateLimit, clock: C) -> Self {
        let period = Duration::from_secs_f64(1.0 / limit.per_second.max(f64::MIN_POSITIVE))
            .max(Duration::from_nanos(1));
        let burst = std::num::NonZeroU32::new(limit.burst).unwrap_or(std::num::NonZeroU32::MIN);
        let quota = governor::Quota::with_period(period)
            .unwrap_or(governor::Quota::per_second(burst))
            .allow_burst(burst);
        Self {
            limit,
            buckets: governor::RateLimiter::dashmap_with_clock(quota, clock.clone()),
            last_sweep: Mutex::new(clock.now()),
            clock,
        }
    }

    /// Takes one token of `tenant`/`subject`, or says how long until one is
    /// available.
    pub fn check(&self, tenant: &str, subject: &str) -> Result<(), Duration> {
        self.sweep();
        self.buckets
            .check_key(&(tenant.to_owned(), subject.to_owned()))
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    fn sweep(&self) {
        use governor::clock::Reference as _;
        let now = self.clock.now();
        // A poisoned lock only means another call panicked while holding
        // it; the time in it is still usable.
        let mut last = self.last_sweep.lock().unwrap_or_else(|e| e.into_inner());
        if Duration::from(now.duration_since(*last)) >= SWEEP_EVERY {
            self.buckets.retain_recent();
            self.buckets.shrink_to_fit();
            *last = now;
        }
    }

    /// Buckets currently held (for tests and metrics).
    pub fn buckets(&self) -> usize {
        self.buckets.len()
    }
}

/// The answer to a call over the rate limit.
pub fn rate_limited(limit: RateLimit, retry_after: Duration) -> Status {
    // Whole milliseconds, at least one: "retry in 0 ms" helps nobody.
    let retry_after = Duration::from_millis(
        u64::try_from(retry_after.as_millis())
            .unwrap_or(u64::MAX)
            .max(1),
    );
    let msg = format!(
        "rate limit exceeded: at most {} calls per second (bursts of {}) per person; retry in {} ms",
        limit.per_second,
        limit.burst,
        retry_after.as_millis()
    );
    let mut details = ErrorDetails::with_retry_info(Some(retry_after));
    details.set_error_info("RATE_LIMITED", reasons::DOMAIN, HashMap::new());
    Status::with_error_details(Code::ResourceExhausted, msg, details)
}

/// The `google.rpc.RetryInfo` delay of a status, if it carries one: what a
/// client should wait before retrying a `RESOURCE_EXHAUSTED`.
pub fn retry_delay(status: &Status) -> Option<Duration> {
    status.get_details_retry_info()?.retry_delay
}

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

/// Refuses calls of a principal over its [`RateLimit`]. Put it inside
/// [`samverkan_auth::AuthLayer`], which attaches the principal.
#[derive(Debug, Clone)]
pub struct RateLimitLayer {
    limiter: Option<Arc<RateLimiter>>,
}

impl RateLimitLayer {
    pub fn new(limit: RateLimit) -> Self {
        Self {
            limiter: (!limit.is_off()).then(|| Arc::new(RateLimiter::new(limit))),
        }
    }
}

impl<S> tower::Layer<S> for RateLimitLayer {
    type Service = RateLimitService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RateLimitService {
            inner,
            limiter: self.limiter.clone(),
        }
    }
}

/// The service produced by [`RateLimitLayer`].
#[derive(Debug, Clone)]
pub struct RateLimitService<S> {
    inner: S,
    limiter: Option<Arc<RateLimiter>>,
}

impl<S, B, ResBody> tower::Service<http::Request<B>> for RateLimitService<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<ResBody>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = http::Response<ResBody>;
    type Error = S::Error;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        if let (Some(limiter), Some(ctx)) =
            (&self.limiter, req.extensions().get::<RequestContext>())
        {
            let principal = &ctx.principal;
            if let Err(retry_after) = limiter.check(principal.tenant.as_str(), &principal.subject) {
                tracing::info!(
                    municipality = %principal.tenant,
                    subject = %principal.subject,
                    retry_ms = retry_after.as_millis(),
                    "call refused by the rate limit"
                );
                let status = rate_limited(limiter.limit, retry_after);
                return Box::pin(async move { Ok(status.into_http()) });
            }
        }
        Box::pin(self.inner.call(req))
    }
}

/// Ends a call that runs longer than the server allows, whatever deadline
/// the caller set (tonic enforces the caller's). Dropping the call's future
/// rolls back its open transaction.
#[derive(Debug, Clone, Copy)]
pub struct MaxDurationLayer {
    limit: Option<Duration>,
}

impl MaxDurationLayer {
    pub fn new(limit: Option<Duration>) -> Self {
        Self {
            limit: limit.filter(|d| !d.is_zero()),
        }
    }
}

impl<S> tower::Layer<S> for MaxDurationLayer {
    type Service = MaxDurationService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        MaxDurationService {
            inner,
            limit: self.limit,
        }
    }
}

/// The service produced by [`MaxDurationLayer`].
#[derive(Debug, Clone)]
pub struct MaxDurationService<S> {
    inner: S,
    limit: Option<Duration>,
}

impl<S, B, ResBody> tower::Service<http::Request<B>> for MaxDurationService<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<ResBody>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = http::Response<ResBody>;
    type Error = S::Error;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let fut = self.inner.call(req);
        let Some(limit) = self.limit else {
            return Box::pin(fut);
        };
        Box::pin(async move {
            match tokio::time::timeout(limit, fut).await {
                Ok(res) => res,
                Err(_) => {
                    tracing::warn!(
                        limit_ms = limit.as_millis(),
                        "call stopped at the server's maximum duration"
                    );
                    Ok(Status::from(ApiError::DeadlineExceeded(format!(
                        "the call did not finish within the server's limit of {} ms",
                        limit.as_millis()
                    )))
                    .into_http())
                }
            }
        })
    }
}

/// tonic's words for a request message over the decoding limit.
const TONIC_TOO_LARGE: &str = "Error, decoded message length too large";

/// Turns tonic's `OUT_OF_RANGE` for an oversized request message into
/// `RESOURCE_EXHAUSTED`, as gRPC's status-code table prescribes.
#[derive(Debug, Clone, Copy, Default)]
pub struct OversizeLayer;

impl<S> tower::Layer<S> for OversizeLayer {
    type Service = tower::util::MapResponse<
        S,
        fn(http::Response<tonic::body::Body>) -> http::Response<tonic::body::Body>,
    >;

    fn layer(&self, inner: S) -> Self::Service {
        tower::util::MapResponse::new(inner, oversize_status)
    }
}

/// Rewrites a trailers-only `OUT_OF_RANGE` about message length (how
/// tonic refuses a request before any handler runs).
fn oversize_status<B: Default>(res: http::Response<B>) -> http::Response<B> {
    // Cheap test first: almost every response is not an OUT_OF_RANGE.
    if res.headers().get("grpc-status").is_none_or(|v| v != "11") {
        return res;
    }
    let Some(status) = Status::from_header_map(res.headers()) else {
        return res;
    };
    match status.message().strip_prefix(TONIC_TOO_LARGE) {
        Some(rest) if status.code() == Code::OutOfRange => {
            let mut details = ErrorDetails::new();
            details.set_error_info("MESSAGE_TOO_LARGE", reasons::DOMAIN, HashMap::new());
            Status::with_error_details(
                Code::ResourceExhausted,
                format!(
                    "request message too large: {}",
                    rest.trim_start_matches(':').trim()
                ),
                details,
            )
            .into_http()
        }
        _ => res,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use governor::clock::FakeRelativeClock;

    fn limiter(per_second: f64, burst: u32) -> (RateLimiter<FakeRelativeClock>, FakeRelativeClock) {
        let clock = FakeRelativeClock::default();
        (
            RateLimiter::with_clock(RateLimit { per_second, burst }, clock.clone()),
            clock,
        )
    }

    #[test]
    fn a_burst_then_the_refill_rate() {
        let (l, clock) = limiter(5.0, 5);
        for i in 0..5 {
            assert!(l.check("tranemo", "a").is_ok(), "call {i} of the burst");
        }
        let wait = l.check("tranemo", "a").unwrap_err();
        assert_eq!(wait, Duration::from_millis(200));
        // Another principal, and the same subject in another municipality,
        // have their own buckets.
        assert!(l.check("tranemo", "b").is_ok());
        assert!(l.check("ulricehamn", "a").is_ok());
        // One token is back after 1/5 s, not two.
        clock.advance(Duration::from_millis(200));
        assert!(l.check("tranemo", "a").is_ok());
        assert!(l.check("tranemo", "a").is_err());
        // Never more than the burst, however long the pause.
        clock.advance(Duration::from_secs(3600));
        for _ in 0..5 {
            assert!(l.check("tranemo", "a").is_ok());
        }
        assert!(l.check("tranemo", "a").is_err());
    }

    #[test]
    fn a_fractional_rate_refills_slowly() {
        let (l, clock) = limiter(0.5, 1);
        assert!(l.check("tranemo", "a").is_ok());
        assert_eq!(l.check("tranemo", "a").unwrap_err(), Duration::from_secs(2));
        clock.advance(Duration::from_secs(2));
        assert!(l.check("tranemo", "a").is_ok());
    }

    #[test]
    fn idle_buckets_are_swept() {
        let (l, clock) = limiter(10.0, 10);
        for i in 0..100 {
            l.check("tranemo", &format!("p{i}")).unwrap();
        }
        assert_eq!(l.buckets(), 100);
        // After the sweep interval every bucket has refilled (1 s) and goes.
        clock.advance(SWEEP_EVERY + Duration::from_secs(1));
        l.check("tranemo", "p0").unwrap();
        assert_eq!(l.buckets(), 1);
    }

    #[test]
    fn zero_means_off() {
        assert!(RateLimit::OFF.is_off());
        assert!(
            RateLimit {
                per_second: 0.0,
                burst: 10
            }
            .is_off()
        );
        assert!(!RateLimit::default().is_off());
        assert!(RateLimitLayer::new(RateLimit::OFF).limiter.is_none());
    }

    #[test]
    fn refusals_say_when_to_retry() {
        let status = rate_limited(RateLimit::default(), Duration::from_micros(1500));
        assert_eq!(status.code(), Code::ResourceExhausted);
        assert!(
            status.message().contains("retry in 1 ms"),
            "{}",
            status.message()
        );
        assert_eq!(retry_delay(&status), Some(Duration::from_millis(1)));
        assert_eq!(retry_delay(&Status::internal("x")), None);
    }

    #[test]
    fn oversize_is_resource_exhausted() {
        let res = Status::out_of_range(format!(
            "{TONIC_TOO_LARGE}: found 5000000 bytes, the limit is: 4194304 bytes"
        ))
        .into_http::<tonic::body::Body>();
        let status = Status::from_header_map(oversize_status(res).headers()).unwrap();
        assert_eq!(status.code(), Code::ResourceExhausted);
        assert_eq!(
            status.message(),
            "request message too large: found 5000000 bytes, the limit is: 4194304 bytes"
        );
        // Any other OUT_OF_RANGE stays what it is.
        let other = oversize_status(
            Status::out_of_range("page past the end").into_http::<tonic::body::Body>(),
        );
        assert_eq!(other.headers()["grpc-status"], "11");
    }

    #[test]
    fn forums_take_documents() {
        let l = Limits::default();
        assert_eq!(l.forums_request_bytes(), 11 * 1024 * 1024);
        let small = Limits {
            max_document_bytes: 1024,
            ..Limits::default()
        };
        assert_eq!(small.forums_request_bytes(), small.max_request_bytes);
    }
}
