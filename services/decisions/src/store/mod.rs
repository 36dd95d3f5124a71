//! Queries of the decisions service. Every row is shared with its
//! collaboration; every query adds that condition, and PostgreSQL's
//! row-level security enforces it again.

pub mod entities;

use chrono::NaiveDate;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{ExprTrait, Func};
use sea_orm::{Condition, QueryOrder, QuerySelect};
use serde_json::json;

use samverkan_core::ApiError;
pub use samverkan_db::insert_audited as insert;
use samverkan_db::{Tx, db_err, rls};

use crate::domain::follow_up::FollowUpStatus;

pub use samverkan_db::{new_etag, now};

pub use entities::{action_plan, activity, decision, follow_up, timeline_entry};

pub async fn find_decision(tx: &Tx, id: Uuid) -> Result<Option<decision::Model>, ApiError> {
    decision::Entity::find_by_id(id)
        .filter(rls::shared(tx.scope(), decision::Column::CollaborationId))
        .one(tx.conn())
        .await
        .map_err(db_err)
}

pub async fn decisions_by_ids(tx: &Tx, ids: &[Uuid]) -> Result<Vec<decision::Model>, ApiError> {
    decision::Entity::find()
        .filter(rls::shared(tx.scope(), decision::Column::CollaborationId))
        .filter(decision::Column::Id.is_in(ids.iter().copied()))
        .all(tx.conn())
        .await
        .map_err(db_err)
}

pub async fn decisions_of_matter(tx: &Tx, matter: Uuid) -> Result<Vec<decision::Model>, ApiError> {
    decision::Entity::find()
        .filter(rls::shared(tx.scope(), decision::Column::CollaborationId))
        .filter(decision::Column::MatterId.eq(matter))
        .order_by_asc(decision::Column::DecisionDate)
        .all(tx.conn())
        .await
        .map_err(db_err)
}

pub async fn decision_of_paragraph(
    tx: &Tx,
    paragraph: Uuid,
) -> Result<Option<decision::Model>, ApiError> {
    decision::Entity::find()
        .filter(rls::shared(tx.scope(), decision::Column::CollaborationId))
        .filter(decision::Column::ParagraphId.eq(paragraph))
        .one(tx.conn())
        .await
        .map_err(db_err)
}

pub async fn insert_decision(tx: &Tx, d: decision::Model) -> Result<decision::Model, ApiError> {
    decision::ActiveModel::from(d.clone())
        .insert(tx.conn())
        .await
        .map_err(db_err)?;
    tx.audit(
        format!("decisions/{}", d.id),
        &json!({"register": {"paragraph": d.paragraph_id, "title": d.title, "text": d.text,
                "responsible": d.responsible_person_id, "supersedes": d.supersedes_id}}),
    )
    .await?;
    Ok(d)
}

/// Writes a changed decision if `etag` is current (empty: no check, for a
/// side effect inside another change's transaction).
pub async fn save_decision(
    tx: &Tx,
    d: decision::Model,
    etag: &str,
    change: serde_json::Value,
) -> Result<decision::Model, ApiError> {
    let saved = decision::Model {
        update_time: now(),
        etag: new_etag(),
        ..d
    };
    let mut am = decision::ActiveModel::from(saved.clone()).reset_all();
    am.id = sea_orm::ActiveValue::Unchanged(saved.id);
    let update = decision::Entity::update_many()
        .set(am)
        .filter(decision::Column::Id.eq(saved.id));
    tx.save_checked(
        update,
        decision::Column::Etag,
        etag,
        "decision",
        format!("decisions/{}", saved.id),
        &change,
    )
    .await?;
    Ok(saved)
}

/// Filter for the register.
#[derive(Debug, Clone, Default)]
pub struct DecisionFilter {
    pub forum: Option<Uuid>,
    pub year: Option<i32>,
    pub status: Option<String>,
    pub responsible: Option<Uuid>,
    pub text: Option<String>,
    pub newest_first: bool,
}

