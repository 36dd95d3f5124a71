//! The thin tonic layer of the cost model service.

mod bills;
mod catalogue;
pub(crate) mod convert;
mod input;

use samverkan_core::{ApiError, FieldViolation, RequestContext, dates};
use samverkan_db::{Access, Database, Tx};
use samverkan_proto::costmodel::v1 as pb;
use samverkan_proto::costmodel::v1::cost_model_service_server::CostModelService;
use samverkan_proto::roles::v1::CheckPermissionRequest;
use samverkan_roles::{Load, RolesClient};
use uuid::Uuid;

use crate::SERVICE;
use crate::domain::CostError;
use crate::domain::membership::{Membership, members_during};
use crate::domain::period::Period;

/// Who may edit drafts, keys, drivers, volumes and charges, issue bills,
/// reconcile and create scenarios.
pub(crate) const EDIT: &str = "costmodel.edit";
/// Who may record IT-styrgruppen's decision on a price list and publish it.
pub(crate) const PUBLISH: &str = "pricelists.publish";
/// Who may read a municipality's per-unit detail.
pub(crate) const DETAIL: &str = "costdetail.read";

/// The cost model service's gRPC implementation.
#[derive(Clone, Debug)]
pub struct CostModelApi {
    handlers: Handlers,
}

/// The handlers behind the RPCs.
#[derive(Clone, Debug)]
pub struct Handlers {
    db: Database,
    roles: RolesClient,
}

impl Handlers {
    pub fn new(db: Database, roles: RolesClient) -> Self {
        Self { db, roles }
    }
}

impl CostModelApi {
    pub fn new(db: Database, roles: RolesClient) -> Self {
        Self {
            handlers: Handlers { db, roles },
        }
    }

    /// The tonic server for this service.
    pub fn into_server(self) -> pb::cost_model_service_server::CostModelServiceServer<Self> {
        pb::cost_model_service_server::CostModelServiceServer::new(self)
    }
}

/// The question to the roles service: may the principal do `action` in
/// `collab` (for `municipality`'s data, if named)?
pub(crate) fn permission(
    action: &str,
    collab: Uuid,
    municipality: Option<&str>,
) -> CheckPermissionRequest {
    CheckPermissionRequest {
        action: action.to_owned(),
        municipality_id: municipality.unwrap_or_default().to_owned(),
        collaboration_id: collab.to_string(),
        ..Default::default()
    }
}

impl Handlers {
    async fn read(&self, ctx: &RequestContext) -> Result<Tx, ApiError> {
        self.db.begin(ctx, SERVICE, Access::Read).await
    }

    async fn write(&self, ctx: &RequestContext) -> Result<Tx, ApiError> {
        self.db.begin(ctx, SERVICE, Access::Write).await
    }

    /// Asks the roles service whether the principal may; `PERMISSION_DENIED`
    /// with its reason if not. Never inside a write transaction: writes
    /// ask through [`Handlers::checked`].
    async fn require(
        &self,
        ctx: &RequestContext,
        action: &str,
        collab: Uuid,
        municipality: Option<&str>,
    ) -> Result<(), ApiError> {
        self.roles
            .require(ctx, permission(action, collab, municipality))
            .await
    }

