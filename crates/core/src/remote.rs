//! Calling a service in another process on behalf of the request's
//! principal (docs/architecture.md: deployed apart, a service's call to another
//! goes over gRPC).
//!
//! The call carries the caller's own bearer token, so the callee
//! authenticates and authorizes the same person with the same rules as if
//! they had called it directly, and the W3C trace context, so its span
//! joins the caller's trace. Errors come back as the callee answered them
//! ([`ApiError::from_status`]). Every call is counted by (calling service,
//! called service, address): cheap evidence, for tests and operators, of
//! which calls crossed a process boundary.

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use tonic::metadata::MetadataValue;
use tonic::transport::{Channel, Endpoint};

use crate::context::RequestContext;
use crate::error::ApiError;

/// How long a call to another service may take before the caller gives up.
/// Below the server's default ceiling on a whole call (30 s), so that a
/// slow callee surfaces as `UNAVAILABLE` naming it rather than as the
/// caller's own deadline.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(20);

/// A service in another process, at an address.
#[derive(Clone, Debug)]
pub struct Peer {
    service: &'static str,
    target: String,
    channel: Channel,
}

impl Peer {
    /// A peer at `url` (`http://host:port`). The connection is made on the
    /// first call, so processes of a deployment may start in any order.
    pub fn connect(service: &'static str, url: &str) -> Result<Self, String> {
        let endpoint = Endpoint::from_shared(url.to_owned())
            .map_err(|e| format!("{url:?} is not a URL such as http://roles:50051: {e}"))?
            .connect_timeout(Duration::from_secs(5))
            .timeout(CALL_TIMEOUT)
            .tcp_nodelay(true);
        let target = endpoint
            .uri()
            .authority()
            .map_or_else(|| url.to_owned(), |a| a.as_str().to_owned());
        Ok(Self {
            service,
            target,
            channel: endpoint.connect_lazy(),
        })
    }

    /// The short name of the service, e.g. `roles`.
    pub fn service(&self) -> &'static str {
        self.service
    }

    /// `host:port` of the peer.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The channel for the generated client.
    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    /// `msg` as a request to this peer on behalf of `ctx`'s principal.
    /// Work without a person behind it (background jobs, demo loading)
    /// has no token to forward: calling a remote service from there is a
    /// wiring fault of the server, answered `INTERNAL`.
    pub fn request<T>(&self, ctx: &RequestContext, msg: T) -> Result<tonic::Request<T>, ApiError> {
        let Some(bearer) = ctx.credentials.bearer.as_deref() else {
            return Err(ApiError::internal(format!(
                "{} called the {} service at {} without a person's credentials to forward",
                ctx.service(),
                self.service,
                self.target
            )));
        };
        let mut req = tonic::Request::new(msg);
        let auth = MetadataValue::try_from(format!("Bearer {bearer}"))
            .map_err(|_| ApiError::internal("bearer token is not ASCII"))?;
        req.metadata_mut().insert("authorization", auth);
        if let Some(tp) = ctx.credentials.traceparent.as_deref()
            && let Ok(v) = MetadataValue::try_from(tp)
        {
            req.metadata_mut().insert("traceparent", v);
        }
        count(ctx.service(), self.service, &self.target);
        tracing::debug!(
            from = ctx.service(),
            to = self.service,
            target = %self.target,
            "remote call"
        );
        Ok(req)
    }

    /// The callee's answer as this process's error.
    pub fn error(&self, status: tonic::Status) -> ApiError {
        ApiError::from_status(self.service, status)
    }
}

/// (calling service, called service, address) → calls.
type Counts = BTreeMap<(String, String, String), u64>;

/// Remote calls made by this process.
fn counts() -> &'static Mutex<Counts> {
    static COUNTS: OnceLock<Mutex<Counts>> = OnceLock::new();
    COUNTS.get_or_init(Default::default)
}

fn count(from: &str, to: &str, target: &str) {
    // A poisoned lock only means a panic elsewhere while counting: the
    // counts are still usable.
    let mut c = counts().lock().unwrap_or_else(|p| p.into_inner());
    *c.entry((from.to_owned(), to.to_owned(), target.to_owned()))
        .or_default() += 1;
}

/// One line of [`calls`]: how many calls `from` made to `to` at `target`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteCalls {
    pub from: String,
    pub to: String,
    pub target: String,
    pub calls: u64,
}

/// Every remote call this process has made so far, by (calling service,
/// called service, address).
pub fn calls() -> Vec<RemoteCalls> {
    let c = counts().lock().unwrap_or_else(|p| p.into_inner());
    c.iter()
        .map(|((from, to, target), n)| RemoteCalls {
            from: from.clone(),
            to: to.clone(),
            target: target.clone(),
            calls: *n,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{Credentials, TenantScope};
    use crate::ids::TenantId;

    fn ctx(bearer: Option<&str>) -> RequestContext {
        let mut ctx = RequestContext::system(
            TenantScope::private(TenantId::parse("tranemo").unwrap()),
            "/samverkan.forums.v1.ForumsService/SubmitMatter",
        );
        ctx.credentials = Credentials {
            bearer: bearer.map(Into::into),
            traceparent: Some("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".into()),
        };
        ctx
    }

    #[tokio::test]
    async fn requests_carry_the_callers_token_and_trace_and_are_counted() {
        let peer = Peer::connect("roles", "http://127.0.0.1:1").unwrap();
        let req = peer.request(&ctx(Some("abc.def.ghi")), ()).unwrap();
        assert_eq!(
            req.metadata().get("authorization").unwrap(),
            "Bearer abc.def.ghi"
        );
        assert!(req.metadata().get("traceparent").is_some());
        assert!(calls().iter().any(|c| c.from == "forums"
            && c.to == "roles"
            && c.target == "127.0.0.1:1"
            && c.calls >= 1));
    }

    #[tokio::test]
    async fn no_token_no_call() {
        let peer = Peer::connect("roles", "http://127.0.0.1:1").unwrap();
        let err = peer.request(&ctx(None), ()).unwrap_err();
        assert_eq!(err.code(), tonic::Code::Internal);
    }

    #[test]
    fn bad_urls_are_named() {
        let err = Peer::connect("roles", "not a url").unwrap_err();
        assert!(err.contains("not a url"), "{err}");
    }
}
