//! The thin tonic layer of the agreements service.

mod convert;
mod handlers;

use samverkan_core::{ApiError, CollaborationId, RequestContext};
use samverkan_costmodel::CostModelClient;
use samverkan_db::{Access, Database, Tx};
use samverkan_decisions::DecisionsClient;
use samverkan_proto::agreements::v1 as pb;
use samverkan_proto::agreements::v1::agreements_service_server::AgreementsService;
use samverkan_proto::roles::v1::CheckPermissionRequest;
use samverkan_roles::{Load, RolesClient};

use crate::SERVICE;

/// The agreements service's gRPC implementation.
#[derive(Clone, Debug)]
pub struct AgreementsApi {
    handlers: Handlers,
}

/// The handlers behind the RPCs.
#[derive(Clone, Debug)]
pub struct Handlers {
    db: Database,
    roles: RolesClient,
    decisions: DecisionsClient,
    costmodel: CostModelClient,
}

impl AgreementsApi {
    pub fn new(
        db: Database,
        roles: RolesClient,
        decisions: DecisionsClient,
        costmodel: CostModelClient,
    ) -> Self {
        Self {
            handlers: Handlers {
                db,
                roles,
                decisions,
                costmodel,
            },
        }
    }

    pub fn into_server(self) -> pb::agreements_service_server::AgreementsServiceServer<Self> {
        pb::agreements_service_server::AgreementsServiceServer::new(self)
    }
}

impl Handlers {
    async fn read(&self, ctx: &RequestContext) -> Result<Tx, ApiError> {
        self.db.begin(ctx, SERVICE, Access::Read).await
    }

    async fn write(&self, ctx: &RequestContext) -> Result<Tx, ApiError> {
        self.db.begin(ctx, SERVICE, Access::Write).await
    }

    /// The reference a version of this kind carries: the guidelines' price-list
    /// appendix is the cost model's price list for the version's year, the
    /// organisation document refers to the role mandates in the roles
    /// service; the agreement itself keeps what was given.
    async fn link(
        &self,
        ctx: &RequestContext,
        kind: &str,
        collaboration: CollaborationId,
        effective_from: chrono::NaiveDate,
        given: &str,
    ) -> Result<String, ApiError> {
        use chrono::Datelike;
        Ok(match kind {
            "guidelines" => {
                let year = effective_from.year();
                let list = self
                    .costmodel
                    .price_list_for_year(ctx, &collaboration.to_string(), year)
                    .await?;
                match list {
                    Some(pl) => format!(
                        "costmodel/price-lists/{} (prislista {} version {})",
                        pl.id, pl.year, pl.version
                    ),
                    None => format!("prislista {year}: ännu inte upprättad"),
                }
            }
            "organisation" => {
                format!("roles/collaborations/{collaboration}/mandates (uppdragsbeskrivningar)")
            }
            _ => given.to_owned(),
        })
    }

    /// `PERMISSION_DENIED` with the roles service's reason unless allowed.
    /// Never inside a write transaction: writes ask through
    /// [`Handlers::checked`].
    async fn require(
        &self,
        ctx: &RequestContext,
        action: &str,
        collaboration: CollaborationId,
        municipality: Option<&str>,
    ) -> Result<(), ApiError> {
        self.roles
            .require(ctx, permission(action, collaboration, municipality))
            .await
    }

    /// Check, then act ([`RolesClient::check_then_write`]): `load` reads
    /// what the use case works on and the permissions it needs (built with
    /// [`permission`]); the write transaction is returned with what `load`
    /// read inside it.
    async fn checked<'r, T>(
        &self,
        ctx: &RequestContext,
        load: impl Fn(Tx) -> Load<'r, T> + Send + Sync,
    ) -> Result<(Tx, T), ApiError> {
        self.roles
            .check_then_write(&self.db, ctx, SERVICE, load)
            .await
    }
}

/// The question to the roles service: may the principal do `action` in
/// `collaboration`, for `municipality` where the action is a member's own?
fn permission(
    action: &str,
    collaboration: CollaborationId,
    municipality: Option<&str>,
) -> CheckPermissionRequest {
    CheckPermissionRequest {
        action: action.to_owned(),
        collaboration_id: collaboration.to_string(),
        municipality_id: municipality.unwrap_or_default().to_owned(),
        ..Default::default()
    }
}

samverkan_db::rpcs! {
    impl AgreementsService for AgreementsApi, messages pb {
        create_agreement(CreateAgreementRequest) -> CreateAgreementResponse;
        list_agreements(ListAgreementsRequest) -> ListAgreementsResponse;
        get_version(GetVersionRequest) -> GetVersionResponse;
        list_versions(ListVersionsRequest) -> ListVersionsResponse;
        update_version(UpdateVersionRequest) -> UpdateVersionResponse;
        diff_versions(DiffVersionsRequest) -> DiffVersionsResponse;
        open_revision(OpenRevisionRequest) -> OpenRevisionResponse;
        get_revision(GetRevisionRequest) -> GetRevisionResponse;
        list_revisions(ListRevisionsRequest) -> ListRevisionsResponse;
        advance_revision(AdvanceRevisionRequest) -> AdvanceRevisionResponse;
        create_proposal(CreateProposalRequest) -> CreateProposalResponse;
        submit_proposal(SubmitProposalRequest) -> SubmitProposalResponse;
        list_proposals(ListProposalsRequest) -> ListProposalsResponse;
        resolve_proposal(ResolveProposalRequest) -> ResolveProposalResponse;
        consolidate_revision(ConsolidateRevisionRequest) -> ConsolidateRevisionResponse;
        record_revision_decision(RecordRevisionDecisionRequest) -> RecordRevisionDecisionResponse;
        create_approval(CreateApprovalRequest) -> CreateApprovalResponse;
        record_approval(RecordApprovalRequest) -> RecordApprovalResponse;
    }
}