    /// Check, then act ([`RolesClient::check_then_write`]): `load` reads
    /// what the use case works on and the permissions it needs; the write
    /// transaction is returned with what `load` read inside it.
    async fn checked<'r, T>(
        &self,
        ctx: &RequestContext,
        load: impl Fn(Tx) -> Load<'r, T> + Send + Sync,
    ) -> Result<(Tx, T), ApiError> {
        self.roles
            .check_then_write(&self.db, ctx, SERVICE, load)
            .await
    }

    /// Whether the principal may see `municipality`'s per-unit detail. A
    /// refusal is an answer here, not an error: the caller still gets what
    /// every member may see.
    /// Every membership of the collaboration with its dates, from the
    /// roles service: the members of a period are those during it, never
    /// today's ([`crate::domain::membership`]). Asked before a transaction
    /// opens.
    async fn membership_history(
        &self,
        ctx: &RequestContext,
        collab: Uuid,
    ) -> Result<Vec<Membership>, ApiError> {
        self.roles
            .membership_history(ctx, &collab.to_string())
            .await?
            .into_iter()
            .map(|m| {
                let bad_date = |e: ApiError| {
                    ApiError::internal(format!("the roles service answered a bad date: {e}"))
                };
                let joined_on = m
                    .joined_on
                    .as_ref()
                    .ok_or_else(|| ApiError::internal("a membership without a join date"))?;
                Ok(Membership {
                    member: m.municipality_id,
                    joined_on: dates::from_proto(joined_on, "joined_on").map_err(bad_date)?,
                    left_on: m
                        .left_on
                        .as_ref()
                        .map(|d| dates::from_proto(d, "left_on"))
                        .transpose()
                        .map_err(bad_date)?,
                })
            })
            .collect()
    }

    /// INVALID_ARGUMENT naming `field` unless `municipality` was a member
    /// on some day of `period`: a volume or charge of a non-member could
    /// never be billed.
    async fn require_member_during(
        &self,
        ctx: &RequestContext,
        collab: Uuid,
        field: &str,
        municipality: &str,
        period: Period,
    ) -> Result<(), ApiError> {
        let members = members_during(&self.membership_history(ctx, collab).await?, period);
        if members.contains_key(municipality) {
            Ok(())
        } else {
            Err(ApiError::invalid_field(
                field,
                format!("{municipality} is not a member of the collaboration during {period}"),
            ))
        }
    }

    async fn may_see_detail(
        &self,
        ctx: &RequestContext,
        collab: Uuid,
        municipality: &str,
    ) -> Result<bool, ApiError> {
        match self.require(ctx, DETAIL, collab, Some(municipality)).await {
            Ok(()) => Ok(true),
            Err(ApiError::PermissionDenied(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

samverkan_db::rpcs! {
    impl CostModelService for CostModelApi, messages pb {
        create_catalogue_service(CreateCatalogueServiceRequest) -> CreateCatalogueServiceResponse;
        list_catalogue_services(ListCatalogueServicesRequest) -> ListCatalogueServicesResponse;
        create_price_list(CreatePriceListRequest) -> CreatePriceListResponse;
        get_price_list(GetPriceListRequest) -> GetPriceListResponse;
        list_price_lists(ListPriceListsRequest) -> ListPriceListsResponse;
        update_price_list(UpdatePriceListRequest) -> UpdatePriceListResponse;
        propose_price_list(ProposePriceListRequest) -> ProposePriceListResponse;
        decide_price_list(DecidePriceListRequest) -> DecidePriceListResponse;
        publish_price_list(PublishPriceListRequest) -> PublishPriceListResponse;
        create_allocation_key(CreateAllocationKeyRequest) -> CreateAllocationKeyResponse;
        list_allocation_keys(ListAllocationKeysRequest) -> ListAllocationKeysResponse;
        record_driver_snapshot(RecordDriverSnapshotRequest) -> RecordDriverSnapshotResponse;
        list_driver_snapshots(ListDriverSnapshotsRequest) -> ListDriverSnapshotsResponse;
        record_volume(RecordVolumeRequest) -> RecordVolumeResponse;
        record_direct_charge(RecordDirectChargeRequest) -> RecordDirectChargeResponse;
        issue_bills(IssueBillsRequest) -> IssueBillsResponse;
        compute_bill(ComputeBillRequest) -> ComputeBillResponse;
        explain_change(ExplainChangeRequest) -> ExplainChangeResponse;
        export_csv(ExportCsvRequest) -> ExportCsvResponse;
        reconcile(ReconcileRequest) -> ReconcileResponse;
        create_scenario(CreateScenarioRequest) -> CreateScenarioResponse;
        run_scenario(RunScenarioRequest) -> RunScenarioResponse;
    }
}

/// A cost-model computation's failure as the API answers it: a missing
/// price, key or driver value is a state of the cost model
/// (`FAILED_PRECONDITION` about the service or the drivers), anything else
/// a fault of the request's cost model.
impl From<CostError> for ApiError {
    fn from(e: CostError) -> Self {
        let subject = match &e {
            CostError::MissingPrice { service }
            | CostError::UnknownService { service }
            | CostError::MissingKey { service } => format!("service/{service}"),
            _ => "drivers".to_owned(),
        };
        match e.rule() {
            Some(rule) => rule.refuse(e.to_string()).on(subject),
            None => {
                ApiError::InvalidArgument(vec![FieldViolation::new("cost_model", e.to_string())])
            }
        }
    }
}
