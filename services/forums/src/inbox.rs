//! What the forums service receives from other services through the
//! outbox, and the topics it sends.

use samverkan_core::ApiError;
use samverkan_core::TenantId;
use samverkan_db::outbox::{Message, system_context};
use samverkan_db::{Access, Database};
use serde_json::json;
use uuid::Uuid;

use crate::SERVICE;
use crate::domain::matter::{Kind, State};
use crate::store::{self, matter};

/// Sent when both adjusters have adjusted a meeting's minutes.
pub const MINUTES_ADJUSTED: &str = "forums.minutes_adjusted";
/// Received: a decision's follow-up is due; it goes on the forum's backlog.
pub const FOLLOW_UP_DUE: &str = "decisions.follow_up_due";

/// Applies one message, at most once (the inbox records its id in the same
/// transaction as the effect). Messages for other receivers are ignored.
pub async fn receive(db: &Database, acting_for: TenantId, msg: &Message) -> Result<(), ApiError> {
    if msg.topic != FOLLOW_UP_DUE {
        return Ok(());
    }
    let p = &msg.payload;
    let text = |k: &str| {
        p.get(k)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let forum: Uuid = text("forum_id")
        .parse()
        .map_err(|_| ApiError::internal("follow-up message without forum"))?;
    let ctx = system_context(msg.collaboration, acting_for.clone());
    let tx = db.begin(&ctx, SERVICE, Access::Write).await?;
    if tx.receive_once(SERVICE, msg).await? {
        let now = store::now();
        let title = format!("Uppföljning: {}", text("decision_title"));
        let description = format!(
            "{}\n\nBeslut {} – uppföljning senast {}.",
            text("title"),
            text("paragraph_ref"),
            text("due_on")
        );
        store::insert_matter(
            &tx,
            matter::Model {
                id: samverkan_core::new_uuid(),
                owner_tenant: None,
                collaboration_id: Some(msg.collaboration.0),
                raising_municipality: acting_for.to_string(),
                author: "system".into(),
                author_person_id: None,
                kind: Kind::FollowUp.as_str().into(),
                title: title.chars().take(200).collect(),
                description,
                priority: "normal".into(),
                state: State::Submitted.as_str().into(),
                forum_id: Some(forum),
                provenance: json!([]).to_string(),
                create_time: now,
                update_time: now,
                submit_time: Some(now),
                etag: store::new_etag(),
            },
        )
        .await?;
    }
    tx.commit().await
}
