//! The [`Directory`] every request's tenant scope is resolved from: in
//! process from the roles service's own tables ([`LocalDirectory`]), or
//! through the roles API from a process that does not serve roles
//! ([`RemoteDirectory`]). Both keep the callers they resolved
//! ([`Kept`]): the local one for as long as the registry's change version
//! is the one it read before resolving, the remote one briefly.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use samverkan_core::{
    ApiError, Caller, CollaborationId, Directory, Former, RequestContext, TenantId, TenantScope,
    dates,
};
use samverkan_db::versions::Kept;
use samverkan_db::{Access, Database};

use crate::{RolesClient, SERVICE, store};

/// Resolves scopes from the local database, and keeps each caller it
/// resolved until the registry changes: every write of the roles service
/// advances [`store::DIRECTORY_VERSION`] in its own transaction
/// ([`store::begin_write`]), and a kept caller is used only while that
/// version is still the one read before resolving it. A request with a
/// caller kept costs one read of one row instead of two transactions; a
/// seat ended on any instance is refused on every instance's next call.
#[derive(Clone, Debug)]
pub struct LocalDirectory {
    db: Database,
    callers: Arc<Kept<CacheKey, Caller>>,
}

impl LocalDirectory {
    pub fn new(db: Database) -> Self {
        Self {
            callers: db.kept("callers", LOCAL_CALLER_ENTRIES),
            db,
        }
    }
}

/// How many (municipality, person, date) callers a local directory keeps.
const LOCAL_CALLER_ENTRIES: usize = 8192;

/// A caller is kept by municipality, person and date: the person decides
/// whether it is registered and assigned, never the municipality alone,
/// and the date which memberships, roles and seats are in force.
type CacheKey = (TenantId, String, NaiveDate);

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
        let ended = store::memberships_ended(&tx, on).await?;
        tx.commit().await?;
        let mut collaborations: Vec<CollaborationId> = own
            .iter()
            .map(|(m, _)| CollaborationId(m.collaboration_id))
            .collect();
        collaborations.sort();
        collaborations.dedup();
        let former = former_memberships(
            &collaborations,
            ended.iter().filter_map(|(m, _)| {
                Some((CollaborationId(m.collaboration_id), m.joined_on, m.left_on?))
            }),
        );
        let unregistered = subject.is_some() && person.is_none();
        if (collaborations.is_empty() && former.is_empty()) || unregistered {
            // Outside every collaboration nobody holds a role; an unknown
            // person is refused whatever the scope.
            return Ok(Some(Found {
                scope: TenantScope::private(tenant.clone()),
                person,
                assigned: false,
            }));
        }

        // Then within those collaborations: who else is a member today (or
        // was, during a membership since ended), and whether the person
        // holds a role or seat in one of them.
        let scope = TenantScope {
            tenant: tenant.clone(),
            collaborations,
            peers: Vec::new(),
            former: former.iter().map(|(f, _, _)| *f).collect(),
        };
        let ctx = RequestContext::system(scope.clone(), "resolve scope");
        let tx = self.db.begin(&ctx, SERVICE, Access::Read).await?;
        let mut others: Vec<String> = store::memberships_in_force(&tx, on)
            .await?
            .into_iter()
            .map(|(m, _)| m.municipality_id)
            .collect();
        for (f, joined_on, left_on) in &former {
            for (m, _) in store::members(&tx, f.collaboration, None).await? {
                if overlaps((m.joined_on, m.left_on), (*joined_on, *left_on)) {
                    others.push(m.municipality_id);
                }
            }
        }
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
        let mut peers: Vec<TenantId> = others
            .iter()
            .filter(|m| *m != tenant.as_str())
            .filter_map(|m| TenantId::parse(m).ok())
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

