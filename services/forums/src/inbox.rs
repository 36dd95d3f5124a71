//! What the forums service receives from other services through the
//! outbox, and the topics it sends.

use samverkan_core::ApiError;
use samverkan_core::TenantId;
use samverkan_db::outbox::{Consumer, Message, system_context};
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
/// Received: a consolidated agreement draft awaits IT-styrgruppen's
/// decision; it goes on the top forum's backlog.
pub const AGREEMENT_DECISION_REQUESTED: &str = "agreements.decision_requested";

/// What the forums service receives from the outbox.
pub const CONSUMER: Consumer = Consumer {
    name: SERVICE,
    topics: &[FOLLOW_UP_DUE, AGREEMENT_DECISION_REQUESTED],
};

/// Applies one message, at most once (the inbox records its id in the same
/// transaction as the effect). Messages for other receivers are ignored.
pub async fn receive(db: &Database, acting_for: TenantId, msg: &Message) -> Result<(), ApiError> {
    let p = &msg.payload;
    let text = |k: &str| {
        p.get(k)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let (kind, title, description) = match msg.topic.as_str() {
        FOLLOW_UP_DUE => (
            Kind::FollowUp,
            format!("Uppföljning: {}", text("decision_title")),
            format!(
                "{}\n\nBeslut {} – uppföljning senast {}.",
                text("title"),
                text("paragraph_ref"),
                text("due_on")
            ),
        ),
        AGREEMENT_DECISION_REQUESTED => (
            Kind::Information,
            text("title"),
            "Konsoliderat förslag från årets revision av avtalet, för beslut i IT-styrgruppen."
                .to_owned(),
        ),
        _ => return Ok(()),
    };
    let forum: Uuid = text("forum_id")
        .parse()
        .map_err(|_| ApiError::internal("message without forum"))?;
    let ctx = system_context(msg.collaboration, acting_for.clone());
    let tx = db.begin(&ctx, SERVICE, Access::Write).await?;
    if tx.receive_once(SERVICE, msg).await? {
        let now = store::now();
        store::insert_matter(
            &tx,
            matter::Model {
                id: samverkan_core::new_uuid(),
                owner_tenant: None,
                collaboration_id: Some(msg.collaboration.0),
                raising_municipality: acting_for.to_string(),
                author: "system".into(),
                author_person_id: None,
                kind: kind.as_str().into(),
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
