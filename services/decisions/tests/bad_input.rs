//! Bad input to every create, update and other mutating RPC of the
//! decisions service (issue #8, point 8), on SQLite and PostgreSQL: empty,
//! overlong, wrongly formatted and out-of-range fields each answer
//! `INVALID_ARGUMENT` with a `google.rpc.BadRequest` naming the offending
//! field, and write nothing — every table's rows are the same before and
//! after the call.
//!
//! Each case starts from a valid request (proved valid by sending it after
//! the cases, as a control that must succeed) and spoils one field.

use samverkan_proto::common::v1::Date;
use samverkan_proto::decisions::v1 as pb;
use samverkan_proto::decisions::v1::decisions_service_client::DecisionsServiceClient;
use samverkan_proto::forums::v1 as fpb;
use samverkan_proto::forums::v1::forums_service_client::ForumsServiceClient;
use samverkan_proto::roles::v1::WhoAmIRequest;
use samverkan_proto::roles::v1::roles_service_client::RolesServiceClient;
use samverkan_server::Svc;
use samverkan_testkit::bad_input::{Snapshots, judge, paced};
use samverkan_testkit::story::{add_item, as_, forum_ids, hold, meeting, paragraph, publish};
use samverkan_testkit::{TestDb, TestServer, backend_test};
use tonic::Status;
use tonic::transport::Channel;

const EVA: &str = "eva.dahlgren@ulricehamn.se"; // IT-styrgruppen's secretary
const PER: &str = "per.hakansson@ulricehamn.se"; // IT-chef, responsible for the decision

type Client = DecisionsServiceClient<Channel>;

fn date(year: i32, month: i32, day: i32) -> Option<Date> {
    Some(Date { year, month, day })
}

// ---------------------------------------------------------------------------
// The harness: a snapshot of every table, and the check of one case.

// ---------------------------------------------------------------------------
// The requests.

/// One request of the table, to any mutating RPC of the service (and the
/// filters of its lists).
#[derive(Clone)]
enum Req {
    RegisterDecision(pb::RegisterDecisionRequest),
    UpdateDecision(pb::UpdateDecisionRequest),
    SetDecisionStatus(pb::SetDecisionStatusRequest),
    CreateFollowUp(pb::CreateFollowUpRequest),
    RecordFollowUp(pb::RecordFollowUpRequest),
    CreateActionPlan(pb::CreateActionPlanRequest),
    AddActivity(pb::AddActivityRequest),
    UpdateActivity(pb::UpdateActivityRequest),
    ListDecisions(pb::ListDecisionsRequest),
    ListDue(pb::ListDueRequest),
    GetTrail(pb::GetTrailRequest),
}

impl Req {
    fn rpc(&self) -> &'static str {
        match self {
            Req::RegisterDecision(_) => "RegisterDecision",
            Req::UpdateDecision(_) => "UpdateDecision",
            Req::SetDecisionStatus(_) => "SetDecisionStatus",
            Req::CreateFollowUp(_) => "CreateFollowUp",
            Req::RecordFollowUp(_) => "RecordFollowUp",
            Req::CreateActionPlan(_) => "CreateActionPlan",
            Req::AddActivity(_) => "AddActivity",
            Req::UpdateActivity(_) => "UpdateActivity",
            Req::ListDecisions(_) => "ListDecisions",
            Req::ListDue(_) => "ListDue",
            Req::GetTrail(_) => "GetTrail",
        }
    }

    /// Sends the request as a person allowed to make it.
    async fn send(self, mut c: Client) -> Result<(), Status> {
        match self {
            Req::RegisterDecision(r) => c.register_decision(as_(EVA, r)).await.map(drop),
            Req::UpdateDecision(r) => c.update_decision(as_(EVA, r)).await.map(drop),
            Req::SetDecisionStatus(r) => c.set_decision_status(as_(EVA, r)).await.map(drop),
            Req::CreateFollowUp(r) => c.create_follow_up(as_(EVA, r)).await.map(drop),
            Req::RecordFollowUp(r) => c.record_follow_up(as_(EVA, r)).await.map(drop),
            Req::CreateActionPlan(r) => c.create_action_plan(as_(EVA, r)).await.map(drop),
            Req::AddActivity(r) => c.add_activity(as_(EVA, r)).await.map(drop),
            // The activity's owner updates it.
            Req::UpdateActivity(r) => c.update_activity(as_(PER, r)).await.map(drop),
            Req::ListDecisions(r) => c.list_decisions(as_(EVA, r)).await.map(drop),
            Req::ListDue(r) => c.list_due(as_(EVA, r)).await.map(drop),
            Req::GetTrail(r) => c.get_trail(as_(EVA, r)).await.map(drop),
        }
    }
}

