//! The forums service as the other services see it: in process when they
//! share the binary, over gRPC on behalf of the request's principal when
//! they are deployed apart.

use std::sync::Arc;

use samverkan_core::remote::Peer;
use samverkan_core::{ApiError, RequestContext};
use samverkan_db::Database;
use samverkan_proto::forums::v1 as pb;
use samverkan_proto::forums::v1::forums_service_client::ForumsServiceClient;
use samverkan_roles::RolesClient;
use tonic::transport::Channel;

use crate::api::Handlers;

/// The calls other services make to the forums service.
#[async_trait::async_trait]
pub trait ForumsCalls: Send + Sync + 'static {
    async fn get_minutes(
        &self,
        ctx: &RequestContext,
        meeting_id: &str,
    ) -> Result<pb::Minutes, ApiError>;
    async fn get_meeting(
        &self,
        ctx: &RequestContext,
        meeting_id: &str,
    ) -> Result<pb::Meeting, ApiError>;
    async fn get_matter(
        &self,
        ctx: &RequestContext,
        matter_id: &str,
    ) -> Result<pb::Matter, ApiError>;
}

#[async_trait::async_trait]
impl ForumsCalls for Handlers {
    async fn get_minutes(
        &self,
        ctx: &RequestContext,
        meeting_id: &str,
    ) -> Result<pb::Minutes, ApiError> {
        let req = pb::GetMinutesRequest {
            meeting_id: meeting_id.to_owned(),
        };
        Handlers::get_minutes(self, ctx, req)
            .await?
            .minutes
            .ok_or_else(|| ApiError::internal("forums answered without minutes"))
    }

    async fn get_meeting(
        &self,
        ctx: &RequestContext,
        meeting_id: &str,
    ) -> Result<pb::Meeting, ApiError> {
        let req = pb::GetMeetingRequest {
            id: meeting_id.to_owned(),
        };
        Handlers::get_meeting(self, ctx, req)
            .await?
            .meeting
            .ok_or_else(|| ApiError::internal("forums answered without a meeting"))
    }

    async fn get_matter(
        &self,
        ctx: &RequestContext,
        matter_id: &str,
    ) -> Result<pb::Matter, ApiError> {
        let req = pb::GetMatterRequest {
            id: matter_id.to_owned(),
        };
        Handlers::get_matter(self, ctx, req)
            .await?
            .matter
            .ok_or_else(|| ApiError::internal("forums answered without a matter"))
    }
}

/// The forums service in another process.
struct Remote {
    peer: Peer,
    client: ForumsServiceClient<Channel>,
}

#[async_trait::async_trait]
impl ForumsCalls for Remote {
    async fn get_minutes(
        &self,
        ctx: &RequestContext,
        meeting_id: &str,
    ) -> Result<pb::Minutes, ApiError> {
        let req = self.peer.request(
            ctx,
            pb::GetMinutesRequest {
                meeting_id: meeting_id.to_owned(),
            },
        )?;
        self.client
            .clone()
            .get_minutes(req)
            .await
            .map_err(|s| self.peer.error(s))?
            .into_inner()
            .minutes
            .ok_or_else(|| ApiError::internal("forums answered without minutes"))
    }

    async fn get_meeting(
        &self,
        ctx: &RequestContext,
        meeting_id: &str,
    ) -> Result<pb::Meeting, ApiError> {
        let req = self.peer.request(
            ctx,
            pb::GetMeetingRequest {
                id: meeting_id.to_owned(),
            },
        )?;
        self.client
            .clone()
            .get_meeting(req)
            .await
            .map_err(|s| self.peer.error(s))?
            .into_inner()
            .meeting
            .ok_or_else(|| ApiError::internal("forums answered without a meeting"))
    }

    async fn get_matter(
        &self,
        ctx: &RequestContext,
        matter_id: &str,
    ) -> Result<pb::Matter, ApiError> {
        let req = self.peer.request(
            ctx,
            pb::GetMatterRequest {
                id: matter_id.to_owned(),
            },
        )?;
        self.client
            .clone()
            .get_matter(req)
            .await
            .map_err(|s| self.peer.error(s))?
            .into_inner()
            .matter
            .ok_or_else(|| ApiError::internal("forums answered without a matter"))
    }
}

/// A cheap handle on the forums service.
#[derive(Clone)]
pub struct ForumsClient(Arc<dyn ForumsCalls>);

impl std::fmt::Debug for ForumsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ForumsClient")
    }
}

impl ForumsClient {
    /// In process, over the same database.
    pub fn local(db: Database, roles: RolesClient) -> Self {
        Self(Arc::new(Handlers::new(db, roles)))
    }

    /// In another process, over gRPC.
    pub fn remote(peer: Peer) -> Self {
        let client = ForumsServiceClient::new(peer.channel());
        Self(Arc::new(Remote { peer, client }))
    }

    pub async fn get_minutes(
        &self,
        ctx: &RequestContext,
        meeting_id: &str,
    ) -> Result<pb::Minutes, ApiError> {
        self.0.get_minutes(ctx, meeting_id).await
    }

    pub async fn get_meeting(
        &self,
        ctx: &RequestContext,
        meeting_id: &str,
    ) -> Result<pb::Meeting, ApiError> {
        self.0.get_meeting(ctx, meeting_id).await
    }

    pub async fn get_matter(
        &self,
        ctx: &RequestContext,
        matter_id: &str,
    ) -> Result<pb::Matter, ApiError> {
        self.0.get_matter(ctx, matter_id).await
    }
}
