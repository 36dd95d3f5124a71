//! The story every release must pass (the release story, steps 1–9), as the
//! people of Tranemo and Ulricehamn, over real gRPC with the generated
//! clients — run four times: {every service in one server, each service in
//! a server of its own on its own port calling the others remotely} ×
//! {SQLite, PostgreSQL}.
//!
//! In the split deployment the servers share the test database (as the
//! processes of a deployment share PostgreSQL) but no service reads
//! another's tables: each calls the others over gRPC with the person's own
//! token, and the test asserts, per pair of services, that those calls
//! went to the other server's address. The outbox-driven steps (minutes
//! adjusted → decisions final, a due follow-up and the agreement's draft
//! landing on IT-styrgruppen's backlog, the new version going into force)
//! are driven by each server's own background round.

use std::time::Instant;

use chrono::Days;
use samverkan_core::dates;
use samverkan_proto::agreements::v1 as apb;
use samverkan_proto::agreements::v1::agreements_service_client::AgreementsServiceClient;
use samverkan_proto::common::v1::Date;
use samverkan_proto::costmodel::v1 as cpb;
use samverkan_proto::costmodel::v1::cost_model_service_client::CostModelServiceClient;
use samverkan_proto::decisions::v1 as dpb;
use samverkan_proto::decisions::v1::decisions_service_client::DecisionsServiceClient;
use samverkan_proto::forums::v1 as fpb;
use samverkan_proto::forums::v1::forums_service_client::ForumsServiceClient;
use samverkan_proto::roles::v1 as rpb;
use samverkan_proto::roles::v1::roles_service_client::RolesServiceClient;
use samverkan_server::Svc;
use samverkan_testkit::story::{add_item, as_, bill_answers, hold, meeting, paragraph, publish};
use samverkan_testkit::{TestDb, TestDeployment, TestServer, backend_test, figure};
use tonic::Code;
use tonic::transport::Channel;

// Tranemo
const SOFIA: &str = "sofia.lindstrom@tranemo.se"; // e-samordnare; secretary of IT-forum utveckling
const ERIK: &str = "erik.ohman@tranemo.se"; // utvecklingschef
const IDA: &str = "ida.nyqvist@tranemo.se"; // IT-koordinator; samverkansadministratör
// Svenljunga, which joins in step 10
const GRETA: &str = "greta.lind@svenljunga.se"; // its first administrator (kommunchef)
const ANNA: &str = "anna.aberg@tranemo.se"; // kommunchef; chairs IT-styrgruppen
const BIRGITTA: &str = "birgitta.ek@tranemo.se"; // registrator
// Ulricehamn (the host of the IT department)
const EVA: &str = "eva.dahlgren@ulricehamn.se"; // IT-strateg; secretary of IT-styrgruppen
const PER: &str = "per.hakansson@ulricehamn.se"; // IT-chef
const NILS: &str = "nils.ekstrom@ulricehamn.se"; // IT-säkerhetsansvarig
const MARIA: &str = "maria.sjoberg@ulricehamn.se"; // utvecklingschef
const LARS: &str = "lars.angstrom@ulricehamn.se"; // kommunchef

const AGREEMENT: &str = "Avtal om gemensam IT-verksamhet.\n\n\
## 1. Parter\n\nTranemo kommun och Ulricehamns kommun.\n\n\
## 2. Syfte\n\nAtt bedriva IT-verksamhet gemensamt.\n\n\
## 3. Kostnader\n\nKostnaderna fördelas enligt prislistan.\n\n\
## 4. Uppsägning\n\nAvtalet kan sägas upp med tolv månaders varsel.\n";

/// The pool (Gemensam bas) in the 2025 price list the story decides.
const POOL_ORE: i64 = 250_000_000;

/// The generated clients, each on the server that serves its service.
struct Clients {
    roles: RolesServiceClient<Channel>,
    forums: ForumsServiceClient<Channel>,
    decisions: DecisionsServiceClient<Channel>,
    costmodel: CostModelServiceClient<Channel>,
    agreements: AgreementsServiceClient<Channel>,
}

impl Clients {
    async fn of(d: &TestDeployment) -> Self {
        Self {
            roles: RolesServiceClient::new(d.channel(Svc::Roles).await),
            forums: ForumsServiceClient::new(d.channel(Svc::Forums).await),
            decisions: DecisionsServiceClient::new(d.channel(Svc::Decisions).await),
            costmodel: CostModelServiceClient::new(d.channel(Svc::CostModel).await),
            agreements: AgreementsServiceClient::new(d.channel(Svc::Agreements).await),
        }
    }
}

fn date(y: i32, m: i32, d: i32) -> Option<Date> {
    Some(Date {
        year: y,
        month: m,
        day: d,
    })
}

fn frac(n: i64, d: i64) -> Option<cpb::Fraction> {
    Some(cpb::Fraction {
        numerator: n,
        denominator: d,
    })
}

fn live(period: &str) -> Option<cpb::BillSource> {
    Some(cpb::BillSource {
        period: Some(cpb::Period::of_year(period.parse().unwrap())),
        basis: cpb::BillBasis::Live as i32,
        ..Default::default()
    })
}

async fn person_id(c: &mut Clients, email: &str) -> String {
    c.roles
        .who_am_i(as_(email, rpb::WhoAmIRequest {}))
        .await
        .unwrap()
        .into_inner()
        .person
        .unwrap()
        .id
}

