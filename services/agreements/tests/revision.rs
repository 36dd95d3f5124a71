//! The release story, step 9, over real gRPC, on SQLite and PostgreSQL: the yearly
//! review opens, each municipality drafts (privately) and submits change
//! proposals, a consolidated draft with a readable diff goes to
//! IT-styrgruppen, is decided, approved by each municipality's KS with its
//! own § and date, and becomes the version in force.

use samverkan_core::dates;
use samverkan_proto::agreements::v1 as pb;
use samverkan_proto::agreements::v1::agreements_service_client::AgreementsServiceClient;
use samverkan_proto::decisions::v1 as dpb;
use samverkan_proto::decisions::v1::decisions_service_client::DecisionsServiceClient;
use samverkan_proto::forums::v1 as fpb;
use samverkan_proto::forums::v1::forums_service_client::ForumsServiceClient;
use samverkan_proto::roles::v1 as rpb;
use samverkan_proto::roles::v1::roles_service_client::RolesServiceClient;
use samverkan_server::Svc;
use samverkan_testkit::story::{add_item, as_, forum_ids, hold, meeting, paragraph, publish};
use samverkan_testkit::{TestDb, TestServer, backend_test};
use tonic::Code;
use tonic::transport::Channel;

const EVA: &str = "eva.dahlgren@ulricehamn.se"; // IT-strateg
const ANNA: &str = "anna.aberg@tranemo.se"; // Tranemo kommunchef
const ERIK: &str = "erik.ohman@tranemo.se"; // Tranemo utvecklingschef
const MARIA: &str = "maria.sjoberg@ulricehamn.se"; // Ulricehamn utvecklingschef
const LARS: &str = "lars.angstrom@ulricehamn.se"; // Ulricehamn kommunchef
const BIRGITTA: &str = "birgitta.ek@tranemo.se"; // Tranemo registrator

const ALL: &[Svc] = &[Svc::Roles, Svc::Forums, Svc::Decisions, Svc::Agreements];

const AGREEMENT: &str = "Avtal om gemensam IT-verksamhet.\n\n\
## 1. Parter\n\nTranemo kommun och Ulricehamns kommun.\n\n\
## 2. Syfte\n\nAtt bedriva IT-verksamhet gemensamt.\n\n\
## 3. Kostnader\n\nKostnaderna fördelas enligt prislistan.\n\n\
## 4. Uppsägning\n\nAvtalet kan sägas upp med tolv månaders varsel.\n";

type Agreements = AgreementsServiceClient<Channel>;

fn date(y: i32, m: i32, d: i32) -> Option<samverkan_proto::common::v1::Date> {
    Some(samverkan_proto::common::v1::Date {
        year: y,
        month: m,
        day: d,
    })
}

