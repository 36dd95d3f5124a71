//! The roles service as the other services see it: written once, called in
//! process when the services share a binary, and over gRPC on behalf of the
//! request's principal when they are deployed apart.

use std::sync::Arc;

use samverkan_core::remote::Peer;
use samverkan_core::{ApiError, RequestContext};
use samverkan_db::{Database, Tx};
use samverkan_proto::roles::v1 as pb;
use samverkan_proto::roles::v1::roles_service_client::RolesServiceClient;
use tonic::transport::Channel;

use crate::api::Handlers;

/// The calls other services make to the roles service, on behalf of the
/// request's principal.
#[async_trait::async_trait]
pub trait RolesCalls: Send + Sync + 'static {
    async fn get_forum(&self, ctx: &RequestContext, id: &str) -> Result<pb::Forum, ApiError>;
    async fn list_forums(
        &self,
        ctx: &RequestContext,
        collaboration_id: &str,
    ) -> Result<Vec<pb::Forum>, ApiError>;
    async fn composition(
        &self,
        ctx: &RequestContext,
        req: pb::GetForumCompositionRequest,
    ) -> Result<pb::GetForumCompositionResponse, ApiError>;
    async fn check(
        &self,
        ctx: &RequestContext,
        req: pb::CheckPermissionRequest,
    ) -> Result<pb::CheckPermissionResponse, ApiError>;
    async fn who_am_i(&self, ctx: &RequestContext) -> Result<pb::WhoAmIResponse, ApiError>;
    async fn members(
        &self,
        ctx: &RequestContext,
        req: pb::ListMembersRequest,
    ) -> Result<Vec<pb::Membership>, ApiError>;
}

#[async_trait::async_trait]
impl RolesCalls for Handlers {
    async fn get_forum(&self, ctx: &RequestContext, id: &str) -> Result<pb::Forum, ApiError> {
        let resp =
            Handlers::get_forum(self, ctx, pb::GetForumRequest { id: id.to_owned() }).await?;
        resp.forum
            .ok_or_else(|| ApiError::internal("roles answered without a forum"))
    }

    async fn list_forums(
        &self,
        ctx: &RequestContext,
        collaboration_id: &str,
    ) -> Result<Vec<pb::Forum>, ApiError> {
        let req = pb::ListForumsRequest {
            collaboration_id: collaboration_id.to_owned(),
        };
        Ok(Handlers::list_forums(self, ctx, req).await?.forums)
    }

    async fn composition(
        &self,
        ctx: &RequestContext,
        req: pb::GetForumCompositionRequest,
    ) -> Result<pb::GetForumCompositionResponse, ApiError> {
        Handlers::get_forum_composition(self, ctx, req).await
    }

    async fn check(
        &self,
        ctx: &RequestContext,
        req: pb::CheckPermissionRequest,
    ) -> Result<pb::CheckPermissionResponse, ApiError> {
        Handlers::check_permission(self, ctx, req).await
    }

    async fn who_am_i(&self, ctx: &RequestContext) -> Result<pb::WhoAmIResponse, ApiError> {
        Handlers::who_am_i(self, ctx, pb::WhoAmIRequest {}).await
    }

    async fn members(
        &self,
        ctx: &RequestContext,
        req: pb::ListMembersRequest,
    ) -> Result<Vec<pb::Membership>, ApiError> {
        Ok(Handlers::list_members(self, ctx, req).await?.memberships)
    }
}

/// The roles service in another process.
struct Remote {
    peer: Peer,
    client: RolesServiceClient<Channel>,
}

impl Remote {
    fn new(peer: Peer) -> Self {
        let client = RolesServiceClient::new(peer.channel());
        Self { peer, client }
    }
}

#[async_trait::async_trait]
impl RolesCalls for Remote {
    async fn get_forum(&self, ctx: &RequestContext, id: &str) -> Result<pb::Forum, ApiError> {
        let req = self
            .peer
            .request(ctx, pb::GetForumRequest { id: id.to_owned() })?;
        self.client
            .clone()
            .get_forum(req)
            .await
            .map_err(|s| self.peer.error(s))?
            .into_inner()
            .forum
            .ok_or_else(|| ApiError::internal("roles answered without a forum"))
    }

