//! Rows to proto messages.

use chrono::NaiveDate;
use samverkan_core::ApiError;
use samverkan_core::dates::{self, timestamp};
use samverkan_proto::agreements::v1 as pb;

use crate::domain::document::{ProposalState, VersionStatus};
use crate::domain::revision::{self, Phase};
use crate::store::{agreement, approval, proposal, revision as revision_row, version};

pub use samverkan_core::fields::{date, uuid};

pub fn kind_from_pb(k: i32) -> Result<&'static str, ApiError> {
    Ok(match pb::AgreementKind::try_from(k) {
        Ok(pb::AgreementKind::CollaborationAgreement) => "collaboration_agreement",
        Ok(pb::AgreementKind::Guidelines) => "guidelines",
        Ok(pb::AgreementKind::Organisation) => "organisation",
        _ => {
            return Err(ApiError::invalid_field(
                "kind",
                "must be COLLABORATION_AGREEMENT, GUIDELINES or ORGANISATION",
            ));
        }
    })
}

fn kind_pb(k: &str) -> pb::AgreementKind {
    match k {
        "collaboration_agreement" => pb::AgreementKind::CollaborationAgreement,
        "guidelines" => pb::AgreementKind::Guidelines,
        "organisation" => pb::AgreementKind::Organisation,
        _ => pb::AgreementKind::Unspecified,
    }
}

fn status_pb(s: &str) -> pb::VersionStatus {
    match VersionStatus::parse(s) {
        Some(VersionStatus::Draft) => pb::VersionStatus::Draft,
        Some(VersionStatus::InReview) => pb::VersionStatus::InReview,
        Some(VersionStatus::Decided) => pb::VersionStatus::Decided,
        Some(VersionStatus::Approved) => pb::VersionStatus::Approved,
        Some(VersionStatus::InForce) => pb::VersionStatus::InForce,
        Some(VersionStatus::Replaced) => pb::VersionStatus::Replaced,
        None => pb::VersionStatus::Unspecified,
    }
}

pub fn version_pb(v: version::Model, with_text: bool) -> pb::Version {
    pb::Version {
        id: v.id.to_string(),
        agreement_id: v.agreement_id.to_string(),
        number: v.number,
        text: if with_text { v.text } else { String::new() },
        status: status_pb(&v.status) as i32,
        effective_from: v.effective_from.map(dates::to_proto),
        next_review_on: v.next_review_on.map(dates::to_proto),
        decision_ids: v
            .decision_ids
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        changelog: v.changelog,
        link: v.link,
        create_time: Some(timestamp(v.create_time)),
        etag: v.etag,
    }
}

pub fn agreement_pb(a: agreement::Model, in_force: Option<version::Model>) -> pb::Agreement {
    pb::Agreement {
        id: a.id.to_string(),
        collaboration_id: a.collaboration_id.to_string(),
        kind: kind_pb(&a.kind) as i32,
        title: a.title,
        in_force: in_force.map(|v| version_pb(v, false)),
        create_time: Some(timestamp(a.create_time)),
    }
}

pub fn phase_pb(p: Phase) -> pb::Phase {
    match p {
        Phase::Proposals => pb::Phase::Proposals,
        Phase::Consolidation => pb::Phase::Consolidation,
        Phase::ForumReview => pb::Phase::ForumReview,
        Phase::Decision => pb::Phase::Decision,
        Phase::Approvals => pb::Phase::Approvals,
        Phase::InForce => pb::Phase::InForce,
    }
}

pub fn phase_ends(r: &revision_row::Model) -> Vec<NaiveDate> {
    r.phase_ends
        .split(',')
        .filter_map(|d| d.parse().ok())
        .collect()
}

pub fn approval_pb(a: approval::Model) -> pb::Approval {
    pb::Approval {
        id: a.id.to_string(),
        revision_id: a.revision_id.to_string(),
        municipality_id: a.municipality,
        body: a.body,
        paragraph_ref: a.paragraph_ref,
        decided_on: Some(dates::to_proto(a.decided_on)),
        recorded_by: a.recorded_by,
        recorded: a.recorded,
        create_time: Some(timestamp(a.create_time)),
        etag: a.etag,
    }
}

pub fn revision_pb(
    r: revision_row::Model,
    today: NaiveDate,
    members: &[String],
    approvals: Vec<approval::Model>,
) -> pb::Revision {
    let phase = Phase::parse(&r.phase).unwrap_or(Phase::Proposals);
    let deadlines = revision::late(phase, &phase_ends(&r), today)
        .into_iter()
        .map(|(p, end, late)| pb::PhaseDeadline {
            phase: phase_pb(p) as i32,
            ends_on: Some(dates::to_proto(end)),
            late,
        })
        .collect();
    pb::Revision {
        id: r.id.to_string(),
        agreement_id: r.agreement_id.to_string(),
        year: r.year,
        base_version_id: r.base_version_id.to_string(),
        draft_version_id: r
            .draft_version_id
            .map(|d| d.to_string())
            .unwrap_or_default(),
        phase: phase_pb(phase) as i32,
        deadlines,
        approvals: members
            .iter()
            .map(|m| pb::MemberApproval {
                municipality_id: m.clone(),
                approval: approvals
                    .iter()
                    .find(|a| &a.municipality == m)
                    .cloned()
                    .map(approval_pb),
            })
            .collect(),
        effective_from: Some(dates::to_proto(r.effective_from)),
        decision_id: r.decision_id.map(|d| d.to_string()).unwrap_or_default(),
        create_time: Some(timestamp(r.create_time)),
        etag: r.etag,
    }
}

pub fn action_from_pb(a: i32) -> Result<&'static str, ApiError> {
    Ok(match pb::ProposalAction::try_from(a) {
        Ok(pb::ProposalAction::Amend) => "amend",
        Ok(pb::ProposalAction::Add) => "add",
        Ok(pb::ProposalAction::Delete) => "delete",
        _ => {
            return Err(ApiError::invalid_field(
                "proposal.action",
                "must be AMEND, ADD or DELETE",
            ));
        }
    })
}

pub fn proposal_pb(p: proposal::Model) -> pb::Proposal {
    pb::Proposal {
        id: p.id.to_string(),
        revision_id: p.revision_id.to_string(),
        municipality_id: p.municipality,
        author: p.author,
        section_number: p.section_number,
        action: match p.action.as_str() {
            "amend" => pb::ProposalAction::Amend,
            "add" => pb::ProposalAction::Add,
            "delete" => pb::ProposalAction::Delete,
            _ => pb::ProposalAction::Unspecified,
        } as i32,
        title: p.title,
        text: p.text,
        rationale: p.rationale,
        state: match ProposalState::parse(&p.state) {
            Some(ProposalState::Draft) => pb::ProposalState::Draft,
            Some(ProposalState::Submitted) => pb::ProposalState::Submitted,
            Some(ProposalState::Accepted) => pb::ProposalState::Accepted,
            Some(ProposalState::AcceptedWithChanges) => pb::ProposalState::AcceptedWithChanges,
            Some(ProposalState::Rejected) => pb::ProposalState::Rejected,
            None => pb::ProposalState::Unspecified,
        } as i32,
        resolution_reason: p.resolution_reason,
        accepted_text: p.accepted_text,
        create_time: Some(timestamp(p.create_time)),
        etag: p.etag,
    }
}