async fn setup(
    server: &TestServer,
    effective_from: chrono::NaiveDate,
) -> (Agreements, pb::Agreement, pb::Revision) {
    let mut a = AgreementsServiceClient::new(server.channel().await);
    let created = a
        .create_agreement(as_(
            EVA,
            pb::CreateAgreementRequest {
                request_id: "avtal".into(),
                kind: pb::AgreementKind::CollaborationAgreement as i32,
                title: "Samverkansavtal IT".into(),
                version: Some(pb::Version {
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
    let revision = a
        .open_revision(as_(
            EVA,
            pb::OpenRevisionRequest {
                request_id: "revision-2027".into(),
                agreement_id: agreement.id.clone(),
                year: 2027,
                phase_ends: vec![
                    dates::to_proto(effective_from - chrono::Days::new(50)),
                    dates::to_proto(effective_from - chrono::Days::new(40)),
                    dates::to_proto(effective_from - chrono::Days::new(30)),
                    dates::to_proto(effective_from - chrono::Days::new(20)),
                    dates::to_proto(effective_from - chrono::Days::new(1)),
                ],
                effective_from: Some(dates::to_proto(effective_from)),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .revision
        .unwrap();
    (a, agreement, revision)
}

async fn advance(a: &mut Agreements, id: &str) -> pb::Revision {
    let r = a
        .get_revision(as_(EVA, pb::GetRevisionRequest { id: id.into() }))
        .await
        .unwrap()
        .into_inner()
        .revision
        .unwrap();
    a.advance_revision(as_(
        EVA,
        pb::AdvanceRevisionRequest {
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

fn proposal(
    revision: &str,
    section: &str,
    action: pb::ProposalAction,
    title: &str,
    text: &str,
) -> pb::CreateProposalRequest {
    pb::CreateProposalRequest {
        request_id: String::new(),
        proposal: Some(pb::Proposal {
            revision_id: revision.into(),
            section_number: section.into(),
            action: action as i32,
            title: title.into(),
            text: text.into(),
            rationale: "Behovet har ändrats.".into(),
            ..Default::default()
        }),
    }
}

/// Takes a revision to its approvals phase: proposals from both members,
/// consolidation, forum review, and IT-styrgruppen's decision.
async fn through_decision(
    server: &TestServer,
    db: &TestDb,
    a: &mut Agreements,
    revision: &pb::Revision,
) -> pb::Version {
    let r = &revision.id;
    // Tranemo drafts privately; Ulricehamn cannot see the draft.
    let t = a
        .create_proposal(as_(
            ERIK,
            proposal(
                r,
                "3",
                pb::ProposalAction::Amend,
                "",
                "Kostnaderna fördelas enligt prislistan och fördelningsnyckeln.",
            ),
        ))
        .await
        .unwrap()
        .into_inner()
        .proposal
        .unwrap();
    let theirs = a
        .list_proposals(as_(
            MARIA,
            pb::ListProposalsRequest {
                revision_id: r.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .proposals;
    assert!(
        theirs.is_empty(),
        "Ulricehamn saw Tranemo's unsubmitted proposal"
    );
    let err = a
        .submit_proposal(as_(
            MARIA,
            pb::SubmitProposalRequest {
                id: t.id.clone(),
                etag: t.etag.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Code::NotFound,
        "another municipality's draft does not exist for Ulricehamn"
    );
    let t = a
        .submit_proposal(as_(
            ERIK,
            pb::SubmitProposalRequest {
                id: t.id,
                etag: t.etag,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .proposal
        .unwrap();
    let theirs = a
        .list_proposals(as_(
            MARIA,
            pb::ListProposalsRequest {
                revision_id: r.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .proposals;
    assert_eq!(theirs.len(), 1, "after submission every member sees it");
    let u = a
        .create_proposal(as_(MARIA, proposal(r, "1", pb::ProposalAction::Add, "Anslutning av nya medlemmar", "Ny medlem ansluter efter beslut i IT-styrgruppen och godkännande i varje kommunstyrelse.")))
        .await
        .unwrap()
        .into_inner()
        .proposal
        .unwrap();
    let u = a
        .submit_proposal(as_(
            MARIA,
            pb::SubmitProposalRequest {
                id: u.id,
                etag: u.etag,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .proposal
        .unwrap();
    let d = a
        .create_proposal(as_(
            MARIA,
            proposal(r, "2", pb::ProposalAction::Delete, "", ""),
        ))
        .await
        .unwrap()
        .into_inner()
        .proposal
        .unwrap();
    let d = a
        .submit_proposal(as_(
            MARIA,
            pb::SubmitProposalRequest {
                id: d.id,
                etag: d.etag,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .proposal
        .unwrap();

    advance(a, r).await; // → consolidation
    let resolve = |p: &pb::Proposal, outcome: pb::ProposalState, reason: &str, text: &str| {
        pb::ResolveProposalRequest {
            id: p.id.clone(),
            outcome: outcome as i32,
            reason: reason.into(),
            accepted_text: text.into(),
            etag: p.etag.clone(),
        }
    };
    a.resolve_proposal(as_(
        EVA,
        resolve(
            &t,
            pb::ProposalState::AcceptedWithChanges,
            "Förtydligat.",
            "Kostnaderna fördelas enligt prislistan och den beslutade fördelningsnyckeln.",
        ),
    ))
    .await
    .unwrap();
    a.resolve_proposal(as_(
        EVA,
        resolve(&u, pb::ProposalState::Accepted, "Bra.", ""),
    ))
    .await
    .unwrap();
    let rejected = a
        .resolve_proposal(as_(
            EVA,
            resolve(
                &d,
                pb::ProposalState::Rejected,
                "Syftet behövs i avtalet.",
                "",
            ),
        ))
        .await
        .unwrap()
        .into_inner()
        .proposal
        .unwrap();
    let seen = a
        .list_proposals(as_(
            MARIA,
            pb::ListProposalsRequest {
                revision_id: r.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .proposals;
    let mine = seen.iter().find(|p| p.id == rejected.id).unwrap();
    assert_eq!(
        mine.resolution_reason, "Syftet behövs i avtalet.",
        "the proposer reads the reason"
    );

    let consolidated = a
        .consolidate_revision(as_(EVA, pb::ConsolidateRevisionRequest { id: r.clone() }))
        .await
        .unwrap()
        .into_inner();
    let draft = consolidated.version.unwrap();
    assert!(
        draft.text.contains("## 2. Anslutning av nya medlemmar"),
        "{}",
        draft.text
    );
    assert!(draft.text.contains("## 4. Kostnader\n\nKostnaderna fördelas enligt prislistan och den beslutade fördelningsnyckeln."), "{}", draft.text);
    assert!(
        consolidated
            .diff_markdown
            .contains("Anslutning av nya medlemmar"),
        "{}",
        consolidated.diff_markdown
    );
    assert!(
        consolidated.diff_markdown.contains(
            "+ Kostnaderna fördelas enligt prislistan och den beslutade fördelningsnyckeln."
        ),
        "{}",
        consolidated.diff_markdown
    );

    advance(a, r).await; // → forum review
    advance(a, r).await; // → decision: on IT-styrgruppen's backlog through the outbox
    samverkan_server::background::run_once(&db.app, dates::today())
        .await
        .unwrap();
    let mut f = ForumsServiceClient::new(server.channel().await);
    let (_, styrgruppen) = forum_ids(server).await;
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
    assert_eq!(backlog.len(), 1);
    assert_eq!(
        backlog[0].title,
        "Beslut: Samverkansavtal IT 2027 – konsoliderat förslag"
    );

    // IT-styrgruppen decides it at a §; the decision is linked to the version.
    let mut m = meeting(
        &mut f,
        EVA,
        &styrgruppen,
        "IT-styrgruppen 5/2026",
        (2026, 10, 8),
    )
    .await;
    m = add_item(
        &mut f,
        EVA,
        &m.id,
        fpb::AgendaItemKind::Decision,
        "",
        &backlog[0].id,
    )
    .await;
    publish(&mut f, EVA, &m).await;
    hold(&mut f, EVA, &m).await;
    let p = paragraph(
        &mut f,
        EVA,
        &m.id,
        &m.agenda[0].id,
        fpb::ParagraphOutcome::Decided,
        "IT-styrgruppen fastställer avtalet.",
    )
    .await;
    let mut d = DecisionsServiceClient::new(server.channel().await);
    let decision = d
        .register_decision(as_(
            EVA,
            dpb::RegisterDecisionRequest {
                request_id: String::new(),
                decision: Some(dpb::Decision {
                    meeting_id: m.id.clone(),
                    paragraph_id: p.id.clone(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .decision
        .unwrap();
    let rev = a
        .get_revision(as_(EVA, pb::GetRevisionRequest { id: r.clone() }))
        .await
        .unwrap()
        .into_inner()
        .revision
        .unwrap();
    a.record_revision_decision(as_(
        EVA,
        pb::RecordRevisionDecisionRequest {
            id: r.clone(),
            decision_id: decision.id.clone(),
            etag: rev.etag,
        },
    ))
    .await
    .unwrap();
    advance(a, r).await; // → approvals
    let v = a
        .get_version(as_(
            LARS,
            pb::GetVersionRequest {
                id: draft.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .version
        .unwrap();
    assert_eq!(v.status, pb::VersionStatus::Decided as i32);
    assert_eq!(v.decision_ids, [decision.id]);
    v
}

async fn approve(
    a: &mut Agreements,
    who: &str,
    revision: &str,
    paragraph: &str,
) -> pb::RecordApprovalResponse {
    let draft = a
        .create_approval(as_(
            who,
            pb::CreateApprovalRequest {
                request_id: String::new(),
                approval: Some(pb::Approval {
                    revision_id: revision.into(),
                    body: "Kommunstyrelsen".into(),
                    paragraph_ref: paragraph.into(),
                    decided_on: date(2026, 11, 20),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .approval
        .unwrap();
    a.record_approval(as_(
        who,
        pb::RecordApprovalRequest {
            id: draft.id,
            etag: draft.etag,
        },
    ))
    .await
    .unwrap()
    .into_inner()
}

async fn the_yearly_review(db: TestDb) {
    let server = TestServer::start(&db, ALL).await;
    let today = dates::today();
    let (mut a, agreement, revision) = setup(&server, today).await;
    let draft = through_decision(&server, &db, &mut a, &revision).await;

    // Tranemo's KS approves; its draft approval is private until recorded.
    let tranemo = a
        .create_approval(as_(
            BIRGITTA,
            pb::CreateApprovalRequest {
                request_id: String::new(),
                approval: Some(pb::Approval {
                    revision_id: revision.id.clone(),
                    body: "Kommunstyrelsen".into(),
                    paragraph_ref: "§ 187".into(),
                    decided_on: date(2026, 11, 18),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .approval
        .unwrap();
    let seen = a
        .get_revision(as_(
            LARS,
            pb::GetRevisionRequest {
                id: revision.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .revision
        .unwrap();
    assert!(
        seen.approvals.iter().all(|m| m.approval.is_none()),
        "Ulricehamn saw Tranemo's draft approval"
    );
    // Ulricehamn cannot record Tranemo's approval.
    let err = a
        .record_approval(as_(
            LARS,
            pb::RecordApprovalRequest {
                id: tranemo.id.clone(),
                etag: tranemo.etag.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let first = a
        .record_approval(as_(
            BIRGITTA,
            pb::RecordApprovalRequest {
                id: tranemo.id.clone(),
                etag: tranemo.etag.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let waiting = first.revision.expect("the revision after the approval");
    assert_eq!(waiting.phase, pb::Phase::Approvals as i32);
    assert!(
        waiting
            .approvals
            .iter()
            .any(|m| m.municipality_id == "ulricehamn" && m.approval.is_none()),
        "{waiting:?}"
    );

    // One approval missing: not in force, even on its date.
    samverkan_server::background::run_once(&db.app, today)
        .await
        .unwrap();
    let v = a
        .get_version(as_(
            ANNA,
            pb::GetVersionRequest {
                id: draft.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .version
        .unwrap();
    assert_eq!(v.status, pb::VersionStatus::Decided as i32);
    let rev = a
        .get_revision(as_(
            EVA,
            pb::GetRevisionRequest {
                id: revision.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .revision
        .unwrap();
    let err = a
        .advance_revision(as_(
            EVA,
            pb::AdvanceRevisionRequest {
                id: revision.id.clone(),
                etag: rev.etag,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert!(err.message().contains("ulricehamn"), "{}", err.message());

    // The last approval puts it into force (its date has come) and says so.
    let last = approve(&mut a, LARS, &revision.id, "§ 201").await;
    let done = last.revision.expect("the revision after the approval");
    assert_eq!(done.phase, pb::Phase::InForce as i32);
    samverkan_server::background::run_once(&db.app, today)
        .await
        .unwrap();
    let v = a
        .get_version(as_(
            ANNA,
            pb::GetVersionRequest {
                id: draft.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .version
        .unwrap();
    assert_eq!(v.status, pb::VersionStatus::InForce as i32);
    let list = a
        .list_agreements(as_(MARIA, pb::ListAgreementsRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .agreements;
    assert_eq!(list[0].in_force.as_ref().unwrap().id, draft.id);
    let versions = a
        .list_versions(as_(
            MARIA,
            pb::ListVersionsRequest {
                agreement_id: agreement.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .versions;
    assert_eq!(
        versions.iter().map(|v| v.status).collect::<Vec<_>>(),
        [
            pb::VersionStatus::InForce as i32,
            pb::VersionStatus::Replaced as i32
        ]
    );

    // The text of a version in force never changes.
    let err = a
        .update_version(as_(
            EVA,
            pb::UpdateVersionRequest {
                version: Some(pb::Version {
                    text: "## 1. Ny text\n\nX".into(),
                    ..v.clone()
                }),
                etag: v.etag.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    let same = a
        .get_version(as_(
            ANNA,
            pb::GetVersionRequest {
                id: draft.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .version
        .unwrap();
    assert_eq!(same.text, v.text);

    // A readable diff against last year's.
    let diff = a
        .diff_versions(as_(
            ANNA,
            pb::DiffVersionsRequest {
                from_version_id: versions[1].id.clone(),
                to_version_id: draft.id.clone(),
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
    server.stop().await;
}
backend_test!(the_yearly_review);

async fn a_member_joining_mid_cycle_must_approve(db: TestDb) {
    let server = TestServer::start(&db, ALL).await;
    let today = dates::today();
    let (mut a, _, revision) = setup(&server, today).await;
    let draft = through_decision(&server, &db, &mut a, &revision).await;
    // Borås joins before the new version takes effect.
    let mut roles = RolesServiceClient::new(server.channel().await);
    roles
        .create_municipality(as_(
            EVA,
            rpb::CreateMunicipalityRequest {
                request_id: "boras".into(),
                municipality: Some(rpb::Municipality {
                    id: "boras".into(),
                    name: "Borås Stad".into(),
                    ..Default::default()
                }),
                collaboration_id: samverkan_roles::demo::COLLABORATION_ID.to_string(),
                joined_on: Some(dates::to_proto(today)),
                decision_ref: "IT-styrgruppen 2026-10-08 § 2".into(),
            },
        ))
        .await
        .unwrap();
    approve(&mut a, BIRGITTA, &revision.id, "§ 187").await;
    approve(&mut a, LARS, &revision.id, "§ 201").await;
    samverkan_server::background::run_once(&db.app, today)
        .await
        .unwrap();
    let v = a
        .get_version(as_(
            ANNA,
            pb::GetVersionRequest {
                id: draft.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .version
        .unwrap();
    assert_eq!(
        v.status,
        pb::VersionStatus::Decided as i32,
        "Borås has not approved yet"
    );
    let rev = a
        .get_revision(as_(
            ANNA,
            pb::GetRevisionRequest {
                id: revision.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .revision
        .unwrap();
    let required: Vec<_> = rev
        .approvals
        .iter()
        .map(|m| m.municipality_id.as_str())
        .collect();
    assert_eq!(required, ["tranemo", "ulricehamn", "boras"]);
    server.stop().await;
}
backend_test!(a_member_joining_mid_cycle_must_approve);

async fn guidelines_refer_to_the_years_price_list(db: TestDb) {
    let services = &[
        Svc::Roles,
        Svc::Forums,
        Svc::Decisions,
        Svc::CostModel,
        Svc::Agreements,
    ];
    let server = TestServer::start(&db, services).await;
    let mut a = AgreementsServiceClient::new(server.channel().await);
    let mut cm =
        samverkan_proto::costmodel::v1::cost_model_service_client::CostModelServiceClient::new(
            server.channel().await,
        );
    let lists = cm
        .list_price_lists(as_(
            EVA,
            samverkan_proto::costmodel::v1::ListPriceListsRequest {
                year: 2025,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .price_lists;
    assert!(!lists.is_empty(), "the demo has a 2025 price list");
    let create = |kind: pb::AgreementKind, title: &str, year: i32| pb::CreateAgreementRequest {
        request_id: String::new(),
        kind: kind as i32,
        title: title.into(),
        version: Some(pb::Version {
            text: "## 1. Ramuppdrag\n\nIT-avdelningens uppdrag för året.".into(),
            effective_from: date(year, 1, 1),
            ..Default::default()
        }),
    };
    let guidelines = a
        .create_agreement(as_(
            EVA,
            create(
                pb::AgreementKind::Guidelines,
                "Riktlinjer för ramuppdrag IT 2025",
                2025,
            ),
        ))
        .await
        .unwrap()
        .into_inner()
        .version
        .unwrap();
    assert!(
        guidelines
            .link
            .starts_with(&format!("costmodel/price-lists/{}", lists[0].id)),
        "{}",
        guidelines.link
    );
    let later = a
        .create_agreement(as_(
            EVA,
            create(
                pb::AgreementKind::Guidelines,
                "Riktlinjer för ramuppdrag IT 2031",
                2031,
            ),
        ))
        .await
        .unwrap()
        .into_inner()
        .version
        .unwrap();
    assert_eq!(later.link, "prislista 2031: ännu inte upprättad");
    let org = a
        .create_agreement(as_(
            EVA,
            create(
                pb::AgreementKind::Organisation,
                "Samverkansorganisation IT och digitalisering",
                2025,
            ),
        ))
        .await
        .unwrap()
        .into_inner()
        .version
        .unwrap();
    assert!(org.link.contains("mandates"), "{}", org.link);
    server.stop().await;
}
backend_test!(guidelines_refer_to_the_years_price_list);

/// An official finds the open revision without knowing its id: every
/// member's people list a document's revisions, newest year first, a page
/// at a time; an agreement they may not see does not exist for them.
async fn revisions_are_listed_newest_first(db: TestDb) {
    let server = TestServer::start(&db, ALL).await;
    let today = dates::today();
    let (mut a, agreement, y2027) = setup(&server, today).await;
    let later = today + chrono::Days::new(365);
    let y2028 = a
        .open_revision(as_(
            EVA,
            pb::OpenRevisionRequest {
                request_id: "revision-2028".into(),
                agreement_id: agreement.id.clone(),
                year: 2028,
                phase_ends: [50, 40, 30, 20, 1]
                    .into_iter()
                    .map(|d| dates::to_proto(later - chrono::Days::new(d)))
                    .collect(),
                effective_from: Some(dates::to_proto(later)),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .revision
        .unwrap();
    let list = |who: &'static str, page_size: i32, page_token: String| {
        let mut a = a.clone();
        let agreement_id = agreement.id.clone();
        async move {
            a.list_revisions(as_(
                who,
                pb::ListRevisionsRequest {
                    agreement_id,
                    page_size,
                    page_token,
                },
            ))
            .await
            .map(tonic::Response::into_inner)
        }
    };
    for who in [EVA, ERIK, MARIA, BIRGITTA] {
        let all = list(who, 0, String::new()).await.unwrap();
        assert_eq!(
            all.revisions
                .iter()
                .map(|r| (r.year, r.id.as_str()))
                .collect::<Vec<_>>(),
            [(2028, y2028.id.as_str()), (2027, y2027.id.as_str())],
            "{who}"
        );
        assert!(all.next_page_token.is_empty());
        let open = &all.revisions[1];
        assert_eq!(open.phase, pb::Phase::Proposals as i32);
        assert_eq!(open.deadlines.len(), 5);
        assert_eq!(open.etag, y2027.etag, "the etag to advance it with");
        assert!(open.approvals.is_empty(), "approvals are GetRevision's");
    }

    // A page at a time.
    let first = list(ANNA, 1, String::new()).await.unwrap();
    assert_eq!(first.revisions.len(), 1);
    assert_eq!(first.revisions[0].year, 2028);
    assert!(!first.next_page_token.is_empty());
    let second = list(ANNA, 1, first.next_page_token.clone()).await.unwrap();
    assert_eq!(second.revisions[0].year, 2027);
    assert!(second.next_page_token.is_empty());

    // A token belongs to its agreement; an unknown agreement is not found.
    let err = a
        .list_revisions(as_(
            ANNA,
            pb::ListRevisionsRequest {
                agreement_id: samverkan_core::new_uuid().to_string(),
                page_size: 1,
                page_token: first.next_page_token.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{}", err.message());
    let err = a
        .list_revisions(as_(
            ANNA,
            pb::ListRevisionsRequest {
                agreement_id: samverkan_core::new_uuid().to_string(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound, "{}", err.message());
    let err = a
        .list_revisions(as_(ANNA, pb::ListRevisionsRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Code::InvalidArgument,
        "agreement_id is required"
    );
    server.stop().await;
}
backend_test!(revisions_are_listed_newest_first);