async fn backlog(c: &mut Clients, forum: &str) -> Vec<fpb::Matter> {
    c.forums
        .list_agenda_backlog(as_(
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
}

async fn decision(c: &mut Clients, who: &str, id: &str) -> dpb::Decision {
    c.decisions
        .get_decision(as_(who, dpb::GetDecisionRequest { id: id.into() }))
        .await
        .unwrap()
        .into_inner()
        .decision
        .unwrap()
}

async fn register(
    c: &mut Clients,
    m: &fpb::Meeting,
    p: &fpb::Paragraph,
    responsible: &str,
) -> dpb::Decision {
    c.decisions
        .register_decision(as_(
            EVA,
            dpb::RegisterDecisionRequest {
                request_id: format!("beslut-{}", p.id),
                decision: Some(dpb::Decision {
                    meeting_id: m.id.clone(),
                    paragraph_id: p.id.clone(),
                    responsible_role_code: "it-chef".into(),
                    responsible_person_id: responsible.into(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .decision
        .unwrap()
}

async fn bill(c: &mut Clients, who: &str, municipality: &str) -> cpb::Bill {
    c.costmodel
        .compute_bill(as_(
            who,
            cpb::ComputeBillRequest {
                municipality_id: municipality.into(),
                source: live("2025"),
                ..Default::default()
            },
        ))
        .await
        .unwrap_or_else(|e| panic!("bill of {municipality}: {e}"))
        .into_inner()
        .bill
        .unwrap()
}

fn pool_line(b: &cpb::Bill) -> &cpb::BillLine {
    b.lines
        .iter()
        .find(|l| l.kind == cpb::LineKind::Allocated as i32 && l.service_code == "bas")
        .expect("an allocated line for the shared pool")
}

async fn revision(c: &mut Clients, id: &str) -> apb::Revision {
    c.agreements
        .get_revision(as_(EVA, apb::GetRevisionRequest { id: id.into() }))
        .await
        .unwrap()
        .into_inner()
        .revision
        .unwrap()
}

async fn advance(c: &mut Clients, id: &str) -> apb::Revision {
    let r = revision(c, id).await;
    c.agreements
        .advance_revision(as_(
            EVA,
            apb::AdvanceRevisionRequest {
                id: id.into(),
                etag: r.etag,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .revision
        .unwrap()
}

async fn version(c: &mut Clients, who: &str, id: &str) -> apb::Version {
    c.agreements
        .get_version(as_(who, apb::GetVersionRequest { id: id.into() }))
        .await
        .unwrap()
        .into_inner()
        .version
        .unwrap()
}

/// A change proposal drafted (privately) by `who` and submitted.
async fn propose(
    c: &mut Clients,
    who: &str,
    revision: &str,
    section: &str,
    action: apb::ProposalAction,
    title: &str,
    text: &str,
) -> apb::Proposal {
    let draft = c
        .agreements
        .create_proposal(as_(
            who,
            apb::CreateProposalRequest {
                request_id: String::new(),
                proposal: Some(apb::Proposal {
                    revision_id: revision.into(),
                    section_number: section.into(),
                    action: action as i32,
                    title: title.into(),
                    text: text.into(),
                    rationale: "Behovet har ändrats.".into(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .proposal
        .unwrap();
    c.agreements
        .submit_proposal(as_(
            who,
            apb::SubmitProposalRequest {
                id: draft.id,
                etag: draft.etag,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .proposal
        .unwrap()
}

/// A municipality's KS approval, drafted and recorded with its own § and date.
async fn approve(c: &mut Clients, who: &str, revision: &str, paragraph: &str, on: Option<Date>) {
    let draft = c
        .agreements
        .create_approval(as_(
            who,
            apb::CreateApprovalRequest {
                request_id: String::new(),
                approval: Some(apb::Approval {
                    revision_id: revision.into(),
                    body: "Kommunstyrelsen".into(),
                    paragraph_ref: paragraph.into(),
                    decided_on: on,
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .approval
        .unwrap();
    c.agreements
        .record_approval(as_(
            who,
            apb::RecordApprovalRequest {
                id: draft.id,
                etag: draft.etag,
            },
        ))
        .await
        .unwrap();
}

/// Steps 1–10 of the release story against a deployment.
async fn the_story(d: &TestDeployment) {
    let mut c = Clients::of(d).await;
    let today = dates::today();

    // 1. The demo collaboration: two municipalities, five forums, people in their roles.
    let me = c
        .roles
        .who_am_i(as_(SOFIA, rpb::WhoAmIRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(me.municipality.unwrap().id, "tranemo");
    assert_eq!(me.memberships.len(), 1);
    let collaboration = me.memberships[0].collaboration.clone().unwrap().id;
    let members: Vec<String> = c
        .roles
        .list_members(as_(
            EVA,
            rpb::ListMembersRequest {
                collaboration_id: collaboration.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .memberships
        .into_iter()
        .map(|m| m.municipality_id)
        .collect();
    assert_eq!(members.len(), 2);
    assert!(members.contains(&"tranemo".to_owned()) && members.contains(&"ulricehamn".to_owned()));
    let forums = c
        .roles
        .list_forums(as_(EVA, rpb::ListForumsRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .forums;
    let mut codes: Vec<&str> = forums.iter().map(|f| f.code.as_str()).collect();
    codes.sort();
    assert_eq!(
        codes,
        [
            "drift",
            "informationssakerhet",
            "styrgruppen",
            "tjanstefiering",
            "utveckling"
        ]
    );
    let forum = |code: &str| forums.iter().find(|f| f.code == code).unwrap().id.clone();
    let (utveckling, styrgruppen) = (forum("utveckling"), forum("styrgruppen"));
    let per = person_id(&mut c, PER).await;
    let nils = person_id(&mut c, NILS).await;

    // 2. Tranemo's e-samordnare drafts a need (private) and submits it to
    // IT-forum utveckling (shared).
    let draft = c
        .forums
        .create_matter(as_(
            SOFIA,
            fpb::CreateMatterRequest {
                request_id: "behov-e-underskrift".into(),
                matter: Some(fpb::Matter {
                    kind: fpb::MatterKind::DevelopmentNeed as i32,
                    title: "Digital signering av protokoll i båda kommunerna".into(),
                    description: "E-underskrift för justering, även för förtroendevalda.".into(),
                    priority: fpb::Priority::High as i32,
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .matter
        .unwrap();
    assert_eq!(draft.state, fpb::MatterState::Draft as i32);
    let err = c
        .forums
        .get_matter(as_(
            MARIA,
            fpb::GetMatterRequest {
                id: draft.id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound, "Ulricehamn saw Tranemo's draft");
    let theirs = c
        .forums
        .list_matters(as_(MARIA, fpb::ListMattersRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .matters;
    assert!(theirs.iter().all(|m| m.id != draft.id));
    let submitted = c
        .forums
        .submit_matter(as_(
            SOFIA,
            fpb::SubmitMatterRequest {
                id: draft.id.clone(),
                forum_id: utveckling.clone(),
                etag: draft.etag.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .matter
        .unwrap();
    assert_eq!(submitted.state, fpb::MatterState::Submitted as i32);
    let seen = c
        .forums
        .get_matter(as_(
            MARIA,
            fpb::GetMatterRequest {
                id: draft.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .matter
        .unwrap();
    assert_eq!(seen.raising_municipality_id, "tranemo");

    // 3. IT-forum utveckling meets; a § of its minutes escalates the matter.
    let m1 = meeting(
        &mut c.forums,
        EVA,
        &utveckling,
        "IT-forum utveckling 4/2026",
        (2026, 12, 10),
    )
    .await;
    let m1 = add_item(
        &mut c.forums,
        EVA,
        &m1.id,
        fpb::AgendaItemKind::Decision,
        "",
        &submitted.id,
    )
    .await;
    publish(&mut c.forums, EVA, &m1).await;
    hold(&mut c.forums, SOFIA, &m1).await;
    let p1 = paragraph(
        &mut c.forums,
        SOFIA,
        &m1.id,
        &m1.agenda[0].id,
        fpb::ParagraphOutcome::Escalated,
        "Forumet rekommenderar IT-styrgruppen att prioritera e-underskrift 2027.",
    )
    .await;
    assert_eq!(p1.reference, "§ 1/2026");
    let current = c
        .forums
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
    let escalated = c
        .forums
        .escalate_matter(as_(
            EVA,
            fpb::EscalateMatterRequest {
                id: draft.id.clone(),
                paragraph_id: p1.id.clone(),
                recommendation: "Prioritera e-underskrift i 2027 års plan.".into(),
                etag: current.etag,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .matter
        .unwrap();
    assert_eq!(escalated.state, fpb::MatterState::Escalated as i32);
    assert_eq!(escalated.forum_id, styrgruppen);

    // 4. It lands on IT-styrgruppen's backlog, with its provenance, next to
    // a need Ulricehamn raised there itself; the IT-strateg builds the
    // agenda from both, the information security group's report and the
    // service costing group's price-list proposal.
    let ulricehamns = c
        .forums
        .create_matter(as_(
            MARIA,
            fpb::CreateMatterRequest {
                request_id: "behov-e-arkiv".into(),
                matter: Some(fpb::Matter {
                    kind: fpb::MatterKind::DevelopmentNeed as i32,
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
    c.forums
        .submit_matter(as_(
            MARIA,
            fpb::SubmitMatterRequest {
                id: ulricehamns.id.clone(),
                forum_id: styrgruppen.clone(),
                etag: ulricehamns.etag.clone(),
            },
        ))
        .await
        .unwrap();
    let waiting = backlog(&mut c, &styrgruppen).await;
    assert_eq!(waiting.len(), 2, "{waiting:?}");
    let from_tranemo = waiting.iter().find(|m| m.id == draft.id).unwrap();
    let step = &from_tranemo.provenance[0];
    assert_eq!(
        (step.forum_name.as_str(), step.paragraph_ref.as_str()),
        ("IT-forum utveckling", "§ 1/2026")
    );
    // The service costing group's proposal: the IT-chef derives a new 2025
    // price list (+2,7 %, whole kronor; the pool set by the budget) and
    // proposes it.
    let v1 = c
        .costmodel
        .list_price_lists(as_(
            PER,
            cpb::ListPriceListsRequest {
                year: 2025,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .price_lists
        .into_iter()
        .find(|l| l.version == 1)
        .expect("the demo's published 2025 price list");
    let v2 = c
        .costmodel
        .create_price_list(as_(
            PER,
            cpb::CreatePriceListRequest {
                request_id: "prislista-2025-v2".into(),
                year: 2025,
                effective_date: date(2025, 7, 1),
                derivation: Some(cpb::Derivation {
                    from_price_list_id: v1.id.clone(),
                    index_percent: frac(27, 10),
                    rounding: cpb::PriceRounding::WholeKronor as i32,
                    rounding_step_ore: 0,
                }),
                prices: vec![cpb::Price {
                    service_code: "bas".into(),
                    amount_ore: POOL_ORE,
                }],
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .price_list
        .unwrap();
    let proposed = c
        .costmodel
        .propose_price_list(as_(
            PER,
            cpb::ProposePriceListRequest {
                id: v2.id.clone(),
                etag: v2.etag.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .price_list
        .unwrap();
    assert_eq!(proposed.state, cpb::PriceListState::Proposed as i32);

    let m2 = meeting(
        &mut c.forums,
        EVA,
        &styrgruppen,
        "IT-styrgruppen 6/2026",
        (2026, 12, 17),
    )
    .await;
    for matter in [&draft.id, &ulricehamns.id] {
        add_item(
            &mut c.forums,
            EVA,
            &m2.id,
            fpb::AgendaItemKind::Decision,
            "",
            matter,
        )
        .await;
    }
    add_item(
        &mut c.forums,
        EVA,
        &m2.id,
        fpb::AgendaItemKind::Report,
        "Informationssäkerhetsgruppens rapport, tertial 3",
        "",
    )
    .await;
    let m2 = add_item(
        &mut c.forums,
        EVA,
        &m2.id,
        fpb::AgendaItemKind::Decision,
        "Tjänstefieringsgruppens förslag till prislista 2025, version 2",
        "",
    )
    .await;
    assert_eq!(
        m2.agenda.iter().map(|i| i.number).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    let err = c
        .forums
        .add_agenda_item(as_(
            MARIA,
            fpb::AddAgendaItemRequest {
                request_id: String::new(),
                item: Some(fpb::AgendaItem {
                    meeting_id: m2.id.clone(),
                    kind: fpb::AgendaItemKind::Information as i32,
                    title: "Övrigt".into(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Code::PermissionDenied,
        "only the secretary or chair builds the agenda"
    );
    let m2 = publish(&mut c.forums, EVA, &m2).await;
    assert!(backlog(&mut c, &styrgruppen).await.is_empty());

    // 5. Each municipality attaches private preparation notes.
    let note = |text: &str, item: &str| fpb::CreateNoteRequest {
        request_id: String::new(),
        note: Some(fpb::Note {
            agenda_item_id: item.into(),
            text: text.into(),
            ..Default::default()
        }),
    };
    c.forums
        .create_note(as_(
            ERIK,
            note(
                "Tranemos linje: stöd förslaget, men kräv BankID för förtroendevalda.",
                &m2.agenda[0].id,
            ),
        ))
        .await
        .unwrap();
    c.forums
        .create_note(as_(
            MARIA,
            note(
                "Ulricehamn: fråga om kostnaden per användare.",
                &m2.agenda[0].id,
            ),
        ))
        .await
        .unwrap();
    for (who, own) in [(MARIA, "Ulricehamn"), (ANNA, "Tranemos linje")] {
        let notes = c
            .forums
            .list_notes(as_(
                who,
                fpb::ListNotesRequest {
                    meeting_id: m2.id.clone(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .notes;
        assert_eq!(notes.len(), 1, "{who} sees only their municipality's note");
        assert!(notes[0].text.starts_with(own), "{who}: {:?}", notes[0].text);
    }

    // 6. The meeting is held; a § per item; decisions registered against
    // their §; one adjuster from each municipality; the minutes locked.
    hold(&mut c.forums, EVA, &m2).await;
    let outcomes = [
        fpb::ParagraphOutcome::Decided,
        fpb::ParagraphOutcome::Decided,
        fpb::ParagraphOutcome::Noted,
        fpb::ParagraphOutcome::Decided,
    ];
    let mut ps = Vec::new();
    for (item, outcome) in m2.agenda.iter().zip(outcomes) {
        ps.push(
            paragraph(
                &mut c.forums,
                EVA,
                &m2.id,
                &item.id,
                outcome,
                "IT-styrgruppen beslutar enligt förslaget.",
            )
            .await,
        );
    }
    assert_eq!(
        ps.iter().map(|p| p.reference.as_str()).collect::<Vec<_>>(),
        ["§ 1/2026", "§ 2/2026", "§ 3/2026", "§ 4/2026"],
        "IT-styrgruppen's own series, independent of utveckling's"
    );
    let signing = register(&mut c, &m2, &ps[0], &per).await;
    assert_eq!(signing.paragraph_ref, "§ 1/2026");
    assert_eq!(signing.decision_date, date(2026, 12, 17));
    assert_eq!(signing.matter_id, draft.id);
    assert!(!signing.r#final);
    let archive = register(&mut c, &m2, &ps[1], &per).await;
    let price_decision = register(&mut c, &m2, &ps[3], &per).await;
    assert_eq!(price_decision.paragraph_ref, "§ 4/2026");
    let err = c
        .decisions
        .register_decision(as_(
            ANNA,
            dpb::RegisterDecisionRequest {
                request_id: String::new(),
                decision: Some(dpb::Decision {
                    meeting_id: m2.id.clone(),
                    paragraph_id: ps[0].id.clone(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Code::PermissionDenied,
        "only the secretary registers"
    );
    c.forums
        .designate_adjusters(as_(
            EVA,
            fpb::DesignateAdjustersRequest {
                meeting_id: m2.id.clone(),
                person_ids: vec![],
            },
        ))
        .await
        .unwrap();
    for who in [ANNA, LARS] {
        c.forums
            .adjust_minutes(as_(
                who,
                fpb::AdjustMinutesRequest {
                    meeting_id: m2.id.clone(),
                },
            ))
            .await
            .unwrap();
    }
    let minutes = c
        .forums
        .get_minutes(as_(
            MARIA,
            fpb::GetMinutesRequest {
                meeting_id: m2.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .minutes
        .unwrap();
    assert!(minutes.locked && minutes.lock_time.is_some());
    let err = c
        .forums
        .add_paragraph(as_(
            EVA,
            fpb::AddParagraphRequest {
                request_id: String::new(),
                paragraph: Some(fpb::Paragraph {
                    meeting_id: m2.id.clone(),
                    agenda_item_id: m2.agenda[0].id.clone(),
                    decision: "Ändrat beslut".into(),
                    outcome: fpb::ParagraphOutcome::Decided as i32,
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Code::FailedPrecondition,
        "locked minutes never change"
    );
    // The forums service tells the decisions service through the outbox:
    // delivered by the process that serves decisions.
    if d.is_split() {
        for svc in [Svc::Roles, Svc::Forums, Svc::CostModel, Svc::Agreements] {
            d.background_round_of(svc, today).await;
        }
        assert!(
            !decision(&mut c, LARS, &signing.id).await.r#final,
            "only the decisions server delivers to the decisions service"
        );
    }
    d.background_round(today).await;
    for id in [&signing.id, &archive.id, &price_decision.id] {
        assert!(
            decision(&mut c, LARS, id).await.r#final,
            "adjusted minutes made the decision final through the outbox"
        );
    }

    // 7. An action plan for a decision; a follow-up due lands on the
    // backlog and a later meeting records it at its §.
    let plan = c
        .decisions
        .create_action_plan(as_(
            EVA,
            dpb::CreateActionPlanRequest {
                request_id: String::new(),
                action_plan: Some(dpb::ActionPlan {
                    decision_id: archive.id.clone(),
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
    for (title, owner, weight) in [
        ("Kravställning", &per, 3),
        ("Informationsklassning", &nils, 1),
    ] {
        c.decisions
            .add_activity(as_(
                EVA,
                dpb::AddActivityRequest {
                    request_id: String::new(),
                    activity: Some(dpb::Activity {
                        action_plan_id: plan.id.clone(),
                        title: title.into(),
                        owner_person_id: owner.clone(),
                        due_on: Some(dates::to_proto(today + Days::new(20))),
                        weight,
                        ..Default::default()
                    }),
                },
            ))
            .await
            .unwrap();
    }
    let fu = c
        .decisions
        .create_follow_up(as_(
            EVA,
            dpb::CreateFollowUpRequest {
                request_id: String::new(),
                follow_up: Some(dpb::FollowUp {
                    decision_id: archive.id.clone(),
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
    d.background_round(today).await;
    d.background_round(today).await;
    let due = backlog(&mut c, &styrgruppen).await;
    assert_eq!(
        due.iter().map(|m| m.title.as_str()).collect::<Vec<_>>(),
        ["Uppföljning: E-arkiv för båda kommunerna"],
        "the due follow-up on the backlog, exactly once"
    );
    let m3 = meeting(
        &mut c.forums,
        EVA,
        &styrgruppen,
        "IT-styrgruppen 1/2027",
        (2027, 1, 14),
    )
    .await;
    let m3 = add_item(
        &mut c.forums,
        EVA,
        &m3.id,
        fpb::AgendaItemKind::Report,
        "",
        &due[0].id,
    )
    .await;
    publish(&mut c.forums, EVA, &m3).await;
    hold(&mut c.forums, EVA, &m3).await;
    let p3 = paragraph(
        &mut c.forums,
        EVA,
        &m3.id,
        &m3.agenda[0].id,
        fpb::ParagraphOutcome::Noted,
        "Lägesrapporten noterades.",
    )
    .await;
    let fu = c
        .decisions
        .record_follow_up(as_(
            EVA,
            dpb::RecordFollowUpRequest {
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
    assert_eq!(fu.status, dpb::FollowUpStatus::Complete as i32);
    assert_eq!(fu.paragraph_ref, "§ 1/2027");

    // 8. The decided price list becomes current; each municipality's
    // allocation is computed, explained line by line and sums to the
    // total to the öre; at year end the outcome is reconciled.
    let decided = c
        .costmodel
        .decide_price_list(as_(
            EVA,
            cpb::DecidePriceListRequest {
                id: v2.id.clone(),
                etag: proposed.etag.clone(),
                decision_ref: format!("IT-styrgruppen 2026-12-17 {}", price_decision.paragraph_ref),
                decision_id: price_decision.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .price_list
        .unwrap();
    let published = c
        .costmodel
        .publish_price_list(as_(
            EVA,
            cpb::PublishPriceListRequest {
                id: v2.id.clone(),
                etag: decided.etag,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .price_list
        .unwrap();
    assert_eq!(published.state, cpb::PriceListState::Published as i32);
    assert_eq!(published.decision_id, price_decision.id);
    let t = bill(&mut c, ERIK, "tranemo").await;
    let u = bill(&mut c, LARS, "ulricehamn").await;
    assert_eq!(
        (t.price_list_id.as_str(), t.price_list_version),
        (v2.id.as_str(), 2)
    );
    assert_eq!(
        pool_line(&t).amount_ore + pool_line(&u).amount_ore,
        POOL_ORE,
        "the shared pool split to the öre"
    );
    for b in [&t, &u] {
        assert!(!b.detail_withheld, "own people see their detail");
        let lines: i64 = b.lines.iter().map(|l| l.amount_ore).sum();
        assert_eq!(
            lines, b.total_ore,
            "{}: the lines sum to the bill",
            b.municipality_id
        );
        let units: i64 = b.unit_totals.iter().map(|u| u.amount_ore).sum();
        assert_eq!(
            units, b.total_ore,
            "{}: the units sum to the bill",
            b.municipality_id
        );
    }
    let other = bill(&mut c, ERIK, "ulricehamn").await;
    assert_eq!(other.total_ore, u.total_ore);
    assert!(
        other.detail_withheld && other.lines.is_empty(),
        "Tranemo sees Ulricehamn's total, not its detail"
    );
    let explained = c
        .costmodel
        .explain_change(as_(
            ERIK,
            cpb::ExplainChangeRequest {
                municipality_id: "tranemo".into(),
                from: Some(cpb::BillSource {
                    period: Some(cpb::Period::of_year(2025)),
                    price_list_id: v1.id.clone(),
                    ..Default::default()
                }),
                to: live("2025"),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let totals = explained.totals.unwrap();
    assert_eq!(totals.after_ore, t.total_ore);
    for r in &explained.rows {
        assert_eq!(
            r.price_effect_ore + r.volume_effect_ore + r.key_effect_ore + r.reconciliation_ore,
            r.change_ore,
            "{}: the effects explain the change",
            r.service_code
        );
        assert_eq!(r.after_ore - r.before_ore, r.change_ore);
    }
    assert_eq!(
        explained.rows.iter().map(|r| r.change_ore).sum::<i64>(),
        totals.change_ore
    );
    let konto = explained
        .rows
        .iter()
        .find(|r| r.service_code == "konto")
        .unwrap();
    assert_eq!(
        konto.price_effect_ore,
        1190 * 5_000,
        "1 190 accounts × 50 kr"
    );
    let run = c
        .costmodel
        .issue_bills(as_(
            PER,
            cpb::IssueBillsRequest {
                request_id: "debitering-2025".into(),
                period: Some(cpb::Period::of_year(2025)),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .run
        .unwrap();
    let issued: i64 = run.totals.iter().map(|t| t.total_ore).sum();
    assert_eq!(issued, t.total_ore + u.total_ore);
    let actual = POOL_ORE + 1_234_567;
    let r = c
        .costmodel
        .reconcile(as_(
            PER,
            cpb::ReconcileRequest {
                request_id: "avstamning-2025-bas".into(),
                year: 2025,
                service_code: "bas".into(),
                actual_ore: actual,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .reconciliation
        .unwrap();
    assert_eq!(r.billed_ore, POOL_ORE);
    assert_eq!(r.difference_ore, 1_234_567);
    let corrections: i64 = r
        .corrections
        .iter()
        .map(|c| c.line.as_ref().unwrap().amount_ore)
        .sum();
    assert_eq!(r.billed_ore + corrections, actual, "reconciled to the öre");

    // 9. The yearly agreement review.
    let created = c
        .agreements
        .create_agreement(as_(
            EVA,
            apb::CreateAgreementRequest {
                request_id: "samverkansavtal".into(),
                kind: apb::AgreementKind::CollaborationAgreement as i32,
                title: "Samverkansavtal IT".into(),
                version: Some(apb::Version {
                    text: AGREEMENT.into(),
                    effective_from: date(2022, 1, 1),
                    next_review_on: date(2026, 12, 31),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let agreement = created.agreement.unwrap();
    let last_years = created.version.unwrap();
    // The year's guidelines refer to the price list now in force.
    let guidelines = c
        .agreements
        .create_agreement(as_(
            EVA,
            apb::CreateAgreementRequest {
                request_id: "riktlinjer-2025".into(),
                kind: apb::AgreementKind::Guidelines as i32,
                title: "Riktlinjer för ramuppdrag IT 2025".into(),
                version: Some(apb::Version {
                    text: "## 1. Ramuppdrag\n\nIT-avdelningens uppdrag för året.".into(),
                    effective_from: date(2025, 1, 1),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .version
        .unwrap();
    assert!(
        guidelines
            .link
            .starts_with(&format!("costmodel/price-lists/{}", v2.id)),
        "{}",
        guidelines.link
    );
    let rev = c
        .agreements
        .open_revision(as_(
            EVA,
            apb::OpenRevisionRequest {
                request_id: "revision-2027".into(),
                agreement_id: agreement.id.clone(),
                year: 2027,
                phase_ends: [50, 40, 30, 20, 1]
                    .into_iter()
                    .map(|n| dates::to_proto(today - Days::new(n)))
                    .collect(),
                effective_from: Some(dates::to_proto(today)),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .revision
        .unwrap();
    // Tranemo's draft proposal is private until submitted.
    let tranemo_draft = c
        .agreements
        .create_proposal(as_(
            ERIK,
            apb::CreateProposalRequest {
                request_id: String::new(),
                proposal: Some(apb::Proposal {
                    revision_id: rev.id.clone(),
                    section_number: "3".into(),
                    action: apb::ProposalAction::Amend as i32,
                    text: "Kostnaderna fördelas enligt prislistan och fördelningsnyckeln.".into(),
                    rationale: "Fördelningsnyckeln är beslutad.".into(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .proposal
        .unwrap();
    let seen = c
        .agreements
        .list_proposals(as_(
            MARIA,
            apb::ListProposalsRequest {
                revision_id: rev.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .proposals;
    assert!(seen.is_empty(), "Ulricehamn saw Tranemo's draft proposal");
    let tranemos = c
        .agreements
        .submit_proposal(as_(
            ERIK,
            apb::SubmitProposalRequest {
                id: tranemo_draft.id,
                etag: tranemo_draft.etag,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .proposal
        .unwrap();
    let ulricehamns = propose(
        &mut c,
        MARIA,
        &rev.id,
        "1",
        apb::ProposalAction::Add,
        "Anslutning av nya medlemmar",
        "Ny medlem ansluter efter beslut i IT-styrgruppen och godkännande i varje kommunstyrelse.",
    )
    .await;
    advance(&mut c, &rev.id).await; // → consolidation
    for (p, text) in [
        (
            &tranemos,
            "Kostnaderna fördelas enligt prislistan och den beslutade fördelningsnyckeln.",
        ),
        (&ulricehamns, ""),
    ] {
        c.agreements
            .resolve_proposal(as_(
                EVA,
                apb::ResolveProposalRequest {
                    id: p.id.clone(),
                    outcome: if text.is_empty() {
                        apb::ProposalState::Accepted
                    } else {
                        apb::ProposalState::AcceptedWithChanges
                    } as i32,
                    reason: "Bra.".into(),
                    accepted_text: text.into(),
                    etag: p.etag.clone(),
                },
            ))
            .await
            .unwrap();
    }
    let consolidated = c
        .agreements
        .consolidate_revision(as_(
            EVA,
            apb::ConsolidateRevisionRequest { id: rev.id.clone() },
        ))
        .await
        .unwrap()
        .into_inner();
    let draft_version = consolidated.version.unwrap();
    assert!(
        consolidated.diff_markdown.contains(
            "+ Kostnaderna fördelas enligt prislistan och den beslutade fördelningsnyckeln."
        ),
        "{}",
        consolidated.diff_markdown
    );
    advance(&mut c, &rev.id).await; // → forum review
    advance(&mut c, &rev.id).await; // → decision: to IT-styrgruppen through the outbox
    d.background_round(today).await;
    let waiting = backlog(&mut c, &styrgruppen).await;
    assert_eq!(
        waiting.iter().map(|m| m.title.as_str()).collect::<Vec<_>>(),
        ["Beslut: Samverkansavtal IT 2027 – konsoliderat förslag"]
    );
    let m4 = meeting(
        &mut c.forums,
        EVA,
        &styrgruppen,
        "IT-styrgruppen 2/2027",
        (2027, 2, 11),
    )
    .await;
    let m4 = add_item(
        &mut c.forums,
        EVA,
        &m4.id,
        fpb::AgendaItemKind::Decision,
        "",
        &waiting[0].id,
    )
    .await;
    publish(&mut c.forums, EVA, &m4).await;
    hold(&mut c.forums, EVA, &m4).await;
    let p4 = paragraph(
        &mut c.forums,
        EVA,
        &m4.id,
        &m4.agenda[0].id,
        fpb::ParagraphOutcome::Decided,
        "IT-styrgruppen fastställer avtalet.",
    )
    .await;
    let agreement_decision = register(&mut c, &m4, &p4, &per).await;
    let r = revision(&mut c, &rev.id).await;
    c.agreements
        .record_revision_decision(as_(
            EVA,
            apb::RecordRevisionDecisionRequest {
                id: rev.id.clone(),
                decision_id: agreement_decision.id.clone(),
                etag: r.etag,
            },
        ))
        .await
        .unwrap();
    advance(&mut c, &rev.id).await; // → approvals
    let v = version(&mut c, LARS, &draft_version.id).await;
    assert_eq!(v.status, apb::VersionStatus::Decided as i32);
    assert_eq!(v.decision_ids, std::slice::from_ref(&agreement_decision.id));
    // Each municipality's KS approves, with its own § and date; until the
    // last approval the new version is not in force.
    approve(&mut c, BIRGITTA, &rev.id, "KS § 187", date(2026, 11, 18)).await;
    d.background_round(today).await;
    assert_eq!(
        version(&mut c, ANNA, &draft_version.id).await.status,
        apb::VersionStatus::Decided as i32,
        "Ulricehamn has not approved yet"
    );
    approve(&mut c, LARS, &rev.id, "KS § 201", date(2026, 11, 20)).await;
    let approvals = revision(&mut c, &rev.id).await.approvals;
    let recorded: Vec<(String, String)> = approvals
        .iter()
        .map(|m| {
            let a = m.approval.as_ref().expect("a recorded approval");
            (m.municipality_id.clone(), a.paragraph_ref.clone())
        })
        .collect();
    assert_eq!(
        recorded,
        [
            ("tranemo".to_owned(), "KS § 187".to_owned()),
            ("ulricehamn".to_owned(), "KS § 201".to_owned())
        ]
    );
    d.background_round(today).await;
    let in_force = version(&mut c, ANNA, &draft_version.id).await;
    assert_eq!(in_force.status, apb::VersionStatus::InForce as i32);
    assert_eq!(
        version(&mut c, MARIA, &last_years.id).await.status,
        apb::VersionStatus::Replaced as i32
    );
    let diff = c
        .agreements
        .diff_versions(as_(
            ANNA,
            apb::DiffVersionsRequest {
                from_version_id: last_years.id.clone(),
                to_version_id: in_force.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((diff.added, diff.removed), (1, 0));
    assert!(diff.edited >= 1, "{}", diff.markdown);
    assert!(
        diff.markdown
            .starts_with("# Förändringar från föregående version"),
        "{}",
        diff.markdown
    );

    // 10. Svenljunga joins on 1 January 2026: everything about 2025 stays
    // as it was to the byte; its first administrator, registered by the
    // samverkansadministratör, sees the collaboration's shared history and
    // nothing private of the others; it must approve the next revision.
    let readers = [(ERIK, "tranemo"), (LARS, "ulricehamn")];
    let before = bill_answers(&mut c.costmodel, cpb::Period::of_year(2025), &readers).await;
    c.roles
        .create_municipality(as_(
            IDA,
            rpb::CreateMunicipalityRequest {
                request_id: "svenljunga-ansluter".into(),
                municipality: Some(rpb::Municipality {
                    id: "svenljunga".into(),
                    name: "Svenljunga kommun".into(),
                    organisation_number: "212000-1504".into(),
                    ..Default::default()
                }),
                collaboration_id: samverkan_roles::demo::COLLABORATION_ID.to_string(),
                joined_on: date(2026, 1, 1),
                decision_ref: "IT-styrgruppen 2025-11-20 § 41".into(),
            },
        ))
        .await
        .unwrap();
    let greta = c
        .roles
        .create_person(as_(
            IDA,
            rpb::CreatePersonRequest {
                request_id: "greta".into(),
                person: Some(rpb::Person {
                    municipality_id: "svenljunga".into(),
                    display_name: "Greta Lind".into(),
                    email: GRETA.into(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .person
        .unwrap();
    let kommunchef = c
        .roles
        .list_roles(as_(
            IDA,
            rpb::ListRolesRequest {
                collaboration_id: samverkan_roles::demo::COLLABORATION_ID.to_string(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .roles
        .into_iter()
        .find(|r| r.code == "kommunchef")
        .unwrap();
    c.roles
        .create_assignment(as_(
            IDA,
            rpb::CreateAssignmentRequest {
                request_id: "greta-kommunchef".into(),
                assignment: Some(rpb::Assignment {
                    person_id: greta.id.clone(),
                    role_id: kommunchef.id,
                    municipality_id: "svenljunga".into(),
                    valid_from: date(2026, 1, 1),
                    decision_ref: "KS Svenljunga 2025-12-01 § 200".into(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap();
    for ((what, b), (_, a)) in before
        .iter()
        .zip(&bill_answers(&mut c.costmodel, cpb::Period::of_year(2025), &readers).await)
    {
        assert!(a == b, "{what} of 2025 changed when Svenljunga joined");
    }
    let matters = c
        .forums
        .list_matters(as_greta(fpb::ListMattersRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .matters;
    assert!(
        matters.iter().any(|m| m.id == submitted.id),
        "Svenljunga sees the shared history"
    );
    let minutes = c
        .forums
        .get_minutes(as_greta(fpb::GetMinutesRequest {
            meeting_id: m2.id.clone(),
        }))
        .await
        .unwrap()
        .into_inner()
        .minutes
        .unwrap();
    assert!(minutes.locked, "and the adjusted minutes");
    let notes = c
        .forums
        .list_notes(as_greta(fpb::ListNotesRequest {
            meeting_id: m2.id.clone(),
        }))
        .await
        .unwrap()
        .into_inner()
        .notes;
    assert!(notes.is_empty(), "nothing private of the others: {notes:?}");
    let next = c
        .agreements
        .open_revision(as_(
            EVA,
            apb::OpenRevisionRequest {
                request_id: "revision-2028".into(),
                agreement_id: agreement.id.clone(),
                year: 2028,
                phase_ends: [30, 60, 90, 120, 150]
                    .into_iter()
                    .map(|n| dates::to_proto(today + Days::new(n)))
                    .collect(),
                effective_from: Some(dates::to_proto(today + Days::new(200))),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .revision
        .unwrap();
    let must_approve: Vec<&str> = next
        .approvals
        .iter()
        .map(|m| m.municipality_id.as_str())
        .collect();
    assert_eq!(must_approve, ["tranemo", "ulricehamn", "svenljunga"]);
}

/// A request of Greta Lind, Svenljunga's first administrator (no demo
/// person, so her token names her municipality).
fn as_greta<T>(msg: T) -> tonic::Request<T> {
    TestServer::request(&TestServer::token_for(GRETA, "svenljunga"), msg)
}

/// Which service calls which: the pairs the story must cross over gRPC
/// when each service has a server of its own.
const CROSSINGS: &[(Svc, Svc)] = &[
    (Svc::Forums, Svc::Roles),
    (Svc::Decisions, Svc::Roles),
    (Svc::Decisions, Svc::Forums),
    (Svc::CostModel, Svc::Roles),
    (Svc::Agreements, Svc::Roles),
    (Svc::Agreements, Svc::Decisions),
    (Svc::Agreements, Svc::CostModel),
];

async fn run(db: TestDb, split: bool) {
    let started = Instant::now();
    let d = if split {
        TestDeployment::split(&db).await
    } else {
        TestDeployment::single(&db).await
    };
    // The counts are per process and per address: a test that ran before
    // may have had a server on a port this deployment reuses, so only what
    // was added while this deployment held its ports counts.
    let before = samverkan_core::remote::calls();
    the_story(&d).await;

    // Calls from one service to another that crossed a process boundary,
    // counted by the remote clients of the servers (all in this process).
    let calls = samverkan_core::remote::calls();
    let to = |from: Svc, to: Svc| -> u64 {
        let target = d.addr(to).to_string();
        let sum = |all: &[samverkan_core::remote::RemoteCalls]| -> u64 {
            all.iter()
                .filter(|c| c.from == from.name() && c.to == to.name() && c.target == target)
                .map(|c| c.calls)
                .sum()
        };
        sum(&calls) - sum(&before)
    };
    let label = if split { "five servers" } else { "one server" };
    let mut counted = Vec::new();
    for &(from, callee) in CROSSINGS {
        let n = to(from, callee);
        if split {
            assert!(
                n > 0,
                "{} never called {} over gRPC",
                from.name(),
                callee.name()
            );
        } else {
            assert_eq!(
                n,
                0,
                "in one server {} calls {} in process",
                from.name(),
                callee.name()
            );
        }
        counted.push(format!("{}→{} {n}", from.name(), callee.name()));
    }
    d.stop().await;
    figure(&format!(
        "story ({label}, {:?}): steps 1–9 in {:.1} s; remote calls {}",
        db.backend,
        started.elapsed().as_secs_f64(),
        counted.join(", ")
    ));
}

async fn in_one_server(db: TestDb) {
    run(db, false).await;
}
backend_test!(in_one_server);

async fn in_five_servers(db: TestDb) {
    run(db, true).await;
}
backend_test!(in_five_servers);
