//! The [`Directory`] every request's tenant scope is resolved from: in
//! process from the roles service's own tables ([`LocalDirectory`]), or
//! through the roles API from a process that does not serve roles
//! ([`RemoteDirectory`]).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use samverkan_core::{ApiError, CollaborationId, Directory, RequestContext, TenantId, TenantScope};
use samverkan_db::{Access, Database};

use crate::{RolesClient, SERVICE, store};

/// Resolves scopes from the local database.
#[derive(Clone, Debug)]
pub struct LocalDirectory {
    db: Database,
}

impl LocalDirectory {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait::async_trait]
impl Directory for LocalDirectory {
    async fn resolve_scope(
        &self,
        tenant: &TenantId,
        on: NaiveDate,
    ) -> Result<Option<TenantScope>, ApiError> {
        // First as the municipality alone: it sees its own memberships.
        let ctx = RequestContext::system(TenantScope::private(tenant.clone()), "resolve scope");
        let tx = self.db.begin(&ctx, SERVICE, Access::Read).await?;
        if store::find_municipality(&tx, tenant.as_str())
            .await?
            .is_none()
        {
            return Ok(None);
        }
        let own = store::memberships_in_force(&tx, on).await?;
        tx.commit().await?;
        let mut collaborations: Vec<CollaborationId> = own
            .iter()
            .map(|(m, _)| CollaborationId(m.collaboration_id))
            .collect();
        collaborations.sort();
        collaborations.dedup();
        if collaborations.is_empty() {
            return Ok(Some(TenantScope::private(tenant.clone())));
        }

        // Then within those collaborations: who else is a member today.
        let scope = TenantScope {
            tenant: tenant.clone(),
            collaborations,
            peers: Vec::new(),
        };
        let ctx = RequestContext::system(scope.clone(), "resolve scope");
        let tx = self.db.begin(&ctx, SERVICE, Access::Read).await?;
        let all = store::memberships_in_force(&tx, on).await?;
        tx.commit().await?;
        let mut peers: Vec<TenantId> = all
            .iter()
            .filter(|(m, _)| m.municipality_id != tenant.as_str())
            .filter_map(|(m, _)| TenantId::parse(&m.municipality_id).ok())
            .collect();
        peers.sort();
        peers.dedup();
        Ok(Some(TenantScope { peers, ..scope }))
    }
}

/// How long a scope resolved through the roles API is reused. Memberships
/// change by decision, on dates; a change shows within this time.
pub const REMOTE_SCOPE_TTL: Duration = Duration::from_secs(10);
/// How many (municipality, date) scopes are kept at most.
const REMOTE_SCOPE_ENTRIES: usize = 1024;

/// Resolves scopes through the roles API, for a process that does not serve
/// the roles service: the municipality's collaborations from `WhoAmI` and,
/// for each, the members on the date from `ListMembers` — asked with the
/// request's own credentials, as that person could ask. A scope depends on
/// the municipality and the date only, so it is cached by those, briefly.
pub struct RemoteDirectory {
    roles: RolesClient,
    ttl: Duration,
    cache: Mutex<HashMap<(TenantId, NaiveDate), (Instant, TenantScope)>>,
}

impl RemoteDirectory {
    pub fn new(roles: RolesClient) -> Self {
        Self::with_ttl(roles, REMOTE_SCOPE_TTL)
    }

    pub fn with_ttl(roles: RolesClient, ttl: Duration) -> Self {
        Self {
            roles,
            ttl,
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn cached(&self, key: &(TenantId, NaiveDate)) -> Option<TenantScope> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .get(key)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, scope)| scope.clone())
    }

    fn remember(&self, key: (TenantId, NaiveDate), scope: TenantScope) {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= REMOTE_SCOPE_ENTRIES {
            let ttl = self.ttl;
            cache.retain(|_, (at, _)| at.elapsed() < ttl);
            if cache.len() >= REMOTE_SCOPE_ENTRIES {
                cache.clear();
            }
        }
        cache.insert(key, (Instant::now(), scope));
    }
}

impl std::fmt::Debug for RemoteDirectory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteDirectory")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl Directory for RemoteDirectory {
    /// Without a request there are no credentials to ask with.
    async fn resolve_scope(
        &self,
        tenant: &TenantId,
        _on: NaiveDate,
    ) -> Result<Option<TenantScope>, ApiError> {
        Err(ApiError::internal(format!(
            "the scope of {tenant} can be resolved remotely only for a request"
        )))
    }

    async fn resolve_request_scope(
        &self,
        ctx: &RequestContext,
    ) -> Result<Option<TenantScope>, ApiError> {
        let tenant = ctx.principal.tenant.clone();
        let key = (tenant.clone(), ctx.today);
        if let Some(scope) = self.cached(&key) {
            return Ok(Some(scope));
        }
        // The roles service answers PERMISSION_DENIED for a municipality
        // the deployment does not know, as the local directory's `None`
        // does here.
        let me = self.roles.who_am_i(ctx).await?;
        let mut collaborations: Vec<CollaborationId> = me
            .memberships
            .iter()
            .filter_map(|m| m.collaboration.as_ref())
            .filter_map(|c| c.id.parse::<CollaborationId>().ok())
            .collect();
        collaborations.sort();
        collaborations.dedup();
        let mut peers = Vec::new();
        for c in &collaborations {
            for m in self
                .roles
                .members_on(ctx, &c.to_string(), ctx.today)
                .await?
            {
                if m != tenant.as_str()
                    && let Ok(t) = TenantId::parse(&m)
                {
                    peers.push(t);
                }
            }
        }
        peers.sort();
        peers.dedup();
        let scope = TenantScope {
            tenant,
            collaborations,
            peers,
        };
        self.remember(key, scope.clone());
        Ok(Some(scope))
    }
}
