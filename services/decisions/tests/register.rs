//! The decision register over real gRPC, on SQLite and PostgreSQL: the
//! release story's steps 6–7 (decisions registered against their §, adjusted and final,
//! an action plan, a follow-up due on the forum's backlog exactly once and
//! recorded at a § of a later meeting) and the trail from need to outcome.

use chrono::Days;
use samverkan_core::dates;
use samverkan_proto::decisions::v1 as pb;
use samverkan_proto::decisions::v1::decisions_service_client::DecisionsServiceClient;
use samverkan_proto::forums::v1 as fpb;
use samverkan_proto::forums::v1::forums_service_client::ForumsServiceClient;
use samverkan_server::Svc;
use samverkan_testkit::story::{
    Forums, add_item, as_, forum_ids, hold, meeting, paragraph, publish,
};
use samverkan_testkit::{TestDb, TestServer, backend_test};
use tonic::Code;
use tonic::transport::Channel;

const SOFIA: &str = "sofia.lindstrom@tranemo.se";
const EVA: &str = "eva.dahlgren@ulricehamn.se";
const ANNA: &str = "anna.aberg@tranemo.se";
const LARS: &str = "lars.angstrom@ulricehamn.se";
const PER: &str = "per.hakansson@ulricehamn.se";
const NILS: &str = "nils.ekstrom@ulricehamn.se";

type Decisions = DecisionsServiceClient<Channel>;

const ALL: &[Svc] = &[Svc::Roles, Svc::Forums, Svc::Decisions];

async fn clients(server: &TestServer) -> (Forums, Decisions) {
    let ch = server.channel().await;
    (
        ForumsServiceClient::new(ch.clone()),
        DecisionsServiceClient::new(ch),
    )
}

async fn person_id(server: &TestServer, email: &str) -> String {
    let mut roles = samverkan_proto::roles::v1::roles_service_client::RolesServiceClient::new(
        server.channel().await,
    );
    let me = roles
        .who_am_i(as_(email, samverkan_proto::roles::v1::WhoAmIRequest {}))
        .await
        .unwrap()
        .into_inner();
    me.person.unwrap().id
}

/// A held IT-styrgruppen meeting with one § per title, not adjusted.
async fn minuted(
    f: &mut Forums,
    styrgruppen: &str,
    titles: &[&str],
    day: (i32, u32, u32),
) -> (fpb::Meeting, Vec<fpb::Paragraph>) {
    let mut m = meeting(f, EVA, styrgruppen, &format!("IT-styrgruppen {day:?}"), day).await;
    for t in titles {
        m = add_item(f, EVA, &m.id, fpb::AgendaItemKind::Decision, t, "").await;
    }
    publish(f, EVA, &m).await;
    hold(f, EVA, &m).await;
    let mut ps = Vec::new();
    for item in &m.agenda {
        ps.push(
            paragraph(
                f,
                EVA,
                &m.id,
                &item.id,
                fpb::ParagraphOutcome::Decided,
                &format!("Beslut om {}.", item.title),
            )
            .await,
        );
    }
    (m, ps)
}

async fn adjust(f: &mut Forums, m: &fpb::Meeting) {
    f.designate_adjusters(as_(
        EVA,
        fpb::DesignateAdjustersRequest {
            meeting_id: m.id.clone(),
            person_ids: vec![],
        },
    ))
    .await
    .unwrap();
    f.adjust_minutes(as_(
        ANNA,
        fpb::AdjustMinutesRequest {
            meeting_id: m.id.clone(),
        },
    ))
    .await
    .unwrap();
    f.adjust_minutes(as_(
        LARS,
        fpb::AdjustMinutesRequest {
            meeting_id: m.id.clone(),
        },
    ))
    .await
    .unwrap();
}