async fn send_paced(c: &Client, req: &Req) -> Result<(), Status> {
    paced(|| req.clone().send(c.clone())).await
}

/// A minuted IT-styrgruppen meeting, a decision registered at its first §
/// with a follow-up and an action plan, that the valid requests refer to.
struct Fixture {
    meeting: fpb::Meeting,
    paragraphs: Vec<fpb::Paragraph>,
    per: String,
    decision: pb::Decision,
    follow_up: pb::FollowUp,
    plan: pb::ActionPlan,
}

impl Fixture {
    async fn load(server: &TestServer, c: &mut Client) -> Self {
        let mut f = ForumsServiceClient::new(server.channel().await);
        let mut roles = RolesServiceClient::new(server.channel().await);
        let per = roles
            .who_am_i(as_(PER, WhoAmIRequest {}))
            .await
            .unwrap()
            .into_inner()
            .person
            .unwrap()
            .id;
        let (_, styrgruppen) = forum_ids(server).await;
        let mut m = meeting(
            &mut f,
            EVA,
            &styrgruppen,
            "IT-styrgruppen 1/2027",
            (2027, 1, 21),
        )
        .await;
        for t in [
            "Ny e-postplattform",
            "Gemensam växel för båda kommunerna",
            "Uppföljning av årets säkerhetsarbete",
        ] {
            m = add_item(&mut f, EVA, &m.id, fpb::AgendaItemKind::Decision, t, "").await;
        }
        publish(&mut f, EVA, &m).await;
        hold(&mut f, EVA, &m).await;
        let mut paragraphs = Vec::new();
        for item in &m.agenda {
            paragraphs.push(
                paragraph(
                    &mut f,
                    EVA,
                    &m.id,
                    &item.id,
                    fpb::ParagraphOutcome::Decided,
                    &format!("IT-styrgruppen beslutar om {}.", item.title.to_lowercase()),
                )
                .await,
            );
        }
        let decision = c
            .register_decision(as_(
                EVA,
                pb::RegisterDecisionRequest {
                    request_id: "beslut-e-post".into(),
                    decision: Some(pb::Decision {
                        meeting_id: m.id.clone(),
                        paragraph_id: paragraphs[0].id.clone(),
                        responsible_role_code: "it-chef".into(),
                        responsible_person_id: per.clone(),
                        ..Default::default()
                    }),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .decision
            .unwrap();
        let follow_up = c
            .create_follow_up(as_(
                EVA,
                pb::CreateFollowUpRequest {
                    request_id: "uppföljning-e-post".into(),
                    follow_up: Some(pb::FollowUp {
                        decision_id: decision.id.clone(),
                        due_on: date(2027, 9, 30),
                        title: "Återrapport om e-postplattformen".into(),
                        ..Default::default()
                    }),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .follow_up
            .unwrap();
        let plan = c
            .create_action_plan(as_(
                EVA,
                pb::CreateActionPlanRequest {
                    request_id: "plan-e-post".into(),
                    action_plan: Some(pb::ActionPlan {
                        decision_id: decision.id.clone(),
                        title: "Handlingsplan e-postplattform".into(),
                        ..Default::default()
                    }),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .action_plan
            .unwrap();
        let plan = c
            .add_activity(as_(
                EVA,
                pb::AddActivityRequest {
                    request_id: "aktivitet-upphandling".into(),
                    activity: Some(pb::Activity {
                        action_plan_id: plan.id.clone(),
                        title: "Förstudie och upphandlingsunderlag".into(),
                        owner_person_id: per.clone(),
                        due_on: date(2027, 5, 31),
                        weight: 2,
                        ..Default::default()
                    }),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .action_plan
            .unwrap();
        Self {
            meeting: m,
            paragraphs,
            per,
            decision,
            follow_up,
            plan,
        }
    }

    fn register_decision(&self) -> pb::RegisterDecisionRequest {
        pb::RegisterDecisionRequest {
            request_id: "beslut-växel".into(),
            decision: Some(pb::Decision {
                meeting_id: self.meeting.id.clone(),
                paragraph_id: self.paragraphs[1].id.clone(),
                title: "Gemensam växel för Tranemo och Ulricehamn".into(),
                text: "IT-styrgruppen beslutar att en gemensam växel upphandlas.".into(),
                responsible_role_code: "it-chef".into(),
                responsible_person_id: self.per.clone(),
                ..Default::default()
            }),
        }
    }

    fn update_decision(&self) -> pb::UpdateDecisionRequest {
        pb::UpdateDecisionRequest {
            decision: Some(pb::Decision {
                title: "Ny e-postplattform för båda kommunerna".into(),
                text: "IT-styrgruppen beslutar att e-posten flyttas till en gemensam plattform under 2027.".into(),
                ..self.decision.clone()
            }),
            etag: self.decision.etag.clone(),
        }
    }

    fn set_decision_status(&self) -> pb::SetDecisionStatusRequest {
        pb::SetDecisionStatusRequest {
            id: self.decision.id.clone(),
            status: pb::DecisionStatus::InProgress as i32,
            reason: "Förstudien är påbörjad.".into(),
            etag: self.decision.etag.clone(),
        }
    }

    fn create_follow_up(&self) -> pb::CreateFollowUpRequest {
        pb::CreateFollowUpRequest {
            request_id: "uppföljning-2".into(),
            follow_up: Some(pb::FollowUp {
                decision_id: self.decision.id.clone(),
                due_on: date(2028, 2, 29),
                title: "Årsvis återrapport om e-posten".into(),
                ..Default::default()
            }),
        }
    }

    fn record_follow_up(&self) -> pb::RecordFollowUpRequest {
        pb::RecordFollowUpRequest {
            id: self.follow_up.id.clone(),
            meeting_id: self.meeting.id.clone(),
            paragraph_id: self.paragraphs[2].id.clone(),
            etag: self.follow_up.etag.clone(),
        }
    }

    fn create_action_plan(&self) -> pb::CreateActionPlanRequest {
        pb::CreateActionPlanRequest {
            request_id: "plan-2".into(),
            action_plan: Some(pb::ActionPlan {
                decision_id: self.decision.id.clone(),
                title: "Handlingsplan för övergången".into(),
                ..Default::default()
            }),
        }
    }

    fn add_activity(&self) -> pb::AddActivityRequest {
        pb::AddActivityRequest {
            request_id: "aktivitet-migrering".into(),
            activity: Some(pb::Activity {
                action_plan_id: self.plan.id.clone(),
                title: "Migrering av brevlådor i Ulricehamn".into(),
                owner_person_id: self.per.clone(),
                due_on: date(2027, 10, 31),
                weight: 5,
                ..Default::default()
            }),
        }
    }

    fn update_activity(&self) -> pb::UpdateActivityRequest {
        let a = &self.plan.activities[0];
        pb::UpdateActivityRequest {
            id: a.id.clone(),
            status: pb::ActivityStatus::InProgress as i32,
            progress_percent: 40,
            note: "Förfrågningsunderlaget är på remiss hos kommunerna.".into(),
            etag: a.etag.clone(),
        }
    }
}

/// One row of the table.
struct Case {
    field: &'static str,
    what: &'static str,
    req: Req,
}

fn long(n: usize) -> String {
    "å".repeat(n)
}

fn cases(fx: &Fixture) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut add = |field, what, req| cases.push(Case { field, what, req });
    let bad_dates: [(&'static str, Option<Date>); 5] = [
        ("missing", None),
        ("month 13 (2025-13-01)", date(2025, 13, 1)),
        ("29 February of a common year", date(2027, 2, 29)),
        ("year 0", date(0, 6, 1)),
        ("day 0", date(2027, 6, 0)),
    ];

    // RegisterDecision
    let rd = |f: &dyn Fn(&mut pb::RegisterDecisionRequest)| {
        let mut r = fx.register_decision();
        f(&mut r);
        Req::RegisterDecision(r)
    };
    fn rd_d(r: &mut pb::RegisterDecisionRequest) -> &mut pb::Decision {
        r.decision.as_mut().unwrap()
    }
    add(
        "decision.meeting_id",
        "empty",
        rd(&|r| rd_d(r).meeting_id.clear()),
    );
    add(
        "decision.meeting_id",
        "unset decision",
        rd(&|r| r.decision = None),
    );
    add(
        "decision.meeting_id",
        "not a UUID",
        rd(&|r| rd_d(r).meeting_id = "möte-1".into()),
    );
    add(
        "decision.paragraph_id",
        "empty",
        rd(&|r| rd_d(r).paragraph_id.clear()),
    );
    add(
        "decision.paragraph_id",
        "not a UUID",
        rd(&|r| rd_d(r).paragraph_id = "§ 2/2027".into()),
    );
    add(
        "decision.responsible_person_id",
        "not a UUID",
        rd(&|r| rd_d(r).responsible_person_id = "per".into()),
    );
    add(
        "decision.supersedes_id",
        "not a UUID",
        rd(&|r| rd_d(r).supersedes_id = "beslut-1".into()),
    );
    add(
        "decision.responsible_role_code",
        "101 characters",
        rd(&|r| rd_d(r).responsible_role_code = long(101)),
    );
    add(
        "decision.responsible_role_code",
        "control character",
        rd(&|r| rd_d(r).responsible_role_code = "it-chef\u{0}".into()),
    );
    add(
        "decision.basis_document_ids[1]",
        "not a UUID",
        rd(&|r| {
            rd_d(r).basis_document_ids = vec![
                "01900000-0000-7000-8000-00000000beef".into(),
                "bilaga 2".into(),
            ];
        }),
    );
    add(
        "decision.basis_document_ids[0]",
        "empty",
        rd(&|r| rd_d(r).basis_document_ids = vec![String::new()]),
    );
    add(
        "decision.title",
        "201 characters",
        rd(&|r| rd_d(r).title = long(201)),
    );
    add(
        "decision.title",
        "control character",
        rd(&|r| rd_d(r).title = "Växel\u{7}".into()),
    );
    add(
        "decision.text",
        "20 001 characters",
        rd(&|r| rd_d(r).text = long(20_001)),
    );
    add(
        "decision.text",
        "NUL character",
        rd(&|r| rd_d(r).text = "Beslut\u{0}".into()),
    );
    add(
        "request_id",
        "129 characters",
        rd(&|r| r.request_id = "ö".repeat(129)),
    );

    // UpdateDecision
    let ud = |f: &dyn Fn(&mut pb::UpdateDecisionRequest)| {
        let mut r = fx.update_decision();
        f(&mut r);
        Req::UpdateDecision(r)
    };
    fn ud_d(r: &mut pb::UpdateDecisionRequest) -> &mut pb::Decision {
        r.decision.as_mut().unwrap()
    }
    add("decision.id", "empty", ud(&|r| ud_d(r).id.clear()));
    add(
        "decision.id",
        "not a UUID",
        ud(&|r| ud_d(r).id = "beslut".into()),
    );
    add("decision.title", "empty", ud(&|r| ud_d(r).title.clear()));
    add(
        "decision.title",
        "unset decision",
        ud(&|r| r.decision = None),
    );
    add(
        "decision.title",
        "201 characters",
        ud(&|r| ud_d(r).title = long(201)),
    );
    add("decision.text", "empty", ud(&|r| ud_d(r).text.clear()));
    add(
        "decision.text",
        "20 001 characters",
        ud(&|r| ud_d(r).text = long(20_001)),
    );
    add(
        "decision.text",
        "NUL character",
        ud(&|r| ud_d(r).text = "E-post\u{0}".into()),
    );
    add(
        "decision.responsible_role_code",
        "line break",
        ud(&|r| ud_d(r).responsible_role_code = "it-\nchef".into()),
    );
    add(
        "decision.responsible_person_id",
        "not a UUID",
        ud(&|r| ud_d(r).responsible_person_id = "per".into()),
    );
    add("etag", "empty", ud(&|r| r.etag.clear()));
    add("etag", "65 characters", ud(&|r| r.etag = "e".repeat(65)));

    // SetDecisionStatus
    let ss = |f: &dyn Fn(&mut pb::SetDecisionStatusRequest)| {
        let mut r = fx.set_decision_status();
        f(&mut r);
        Req::SetDecisionStatus(r)
    };
    add("id", "empty", ss(&|r| r.id.clear()));
    add("id", "not a UUID", ss(&|r| r.id = "beslut".into()));
    add("status", "unspecified (0)", ss(&|r| r.status = 0));
    add("status", "unknown (999)", ss(&|r| r.status = 999));
    add("status", "negative", ss(&|r| r.status = -1));
    add(
        "reason",
        "empty when revoking",
        ss(&|r| {
            r.status = pb::DecisionStatus::Revoked as i32;
            r.reason.clear();
        }),
    );
    add(
        "reason",
        "20 001 characters",
        ss(&|r| r.reason = long(20_001)),
    );
    add(
        "reason",
        "NUL character",
        ss(&|r| r.reason = "Påbörjad\u{0}".into()),
    );
    add("etag", "empty", ss(&|r| r.etag.clear()));
    add("etag", "65 characters", ss(&|r| r.etag = "e".repeat(65)));

    // CreateFollowUp
    let cf = |f: &dyn Fn(&mut pb::CreateFollowUpRequest)| {
        let mut r = fx.create_follow_up();
        f(&mut r);
        Req::CreateFollowUp(r)
    };
    fn fu(r: &mut pb::CreateFollowUpRequest) -> &mut pb::FollowUp {
        r.follow_up.as_mut().unwrap()
    }
    add(
        "follow_up.decision_id",
        "empty",
        cf(&|r| fu(r).decision_id.clear()),
    );
    add(
        "follow_up.decision_id",
        "not a UUID",
        cf(&|r| fu(r).decision_id = "beslut".into()),
    );
    for (what, d) in bad_dates {
        add("follow_up.due_on", what, cf(&move |r| fu(r).due_on = d));
    }
    add(
        "follow_up.due_on",
        "unset follow-up",
        cf(&|r| r.follow_up = None),
    );
    add("follow_up.title", "empty", cf(&|r| fu(r).title.clear()));
    add(
        "follow_up.title",
        "201 characters",
        cf(&|r| fu(r).title = long(201)),
    );
    add(
        "follow_up.title",
        "control character",
        cf(&|r| fu(r).title = "Återrapport\u{1b}".into()),
    );
    add(
        "request_id",
        "129 characters",
        cf(&|r| r.request_id = "ö".repeat(129)),
    );

    // RecordFollowUp
    let rf = |f: &dyn Fn(&mut pb::RecordFollowUpRequest)| {
        let mut r = fx.record_follow_up();
        f(&mut r);
        Req::RecordFollowUp(r)
    };
    add("id", "empty", rf(&|r| r.id.clear()));
    add("id", "not a UUID", rf(&|r| r.id = "uppföljning".into()));
    add("meeting_id", "empty", rf(&|r| r.meeting_id.clear()));
    add(
        "meeting_id",
        "not a UUID",
        rf(&|r| r.meeting_id = "möte".into()),
    );
    add(
        "paragraph_id",
        "not a UUID",
        rf(&|r| r.paragraph_id = "§ 3".into()),
    );
    add("etag", "empty", rf(&|r| r.etag.clear()));
    add("etag", "65 characters", rf(&|r| r.etag = "e".repeat(65)));

    // CreateActionPlan
    let cp = |f: &dyn Fn(&mut pb::CreateActionPlanRequest)| {
        let mut r = fx.create_action_plan();
        f(&mut r);
        Req::CreateActionPlan(r)
    };
    fn ap(r: &mut pb::CreateActionPlanRequest) -> &mut pb::ActionPlan {
        r.action_plan.as_mut().unwrap()
    }
    add(
        "action_plan.decision_id",
        "empty",
        cp(&|r| ap(r).decision_id.clear()),
    );
    add(
        "action_plan.decision_id",
        "not a UUID",
        cp(&|r| ap(r).decision_id = "beslut".into()),
    );
    add("action_plan.title", "empty", cp(&|r| ap(r).title.clear()));
    add(
        "action_plan.title",
        "unset plan",
        cp(&|r| r.action_plan = None),
    );
    add(
        "action_plan.title",
        "201 characters",
        cp(&|r| ap(r).title = long(201)),
    );
    add(
        "action_plan.title",
        "control character",
        cp(&|r| ap(r).title = "Plan\u{0}".into()),
    );
    add(
        "request_id",
        "129 characters",
        cp(&|r| r.request_id = "ö".repeat(129)),
    );

    // AddActivity
    let aa = |f: &dyn Fn(&mut pb::AddActivityRequest)| {
        let mut r = fx.add_activity();
        f(&mut r);
        Req::AddActivity(r)
    };
    fn ac(r: &mut pb::AddActivityRequest) -> &mut pb::Activity {
        r.activity.as_mut().unwrap()
    }
    add(
        "activity.action_plan_id",
        "empty",
        aa(&|r| ac(r).action_plan_id.clear()),
    );
    add(
        "activity.action_plan_id",
        "unset activity",
        aa(&|r| r.activity = None),
    );
    add(
        "activity.action_plan_id",
        "not a UUID",
        aa(&|r| ac(r).action_plan_id = "plan".into()),
    );
    add("activity.title", "empty", aa(&|r| ac(r).title.clear()));
    add(
        "activity.title",
        "201 characters",
        aa(&|r| ac(r).title = long(201)),
    );
    add(
        "activity.owner_person_id",
        "empty",
        aa(&|r| ac(r).owner_person_id.clear()),
    );
    add(
        "activity.owner_person_id",
        "not a UUID",
        aa(&|r| ac(r).owner_person_id = "per.hakansson".into()),
    );
    for (what, d) in bad_dates {
        add("activity.due_on", what, aa(&move |r| ac(r).due_on = d));
    }
    add("activity.weight", "negative", aa(&|r| ac(r).weight = -1));
    add("activity.weight", "1001", aa(&|r| ac(r).weight = 1001));
    add(
        "activity.weight",
        "i32::MIN",
        aa(&|r| ac(r).weight = i32::MIN),
    );
    add(
        "request_id",
        "129 characters",
        aa(&|r| r.request_id = "ö".repeat(129)),
    );

    // UpdateActivity
    let ua = |f: &dyn Fn(&mut pb::UpdateActivityRequest)| {
        let mut r = fx.update_activity();
        f(&mut r);
        Req::UpdateActivity(r)
    };
    add("id", "empty", ua(&|r| r.id.clear()));
    add("id", "not a UUID", ua(&|r| r.id = "aktivitet".into()));
    add("status", "unspecified (0)", ua(&|r| r.status = 0));
    add("status", "unknown (999)", ua(&|r| r.status = 999));
    add(
        "progress_percent",
        "negative",
        ua(&|r| r.progress_percent = -1),
    );
    add("progress_percent", "101", ua(&|r| r.progress_percent = 101));
    add(
        "progress_percent",
        "i32::MAX",
        ua(&|r| r.progress_percent = i32::MAX),
    );
    add("note", "20 001 characters", ua(&|r| r.note = long(20_001)));
    add(
        "note",
        "NUL character",
        ua(&|r| r.note = "Remiss\u{0}".into()),
    );
    add("etag", "empty", ua(&|r| r.etag.clear()));
    add("etag", "65 characters", ua(&|r| r.etag = "e".repeat(65)));

    // Lists: paging and filters.
    let ld = |f: &dyn Fn(&mut pb::ListDecisionsRequest)| {
        let mut r = pb::ListDecisionsRequest::default();
        f(&mut r);
        Req::ListDecisions(r)
    };
    add("page_size", "negative", ld(&|r| r.page_size = -1));
    add(
        "page_token",
        "forged",
        ld(&|r| r.page_token = "nästa".into()),
    );
    add("order_by", "unknown", ld(&|r| r.order_by = "titel".into()));
    add("year", "1899", ld(&|r| r.year = 1899));
    add("year", "10000", ld(&|r| r.year = 10_000));
    add("year", "negative", ld(&|r| r.year = -2027));
    add("status", "unknown (999)", ld(&|r| r.status = 999));
    add(
        "forum_id",
        "not a UUID",
        ld(&|r| r.forum_id = "styrgruppen".into()),
    );
    add(
        "responsible_person_id",
        "not a UUID",
        ld(&|r| r.responsible_person_id = "per".into()),
    );
    add("text", "20 001 characters", ld(&|r| r.text = long(20_001)));
    add(
        "text",
        "NUL character",
        ld(&|r| r.text = "växel\u{0}".into()),
    );
    add(
        "within_days",
        "negative",
        Req::ListDue(pb::ListDueRequest {
            within_days: -1,
            ..Default::default()
        }),
    );
    add(
        "within_days",
        "367",
        Req::ListDue(pb::ListDueRequest {
            within_days: 367,
            ..Default::default()
        }),
    );
    add(
        "forum_id",
        "not a UUID",
        Req::ListDue(pb::ListDueRequest {
            forum_id: "styrgruppen".into(),
            ..Default::default()
        }),
    );
    add(
        "decision_id",
        "neither decision nor matter",
        Req::GetTrail(pb::GetTrailRequest::default()),
    );
    add(
        "matter_id",
        "not a UUID",
        Req::GetTrail(pb::GetTrailRequest {
            matter_id: "ärende".into(),
            ..Default::default()
        }),
    );

    // Fields the server sets are refused, never ignored.
    let stamp = || {
        Some(samverkan_proto::Timestamp {
            seconds: 1_767_225_600,
            nanos: 0,
        })
    };
    add(
        "decision.id",
        "set by the caller",
        rd(&|r| rd_d(r).id = fx.decision.id.clone()),
    );
    add(
        "decision.forum_id",
        "set by the caller: the §'s",
        rd(&|r| rd_d(r).forum_id = fx.meeting.forum_id.clone()),
    );
    add(
        "decision.paragraph_ref",
        "set by the caller: the §'s",
        rd(&|r| rd_d(r).paragraph_ref = "§ 1/2026".into()),
    );
    add(
        "decision.decision_date",
        "set by the caller: the meeting's",
        rd(&|r| rd_d(r).decision_date = date(2026, 3, 12)),
    );
    add(
        "decision.status",
        "set by the caller",
        rd(&|r| rd_d(r).status = pb::DecisionStatus::CarriedOut as i32),
    );
    add(
        "decision.final",
        "set by the caller",
        rd(&|r| rd_d(r).r#final = true),
    );
    add(
        "decision.superseded_by_id",
        "set by the caller",
        rd(&|r| rd_d(r).superseded_by_id = fx.decision.id.clone()),
    );
    add(
        "decision.create_time",
        "set by the caller",
        rd(&move |r| rd_d(r).create_time = stamp()),
    );
    add(
        "decision.etag",
        "set by the caller",
        rd(&|r| rd_d(r).etag = fx.decision.etag.clone()),
    );
    add(
        "follow_up.id",
        "set by the caller",
        cf(&|r| fu(r).id = fx.follow_up.id.clone()),
    );
    add(
        "follow_up.status",
        "set by the caller",
        cf(&|r| fu(r).status = fx.follow_up.status),
    );
    add(
        "follow_up.meeting_id",
        "set by the caller: RecordFollowUp's",
        cf(&|r| fu(r).meeting_id = fx.meeting.id.clone()),
    );
    add(
        "follow_up.etag",
        "set by the caller",
        cf(&|r| fu(r).etag = fx.follow_up.etag.clone()),
    );
    add(
        "action_plan.id",
        "set by the caller",
        cp(&|r| ap(r).id = fx.plan.id.clone()),
    );
    add(
        "action_plan.activities",
        "set by the caller: AddActivity's",
        cp(&|r| {
            ap(r).activities = vec![pb::Activity {
                title: "Upphandla".into(),
                ..Default::default()
            }]
        }),
    );
    add(
        "action_plan.progress_permille",
        "set by the caller",
        cp(&|r| ap(r).progress_permille = 500),
    );
    add(
        "activity.id",
        "set by the caller",
        aa(&|r| ac(r).id = fx.plan.id.clone()),
    );
    add(
        "activity.status",
        "set by the caller",
        aa(&|r| ac(r).status = pb::ActivityStatus::Done as i32),
    );
    add(
        "activity.progress_percent",
        "set by the caller",
        aa(&|r| ac(r).progress_percent = 40),
    );
    add(
        "activity.timeline",
        "set by the caller",
        aa(&|r| {
            ac(r).timeline = vec![pb::TimelineEntry {
                text: "Påbörjad.".into(),
                ..Default::default()
            }]
        }),
    );
    cases
}

/// Sends each valid request the cases spoil, in an order in which each
/// is allowed; every one must succeed.
async fn controls(fx: &Fixture, c: &Client) -> Vec<String> {
    let mut failures = Vec::new();
    let mut check = |what: &str, r: Result<(), Status>| {
        if let Err(s) = r {
            failures.push(format!("control {what}: {:?}: {}", s.code(), s.message()));
        }
    };
    for req in [
        Req::RegisterDecision(fx.register_decision()),
        Req::UpdateDecision(fx.update_decision()),
    ] {
        check(req.rpc(), send_paced(c, &req).await);
    }
    let etag = c
        .clone()
        .get_decision(as_(
            EVA,
            pb::GetDecisionRequest {
                id: fx.decision.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .decision
        .unwrap()
        .etag;
    for req in [
        Req::SetDecisionStatus(pb::SetDecisionStatusRequest {
            etag,
            ..fx.set_decision_status()
        }),
        Req::CreateFollowUp(fx.create_follow_up()),
        Req::RecordFollowUp(fx.record_follow_up()),
        Req::CreateActionPlan(fx.create_action_plan()),
        Req::AddActivity(fx.add_activity()),
        Req::UpdateActivity(fx.update_activity()),
    ] {
        check(req.rpc(), send_paced(c, &req).await);
    }
    failures
}

async fn bad_input_is_refused_and_writes_nothing(db: TestDb) {
    let server = TestServer::start(&db, &[Svc::Roles, Svc::Forums, Svc::Decisions]).await;
    let mut c = DecisionsServiceClient::new(server.channel().await);
    let fx = Fixture::load(&server, &mut c).await;
    // Deliver whatever the set-up left for the background work now, so that
    // its rounds write nothing while the cases run.
    samverkan_server::background::run_once(&db.app, samverkan_core::dates::today())
        .await
        .unwrap();
    let snapshots = Snapshots::new(&db).await;

    let cases = cases(&fx);
    let mut failures = Vec::new();
    for case in &cases {
        let before = snapshots.take(&db).await;
        let result = send_paced(&c, &case.req).await;
        let after = snapshots.take(&db).await;
        if let Some(wrong) = judge(case.field, result, &before, &after) {
            failures.push(format!(
                "{} {} ({}): {wrong}",
                case.req.rpc(),
                case.field,
                case.what
            ));
        }
    }
    failures.extend(controls(&fx, &c).await);
    assert!(
        failures.is_empty(),
        "{} of {} bad inputs mishandled:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    samverkan_testkit::figure(&format!(
        "bad input: decisions: {} cases ({:?})",
        cases.len(),
        db.backend
    ));
    server.stop().await;
}
backend_test!(bad_input_is_refused_and_writes_nothing);
