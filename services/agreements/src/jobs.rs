//! Putting a revised version into force: on its effective date, and only
//! once every municipality that is a member on that date has recorded its
//! approval (a member that joined during the cycle too).

use chrono::NaiveDate;
use samverkan_core::{ApiError, CollaborationId, TenantId};
use samverkan_db::outbox::system_context;
use samverkan_db::{Access, Database, Tx};
use samverkan_roles::RolesClient;
use serde_json::json;

use crate::SERVICE;
use crate::domain::document::VersionStatus;
use crate::domain::revision::{Phase, may_take_force};
use crate::store::{self, revision, version};

/// Sent when a consolidated draft goes to IT-styrgruppen for decision; the
/// forums service puts it on the top forum's backlog.
pub const DECISION_REQUESTED: &str = "agreements.decision_requested";

/// Puts the revision's draft into force if every member on the effective
/// date has recorded its approval and the date has come; otherwise
/// `FAILED_PRECONDITION` saying what is missing.
pub async fn activate(
    tx: &Tx,
    r: revision::Model,
    members: &[String],
    today: NaiveDate,
) -> Result<revision::Model, ApiError> {
    let subject = format!("revisions/{}", r.id);
    let approvals = store::approvals(tx, r.id).await?;
    let approved = |m: &str| approvals.iter().any(|a| a.recorded && a.municipality == m);
    may_take_force(members, approved, r.effective_from, today).map_err(|e| e.on(subject))?;
    let draft = r
        .draft_version_id
        .ok_or_else(|| ApiError::internal("revision without draft"))?;
    let new = store::find_version(tx, draft)
        .await?
        .ok_or_else(|| ApiError::internal("draft vanished"))?;
    let base = store::find_version(tx, r.base_version_id)
        .await?
        .ok_or_else(|| ApiError::internal("base vanished"))?;
    let now = store::now();
    store::save_version(
        tx,
        version::Model {
            status: VersionStatus::Replaced.as_str().into(),
            update_time: now,
            ..base
        },
        "",
        json!({"replaced_by": new.id}),
    )
    .await?;
    store::save_version(
        tx,
        version::Model {
            status: VersionStatus::InForce.as_str().into(),
            update_time: now,
            ..new
        },
        "",
        json!({"in_force_from": r.effective_from}),
    )
    .await?;
    store::save_revision(
        tx,
        revision::Model {
            phase: Phase::InForce.as_str().into(),
            update_time: now,
            ..r
        },
        "",
        json!({"advance": "in_force"}),
    )
    .await
}

/// Puts into force every revision of the collaboration that may go into
/// force today. Returns how many did.
pub async fn activate_due(
    db: &Database,
    collaboration: CollaborationId,
    acting_for: TenantId,
    today: NaiveDate,
) -> Result<usize, ApiError> {
    let ctx = system_context(collaboration, acting_for);
    let roles = RolesClient::local(db.clone());
    let tx = db.begin(&ctx, SERVICE, Access::Read).await?;
    let waiting =
        store::revisions_in_phase(&tx, collaboration.0, Phase::Approvals.as_str()).await?;
    tx.commit().await?;
    let mut activated = 0;
    for r in waiting {
        if today < r.effective_from {
            continue;
        }
        let members = roles
            .members_on(&ctx, &collaboration.to_string(), r.effective_from)
            .await?;
        // Members were asked with no transaction open; the revision is read
        // again in the write transaction, so a change made meanwhile (an
        // approval, another process activating it) is not overwritten.
        let tx = db.begin(&ctx, SERVICE, Access::Write).await?;
        let Some(r) = store::find_revision(&tx, r.id).await?.filter(|now| {
            now.phase == Phase::Approvals.as_str() && now.effective_from == r.effective_from
        }) else {
            continue;
        };
        match activate(&tx, r, &members, today).await {
            Ok(_) => {
                tx.commit().await?;
                activated += 1;
            }
            // Still waiting for an approval: nothing to do yet.
            Err(ApiError::FailedPrecondition { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(activated)
}
