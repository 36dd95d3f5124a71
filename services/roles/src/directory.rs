//! The [`Directory`] every request's tenant scope is resolved from: in
//! process from the roles service's own tables ([`LocalDirectory`]), or
//! through the roles API from a process that does not serve roles
//! ([`RemoteDirectory`]).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use samverkan_core::{
    ApiError, Caller, CollaborationId, Directory, RequestContext, TenantId, TenantScope,
};
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

/// What the local directory found for a municipality and, when asked, a
/// person of it.
struct Found {
    scope: TenantScope,
    /// `None` when no person was asked about or none is registered.
    person: Option<uuid::Uuid>,
    /// Whether that person holds a role assignment or an explicit seat on
    /// the date, in one of the municipality's collaborations.
    assigned: bool,
}

impl LocalDirectory {
    /// The municipality's scope on `on` and, with `subject`, the person it
    /// registered under that subject and whether they hold a role or seat:
    /// two read transactions, or one when there is nothing more to know.
    /// `None` when the deployment does not know the municipality.
    async fn find(
        &self,
        tenant: &TenantId,
        on: NaiveDate,
        subject: Option<&str>,
    ) -> Result<Option<Found>, ApiError> {
        // First as the municipality alone: it sees its own memberships and
        // its own people (never a peer's, whatever the token claims).
        let ctx = RequestContext::system(TenantScope::private(tenant.clone()), "resolve scope");
        let tx = self.db.begin(&ctx, SERVICE, Access::Read).await?;
        if store::find_municipality(&tx, tenant.as_str())
            .await?
            .is_none()
        {
            return Ok(None);
        }
        let person = match subject {
            Some(s) => store::person_by_subject(&tx, s).await?.map(|p| p.id),
            None => None,
        };
        let own = store::memberships_in_force(&tx, on).await?;
        tx.commit().await?;
        let mut collaborations: Vec<CollaborationId> = own
            .iter()
            .map(|(m, _)| CollaborationId(m.collaboration_id))
            .collect();
        collaborations.sort();
        collaborations.dedup();
        let unregistered = subject.is_some() && person.is_none();
        if collaborations.is_empty() || unregistered {
            // Outside every collaboration nobody holds a role; an unknown
            // person is refused whatever the scope.
            return Ok(Some(Found {
                scope: TenantScope::private(tenant.clone()),
                person,
                assigned: false,
            }));
        }

        // Then within those collaborations: who else is a member today, and
        // whether the person holds a role or seat in one of them.
        let scope = TenantScope {
            tenant: tenant.clone(),
            collaborations,
            peers: Vec::new(),
        };
        let ctx = RequestContext::system(scope.clone(), "resolve scope");
        let tx = self.db.begin(&ctx, SERVICE, Access::Read).await?;
        let all = store::memberships_in_force(&tx, on).await?;
        let assigned = match person {
            Some(p) => {
                let filter = store::AssignmentFilter {
                    person: Some(p),
                    on: Some(on),
                    ..Default::default()
                };
                !store::list_assignments(&tx, &filter, 0, 1)
                    .await?
                    .is_empty()
                    || !store::seats_in_force(&tx, None, Some(p), on)
                        .await?
                        .is_empty()
            }
            None => false,
        };
        tx.commit().await?;
        let mut peers: Vec<TenantId> = all
            .iter()
            .filter(|(m, _)| m.municipality_id != tenant.as_str())
            .filter_map(|(m, _)| TenantId::parse(&m.municipality_id).ok())
            .collect();
        peers.sort();
        peers.dedup();
        Ok(Some(Found {
            scope: TenantScope { peers, ..scope },
            person,
            assigned,
        }))
    }
}

#[async_trait::async_trait]
impl Directory for LocalDirectory {
    async fn resolve_scope(
        &self,
        tenant: &TenantId,
        on: NaiveDate,
    ) -> Result<Option<TenantScope>, ApiError> {
        Ok(self.find(tenant, on, None).await?.map(|f| f.scope))
    }

    async fn resolve_caller(&self, ctx: &RequestContext) -> Result<Caller, ApiError> {
        let tenant = &ctx.principal.tenant;
        let subject = &ctx.principal.subject;
        let found = self
            .find(tenant, ctx.today, Some(subject))
            .await?
            .ok_or_else(|| not_a_member(tenant))?;
        if found.person.is_none() {
            return Err(not_registered(subject, tenant));
        }
        Ok(Caller {
            scope: found.scope,
            assigned: found.assigned,
        })
    }
}

fn not_a_member(tenant: &TenantId) -> ApiError {
    ApiError::PermissionDenied(format!(
        "municipality {tenant} is not a member of this deployment"
    ))
}

fn not_registered(subject: &str, tenant: &TenantId) -> ApiError {
    ApiError::PermissionDenied(format!(
        "{subject} is not a registered person of {tenant}: its administrator registers people"
    ))
}

/// How long a scope resolved through the roles API is reused. Memberships
/// change by decision, on dates; a change shows within this time.
pub const REMOTE_SCOPE_TTL: Duration = Duration::from_secs(10);
/// How many (municipality, person, date) callers are kept at most.
const REMOTE_SCOPE_ENTRIES: usize = 1024;

/// A caller is cached by municipality, person and date: the person decides
/// whether it is registered and assigned, never the municipality alone.
type CacheKey = (TenantId, String, NaiveDate);

/// Resolves scopes through the roles API, for a process that does not serve
/// the roles service: the municipality's collaborations from `WhoAmI` and,
/// for each, the members on the date from `ListMembers` — asked with the
/// request's own credentials, as that person could ask; whether the person
/// is registered and assigned from the same `WhoAmI`. A caller is cached by
/// municipality, person and date, briefly ([`REMOTE_SCOPE_TTL`]): a revoked
/// assignment shows in the other processes within that time (the roles
/// service's own permission checks see it at once).
pub struct RemoteDirectory {
    roles: RolesClient,
    ttl: Duration,
    cache: Mutex<HashMap<CacheKey, (Instant, Caller)>>,
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

    fn cached(&self, key: &CacheKey) -> Option<Caller> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .get(key)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, caller)| caller.clone())
    }

    fn remember(&self, key: CacheKey, caller: Caller) {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= REMOTE_SCOPE_ENTRIES {
            let ttl = self.ttl;
            cache.retain(|_, (at, _)| at.elapsed() < ttl);
            if cache.len() >= REMOTE_SCOPE_ENTRIES {
                cache.clear();
            }
        }
        cache.insert(key, (Instant::now(), caller));
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

    async fn resolve_caller(&self, ctx: &RequestContext) -> Result<Caller, ApiError> {
        let tenant = ctx.principal.tenant.clone();
        let key = (tenant.clone(), ctx.principal.subject.clone(), ctx.today);
        if let Some(caller) = self.cached(&key) {
            return Ok(caller);
        }
        // The roles service refuses, with PERMISSION_DENIED, a municipality
        // the deployment does not know and a person it has not registered,
        // as the local directory does.
        let me = self.roles.who_am_i(ctx).await?;
        if me.person.is_none() {
            return Err(not_registered(&ctx.principal.subject, &tenant));
        }
        let assigned = !me.assignments.is_empty() || !me.seats.is_empty();
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
        let caller = Caller {
            scope: TenantScope {
                tenant,
                collaborations,
                peers,
            },
            assigned,
        };
        self.remember(key, caller.clone());
        Ok(caller)
    }
}
