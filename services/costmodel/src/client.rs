//! The cost model as the other services see it (in process when they share
//! the binary, over gRPC on behalf of the request's principal when they are
//! deployed apart): the agreements service links the guidelines' price-list
//! appendix to the year's price list.

use std::sync::Arc;

use samverkan_core::remote::Peer;
use samverkan_core::{ApiError, RequestContext};
use samverkan_db::Database;
use samverkan_proto::costmodel::v1 as pb;
use samverkan_proto::costmodel::v1::cost_model_service_client::CostModelServiceClient;
use samverkan_roles::RolesClient;
use tonic::transport::Channel;

use crate::api::Handlers;

/// The calls other services make to the cost model.
#[async_trait::async_trait]
pub trait CostModelCalls: Send + Sync + 'static {
    async fn price_lists(
        &self,
        ctx: &RequestContext,
        collaboration_id: &str,
        year: i32,
    ) -> Result<Vec<pb::PriceList>, ApiError>;
}

#[async_trait::async_trait]
impl CostModelCalls for Handlers {
    async fn price_lists(
        &self,
        ctx: &RequestContext,
        collaboration_id: &str,
        year: i32,
    ) -> Result<Vec<pb::PriceList>, ApiError> {
        let req = pb::ListPriceListsRequest {
            collaboration_id: collaboration_id.to_owned(),
            year,
            page_size: 200,
            page_token: String::new(),
        };
        Ok(Handlers::list_price_lists(self, ctx, req)
            .await?
            .price_lists)
    }
}

/// The cost model in another process.
struct Remote {
    peer: Peer,
    client: CostModelServiceClient<Channel>,
}

#[async_trait::async_trait]
impl CostModelCalls for Remote {
    async fn price_lists(
        &self,
        ctx: &RequestContext,
        collaboration_id: &str,
        year: i32,
    ) -> Result<Vec<pb::PriceList>, ApiError> {
        let req = self.peer.request(
            ctx,
            pb::ListPriceListsRequest {
                collaboration_id: collaboration_id.to_owned(),
                year,
                page_size: 200,
                page_token: String::new(),
            },
        )?;
        Ok(self
            .client
            .clone()
            .list_price_lists(req)
            .await
            .map_err(|s| self.peer.error(s))?
            .into_inner()
            .price_lists)
    }
}

/// A cheap handle on the cost model.
#[derive(Clone)]
pub struct CostModelClient(Arc<dyn CostModelCalls>);

impl std::fmt::Debug for CostModelClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CostModelClient")
    }
}

impl CostModelClient {
    /// In process, over the same database.
    pub fn local(db: Database, roles: RolesClient) -> Self {
        Self(Arc::new(Handlers::new(db, roles)))
    }

    /// In another process, over gRPC.
    pub fn remote(peer: Peer) -> Self {
        let client = CostModelServiceClient::new(peer.channel());
        Self(Arc::new(Remote { peer, client }))
    }

    /// The price list in force for a year: the published one with the
    /// highest version, else the newest of any state.
    pub async fn price_list_for_year(
        &self,
        ctx: &RequestContext,
        collaboration_id: &str,
        year: i32,
    ) -> Result<Option<pb::PriceList>, ApiError> {
        let mut lists = self.0.price_lists(ctx, collaboration_id, year).await?;
        lists.sort_by_key(|l| (l.state == pb::PriceListState::Published as i32, l.version));
        Ok(lists.pop())
    }
}
