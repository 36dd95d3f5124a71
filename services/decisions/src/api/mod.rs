//! The thin tonic layer of the decisions service.

mod convert;
mod handlers;

use samverkan_core::{ApiError, RequestContext};
use samverkan_db::{Access, Database, Tx};
use samverkan_forums::ForumsClient;
use samverkan_proto::decisions::v1 as pb;
use samverkan_proto::decisions::v1::decisions_service_server::DecisionsService;
use samverkan_proto::roles::v1::CheckPermissionRequest;
use samverkan_roles::RolesClient;
use tonic::{Request, Response, Status};
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

impl Handlers {
    async fn read(&self, ctx: &RequestContext) -> Result<Tx, ApiError> {
        self.db.begin(ctx, SERVICE, Access::Read).await
    }

    async fn write(&self, ctx: &RequestContext) -> Result<Tx, ApiError> {
        self.db.begin(ctx, SERVICE, Access::Write).await
    }

    /// `PERMISSION_DENIED` with the roles service's reason unless allowed.
    async fn require(
        &self,
        ctx: &RequestContext,
        action: &str,
        forum: Uuid,
        owner: Option<Uuid>,
        designated: Vec<Uuid>,
    ) -> Result<(), ApiError> {
        self.roles
            .require(
                ctx,
                CheckPermissionRequest {
                    action: action.to_owned(),
                    forum_id: forum.to_string(),
                    owner_person_id: owner.map(|o| o.to_string()).unwrap_or_default(),
                    designated_person_ids: designated.iter().map(ToString::to_string).collect(),
                    ..Default::default()
                },
            )
            .await
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

macro_rules! rpcs {
    ($($name:ident($req:ident) -> $resp:ident;)*) => {
        #[tonic::async_trait]
        impl DecisionsService for DecisionsApi {
            $(
                async fn $name(&self, request: Request<pb::$req>) -> Result<Response<pb::$resp>, Status> {
                    let ctx = RequestContext::from_request(&request)?;
                    let req = request.into_inner();
                    let unit = || self.handlers.$name(&ctx, req.clone());
                    Ok(Response::new(samverkan_db::unit_of_work(unit).await?))
                }
            )*
        }
    };
}

rpcs! {
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
