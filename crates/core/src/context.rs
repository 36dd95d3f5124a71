//! Who is calling, for which municipality, and what they may see.

use chrono::{DateTime, NaiveDate, Utc};

use crate::error::ApiError;
use crate::ids::{CollaborationId, TenantId};

/// The authenticated caller, as the token says: a subject and the
/// municipality they act for. What they may *do* is not here: that comes
/// from their role assignments on the request's date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The configured person claim (e.g. `sub`, `email`, `oid`).
    pub subject: String,
    /// The municipality the caller belongs to (home tenant).
    pub tenant: TenantId,
}

/// What a principal may see, resolved once per request: the home tenant,
/// the collaborations it is a member of on the request's date, the
/// municipalities that share at least one of those collaborations (peers),
/// and the collaborations it has left, whose history it may still read.
/// The database layer turns this into both the query filter and the
/// PostgreSQL row-level-security settings.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TenantScope {
    pub tenant: TenantId,
    pub collaborations: Vec<CollaborationId>,
    pub peers: Vec<TenantId>,
    /// Collaborations left before the request's date: their shared rows
    /// created before the end of the last day of membership stay readable
    /// (never writable), so a former member keeps what it took part in.
    pub former: Vec<Former>,
}

/// A collaboration the municipality has left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Former {
    pub collaboration: CollaborationId,
    /// The first instant after the last day of membership (midnight in
    /// Europe/Stockholm): shared rows created before it stay readable.
    pub until: DateTime<Utc>,
}

impl TenantScope {
    /// A scope that sees only the tenant's private rows.
    pub fn private(tenant: TenantId) -> Self {
        Self {
            tenant,
            collaborations: Vec::new(),
            peers: Vec::new(),
            former: Vec::new(),
        }
    }

    /// Whether the municipality may read a collaboration: a member on the
    /// request's date, or a former member (of its history up to leaving).
    pub fn reads(&self, collaboration: &CollaborationId) -> bool {
        self.collaborations.contains(collaboration)
            || self
                .former
                .iter()
                .any(|f| &f.collaboration == collaboration)
    }

    /// A municipality that belongs to no collaboration on the date but has
    /// left one: its people may read that history and do nothing else.
    pub fn only_former(&self) -> bool {
        self.collaborations.is_empty() && !self.former.is_empty()
    }

    /// Whether a row with these keys is visible (docs/domain.md, *Tenancy*).
    pub fn can_see(
        &self,
        owner_tenant: Option<&str>,
        collaboration: Option<&CollaborationId>,
    ) -> bool {
        owner_tenant.is_some_and(|t| t == self.tenant.as_str())
            || collaboration.is_some_and(|c| self.collaborations.contains(c))
    }
}

/// What a call to another service carries on the principal's behalf when
/// the services are deployed apart: the caller's own bearer token (the
/// callee authenticates and authorizes the same person, never a service
/// account) and the W3C trace context, so the callee's span continues the
/// caller's trace.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    /// The raw token of `authorization: Bearer <token>`; `None` for work
    /// the server does itself, which has no person to act for.
    pub bearer: Option<String>,
    /// `traceparent` for outgoing calls: the server span's context when
    /// tracing exports, else the caller's header as received.
    pub traceparent: Option<String>,
}

impl std::fmt::Debug for Credentials {
    // The token is a secret: contexts are logged at debug level.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("bearer", &self.bearer.as_ref().map(|_| "<redacted>"))
            .field("traceparent", &self.traceparent)
            .finish()
    }
}

/// Everything a handler knows about the request besides its body. Put in
/// the request extensions by the authentication layer.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub principal: Principal,
    pub scope: TenantScope,
    /// The request's calendar date in Europe/Stockholm.
    pub today: NaiveDate,
    /// The full gRPC method path, e.g. `/samverkan.roles.v1.RolesService/WhoAmI`.
    pub rpc: String,
    /// Forwarded with calls to services in other processes.
    pub credentials: Credentials,
}

