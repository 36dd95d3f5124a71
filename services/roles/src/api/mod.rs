//! The thin tonic layer of the roles service: each RPC validates its
//! request, opens one tenant-scoped transaction, checks permission, calls
//! the store and maps rows to proto messages.

mod catalogue;
pub mod convert;
mod org;

use samverkan_core::{ApiError, CollaborationId, RequestContext};
use samverkan_db::{Access, Database, Tx};
use samverkan_proto::roles::v1 as pb;
use samverkan_proto::roles::v1::roles_service_server::RolesService;

use crate::SERVICE;
use crate::authz;
use crate::domain::permissions::Target;

/// The roles service's gRPC implementation.
#[derive(Clone, Debug)]
pub struct RolesApi {
    handlers: Handlers,
}

/// The handlers behind the RPCs, callable in process.
#[derive(Clone, Debug)]
pub struct Handlers {
    db: Database,
}

impl Handlers {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

impl RolesApi {
    pub fn new(db: Database) -> Self {
        Self {
            handlers: Handlers::new(db),
        }
    }

    /// The tonic server for this service.
    pub fn into_server(self) -> pb::roles_service_server::RolesServiceServer<Self> {
        pb::roles_service_server::RolesServiceServer::new(self)
    }
}

impl Handlers {
    async fn read(&self, ctx: &RequestContext) -> Result<Tx, ApiError> {
        self.db.begin(ctx, SERVICE, Access::Read).await
    }

    async fn write(&self, ctx: &RequestContext) -> Result<Tx, ApiError> {
        crate::store::begin_write(&self.db, ctx).await
    }
}

/// Allowed if the action is allowed in any of the caller's collaborations
/// (roles are held per collaboration; a resource of the caller's own
/// municipality may be governed by any of them).
async fn require_any(tx: &Tx, action: &str, target: &Target) -> Result<(), ApiError> {
    let collabs: Vec<CollaborationId> = tx.scope().collaborations.clone();
    let mut last = None;
    for c in collabs {
        let d = authz::decide(tx, c, action, target).await?;
        if d.allowed {
            return Ok(());
        }
        last = Some(d.reason);
    }
    Err(ApiError::PermissionDenied(last.unwrap_or_else(|| {
        "the caller's municipality is not a member of any collaboration today".into()
    })))
}

samverkan_db::rpcs! {
    impl RolesService for RolesApi, messages pb {
        who_am_i(WhoAmIRequest) -> WhoAmIResponse;
        list_municipalities(ListMunicipalitiesRequest) -> ListMunicipalitiesResponse;
        get_municipality(GetMunicipalityRequest) -> GetMunicipalityResponse;
        create_municipality(CreateMunicipalityRequest) -> CreateMunicipalityResponse;
        update_municipality(UpdateMunicipalityRequest) -> UpdateMunicipalityResponse;
        list_collaborations(ListCollaborationsRequest) -> ListCollaborationsResponse;
        get_collaboration(GetCollaborationRequest) -> GetCollaborationResponse;
        update_collaboration(UpdateCollaborationRequest) -> UpdateCollaborationResponse;
        list_members(ListMembersRequest) -> ListMembersResponse;
        end_membership(EndMembershipRequest) -> EndMembershipResponse;
        list_people(ListPeopleRequest) -> ListPeopleResponse;
        get_person(GetPersonRequest) -> GetPersonResponse;
        create_person(CreatePersonRequest) -> CreatePersonResponse;
        update_person(UpdatePersonRequest) -> UpdatePersonResponse;
        list_roles(ListRolesRequest) -> ListRolesResponse;
        create_mandate(CreateMandateRequest) -> CreateMandateResponse;
        list_mandates(ListMandatesRequest) -> ListMandatesResponse;
        create_assignment(CreateAssignmentRequest) -> CreateAssignmentResponse;
        end_assignment(EndAssignmentRequest) -> EndAssignmentResponse;
        list_assignments(ListAssignmentsRequest) -> ListAssignmentsResponse;
        list_forums(ListForumsRequest) -> ListForumsResponse;
        get_forum(GetForumRequest) -> GetForumResponse;
        create_seat(CreateSeatRequest) -> CreateSeatResponse;
        end_seat(EndSeatRequest) -> EndSeatResponse;
        get_forum_composition(GetForumCompositionRequest) -> GetForumCompositionResponse;
        check_permission(CheckPermissionRequest) -> CheckPermissionResponse;
    }
}
