//! Background work of the decisions service: announcing due follow-ups to
//! their forum's agenda backlog through the outbox, and receiving the
//! forums service's word that minutes were adjusted.

use chrono::NaiveDate;
use samverkan_core::{ApiError, CollaborationId, TenantId};
use samverkan_db::outbox::{Consumer, Message, system_context};
use samverkan_db::{Access, Database};
use samverkan_forums::inbox::{FOLLOW_UP_DUE, MINUTES_ADJUSTED};
use sea_orm::{EntityTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;

use crate::SERVICE;
use crate::domain::follow_up::FollowUpStatus;
use crate::store::{self, follow_up};

/// How many days ahead a follow-up is put on its forum's backlog.
pub const LEAD_DAYS: u64 = 30;

/// Announces each open follow-up due within [`LEAD_DAYS`] of `today`, once:
/// the outbox message and the `announced` mark are written together.
pub async fn announce_due(
    db: &Database,
    collaboration: CollaborationId,
    acting_for: TenantId,
    today: NaiveDate,
) -> Result<usize, ApiError> {
    let ctx = system_context(collaboration, acting_for);
    let tx = db.begin(&ctx, SERVICE, Access::Write).await?;
    let until = today + chrono::Days::new(LEAD_DAYS);
    let due: Vec<follow_up::Model> = store::open_follow_ups_until(&tx, until)
        .await?
        .into_iter()
        .filter(|f| {
            !f.announced
                && f.status == FollowUpStatus::Planned.as_str()
                && f.collaboration_id == collaboration.0
        })
        .collect();
    let decisions = store::decisions_by_ids(
        &tx,
        &due.iter().map(|f| f.decision_id).collect::<Vec<Uuid>>(),
    )
    .await?;
    for f in &due {
        let d = decisions.iter().find(|d| d.id == f.decision_id);
        tx.enqueue(
            collaboration,
            FOLLOW_UP_DUE,
            &json!({
                "follow_up_id": f.id,
                "decision_id": f.decision_id,
                "forum_id": f.forum_id,
                "title": f.title,
                "due_on": f.due_on,
                "decision_title": d.map(|d| d.title.clone()).unwrap_or_default(),
                "paragraph_ref": d.map(|d| d.paragraph_ref.clone()).unwrap_or_default(),
            }),
        )
        .await?;
        follow_up::Entity::update_many()
            .col_expr(
                follow_up::Column::Announced,
                sea_orm::sea_query::Expr::value(true),
            )
            .filter(sea_orm::ColumnTrait::eq(&follow_up::Column::Id, f.id))
            .exec(tx.conn())
            .await
            .map_err(samverkan_db::db_err)?;
        tx.audit(
            format!("follow-ups/{}", f.id),
            &json!({"announce_due": {"due_on": f.due_on}}),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(due.len())
}

/// What the decisions service receives from the outbox.
pub const CONSUMER: Consumer = Consumer {
    name: SERVICE,
    topics: &[MINUTES_ADJUSTED],
};

/// Applies a message addressed to the decisions service, at most once.
pub async fn receive(db: &Database, acting_for: TenantId, msg: &Message) -> Result<(), ApiError> {
    if msg.topic != MINUTES_ADJUSTED {
        return Ok(());
    }
    let meeting: Uuid = msg
        .payload
        .get("meeting_id")
        .and_then(|v| v.as_str())
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| ApiError::internal("minutes message without meeting"))?;
    let ctx = system_context(msg.collaboration, acting_for);
    let tx = db.begin(&ctx, SERVICE, Access::Write).await?;
    if tx.receive_once(SERVICE, msg).await? {
        for d in store::decisions_of_meeting(&tx, meeting).await? {
            if !d.is_final {
                store::save_decision(
                    &tx,
                    store::decision::Model {
                        is_final: true,
                        ..d
                    },
                    "",
                    json!({"final": true}),
                )
                .await?;
            }
        }
    }
    tx.commit().await
}
