//! The unit-of-work runner: a request whose transaction lost a race that
//! the database detected (serialization failure, deadlock, SQLite busy) is
//! rerun whole, a bounded number of times with jittered backoff.
//!
//! The whole unit is rerun, never one statement: its transaction rolled
//! back, so every read it based its writes on may have changed. Rerunning
//! is safe because a unit writes only through its own transaction (calls
//! to other services are reads; cross-service writes go through the
//! outbox after commit) and publishes events only after it commits.

use std::future::Future;
use std::hash::{BuildHasher, RandomState};
use std::time::Duration;

use samverkan_core::ApiError;

/// How many times a unit runs at most before its conflict is answered.
pub const ATTEMPTS: u32 = 6;

/// Runs `unit` until it succeeds, fails for a reason rerunning cannot
/// change, or has run [`ATTEMPTS`] times. The last conflict is answered
/// `ABORTED`, telling the caller that nothing was saved.
pub async fn unit_of_work<T, F, Fut>(mut unit: F) -> Result<T, ApiError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let mut attempt = 1;
    loop {
        match unit().await {
            Err(e) if e.is_transient() && attempt < ATTEMPTS => {
                tracing::debug!(attempt, error = %e, "rerunning the unit of work");
                samverkan_telemetry::metrics().db_retry();
                tokio::time::sleep(backoff(attempt)).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// Implements a service's gRPC trait: each unary RPC reads the request's
/// context, runs `self.handlers.<rpc>(&ctx, request)` as one
/// [`unit_of_work`] (rerun whole on a conflict) and answers its result or
/// its error's status. Written once for every service; what is not a unary
/// call of this shape (a server stream) follows the list as items of the
/// impl.
///
/// ```ignore
/// samverkan_db::rpcs! {
///     impl DecisionsService for DecisionsApi, messages pb {
///         register_decision(RegisterDecisionRequest) -> RegisterDecisionResponse;
///     }
/// }
/// ```
#[macro_export]
macro_rules! rpcs {
    (
        impl $service:ident for $api:ident, messages $pb:ident {
            $($name:ident($req:ident) -> $resp:ident;)*
        }
        $($more:tt)*
    ) => {
        #[::tonic::async_trait]
        impl $service for $api {
            $(
                async fn $name(
                    &self,
                    request: ::tonic::Request<$pb::$req>,
                ) -> Result<::tonic::Response<$pb::$resp>, ::tonic::Status> {
                    let ctx = ::samverkan_core::RequestContext::from_request(&request)?;
                    let req = request.into_inner();
                    let unit = || self.handlers.$name(&ctx, req.clone());
                    Ok(::tonic::Response::new($crate::unit_of_work(unit).await?))
                }
            )*

            $($more)*
        }
    };
}

/// Full jitter over an exponential ceiling: 0..5 ms, 0..10 ms, … capped at
/// 160 ms, so that the callers that collided do not collide again.
fn backoff(attempt: u32) -> Duration {
    let ceiling_us = 5_000u64 << attempt.min(5);
    let random = RandomState::new().hash_one(std::time::Instant::now());
    Duration::from_micros(random % ceiling_us)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[tokio::test]
    async fn a_conflict_is_rerun_until_it_succeeds() {
        let runs = AtomicU32::new(0);
        let out = unit_of_work(|| async {
            if runs.fetch_add(1, Ordering::SeqCst) < 2 {
                Err(ApiError::Conflict("lost".into()))
            } else {
                Ok(7)
            }
        })
        .await;
        assert_eq!(out.unwrap(), 7);
        assert_eq!(runs.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn reruns_are_bounded_and_end_aborted() {
        let runs = AtomicU32::new(0);
        let out: Result<(), _> = unit_of_work(|| async {
            runs.fetch_add(1, Ordering::SeqCst);
            Err(ApiError::Conflict("lost".into()))
        })
        .await;
        assert_eq!(out.unwrap_err().code(), tonic::Code::Aborted);
        assert_eq!(runs.load(Ordering::SeqCst), ATTEMPTS);
    }

    #[tokio::test]
    async fn other_errors_are_not_rerun() {
        let runs = AtomicU32::new(0);
        let out: Result<(), _> = unit_of_work(|| async {
            runs.fetch_add(1, Ordering::SeqCst);
            Err(ApiError::Aborted("stale etag".into()))
        })
        .await;
        assert_eq!(out.unwrap_err().code(), tonic::Code::Aborted);
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn backoff_is_capped() {
        for attempt in 1..20 {
            assert!(backoff(attempt) < Duration::from_millis(161));
        }
    }
}
