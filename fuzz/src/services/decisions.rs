//! `samverkan.decisions.v1.DecisionsService`.

use samverkan_proto::decisions::v1 as pb;
use samverkan_proto::decisions::v1::decisions_service_server::DecisionsService as _;

use super::{Seed, date, seed};

super::service!(decisions, "samverkan.decisions.v1.DecisionsService", pb, [
    RegisterDecision => register_decision(RegisterDecisionRequest),
    GetDecision => get_decision(GetDecisionRequest),
    ListDecisions => list_decisions(ListDecisionsRequest),
    UpdateDecision => update_decision(UpdateDecisionRequest),
    SetDecisionStatus => set_decision_status(SetDecisionStatusRequest),
    CreateFollowUp => create_follow_up(CreateFollowUpRequest),
    RecordFollowUp => record_follow_up(RecordFollowUpRequest),
    ListFollowUps => list_follow_ups(ListFollowUpsRequest),
    CreateActionPlan => create_action_plan(CreateActionPlanRequest),
    GetActionPlan => get_action_plan(GetActionPlanRequest),
    AddActivity => add_activity(AddActivityRequest),
    UpdateActivity => update_activity(UpdateActivityRequest),
    ListDue => list_due(ListDueRequest),
    GetTrail => get_trail(GetTrailRequest),
]);

/// IT-styrgruppen's secretary: registers decisions.
const EVA: &str = "eva.dahlgren@ulricehamn.se";
/// The IT manager, responsible for the seeded decision.
const PER: &str = "per.hakansson@ulricehamn.se";
/// Owner of the seeded activity.
const OSKAR: &str = "oskar.bjork@ulricehamn.se";

/// Valid requests, in story order, on the forums story's § `@paragraphs`
/// of meeting `@meetings`: decision `@decisions`, follow-up `@follow_ups`,
/// action plan `@action_plans` with activity `@activities`.
pub fn story() -> Vec<Seed> {
    vec![
        seed(
            "RegisterDecision",
            EVA,
            pb::RegisterDecisionRequest {
                request_id: "seed-decision".into(),
                decision: Some(pb::Decision {
                    meeting_id: "@meetings".into(),
                    paragraph_id: "@paragraphs".into(),
                    responsible_role_code: "it-chef".into(),
                    responsible_person_id: "@people:per.hakansson@ulricehamn.se".into(),
                    basis_document_ids: vec!["@documents.1".into()],
                    ..Default::default()
                }),
            },
        ),
        seed(
            "UpdateDecision",
            EVA,
            pb::UpdateDecisionRequest {
                decision: Some(pb::Decision {
                    id: "@decisions".into(),
                    title: "Ny modell för IT-budget".into(),
                    text: "Styrgruppen beslutar att anta modellen från 2027.".into(),
                    responsible_role_code: "it-chef".into(),
                    responsible_person_id: "@people:per.hakansson@ulricehamn.se".into(),
                    ..Default::default()
                }),
                etag: "#decisions".into(),
            },
        ),
        seed(
            "SetDecisionStatus",
            PER,
            pb::SetDecisionStatusRequest {
                id: "@decisions".into(),
                status: pb::DecisionStatus::InProgress as i32,
                reason: "Arbetet har påbörjats.".into(),
                etag: "#decisions".into(),
            },
        ),
        seed(
            "CreateFollowUp",
            EVA,
            pb::CreateFollowUpRequest {
                request_id: "seed-follow-up".into(),
                follow_up: Some(pb::FollowUp {
                    decision_id: "@decisions".into(),
                    due_on: date(2026, 11, 15),
                    title: "Uppföljning av budgetmodellen".into(),
                    ..Default::default()
                }),
            },
        ),
        seed(
            "RecordFollowUp",
            EVA,
            pb::RecordFollowUpRequest {
                id: "@follow_ups".into(),
                meeting_id: "@meetings".into(),
                paragraph_id: "@paragraphs.1".into(),
                etag: "#follow_ups".into(),
            },
        ),
        seed(
            "CreateActionPlan",
            EVA,
            pb::CreateActionPlanRequest {
                request_id: "seed-plan".into(),
                action_plan: Some(pb::ActionPlan {
                    decision_id: "@decisions".into(),
                    title: "Införande av budgetmodellen".into(),
                    ..Default::default()
                }),
            },
        ),
        seed(
            "AddActivity",
            EVA,
            pb::AddActivityRequest {
                request_id: "seed-activity".into(),
                activity: Some(pb::Activity {
                    action_plan_id: "@action_plans".into(),
                    title: "Ta fram underlag per förvaltning".into(),
                    owner_person_id: "@people:oskar.bjork@ulricehamn.se".into(),
                    due_on: date(2026, 9, 30),
                    weight: 2,
                    ..Default::default()
                }),
            },
        ),
        seed(
            "UpdateActivity",
            OSKAR,
            pb::UpdateActivityRequest {
                id: "@activities".into(),
                status: pb::ActivityStatus::InProgress as i32,
                progress_percent: 40,
                note: "Underlag från två av tre förvaltningar.".into(),
                etag: "#activities".into(),
            },
        ),
        seed(
            "GetDecision",
            PER,
            pb::GetDecisionRequest {
                id: "@decisions".into(),
            },
        ),
        seed(
            "ListDecisions",
            EVA,
            pb::ListDecisionsRequest {
                forum_id: "@forums:styrgruppen".into(),
                year: 2026,
                text: "budget".into(),
                order_by: "decision_date asc".into(),
                page_size: 1,
                ..Default::default()
            },
        ),
        seed(
            "ListFollowUps",
            EVA,
            pb::ListFollowUpsRequest {
                decision_id: "@decisions".into(),
            },
        ),
        seed(
            "GetActionPlan",
            OSKAR,
            pb::GetActionPlanRequest {
                id: "@action_plans".into(),
            },
        ),
        seed(
            "ListDue",
            PER,
            pb::ListDueRequest {
                within_days: 365,
                forum_id: "@forums:styrgruppen".into(),
                responsible_person_id: String::new(),
            },
        ),
        seed(
            "GetTrail",
            EVA,
            pb::GetTrailRequest {
                decision_id: "@decisions".into(),
                matter_id: String::new(),
            },
        ),
        seed(
            "GetTrail",
            EVA,
            pb::GetTrailRequest {
                decision_id: String::new(),
                matter_id: "@matters.1".into(),
            },
        ),
    ]
}

/// The seed corpus: the story and every RPC with an empty request.
pub fn seeds() -> Vec<Seed> {
    let mut v = story();
    v.extend(empty_seeds());
    v
}
