//! The forums service as the other services see it (in process when they
//! share the binary).

use std::sync::Arc;

use samverkan_core::{ApiError, RequestContext};
use samverkan_db::Database;
use samverkan_proto::forums::v1 as pb;
use samverkan_roles::RolesClient;

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
