//! The decisions service as the other services see it: in process when
//! they share the binary, over gRPC on behalf of the request's principal
//! when they are deployed apart.

use std::sync::Arc;

use samverkan_core::remote::Peer;
use samverkan_core::{ApiError, RequestContext};
use samverkan_proto::decisions::v1 as pb;
use samverkan_proto::decisions::v1::decisions_service_client::DecisionsServiceClient;
use tonic::transport::Channel;

use crate::api::Handlers;

/// The calls other services make to the decisions service.
#[async_trait::async_trait]
pub trait DecisionsCalls: Send + Sync + 'static {
    async fn get_decision(&self, ctx: &RequestContext, id: &str) -> Result<pb::Decision, ApiError>;
}

#[async_trait::async_trait]
impl DecisionsCalls for Handlers {
    async fn get_decision(&self, ctx: &RequestContext, id: &str) -> Result<pb::Decision, ApiError> {
        Handlers::get_decision(self, ctx, pb::GetDecisionRequest { id: id.to_owned() })
            .await?
            .decision
            .ok_or_else(|| ApiError::internal("decisions answered without a decision"))
    }
}

/// The decisions service in another process.
struct Remote {
    peer: Peer,
    client: DecisionsServiceClient<Channel>,
}

#[async_trait::async_trait]
impl DecisionsCalls for Remote {
    async fn get_decision(&self, ctx: &RequestContext, id: &str) -> Result<pb::Decision, ApiError> {
        let req = self
            .peer
            .request(ctx, pb::GetDecisionRequest { id: id.to_owned() })?;
        self.client
            .clone()
            .get_decision(req)
            .await
            .map_err(|s| self.peer.error(s))?
            .into_inner()
            .decision
            .ok_or_else(|| ApiError::internal("decisions answered without a decision"))
    }
}

/// A cheap handle on the decisions service.
#[derive(Clone)]
pub struct DecisionsClient(Arc<dyn DecisionsCalls>);

impl std::fmt::Debug for DecisionsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DecisionsClient")
    }
}

impl DecisionsClient {
    /// In process, over the same database.
    pub fn local(
        db: samverkan_db::Database,
        roles: samverkan_roles::RolesClient,
        forums: samverkan_forums::ForumsClient,
    ) -> Self {
        Self(Arc::new(Handlers { db, roles, forums }))
    }

    /// In another process, over gRPC.
    pub fn remote(peer: Peer) -> Self {
        let client = DecisionsServiceClient::new(peer.channel());
        Self(Arc::new(Remote { peer, client }))
    }

    pub async fn get_decision(
        &self,
        ctx: &RequestContext,
        id: &str,
    ) -> Result<pb::Decision, ApiError> {
        self.0.get_decision(ctx, id).await
    }
}