impl RequestContext {
    /// A context for work the server does itself (demo data, operational
    /// commands), acting within `scope`. The subject `system` shows in the
    /// audit trail.
    pub fn system(scope: TenantScope, rpc: &str) -> Self {
        Self {
            principal: Principal {
                subject: "system".into(),
                tenant: scope.tenant.clone(),
            },
            scope,
            today: crate::dates::today(),
            rpc: rpc.to_owned(),
            credentials: Credentials::default(),
        }
    }

    /// The short name of the service whose RPC this is (`forums` for
    /// `/samverkan.forums.v1.ForumsService/GetMatter`); the whole `rpc`
    /// for work the server does itself.
    pub fn service(&self) -> &str {
        self.rpc
            .strip_prefix("/samverkan.")
            .and_then(|rest| rest.split('.').next())
            .unwrap_or(&self.rpc)
    }

    /// Reads the context the authentication layer attached. Its absence is
    /// a server wiring fault, never the caller's.
    pub fn from_request<T>(req: &tonic::Request<T>) -> Result<Self, ApiError> {
        req.extensions()
            .get::<RequestContext>()
            .cloned()
            .ok_or_else(|| {
                ApiError::internal("request context missing: authentication layer not installed")
            })
    }
}

/// Who an authenticated caller is in the registry on the request's date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// What the caller's municipality may see.
    pub scope: TenantScope,
    /// Whether the person holds a role assignment or an explicit seat on the
    /// date. A registered person without one may only ask who they are.
    pub assigned: bool,
}

/// Resolves a municipality's collaborations on a date, and the caller of a
/// request in the registry. Implemented by the roles service (in process)
/// or its remote client; used by the authentication layer so every request
/// carries its scope.
#[async_trait::async_trait]
pub trait Directory: Send + Sync + 'static {
    /// `Ok(None)` when the deployment does not know the municipality.
    async fn resolve_scope(
        &self,
        tenant: &TenantId,
        on: NaiveDate,
    ) -> Result<Option<TenantScope>, ApiError>;

    /// The caller of an authenticated request whose own scope is not known
    /// yet (`ctx.scope` is private to the principal's municipality). The
    /// token only says who the caller claims to be: `PERMISSION_DENIED` when
    /// the deployment does not know the municipality, or the municipality
    /// has not registered a person with the token's subject. A directory
    /// that asks the roles service over the network does so with the
    /// request's credentials.
    async fn resolve_caller(&self, ctx: &RequestContext) -> Result<Caller, ApiError>;

    /// Whether `rpc` (a full gRPC path) only reads what the caller's
    /// municipality may see, needing no permission of its own: what the
    /// people of a former member ([`TenantScope::only_former`]) may still
    /// call. None, unless the directory knows the calls.
    fn reads_only(&self, rpc: &str) -> bool {
        let _ = rpc;
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_of_an_rpc() {
        let mut ctx = RequestContext::system(
            TenantScope::private(TenantId::parse("tranemo").unwrap()),
            "/samverkan.forums.v1.ForumsService/GetMatter",
        );
        assert_eq!(ctx.service(), "forums");
        ctx.rpc = "outbox".into();
        assert_eq!(ctx.service(), "outbox");
    }

    #[test]
    fn credentials_never_print_the_token() {
        let c = Credentials {
            bearer: Some("eyJhbGciOi.secret".into()),
            traceparent: None,
        };
        let shown = format!("{c:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("redacted"), "{shown}");
    }

    #[test]
    fn visibility_rule() {
        let c1 = CollaborationId(crate::new_uuid());
        let c2 = CollaborationId(crate::new_uuid());
        let scope = TenantScope {
            tenant: TenantId::parse("tranemo").unwrap(),
            collaborations: vec![c1],
            peers: vec![],
            former: vec![],
        };
        assert!(scope.can_see(Some("tranemo"), None));
        assert!(!scope.can_see(Some("ulricehamn"), None));
        assert!(scope.can_see(None, Some(&c1)));
        assert!(!scope.can_see(None, Some(&c2)));
        assert!(!scope.can_see(None, None));
    }
}
