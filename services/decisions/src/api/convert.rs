//! Rows to proto messages, and request fields to domain values.

use samverkan_core::ApiError;
use samverkan_core::dates::{self, timestamp};
use samverkan_proto::decisions::v1 as pb;
use uuid::Uuid;

use crate::domain::follow_up::FollowUpStatus;
use crate::domain::progress::{self, Part};
use crate::domain::status::Status;
use crate::store::{action_plan, activity, decision, follow_up, timeline_entry};

pub use samverkan_core::fields::{date, opt_uuid, uuid};

pub fn status_pb(s: &str) -> pb::DecisionStatus {
    match Status::parse(s) {
        Some(Status::Decided) => pb::DecisionStatus::Decided,
        Some(Status::InProgress) => pb::DecisionStatus::InProgress,
        Some(Status::CarriedOut) => pb::DecisionStatus::CarriedOut,
        Some(Status::FollowedUp) => pb::DecisionStatus::FollowedUp,
        Some(Status::Revoked) => pb::DecisionStatus::Revoked,
        Some(Status::Superseded) => pb::DecisionStatus::Superseded,
        None => pb::DecisionStatus::Unspecified,
    }
}

pub fn status_from_pb(field: &str, s: i32) -> Result<Option<Status>, ApiError> {
    Ok(match pb::DecisionStatus::try_from(s) {
        Ok(pb::DecisionStatus::Unspecified) => None,
        Ok(pb::DecisionStatus::Decided) => Some(Status::Decided),
        Ok(pb::DecisionStatus::InProgress) => Some(Status::InProgress),
        Ok(pb::DecisionStatus::CarriedOut) => Some(Status::CarriedOut),
        Ok(pb::DecisionStatus::FollowedUp) => Some(Status::FollowedUp),
        Ok(pb::DecisionStatus::Revoked) => Some(Status::Revoked),
        Ok(pb::DecisionStatus::Superseded) => Some(Status::Superseded),
        Err(_) => return Err(ApiError::invalid_field(field, "not a DecisionStatus value")),
    })
}

fn opt_id(u: Option<Uuid>) -> String {
    u.map(|u| u.to_string()).unwrap_or_default()
}

pub fn decision_pb(d: decision::Model) -> pb::Decision {
    pb::Decision {
        id: d.id.to_string(),
        collaboration_id: d.collaboration_id.to_string(),
        forum_id: d.forum_id.to_string(),
        meeting_id: d.meeting_id.to_string(),
        paragraph_id: d.paragraph_id.to_string(),
        paragraph_ref: d.paragraph_ref,
        decision_date: Some(dates::to_proto(d.decision_date)),
        title: d.title,
        text: d.text,
        basis_document_ids: d
            .basis_documents
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        responsible_role_code: d.responsible_role_code,
        responsible_person_id: opt_id(d.responsible_person_id),
        status: status_pb(&d.status) as i32,
        superseded_by_id: opt_id(d.superseded_by_id),
        supersedes_id: opt_id(d.supersedes_id),
        r#final: d.is_final,
        matter_id: opt_id(d.matter_id),
        create_time: Some(timestamp(d.create_time)),
        etag: d.etag,
    }
}

pub fn follow_up_pb(f: follow_up::Model) -> pb::FollowUp {
    pb::FollowUp {
        id: f.id.to_string(),
        decision_id: f.decision_id.to_string(),
        due_on: Some(dates::to_proto(f.due_on)),
        title: f.title,
        status: match FollowUpStatus::parse(&f.status) {
            Some(FollowUpStatus::Planned) => pb::FollowUpStatus::Planned,
            Some(FollowUpStatus::PresentedNotMinuted) => pb::FollowUpStatus::PresentedNotMinuted,
            Some(FollowUpStatus::Complete) => pb::FollowUpStatus::Complete,
            None => pb::FollowUpStatus::Unspecified,
        } as i32,
        meeting_id: opt_id(f.meeting_id),
        paragraph_id: opt_id(f.paragraph_id),
        paragraph_ref: f.paragraph_ref,
        create_time: Some(timestamp(f.create_time)),
        etag: f.etag,
    }
}

pub fn activity_status_from_pb(s: i32) -> Result<&'static str, ApiError> {
    Ok(match pb::ActivityStatus::try_from(s) {
        Ok(pb::ActivityStatus::NotStarted) => "not_started",
        Ok(pb::ActivityStatus::InProgress) => "in_progress",
        Ok(pb::ActivityStatus::Done) => "done",
        Ok(pb::ActivityStatus::Cancelled) => "cancelled",
        _ => {
            return Err(ApiError::invalid_field(
                "status",
                "must be NOT_STARTED, IN_PROGRESS, DONE or CANCELLED",
            ));
        }
    })
}

pub fn activity_status_swedish(s: &str) -> &'static str {
    match s {
        "not_started" => "ej påbörjad",
        "in_progress" => "pågår",
        "done" => "klar",
        _ => "avbruten",
    }
}

fn activity_status_pb(s: &str) -> pb::ActivityStatus {
    match s {
        "not_started" => pb::ActivityStatus::NotStarted,
        "in_progress" => pb::ActivityStatus::InProgress,
        "done" => pb::ActivityStatus::Done,
        "cancelled" => pb::ActivityStatus::Cancelled,
        _ => pb::ActivityStatus::Unspecified,
    }
}

pub fn plan_pb(
    p: action_plan::Model,
    activities: Vec<activity::Model>,
    timeline: &[timeline_entry::Model],
) -> pb::ActionPlan {
    let parts: Vec<Part> = activities
        .iter()
        .map(|a| Part {
            percent: a.progress,
            weight: a.weight,
            cancelled: a.status == "cancelled",
        })
        .collect();
    pb::ActionPlan {
        id: p.id.to_string(),
        decision_id: p.decision_id.to_string(),
        title: p.title,
        progress_permille: progress::roll_up(&parts),
        activities: activities
            .into_iter()
            .map(|a| pb::Activity {
                id: a.id.to_string(),
                action_plan_id: a.action_plan_id.to_string(),
                title: a.title,
                owner_person_id: a.owner_person_id.to_string(),
                due_on: Some(dates::to_proto(a.due_on)),
                status: activity_status_pb(&a.status) as i32,
                progress_percent: a.progress,
                weight: a.weight,
                timeline: timeline
                    .iter()
                    .filter(|t| t.activity_id == a.id)
                    .map(|t| pb::TimelineEntry {
                        create_time: Some(timestamp(t.create_time)),
                        author: t.author.clone(),
                        text: t.text.clone(),
                    })
                    .collect(),
                etag: a.etag,
            })
            .collect(),
        create_time: Some(timestamp(p.create_time)),
    }
}