/// `%` and `_` in what a person typed are literal, not wildcards.
fn like_pattern(s: &str) -> String {
    let escaped = s
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

pub async fn list_decisions(
    tx: &Tx,
    f: &DecisionFilter,
    offset: u64,
    limit: u64,
) -> Result<Vec<decision::Model>, ApiError> {
    let mut q =
        decision::Entity::find().filter(rls::shared(tx.scope(), decision::Column::CollaborationId));
    if let Some(forum) = f.forum {
        q = q.filter(decision::Column::ForumId.eq(forum));
    }
    if let Some(y) = f.year {
        q = q.filter(decision::Column::Year.eq(y));
    }
    if let Some(s) = &f.status {
        q = q.filter(decision::Column::Status.eq(s.as_str()));
    }
    if let Some(r) = f.responsible {
        q = q.filter(decision::Column::ResponsiblePersonId.eq(r));
    }
    if let Some(text) = &f.text {
        let pattern = like_pattern(text);
        let lower = |c: decision::Column| Expr::expr(Func::lower(Expr::col(c)));
        q = q.filter(
            Condition::any()
                .add(
                    lower(decision::Column::Title)
                        .like(sea_orm::sea_query::LikeExpr::new(pattern.clone()).escape('\\')),
                )
                .add(
                    lower(decision::Column::Text)
                        .like(sea_orm::sea_query::LikeExpr::new(pattern).escape('\\')),
                ),
        );
    }
    q = if f.newest_first {
        q.order_by_desc(decision::Column::DecisionDate)
            .order_by_desc(decision::Column::Id)
    } else {
        q.order_by_asc(decision::Column::DecisionDate)
            .order_by_asc(decision::Column::Id)
    };
    q.offset(offset)
        .limit(limit)
        .all(tx.conn())
        .await
        .map_err(db_err)
}

/// Decisions registered against a meeting's minutes.
pub async fn decisions_of_meeting(
    tx: &Tx,
    meeting: Uuid,
) -> Result<Vec<decision::Model>, ApiError> {
    decision::Entity::find()
        .filter(rls::shared(tx.scope(), decision::Column::CollaborationId))
        .filter(decision::Column::MeetingId.eq(meeting))
        .all(tx.conn())
        .await
        .map_err(db_err)
}

pub async fn find_follow_up(tx: &Tx, id: Uuid) -> Result<Option<follow_up::Model>, ApiError> {
    follow_up::Entity::find_by_id(id)
        .filter(rls::shared(tx.scope(), follow_up::Column::CollaborationId))
        .one(tx.conn())
        .await
        .map_err(db_err)
}

pub async fn follow_ups_of(tx: &Tx, decision: Uuid) -> Result<Vec<follow_up::Model>, ApiError> {
    follow_up::Entity::find()
        .filter(rls::shared(tx.scope(), follow_up::Column::CollaborationId))
        .filter(follow_up::Column::DecisionId.eq(decision))
        .order_by_asc(follow_up::Column::DueOn)
        .order_by_asc(follow_up::Column::Id)
        .all(tx.conn())
        .await
        .map_err(db_err)
}

/// The follow-ups of several decisions in one query, ordered as
/// [`follow_ups_of`] orders one decision's.
pub async fn follow_ups_of_decisions(
    tx: &Tx,
    decisions: &[Uuid],
) -> Result<Vec<follow_up::Model>, ApiError> {
    if decisions.is_empty() {
        return Ok(Vec::new());
    }
    follow_up::Entity::find()
        .filter(rls::shared(tx.scope(), follow_up::Column::CollaborationId))
        .filter(follow_up::Column::DecisionId.is_in(decisions.iter().copied()))
        .order_by_asc(follow_up::Column::DueOn)
        .order_by_asc(follow_up::Column::Id)
        .all(tx.conn())
        .await
        .map_err(db_err)
}

/// Follow-ups not yet presented and due on or before `until`.
pub async fn open_follow_ups_until(
    tx: &Tx,
    until: NaiveDate,
) -> Result<Vec<follow_up::Model>, ApiError> {
    follow_up::Entity::find()
        .filter(rls::shared(tx.scope(), follow_up::Column::CollaborationId))
        .filter(follow_up::Column::Status.ne(FollowUpStatus::Complete.as_str()))
        .filter(follow_up::Column::DueOn.lte(until))
        .order_by_asc(follow_up::Column::DueOn)
        .all(tx.conn())
        .await
        .map_err(db_err)
}

/// Activities neither done nor cancelled, due on or before `until`.
pub async fn open_activities_until(
    tx: &Tx,
    until: NaiveDate,
) -> Result<Vec<activity::Model>, ApiError> {
    activity::Entity::find()
        .filter(rls::shared(tx.scope(), activity::Column::CollaborationId))
        .filter(activity::Column::Status.is_in(["not_started", "in_progress"]))
        .filter(activity::Column::DueOn.lte(until))
        .order_by_asc(activity::Column::DueOn)
        .all(tx.conn())
        .await
        .map_err(db_err)
}

pub async fn find_plan(tx: &Tx, id: Uuid) -> Result<Option<action_plan::Model>, ApiError> {
    action_plan::Entity::find_by_id(id)
        .filter(rls::shared(
            tx.scope(),
            action_plan::Column::CollaborationId,
        ))
        .one(tx.conn())
        .await
        .map_err(db_err)
}

pub async fn activities_of(tx: &Tx, plan: Uuid) -> Result<Vec<activity::Model>, ApiError> {
    activity::Entity::find()
        .filter(rls::shared(tx.scope(), activity::Column::CollaborationId))
        .filter(activity::Column::ActionPlanId.eq(plan))
        .order_by_asc(activity::Column::DueOn)
        .order_by_asc(activity::Column::Id)
        .all(tx.conn())
        .await
        .map_err(db_err)
}

pub async fn find_activity(tx: &Tx, id: Uuid) -> Result<Option<activity::Model>, ApiError> {
    activity::Entity::find_by_id(id)
        .filter(rls::shared(tx.scope(), activity::Column::CollaborationId))
        .one(tx.conn())
        .await
        .map_err(db_err)
}

/// Timeline entries of the given activities, in one query.
pub async fn timelines(
    tx: &Tx,
    activities: &[Uuid],
) -> Result<Vec<timeline_entry::Model>, ApiError> {
    timeline_entry::Entity::find()
        .filter(rls::shared(
            tx.scope(),
            timeline_entry::Column::CollaborationId,
        ))
        .filter(timeline_entry::Column::ActivityId.is_in(activities.iter().copied()))
        .order_by_asc(timeline_entry::Column::CreateTime)
        .order_by_asc(timeline_entry::Column::Id)
        .all(tx.conn())
        .await
        .map_err(db_err)
}