    async fn list_forums(
        &self,
        ctx: &RequestContext,
        collaboration_id: &str,
    ) -> Result<Vec<pb::Forum>, ApiError> {
        let req = self.peer.request(
            ctx,
            pb::ListForumsRequest {
                collaboration_id: collaboration_id.to_owned(),
            },
        )?;
        Ok(self
            .client
            .clone()
            .list_forums(req)
            .await
            .map_err(|s| self.peer.error(s))?
            .into_inner()
            .forums)
    }

    async fn composition(
        &self,
        ctx: &RequestContext,
        req: pb::GetForumCompositionRequest,
    ) -> Result<pb::GetForumCompositionResponse, ApiError> {
        let req = self.peer.request(ctx, req)?;
        Ok(self
            .client
            .clone()
            .get_forum_composition(req)
            .await
            .map_err(|s| self.peer.error(s))?
            .into_inner())
    }

    async fn check(
        &self,
        ctx: &RequestContext,
        req: pb::CheckPermissionRequest,
    ) -> Result<pb::CheckPermissionResponse, ApiError> {
        let req = self.peer.request(ctx, req)?;
        Ok(self
            .client
            .clone()
            .check_permission(req)
            .await
            .map_err(|s| self.peer.error(s))?
            .into_inner())
    }

    async fn who_am_i(&self, ctx: &RequestContext) -> Result<pb::WhoAmIResponse, ApiError> {
        let req = self.peer.request(ctx, pb::WhoAmIRequest {})?;
        Ok(self
            .client
            .clone()
            .who_am_i(req)
            .await
            .map_err(|s| self.peer.error(s))?
            .into_inner())
    }

    async fn members(
        &self,
        ctx: &RequestContext,
        req: pb::ListMembersRequest,
    ) -> Result<Vec<pb::Membership>, ApiError> {
        let req = self.peer.request(ctx, req)?;
        Ok(self
            .client
            .clone()
            .list_members(req)
            .await
            .map_err(|s| self.peer.error(s))?
            .into_inner()
            .memberships)
    }
}

/// A cheap handle on the roles service.
#[derive(Clone)]
pub struct RolesClient(Arc<dyn RolesCalls>);

/// What a use case reads before it writes, and the permissions it needs
/// ([`RolesClient::check_then_write`]).
pub type Load<'r, T> = samverkan_db::check::Loaded<'r, T, Vec<pb::CheckPermissionRequest>>;

impl std::fmt::Debug for RolesClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RolesClient")
    }
}

impl RolesClient {
    /// In process, over the same database.
    pub fn local(db: Database) -> Self {
        Self(Arc::new(Handlers::new(db)))
    }

    /// In another process, over gRPC: calls carry the request's bearer
    /// token and trace context.
    pub fn remote(peer: Peer) -> Self {
        Self(Arc::new(Remote::new(peer)))
    }

    pub fn new(calls: Arc<dyn RolesCalls>) -> Self {
        Self(calls)
    }

    /// Who the principal is and the collaborations their municipality
    /// belongs to on the request's date.
    pub async fn who_am_i(&self, ctx: &RequestContext) -> Result<pb::WhoAmIResponse, ApiError> {
        self.0.who_am_i(ctx).await
    }

    pub async fn get_forum(&self, ctx: &RequestContext, id: &str) -> Result<pb::Forum, ApiError> {
        self.0.get_forum(ctx, id).await
    }

    pub async fn list_forums(
        &self,
        ctx: &RequestContext,
        collaboration_id: &str,
    ) -> Result<Vec<pb::Forum>, ApiError> {
        self.0.list_forums(ctx, collaboration_id).await
    }

    pub async fn composition(
        &self,
        ctx: &RequestContext,
        req: pb::GetForumCompositionRequest,
    ) -> Result<pb::GetForumCompositionResponse, ApiError> {
        self.0.composition(ctx, req).await
    }

    /// The municipalities that are members of a collaboration on a date.
    pub async fn members_on(
        &self,
        ctx: &RequestContext,
        collaboration_id: &str,
        on: chrono::NaiveDate,
    ) -> Result<Vec<String>, ApiError> {
        let req = pb::ListMembersRequest {
            collaboration_id: collaboration_id.to_owned(),
            on: Some(samverkan_core::dates::to_proto(on)),
            include_history: false,
        };
        Ok(self
            .0
            .members(ctx, req)
            .await?
            .into_iter()
            .map(|m| m.municipality_id)
            .collect())
    }