/// The collaborations left, from `(collaboration, joined_on, left_on)` of
/// ended memberships, that the municipality is not a member of again
/// (`current`): each with the first and last day of the membership that
/// ended last.
fn former_memberships(
    current: &[CollaborationId],
    ended: impl Iterator<Item = (CollaborationId, NaiveDate, NaiveDate)>,
) -> Vec<(Former, NaiveDate, NaiveDate)> {
    let mut last: Vec<(CollaborationId, NaiveDate, NaiveDate)> = Vec::new();
    for (c, joined, left) in ended.filter(|(c, _, _)| !current.contains(c)) {
        match last.iter_mut().find(|(k, _, _)| *k == c) {
            Some(seen) if seen.2 < left => *seen = (c, joined, left),
            Some(_) => {}
            None => last.push((c, joined, left)),
        }
    }
    last.sort();
    last.into_iter()
        .map(|(collaboration, joined, left)| {
            let until = dates::end_of_day(left);
            (
                Former {
                    collaboration,
                    until,
                },
                joined,
                left,
            )
        })
        .collect()
}

/// Whether two membership periods (first day, last day if ended) share a day.
fn overlaps(a: (NaiveDate, Option<NaiveDate>), b: (NaiveDate, NaiveDate)) -> bool {
    a.0 <= b.1 && a.1.is_none_or(|end| end >= b.0)
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
        // The version first: a change committed after this read makes the
        // next request read a newer one, whatever this one resolves.
        let version = self.db.version(store::DIRECTORY_VERSION).await?;
        let key = (tenant.clone(), subject.clone(), ctx.today);
        if let Some(caller) = self.callers.get(&key, |v| *v == version) {
            return Ok(caller);
        }
        let found = self
            .find(tenant, ctx.today, Some(subject))
            .await?
            .ok_or_else(|| not_a_member(tenant))?;
        if found.person.is_none() {
            return Err(not_registered(subject, tenant));
        }
        let caller = Caller {
            scope: found.scope,
            assigned: found.assigned,
        };
        self.callers
            .put(key, version, caller.clone(), |v| *v == version);
        Ok(caller)
    }

    fn reads_only(&self, rpc: &str) -> bool {
        crate::domain::permissions::reads_only(rpc)
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

/// Resolves scopes through the roles API, for a process that does not serve
/// the roles service: the municipality's collaborations from `WhoAmI` and,
/// for each, the members on the date from `ListMembers` — asked with the
/// request's own credentials, as that person could ask; whether the person
/// is registered and assigned from the same `WhoAmI`. A caller is kept by
/// municipality, person and date. With the database the services share
/// ([`RemoteDirectory::with_versions`], as `samverkan serve` runs it), a
/// kept caller is used only while the registry's change version stands,
/// as in process: a revoked assignment is refused on the next call.
/// Without it, briefly ([`REMOTE_SCOPE_TTL`]).
pub struct RemoteDirectory {
    roles: RolesClient,
    ttl: Duration,
    versions: Option<Database>,
    callers: Kept<CacheKey, Caller, (Option<i64>, Instant)>,
}

impl RemoteDirectory {
    pub fn new(roles: RolesClient) -> Self {
        Self::with_ttl(roles, REMOTE_SCOPE_TTL)
    }

    pub fn with_ttl(roles: RolesClient, ttl: Duration) -> Self {
        Self {
            roles,
            ttl,
            versions: None,
            callers: Kept::new(REMOTE_SCOPE_ENTRIES),
        }
    }

    /// Callers kept while the registry's change version, read from `db`
    /// (the database the roles service writes), stands.
    pub fn with_versions(roles: RolesClient, db: Database) -> Self {
        Self {
            versions: Some(db),
            ..Self::new(roles)
        }
    }

    /// The registry's version, when this directory can read it.
    async fn version(&self) -> Result<Option<i64>, ApiError> {
        match &self.versions {
            Some(db) => Ok(Some(db.version(store::DIRECTORY_VERSION).await?)),
            None => Ok(None),
        }
    }

    /// Whether a caller kept with `stamp` may be used, the registry being
    /// at `version`.
    fn usable(&self, stamp: &(Option<i64>, Instant), version: Option<i64>) -> bool {
        match version {
            Some(v) => stamp.0 == Some(v),
            None => stamp.1.elapsed() < self.ttl,
        }
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
        let version = self.version().await?;
        if let Some(caller) = self.callers.get(&key, |s| self.usable(s, version)) {
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
        let former = former_memberships(
            &collaborations,
            me.former_memberships.iter().filter_map(|m| {
                let c = m
                    .collaboration
                    .as_ref()?
                    .id
                    .parse::<CollaborationId>()
                    .ok()?;
                let joined = dates::from_proto(m.joined_on.as_ref()?, "joined_on").ok()?;
                let left = dates::from_proto(m.left_on.as_ref()?, "left_on").ok()?;
                Some((c, joined, left))
            }),
        );
        let mut peers = Vec::new();
        for c in &collaborations {
            peers.extend(
                self.roles
                    .members_on(ctx, &c.to_string(), ctx.today)
                    .await?,
            );
        }
        for (f, joined_on, left_on) in &former {
            for m in self
                .roles
                .membership_history(ctx, &f.collaboration.to_string())
                .await?
            {
                let period = (
                    m.joined_on
                        .as_ref()
                        .and_then(|d| dates::from_proto(d, "joined_on").ok()),
                    m.left_on
                        .as_ref()
                        .and_then(|d| dates::from_proto(d, "left_on").ok()),
                );
                if let (Some(joined), left) = period
                    && overlaps((joined, left), (*joined_on, *left_on))
                {
                    peers.push(m.municipality_id);
                }
            }
        }
        let mut peers: Vec<TenantId> = peers
            .iter()
            .filter(|m| *m != tenant.as_str())
            .filter_map(|m| TenantId::parse(m).ok())
            .collect();
        peers.sort();
        peers.dedup();
        let caller = Caller {
            scope: TenantScope {
                tenant,
                collaborations,
                peers,
                former: former.iter().map(|(f, _, _)| *f).collect(),
            },
            assigned,
        };
        self.callers
            .put(key, (version, Instant::now()), caller.clone(), |s| {
                self.usable(s, version)
            });
        Ok(caller)
    }

    fn reads_only(&self, rpc: &str) -> bool {
        crate::domain::permissions::reads_only(rpc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn a_collaboration_left_reads_until_the_end_of_the_last_membership() {
        let (a, b) = (
            CollaborationId(uuid::Uuid::from_u128(1)),
            CollaborationId(uuid::Uuid::from_u128(2)),
        );
        let ended = [
            (a, d(2020, 1, 1), d(2021, 12, 31)),
            (a, d(2023, 1, 1), d(2024, 6, 30)),
            (b, d(2022, 1, 1), d(2022, 12, 31)),
        ];
        // Left a twice: the later membership counts.
        let former = former_memberships(&[], ended.into_iter());
        assert_eq!(former.len(), 2);
        assert_eq!(former[0].0.collaboration, a);
        assert_eq!(former[0].0.until, dates::end_of_day(d(2024, 6, 30)));
        assert_eq!((former[0].1, former[0].2), (d(2023, 1, 1), d(2024, 6, 30)));
        // A member again of b: b is no former collaboration.
        let former = former_memberships(&[b], ended.into_iter());
        assert_eq!(former.len(), 1);
        assert_eq!(former[0].0.collaboration, a);
    }

    #[test]
    fn peers_are_those_whose_membership_shared_a_day() {
        let ours = (d(2023, 1, 1), d(2024, 6, 30));
        assert!(overlaps((d(2020, 1, 1), None), ours));
        assert!(overlaps((d(2024, 6, 30), None), ours));
        assert!(overlaps((d(2020, 1, 1), Some(d(2023, 1, 1))), ours));
        assert!(!overlaps((d(2024, 7, 1), None), ours));
        assert!(!overlaps((d(2020, 1, 1), Some(d(2022, 12, 31))), ours));
    }
}
