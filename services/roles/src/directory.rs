//! The in-process [`Directory`]: resolves a municipality's tenant scope on a
//! date from the roles service's own tables.

use chrono::NaiveDate;
use samverkan_core::{ApiError, CollaborationId, Directory, RequestContext, TenantId, TenantScope};
use samverkan_db::{Access, Database};

use crate::{SERVICE, store};

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