    /// Every membership of a collaboration, past, present and future, with
    /// its dates: what a question about a period is answered from.
    pub async fn membership_history(
        &self,
        ctx: &RequestContext,
        collaboration_id: &str,
    ) -> Result<Vec<pb::Membership>, ApiError> {
        let req = pb::ListMembersRequest {
            collaboration_id: collaboration_id.to_owned(),
            on: None,
            include_history: true,
        };
        self.0.members(ctx, req).await
    }

    /// The person behind the principal, if registered.
    pub async fn person(&self, ctx: &RequestContext) -> Result<Option<pb::Person>, ApiError> {
        Ok(self.0.who_am_i(ctx).await?.person)
    }

    /// Fails with `PERMISSION_DENIED` and the roles service's reason unless
    /// the principal may perform `req.action`.
    pub async fn require(
        &self,
        ctx: &RequestContext,
        req: pb::CheckPermissionRequest,
    ) -> Result<(), ApiError> {
        let d = self.0.check(ctx, req).await?;
        if d.allowed {
            Ok(())
        } else {
            Err(ApiError::PermissionDenied(d.reason))
        }
    }

    /// Check, then act ([`samverkan_db::check`]) for permissions: `load`
    /// reads what the use case works on and names the permissions it needs;
    /// each is asked for with no transaction open and must be granted;
    /// then the write transaction is returned with what `load` read in it.
    /// If the second load needs other permissions (the record moved, its
    /// owner changed), the unit of work is rerun ([`ApiError::Conflict`]).
    pub async fn check_then_write<'r, T>(
        &self,
        db: &Database,
        ctx: &RequestContext,
        service: &'static str,
        load: impl Fn(Tx) -> Load<'r, T> + Send + Sync,
    ) -> Result<(Tx, T), ApiError> {
        let ask = |checks: Vec<pb::CheckPermissionRequest>| -> samverkan_db::check::Answer<'_, ()> {
            Box::pin(async move {
                for c in checks {
                    self.require(ctx, c).await?;
                }
                Ok(())
            })
        };
        let (tx, loaded, ()) = db.check_then_write(ctx, service, load, ask).await?;
        Ok((tx, loaded))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use samverkan_core::{RequestContext, TenantId, TenantScope};
    use samverkan_db::{Database, SqliteFile};

    use super::*;

    /// The permissions a use case needs changed between the check and the
    /// write transaction (the record moved meanwhile): the unit of work is
    /// told to rerun, and nothing of the second load is handed out.
    #[tokio::test]
    async fn changed_permission_inputs_answer_conflict() {
        let dir = std::env::temp_dir().join("samverkan-tests");
        let path = dir.join(format!("check-{}.db", samverkan_core::new_uuid().simple()));
        let db = Database::connect(&SqliteFile::url(&path).unwrap())
            .await
            .unwrap();
        let ctx = RequestContext::system(
            TenantScope::private(TenantId::parse("tranemo").unwrap()),
            "test",
        );
        let roles = RolesClient::local(db.clone());
        let loads = AtomicUsize::new(0);
        let out = roles
            .check_then_write(&db, &ctx, "test", |tx| {
                let n = loads.fetch_add(1, Ordering::SeqCst);
                Box::pin(async move {
                    // First load: nothing to ask; the second would need a check.
                    let checks = if n == 0 {
                        Vec::new()
                    } else {
                        vec![pb::CheckPermissionRequest {
                            action: "meetings.manage".into(),
                            ..Default::default()
                        }]
                    };
                    Ok((tx, n, checks))
                })
            })
            .await;
        let err = out.map(|(_, n)| n).unwrap_err();
        assert!(err.is_transient(), "{err:?}");
        assert_eq!(err.code(), tonic::Code::Aborted);
        assert_eq!(loads.load(Ordering::SeqCst), 2, "loaded before and inside");
        db.close().await.ok();
        for suffix in ["", "-wal", "-shm"] {
            std::fs::remove_file(format!("{}{suffix}", path.display())).ok();
        }
    }
}
