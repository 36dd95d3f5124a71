//! The thin tonic layer of the decisions service.

mod convert;
mod handlers;

use samverkan_core::{ApiError, RequestContext};
use samverkan_db::{Access, Database, Tx};
use samverkan_forums::ForumsClient;
use samverkan_proto::decisions::v1 as pb;
use samverkan_proto::decisions::v1::decisions_service_server::DecisionsService;
use samverkan_proto::roles::v1::CheckPermissionRequest;
use samverkan_roles::{Load, RolesClient};
use uuid::Uuid;

use crate::SERVICE;

/// The decisions service's gRPC implementation.
#[derive(Clone, Debug)]
pub struct DecisionsApi {
    handlers: Handlers,
}

/// The handlers behind the RPCs.
#[derive(Clone, Debug)]
pub struct Handlers {
    pub(crate) db: Database,
    pub(crate) roles: RolesClient,
    pub(crate) forums: ForumsClient,
}

impl DecisionsApi {
    pub fn new(db: Database, roles: RolesClient, forums: ForumsClient) -> Self {
        Self {
            handlers: Handlers { db, roles, forums },
        }
    }

    pub fn into_server(self) -> pb::decisions_service_server::DecisionsServiceServer<Self> {
        pb::decisions_service_server::DecisionsServiceServer::new(self)
    }
}

/// The question to the roles service: may the principal do `action` in
/// `forum`, on a resource of `owner` with `designated` people?
pub(crate) fn permission(
    action: &str,
    forum: Uuid,
    owner: Option<Uuid>,
    designated: &[Uuid],
) -> CheckPermissionRequest {
    CheckPermissionRequest {
        action: action.to_owned(),
        forum_id: forum.to_string(),
        owner_person_id: owner.map(|o| o.to_string()).unwrap_or_default(),
        designated_person_ids: designated.iter().map(ToString::to_string).collect(),
        ..Default::default()
    }
}

pub(crate) use samverkan_db::check::{Answer as Asked, Loaded as LoadBy};

impl Handlers {
    async fn read(&self, ctx: &RequestContext) -> Result<Tx, ApiError> {
        self.db.begin(ctx, SERVICE, Access::Read).await
    }

    async fn write(&self, ctx: &RequestContext) -> Result<Tx, ApiError> {
        self.db.begin(ctx, SERVICE, Access::Write).await
    }

    /// `PERMISSION_DENIED` with the roles service's reason unless allowed.
    /// Never inside a write transaction: writes ask through
    /// [`Handlers::checked`] or [`Handlers::checked_by`].
    async fn require(
        &self,
        ctx: &RequestContext,
        action: &str,
        forum: Uuid,
        owner: Option<Uuid>,
        designated: Vec<Uuid>,
    ) -> Result<(), ApiError> {
        self.roles
            .require(ctx, permission(action, forum, owner, &designated))
            .await
    }

    /// Check, then act ([`RolesClient::check_then_write`]): `load` reads
    /// what the use case works on and the permissions it needs, all of
    /// which must be granted; the write transaction is returned with what
    /// `load` read inside it.
    async fn checked<'r, T>(
        &self,
        ctx: &RequestContext,
        load: impl Fn(Tx) -> Load<'r, T> + Send + Sync,
    ) -> Result<(Tx, T), ApiError> {
        self.roles
            .check_then_write(&self.db, ctx, SERVICE, load)
            .await
    }

    /// Check, then act ([`samverkan_db::check`]) when the asking is more
    /// than a list of permissions that must all be granted (one permission
    /// or another, or a word from the forums service).
    async fn checked_by<'r, 'q, T, K, R>(
        &self,
        ctx: &RequestContext,
        load: impl Fn(Tx) -> LoadBy<'r, T, K> + Send + Sync,
        ask: impl FnOnce(K) -> Asked<'q, R> + Send,
    ) -> Result<(Tx, T, R), ApiError>
    where
        K: Clone + PartialEq + Send,
    {
        self.db.check_then_write(ctx, SERVICE, load, ask).await
    }

    /// [`Handlers::checked_by`] with [`Handlers::secretary_or`]: `load`
    /// returns the forum and the designated people to ask with.
    async fn checked_secretary_or<'r, T>(
        &self,
        ctx: &RequestContext,
        load: impl Fn(Tx) -> LoadBy<'r, T, (Uuid, Vec<Uuid>)> + Send + Sync,
    ) -> Result<(Tx, T), ApiError> {
        let (tx, loaded, ()) = self
            .checked_by(ctx, load, |(forum, designated)| {
                Box::pin(self.secretary_or(ctx, forum, designated))
            })
            .await?;
        Ok((tx, loaded))
    }

    /// Allowed for the forum's secretary (who records minutes) or for one
    /// of `designated` (e.g. the decision's responsible person).
    async fn secretary_or(
        &self,
        ctx: &RequestContext,
        forum: Uuid,
        designated: Vec<Uuid>,
    ) -> Result<(), ApiError> {
        match self
            .require(ctx, "minutes.record", forum, None, Vec::new())
            .await
        {
            Err(ApiError::PermissionDenied(why)) if !designated.is_empty() => self
                .require(ctx, "activities.update", forum, None, designated)
                .await
                .map_err(|_| ApiError::PermissionDenied(why)),
            other => other,
        }
    }
}

samverkan_db::rpcs! {
    impl DecisionsService for DecisionsApi, messages pb {
        register_decision(RegisterDecisionRequest) -> RegisterDecisionResponse;
        get_decision(GetDecisionRequest) -> GetDecisionResponse;
        list_decisions(ListDecisionsRequest) -> ListDecisionsResponse;
        update_decision(UpdateDecisionRequest) -> UpdateDecisionResponse;
        set_decision_status(SetDecisionStatusRequest) -> SetDecisionStatusResponse;
        create_follow_up(CreateFollowUpRequest) -> CreateFollowUpResponse;
        record_follow_up(RecordFollowUpRequest) -> RecordFollowUpResponse;
        list_follow_ups(ListFollowUpsRequest) -> ListFollowUpsResponse;
        create_action_plan(CreateActionPlanRequest) -> CreateActionPlanResponse;
        get_action_plan(GetActionPlanRequest) -> GetActionPlanResponse;
        add_activity(AddActivityRequest) -> AddActivityResponse;
        update_activity(UpdateActivityRequest) -> UpdateActivityResponse;
        list_due(ListDueRequest) -> ListDueResponse;
        get_trail(GetTrailRequest) -> GetTrailResponse;
    }
}
