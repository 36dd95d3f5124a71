//! The decisions service's rows of the isolation matrix.
//!
//! The register is a public record of the collaboration: every decision,
//! follow-up, action plan and activity is shared with the member
//! municipalities (no row of it is private to one), so Ulricehamn reads what
//! Tranemo's secretary registered, and only the forum's secretary (or the
//! decision's responsible person, or an activity's owner) changes it. The
//! data is seeded in IT-forum utveckling, whose secretary is Tranemo's
//! e-samordnare; Ulricehamn is tried as its chair, the IT-strateg, who is
//! secretary of another forum. The one private thing a row reaches is a
//! matter Tranemo has not submitted: its trail, which the service builds
//! from the forums service as the caller, is Tranemo's alone.

use chrono::Days;
use samverkan_core::dates;
use samverkan_proto::decisions::v1 as pb;
use samverkan_proto::decisions::v1::decisions_service_client::DecisionsServiceClient;
use samverkan_proto::forums::v1 as fpb;
use samverkan_proto::forums::v1::forums_service_client::ForumsServiceClient;
use samverkan_proto::roles::v1::WhoAmIRequest;
use samverkan_proto::roles::v1::roles_service_client::RolesServiceClient;
use samverkan_testkit::story::{add_item, as_, forum_ids, hold, meeting, paragraph, publish};
use tonic::transport::Channel;

use crate::harness::{Fixture, Row};

const SERVICE: &str = "samverkan.decisions.v1.DecisionsService";

/// Tranemo's e-samordnare: secretary of IT-forum utveckling, who records
/// its minutes and registers its decisions.
const SOFIA: &str = "sofia.lindstrom@tranemo.se";
/// Tranemo's utvecklingschef: a member of IT-forum utveckling, not its
/// secretary — the strongest colleague without `minutes.record`.
const ERIK: &str = "erik.ohman@tranemo.se";
/// Tranemo's it-koordinator: the decisions' responsible person.
const IDA: &str = "ida.nyqvist@tranemo.se";
/// Tranemo's it-tekniker: owner of the action plan's activities, and
/// otherwise a person with no role in the register.
const EMIL: &str = "emil.sandstrom@tranemo.se";
/// Ulricehamn's IT-strateg: chair of IT-forum utveckling and secretary of
/// IT-styrgruppen, but not the secretary of the forum that decided.
const EVA: &str = "eva.dahlgren@ulricehamn.se";

type Decisions = DecisionsServiceClient<Channel>;

/// A held meeting of IT-forum utveckling and the §§ of its minutes.
struct Seeded {
    meeting: fpb::Meeting,
    paragraphs: Vec<fpb::Paragraph>,
}

async fn person_id(ch: &Channel, email: &str) -> String {
    RolesServiceClient::new(ch.clone())
        .who_am_i(as_(email, WhoAmIRequest {}))
        .await
        .unwrap()
        .into_inner()
        .person
        .unwrap()
        .id
}