fn register(
    m: &fpb::Meeting,
    p: &fpb::Paragraph,
    responsible: &str,
    supersedes: &str,
) -> pb::RegisterDecisionRequest {
    pb::RegisterDecisionRequest {
        request_id: format!("beslut-{}", p.id),
        decision: Some(pb::Decision {
            meeting_id: m.id.clone(),
            paragraph_id: p.id.clone(),
            responsible_role_code: "it-chef".into(),
            responsible_person_id: responsible.into(),
            supersedes_id: supersedes.into(),
            ..Default::default()
        }),
    }
}

async fn backlog_titles(f: &mut Forums, forum: &str) -> Vec<String> {
    f.list_agenda_backlog(as_(
        EVA,
        fpb::ListAgendaBacklogRequest {
            forum_id: forum.into(),
            ..Default::default()
        },
    ))
    .await
    .unwrap()
    .into_inner()
    .matters
    .into_iter()
    .map(|m| m.title)
    .collect()
}

async fn from_need_to_outcome(db: TestDb) {
    let server = TestServer::start(&db, ALL).await;
    let (mut f, mut d) = clients(&server).await;
    let (utveckling, styrgruppen) = forum_ids(&server).await;
    let per = person_id(&server, PER).await;
    let nils = person_id(&server, NILS).await;

    // The need travels from Tranemo through IT-forum utveckling to IT-styrgruppen.
    let draft = f
        .create_matter(as_(
            SOFIA,
            fpb::CreateMatterRequest {
                request_id: String::new(),
                matter: Some(fpb::Matter {
                    kind: 1,
                    title: "E-arkiv för båda kommunerna".into(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .matter
        .unwrap();
    let submitted = f
        .submit_matter(as_(
            SOFIA,
            fpb::SubmitMatterRequest {
                id: draft.id.clone(),
                forum_id: utveckling.clone(),
                etag: draft.etag,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .matter
        .unwrap();
    let m1 = meeting(
        &mut f,
        EVA,
        &utveckling,
        "IT-forum utveckling",
        (2026, 12, 3),
    )
    .await;
    let m1 = add_item(
        &mut f,
        EVA,
        &m1.id,
        fpb::AgendaItemKind::Decision,
        "",
        &submitted.id,
    )
    .await;
    publish(&mut f, EVA, &m1).await;
    hold(&mut f, SOFIA, &m1).await;
    let p1 = paragraph(
        &mut f,
        SOFIA,
        &m1.id,
        &m1.agenda[0].id,
        fpb::ParagraphOutcome::Escalated,
        "Överlämnas.",
    )
    .await;
    let current = f
        .get_matter(as_(
            EVA,
            fpb::GetMatterRequest {
                id: draft.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .matter
        .unwrap();
    f.escalate_matter(as_(
        EVA,
        fpb::EscalateMatterRequest {
            id: draft.id.clone(),
            paragraph_id: p1.id.clone(),
            recommendation: "Upphandla e-arkiv gemensamt.".into(),
            etag: current.etag,
        },
    ))
    .await
    .unwrap();

    // 6. IT-styrgruppen decides at § 1; the decision is registered against it.
    let mut m2 = meeting(
        &mut f,
        EVA,
        &styrgruppen,
        "IT-styrgruppen 6/2026",
        (2026, 12, 10),
    )
    .await;
    m2 = add_item(
        &mut f,
        EVA,
        &m2.id,
        fpb::AgendaItemKind::Decision,
        "",
        &draft.id,
    )
    .await;
    publish(&mut f, EVA, &m2).await;
    hold(&mut f, EVA, &m2).await;
    let p2 = paragraph(
        &mut f,
        EVA,
        &m2.id,
        &m2.agenda[0].id,
        fpb::ParagraphOutcome::Decided,
        "IT-styrgruppen beslutar att upphandla e-arkiv.",
    )
    .await;
    let dec = d
        .register_decision(as_(EVA, register(&m2, &p2, &per, "")))
        .await
        .unwrap()
        .into_inner()
        .decision
        .unwrap();
    assert_eq!(dec.paragraph_ref, "§ 1/2026");
    assert_eq!(
        dec.decision_date,
        Some(samverkan_proto::common::v1::Date {
            year: 2026,
            month: 12,
            day: 10
        })
    );
    assert_eq!(dec.matter_id, draft.id);
    assert!(!dec.r#final);
    let again = d
        .register_decision(as_(EVA, register(&m2, &p2, &per, "")))
        .await
        .unwrap()
        .into_inner()
        .decision
        .unwrap();
    assert_eq!(
        again.id, dec.id,
        "a retried registration creates nothing new"
    );
    // Only the secretary registers.
    let err = d
        .register_decision(as_(
            ANNA,
            pb::RegisterDecisionRequest {
                request_id: String::new(),
                ..register(&m2, &p2, &per, "")
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);

    // Before adjustment the text may still be corrected.
    let stale = dec.clone();
    let dec = d
        .update_decision(as_(
            EVA,
            pb::UpdateDecisionRequest {
                decision: Some(pb::Decision {
                    text: "IT-styrgruppen beslutar att upphandla e-arkiv under 2027.".into(),
                    ..dec.clone()
                }),
                etag: dec.etag.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .decision
        .unwrap();
    let err = d
        .update_decision(as_(
            EVA,
            pb::UpdateDecisionRequest {
                decision: Some(pb::Decision {
                    text: "Ett samtidigt ändrat beslut".into(),
                    ..stale.clone()
                }),
                etag: stale.etag.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Aborted, "a stale etag changes nothing");
    adjust(&mut f, &m2).await;
    let err = d
        .update_decision(as_(
            EVA,
            pb::UpdateDecisionRequest {
                decision: Some(pb::Decision {
                    text: "Ändrad text".into(),
                    ..dec.clone()
                }),
                etag: dec.etag.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    let today = dates::today();
    samverkan_server::background::run_once(&db.app, today)
        .await
        .unwrap();
    let now = d
        .get_decision(as_(LARS, pb::GetDecisionRequest { id: dec.id.clone() }))
        .await
        .unwrap()
        .into_inner()
        .decision
        .unwrap();
    assert!(
        now.r#final,
        "adjusted minutes made the decision final through the outbox"
    );
    assert_eq!(
        now.text,
        "IT-styrgruppen beslutar att upphandla e-arkiv under 2027."
    );

    // 7. An action plan with weighted activities.
    let plan = d
        .create_action_plan(as_(
            EVA,
            pb::CreateActionPlanRequest {
                request_id: String::new(),
                action_plan: Some(pb::ActionPlan {
                    decision_id: dec.id.clone(),
                    title: "Handlingsplan e-arkiv".into(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .action_plan
        .unwrap();
    let due = dates::to_proto(today + Days::new(20));
    for (title, owner, weight) in [
        ("Kravställning", &per, 3),
        ("Informationsklassning", &nils, 1),
    ] {
        d.add_activity(as_(
            EVA,
            pb::AddActivityRequest {
                request_id: String::new(),
                activity: Some(pb::Activity {
                    action_plan_id: plan.id.clone(),
                    title: title.into(),
                    owner_person_id: owner.clone(),
                    due_on: Some(due),
                    weight,
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap();
    }
    let plan = d
        .get_action_plan(as_(
            PER,
            pb::GetActionPlanRequest {
                id: plan.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .action_plan
        .unwrap();
    let mine = plan
        .activities
        .iter()
        .find(|a| a.owner_person_id == per)
        .unwrap()
        .clone();
    let err = d
        .update_activity(as_(
            NILS,
            pb::UpdateActivityRequest {
                id: mine.id.clone(),
                status: 3,
                progress_percent: 100,
                note: String::new(),
                etag: mine.etag.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Code::PermissionDenied,
        "only the owner and the responsible update an activity"
    );
    let plan = d
        .update_activity(as_(
            PER,
            pb::UpdateActivityRequest {
                id: mine.id.clone(),
                status: pb::ActivityStatus::Done as i32,
                progress_percent: 100,
                note: "Kravspecifikationen är klar.".into(),
                etag: mine.etag.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .action_plan
        .unwrap();
    assert_eq!(plan.progress_permille, 750, "3 of 4 weight units done");
    let entry = &plan
        .activities
        .iter()
        .find(|a| a.id == mine.id)
        .unwrap()
        .timeline[0];
    assert_eq!(
        entry.text,
        "Status: klar, 100 %. Kravspecifikationen är klar."
    );

    // A follow-up due in ten days lands on IT-styrgruppen's backlog, once.
    let fu = d
        .create_follow_up(as_(
            EVA,
            pb::CreateFollowUpRequest {
                request_id: String::new(),
                follow_up: Some(pb::FollowUp {
                    decision_id: dec.id.clone(),
                    due_on: Some(dates::to_proto(today + Days::new(10))),
                    title: "Lägesrapport e-arkiv".into(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .follow_up
        .unwrap();
    let due_list = d
        .list_due(as_(
            PER,
            pb::ListDueRequest {
                within_days: 30,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .items;
    assert!(due_list.iter().any(|i| i.kind == "follow_up"
        && i.id == fu.id
        && i.responsible_person_id == per
        && i.days_left == 10));
    samverkan_server::background::run_once(&db.app, today)
        .await
        .unwrap();
    samverkan_server::background::run_once(&db.app, today)
        .await
        .unwrap();
    // A delivery retried after it was applied (the acknowledgement lost).
    db.owner
        .execute_admin("UPDATE outbox SET delivered_time = NULL")
        .await
        .unwrap();
    samverkan_server::background::run_once(&db.app, today)
        .await
        .unwrap();
    let titles = backlog_titles(&mut f, &styrgruppen).await;
    assert_eq!(
        titles,
        ["Uppföljning: E-arkiv för båda kommunerna"],
        "exactly once on the backlog"
    );

    // The follow-up is presented at a later meeting and recorded at its §.
    let backlog = f
        .list_agenda_backlog(as_(
            EVA,
            fpb::ListAgendaBacklogRequest {
                forum_id: styrgruppen.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .matters;
    let mut m3 = meeting(
        &mut f,
        EVA,
        &styrgruppen,
        "IT-styrgruppen 1/2027",
        (2027, 1, 14),
    )
    .await;
    m3 = add_item(
        &mut f,
        EVA,
        &m3.id,
        fpb::AgendaItemKind::Report,
        "",
        &backlog[0].id,
    )
    .await;
    publish(&mut f, EVA, &m3).await;
    hold(&mut f, EVA, &m3).await;
    let p3 = paragraph(
        &mut f,
        EVA,
        &m3.id,
        &m3.agenda[0].id,
        fpb::ParagraphOutcome::Noted,
        "Lägesrapporten noterades.",
    )
    .await;
    assert_eq!(p3.reference, "§ 1/2027");
    // Another forum's secretary cannot close it with a § of their own forum.
    let mut other = meeting(
        &mut f,
        SOFIA,
        &utveckling,
        "IT-forum utveckling 1/2027",
        (2027, 1, 12),
    )
    .await;
    other = add_item(
        &mut f,
        SOFIA,
        &other.id,
        fpb::AgendaItemKind::Information,
        "Lägesrapport e-underskrift",
        "",
    )
    .await;
    publish(&mut f, SOFIA, &other).await;
    hold(&mut f, SOFIA, &other).await;
    let wrong = paragraph(
        &mut f,
        SOFIA,
        &other.id,
        &other.agenda[0].id,
        fpb::ParagraphOutcome::Noted,
        "Informationen noterades.",
    )
    .await;
    let err = d
        .record_follow_up(as_(
            SOFIA,
            pb::RecordFollowUpRequest {
                id: fu.id.clone(),
                meeting_id: other.id.clone(),
                paragraph_id: wrong.id.clone(),
                etag: fu.etag.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    let fu = d
        .record_follow_up(as_(
            EVA,
            pb::RecordFollowUpRequest {
                id: fu.id.clone(),
                meeting_id: m3.id.clone(),
                paragraph_id: p3.id.clone(),
                etag: fu.etag.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .follow_up
        .unwrap();
    assert_eq!(fu.status, pb::FollowUpStatus::Complete as i32);
    assert_eq!(fu.paragraph_ref, "§ 1/2027");

    // Carried out, by the responsible person.
    let dec = d
        .get_decision(as_(PER, pb::GetDecisionRequest { id: dec.id.clone() }))
        .await
        .unwrap()
        .into_inner()
        .decision
        .unwrap();
    d.set_decision_status(as_(
        PER,
        pb::SetDecisionStatusRequest {
            id: dec.id.clone(),
            status: pb::DecisionStatus::CarriedOut as i32,
            reason: String::new(),
            etag: dec.etag,
        },
    ))
    .await
    .unwrap();

    // The trail, from the decision and from the matter.
    for req in [
        pb::GetTrailRequest {
            decision_id: dec.id.clone(),
            matter_id: String::new(),
        },
        pb::GetTrailRequest {
            decision_id: String::new(),
            matter_id: draft.id.clone(),
        },
    ] {
        let trail = d.get_trail(as_(LARS, req)).await.unwrap().into_inner();
        assert_eq!(trail.raising_municipality_id, "tranemo");
        let kinds: Vec<_> = trail.steps.iter().map(|s| s.kind.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "raised",
                "submitted",
                "escalated",
                "decided",
                "followed_up",
                "carried_out"
            ],
            "{:#?}",
            trail.steps
        );
        let escalated = &trail.steps[2];
        assert_eq!(
            (
                escalated.forum_id.as_str(),
                escalated.paragraph_ref.as_str()
            ),
            (utveckling.as_str(), "§ 1/2026")
        );
        assert!(
            escalated
                .description
                .contains("Upphandla e-arkiv gemensamt.")
        );
        assert_eq!(trail.steps[3].forum_id, styrgruppen);
        assert_eq!(trail.steps[4].paragraph_ref, "§ 1/2027");
    }
    server.stop().await;
}
backend_test!(from_need_to_outcome);

async fn a_decision_needs_an_existing_paragraph(db: TestDb) {
    let server = TestServer::start(&db, ALL).await;
    let (mut f, mut d) = clients(&server).await;
    let (_, styrgruppen) = forum_ids(&server).await;
    let (m, ps) = minuted(&mut f, &styrgruppen, &["Budget 2027"], (2026, 11, 5)).await;
    let ghost = fpb::Paragraph {
        id: samverkan_core::new_uuid().to_string(),
        ..ps[0].clone()
    };
    let err = d
        .register_decision(as_(EVA, register(&m, &ghost, "", "")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    let all = d
        .list_decisions(as_(EVA, pb::ListDecisionsRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .decisions;
    assert!(all.is_empty(), "nothing was registered");
    server.stop().await;
}
backend_test!(a_decision_needs_an_existing_paragraph);

async fn supersession_links_both_ways(db: TestDb) {
    let server = TestServer::start(&db, ALL).await;
    let (mut f, mut d) = clients(&server).await;
    let (_, styrgruppen) = forum_ids(&server).await;
    let (m, ps) = minuted(
        &mut f,
        &styrgruppen,
        &["Lösenordspolicy", "Ny lösenordspolicy"],
        (2026, 10, 1),
    )
    .await;
    let a = d
        .register_decision(as_(EVA, register(&m, &ps[0], "", "")))
        .await
        .unwrap()
        .into_inner()
        .decision
        .unwrap();
    let b = d
        .register_decision(as_(EVA, register(&m, &ps[1], "", &a.id)))
        .await
        .unwrap()
        .into_inner()
        .decision
        .unwrap();
    let a = d
        .get_decision(as_(EVA, pb::GetDecisionRequest { id: a.id.clone() }))
        .await
        .unwrap()
        .into_inner()
        .decision
        .unwrap();
    assert_eq!(a.superseded_by_id, b.id);
    assert_eq!(b.supersedes_id, a.id);
    assert_eq!(a.status, pb::DecisionStatus::Superseded as i32);
    let err = d
        .set_decision_status(as_(
            EVA,
            pb::SetDecisionStatusRequest {
                id: a.id.clone(),
                status: pb::DecisionStatus::Revoked as i32,
                reason: "Fel".into(),
                etag: a.etag.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert!(
        err.message().contains(&b.id),
        "the reason names the superseding decision: {}",
        err.message()
    );
    let err = d
        .set_decision_status(as_(
            EVA,
            pb::SetDecisionStatusRequest {
                id: b.id.clone(),
                status: pb::DecisionStatus::Revoked as i32,
                reason: String::new(),
                etag: b.etag.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "revoking needs a reason");
    let b = d
        .set_decision_status(as_(
            EVA,
            pb::SetDecisionStatusRequest {
                id: b.id.clone(),
                status: pb::DecisionStatus::Revoked as i32,
                reason: "Ersätts av nationell policy".into(),
                etag: b.etag.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .decision
        .unwrap();
    assert_eq!(b.status, pb::DecisionStatus::Revoked as i32);
    // Search and filter the register.
    let found = d
        .list_decisions(as_(
            LARS,
            pb::ListDecisionsRequest {
                text: "NY LÖSEN".to_lowercase(),
                year: 2026,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .decisions;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, b.id);
    let page = d
        .list_decisions(as_(
            LARS,
            pb::ListDecisionsRequest {
                page_size: 1,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.decisions.len(), 1);
    assert!(!page.next_page_token.is_empty());
    server.stop().await;
}
backend_test!(supersession_links_both_ways);

async fn due_lists_mark_overdue(db: TestDb) {
    let server = TestServer::start(&db, ALL).await;
    let (mut f, mut d) = clients(&server).await;
    let (_, styrgruppen) = forum_ids(&server).await;
    let per = person_id(&server, PER).await;
    let (m, ps) = minuted(&mut f, &styrgruppen, &["Säkerhetskopiering"], (2026, 9, 3)).await;
    let dec = d
        .register_decision(as_(EVA, register(&m, &ps[0], &per, "")))
        .await
        .unwrap()
        .into_inner()
        .decision
        .unwrap();
    let today = dates::today();
    for (title, date) in [
        ("igår", today.pred_opt().unwrap()),
        ("idag", today),
        ("om sju dagar", today + Days::new(7)),
        ("om åtta dagar", today + Days::new(8)),
    ] {
        d.create_follow_up(as_(
            EVA,
            pb::CreateFollowUpRequest {
                request_id: String::new(),
                follow_up: Some(pb::FollowUp {
                    decision_id: dec.id.clone(),
                    due_on: Some(dates::to_proto(date)),
                    title: title.into(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap();
    }
    let items = d
        .list_due(as_(
            PER,
            pb::ListDueRequest {
                within_days: 7,
                forum_id: styrgruppen.clone(),
                responsible_person_id: per.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .items;
    let summary: Vec<_> = items
        .iter()
        .map(|i| (i.title.as_str(), i.overdue, i.days_left))
        .collect();
    assert_eq!(
        summary,
        [
            ("igår", true, -1),
            ("idag", false, 0),
            ("om sju dagar", false, 7)
        ]
    );
    let err = d
        .list_due(as_(
            PER,
            pb::ListDueRequest {
                within_days: 400,
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    server.stop().await;
}
backend_test!(due_lists_mark_overdue);