/// A matter Tranemo raises and submits to IT-forum utveckling, and a held
/// meeting there (2026-12-17) with one § per agenda item: the first decides
/// the matter, the others are titled as given.
async fn minuted(fx: &Fixture, matter_title: &str, titles: &[&str]) -> Seeded {
    let mut f = ForumsServiceClient::new(fx.channel.clone());
    let (utveckling, _) = forum_ids(&fx.server).await;
    let draft = f
        .create_matter(as_(
            SOFIA,
            fpb::CreateMatterRequest {
                request_id: String::new(),
                matter: Some(fpb::Matter {
                    kind: fpb::MatterKind::DevelopmentNeed as i32,
                    title: matter_title.into(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .matter
        .unwrap();
    f.submit_matter(as_(
        SOFIA,
        fpb::SubmitMatterRequest {
            id: draft.id.clone(),
            forum_id: utveckling.clone(),
            etag: draft.etag,
        },
    ))
    .await
    .unwrap();
    let m = meeting(
        &mut f,
        SOFIA,
        &utveckling,
        "IT-forum utveckling (isolationsmatris, beslut)",
        (2026, 12, 17),
    )
    .await;
    let mut m = add_item(
        &mut f,
        SOFIA,
        &m.id,
        fpb::AgendaItemKind::Decision,
        "",
        &draft.id,
    )
    .await;
    for t in titles {
        m = add_item(&mut f, SOFIA, &m.id, fpb::AgendaItemKind::Decision, t, "").await;
    }
    publish(&mut f, SOFIA, &m).await;
    hold(&mut f, SOFIA, &m).await;
    let mut paragraphs = Vec::new();
    for item in &m.agenda {
        paragraphs.push(
            paragraph(
                &mut f,
                SOFIA,
                &m.id,
                &item.id,
                fpb::ParagraphOutcome::Decided,
                "IT-forum utveckling beslutar enligt förslaget.",
            )
            .await,
        );
    }
    Seeded {
        meeting: m,
        paragraphs,
    }
}

fn register(
    s: &Seeded,
    at: usize,
    title: &str,
    text: &str,
    responsible: &str,
) -> pb::RegisterDecisionRequest {
    pb::RegisterDecisionRequest {
        request_id: String::new(),
        decision: Some(pb::Decision {
            meeting_id: s.meeting.id.clone(),
            paragraph_id: s.paragraphs[at].id.clone(),
            title: title.into(),
            text: text.into(),
            responsible_role_code: "it-koordinator".into(),
            responsible_person_id: responsible.into(),
            ..Default::default()
        }),
    }
}

async fn registered(d: &mut Decisions, req: pb::RegisterDecisionRequest) -> pb::Decision {
    d.register_decision(as_(SOFIA, req))
        .await
        .unwrap()
        .into_inner()
        .decision
        .unwrap()
}

pub async fn rows(fx: &Fixture) -> Vec<Row> {
    let s = &fx.secrets;
    let ch = &fx.channel;
    let mut d = DecisionsServiceClient::new(ch.clone());
    let ida = person_id(ch, IDA).await;
    let emil = person_id(ch, EMIL).await;
    let today = dates::today();
    let due = |days: u64| Some(dates::to_proto(today + Days::new(days)));

    // §1 decides Tranemo's matter; §2–§3 are registered for the rows that
    // change a decision; §4 is left for RegisterDecision; §5 is where a
    // follow-up is recorded.
    let matter_title = s.shared("matter behind the decision");
    let seeded = minuted(
        fx,
        &matter_title,
        &[
            "Rättning av beslut",
            "Status för beslut",
            "Nytt beslut",
            "Uppföljning",
        ],
    )
    .await;
    // A matter Tranemo is still drafting: nobody else knows of it.
    let draft_title = s.private("draft matter");
    let draft_matter = ForumsServiceClient::new(ch.clone())
        .create_matter(as_(
            SOFIA,
            fpb::CreateMatterRequest {
                request_id: String::new(),
                matter: Some(fpb::Matter {
                    kind: fpb::MatterKind::DevelopmentNeed as i32,
                    title: draft_title.clone(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .matter
        .unwrap();
    let decision_title = s.shared("decision title");
    let decision_text = s.shared("decision text");
    let decision = registered(
        &mut d,
        register(&seeded, 0, &decision_title, &decision_text, &ida),
    )
    .await;
    let to_correct = registered(
        &mut d,
        register(
            &seeded,
            1,
            "Beslut att rätta",
            &s.shared("decision to correct"),
            &ida,
        ),
    )
    .await;
    let to_move = registered(
        &mut d,
        register(
            &seeded,
            2,
            "Beslut som påbörjas",
            &s.shared("decision to start"),
            &ida,
        ),
    )
    .await;

    // Follow-ups: one listed and due, one to record at §5.
    let follow_up = |title: String, days: u64| pb::CreateFollowUpRequest {
        request_id: String::new(),
        follow_up: Some(pb::FollowUp {
            decision_id: decision.id.clone(),
            due_on: due(days),
            title,
            ..Default::default()
        }),
    };
    let follow_up_title = s.shared("follow-up title");
    d.create_follow_up(as_(SOFIA, follow_up(follow_up_title.clone(), 10)))
        .await
        .unwrap();
    let to_record = d
        .create_follow_up(as_(SOFIA, follow_up(s.shared("follow-up to record"), 20)))
        .await
        .unwrap()
        .into_inner()
        .follow_up
        .unwrap();

    // An action plan with two of Emil's activities: one listed and due,
    // one for him to update.
    let plan_title = s.shared("action plan title");
    let plan = d
        .create_action_plan(as_(
            SOFIA,
            pb::CreateActionPlanRequest {
                request_id: String::new(),
                action_plan: Some(pb::ActionPlan {
                    decision_id: decision.id.clone(),
                    title: plan_title.clone(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .action_plan
        .unwrap();
    let activity = |title: String, days: u64| pb::AddActivityRequest {
        request_id: String::new(),
        activity: Some(pb::Activity {
            action_plan_id: plan.id.clone(),
            title,
            owner_person_id: emil.clone(),
            due_on: due(days),
            weight: 2,
            ..Default::default()
        }),
    };
    let activity_title = s.shared("activity title");
    d.add_activity(as_(SOFIA, activity(activity_title.clone(), 15)))
        .await
        .unwrap();
    let to_update_title = s.shared("activity to update");
    let after = d
        .add_activity(as_(SOFIA, activity(to_update_title.clone(), 25)))
        .await
        .unwrap()
        .into_inner()
        .action_plan
        .unwrap();
    let to_update = after
        .activities
        .iter()
        .find(|a| a.title == to_update_title)
        .unwrap()
        .clone();

    let registered_text = s.shared("decision registered by the row");
    let corrected_text = s.shared("corrected decision text");
    let new_follow_up = s.shared("follow-up planned by the row");
    let new_plan = s.shared("action plan created by the row");
    let new_activity = s.shared("activity added by the row");
    let row = |method, control| Row::new(SERVICE, method, control);
    let read = "the register is a public record: every person of a member municipality reads it";
    vec![
        row("RegisterDecision", SOFIA)
            .no_role(ERIK)
            .other_member_as(EVA)
            .reveals(&registered_text)
            .request(register(&seeded, 3, "", &registered_text, &ida)),
        row("GetDecision", EMIL)
            .any_person(read)
            .other_member_allowed()
            .reveals(&decision_title)
            .reveals(&decision_text)
            .request(pb::GetDecisionRequest {
                id: decision.id.clone(),
            }),
        // Another collaboration lists its own register, without ours.
        row("ListDecisions", EMIL)
            .any_person(read)
            .other_member_allowed()
            .other_collaboration_allowed()
            .reveals(&decision_text)
            .request(pb::ListDecisionsRequest {
                page_size: 200,
                ..Default::default()
            }),
        row("UpdateDecision", SOFIA)
            .no_role(ERIK)
            .other_member_as(EVA)
            .reveals(&corrected_text)
            .request(pb::UpdateDecisionRequest {
                decision: Some(pb::Decision {
                    text: corrected_text.clone(),
                    ..to_correct.clone()
                }),
                etag: to_correct.etag.clone(),
            }),
        // The secretary or the responsible person; Erik is neither.
        row("SetDecisionStatus", SOFIA)
            .no_role(ERIK)
            .other_member_as(EVA)
            .request(pb::SetDecisionStatusRequest {
                id: to_move.id.clone(),
                status: pb::DecisionStatus::InProgress as i32,
                reason: String::new(),
                etag: to_move.etag.clone(),
            }),
        row("CreateFollowUp", SOFIA)
            .no_role(ERIK)
            .other_member_as(EVA)
            .reveals(&new_follow_up)
            .request(follow_up(new_follow_up.clone(), 40)),
        row("RecordFollowUp", SOFIA)
            .no_role(ERIK)
            .other_member_as(EVA)
            .request(pb::RecordFollowUpRequest {
                id: to_record.id.clone(),
                meeting_id: seeded.meeting.id.clone(),
                paragraph_id: seeded.paragraphs[4].id.clone(),
                etag: to_record.etag.clone(),
            }),
        row("ListFollowUps", EMIL)
            .any_person(read)
            .other_member_allowed()
            .reveals(&follow_up_title)
            .request(pb::ListFollowUpsRequest {
                decision_id: decision.id.clone(),
            }),
        row("CreateActionPlan", SOFIA)
            .no_role(ERIK)
            .other_member_as(EVA)
            .reveals(&new_plan)
            .request(pb::CreateActionPlanRequest {
                request_id: String::new(),
                action_plan: Some(pb::ActionPlan {
                    decision_id: decision.id.clone(),
                    title: new_plan.clone(),
                    ..Default::default()
                }),
            }),
        row("GetActionPlan", EMIL)
            .any_person(read)
            .other_member_allowed()
            .reveals(&plan_title)
            .reveals(&activity_title)
            .request(pb::GetActionPlanRequest {
                id: plan.id.clone(),
            }),
        row("AddActivity", SOFIA)
            .no_role(ERIK)
            .other_member_as(EVA)
            .reveals(&new_activity)
            .request(activity(new_activity.clone(), 50)),
        // Only the activity's owner and the decision's responsible person:
        // not even the forum's secretary.
        row("UpdateActivity", EMIL)
            .no_role(SOFIA)
            .other_member_as(EVA)
            .reveals(&to_update_title)
            .request(pb::UpdateActivityRequest {
                id: to_update.id.clone(),
                status: pb::ActivityStatus::InProgress as i32,
                progress_percent: 40,
                note: "Upphandlingsunderlaget är påbörjat.".into(),
                etag: to_update.etag.clone(),
            }),
        // Another collaboration lists what is due in its own register.
        row("ListDue", EMIL)
            .any_person(read)
            .other_member_allowed()
            .other_collaboration_allowed()
            .reveals(&follow_up_title)
            .reveals(&activity_title)
            .request(pb::ListDueRequest {
                within_days: 30,
                ..Default::default()
            }),
        // The trail of Tranemo's unsubmitted matter: the service asks the
        // forums service as the caller, so no other municipality learns of it.
        row("GetTrail", EMIL)
            .any_person(
                "a matter's trail is for those who may read the matter: here, Tranemo's people",
            )
            .reveals(&draft_title)
            .request(pb::GetTrailRequest {
                decision_id: String::new(),
                matter_id: draft_matter.id.clone(),
            }),
    ]
}
