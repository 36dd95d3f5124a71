//! Bad input to every create, update and other mutating RPC of the
//! agreements service (issue #8, point 8), on SQLite and PostgreSQL:
//! empty, overlong, wrongly formatted and out-of-range fields each answer
//! `INVALID_ARGUMENT` with a `google.rpc.BadRequest` naming the offending
//! field, and write nothing — every table's rows are the same before and
//! after the call.
//!
//! Each case starts from a valid request (proved valid by sending it after
//! the cases, as a control that must succeed, while a revision is taken
//! from proposals to approvals) and spoils one field.

use samverkan_proto::agreements::v1 as pb;
use samverkan_proto::agreements::v1::agreements_service_client::AgreementsServiceClient;
use samverkan_proto::common::v1::Date;
use samverkan_proto::decisions::v1 as dpb;
use samverkan_proto::decisions::v1::decisions_service_client::DecisionsServiceClient;
use samverkan_proto::forums::v1 as fpb;
use samverkan_proto::forums::v1::forums_service_client::ForumsServiceClient;
use samverkan_server::Svc;
use samverkan_testkit::bad_input::{Snapshots, judge, paced};
use samverkan_testkit::story::{add_item, as_, forum_ids, hold, meeting, paragraph, publish};
use samverkan_testkit::{TestDb, TestServer, backend_test};
use tonic::Status;
use tonic::transport::Channel;

const EVA: &str = "eva.dahlgren@ulricehamn.se"; // IT-strateg: revises agreements
const ERIK: &str = "erik.ohman@tranemo.se"; // Tranemo utvecklingschef: drafts proposals
const ANNA: &str = "anna.aberg@tranemo.se"; // Tranemo kommunchef: records approvals

const AGREEMENT: &str = "Avtal om gemensam IT-verksamhet.\n\n\
## 1. Parter\n\nTranemo kommun och Ulricehamns kommun.\n\n\
## 2. Syfte\n\nAtt bedriva IT-verksamhet gemensamt.\n\n\
## 3. Kostnader\n\nKostnaderna fördelas enligt prislistan.\n\n\
## 4. Uppsägning\n\nAvtalet kan sägas upp med tolv månaders varsel.\n";

type Client = AgreementsServiceClient<Channel>;

fn date(year: i32, month: i32, day: i32) -> Option<Date> {
    Some(Date { year, month, day })
}

// ---------------------------------------------------------------------------
// The harness: a snapshot of every table, and the check of one case.

// ---------------------------------------------------------------------------
// The requests.

/// One request of the table, to any mutating RPC of the service (and the
/// ids of its reads).
#[derive(Clone)]
enum Req {
    CreateAgreement(pb::CreateAgreementRequest),
    UpdateVersion(pb::UpdateVersionRequest),
    OpenRevision(pb::OpenRevisionRequest),
    AdvanceRevision(pb::AdvanceRevisionRequest),
    CreateProposal(pb::CreateProposalRequest),
    SubmitProposal(pb::SubmitProposalRequest),
    ResolveProposal(pb::ResolveProposalRequest),
    ConsolidateRevision(pb::ConsolidateRevisionRequest),
    RecordRevisionDecision(pb::RecordRevisionDecisionRequest),
    CreateApproval(pb::CreateApprovalRequest),
    RecordApproval(pb::RecordApprovalRequest),
    ListAgreements(pb::ListAgreementsRequest),
    ListVersions(pb::ListVersionsRequest),
    DiffVersions(pb::DiffVersionsRequest),
    ListRevisions(pb::ListRevisionsRequest),
}

impl Req {
    fn rpc(&self) -> &'static str {
        match self {
            Req::CreateAgreement(_) => "CreateAgreement",
            Req::UpdateVersion(_) => "UpdateVersion",
            Req::OpenRevision(_) => "OpenRevision",
            Req::AdvanceRevision(_) => "AdvanceRevision",
            Req::CreateProposal(_) => "CreateProposal",
            Req::SubmitProposal(_) => "SubmitProposal",
            Req::ResolveProposal(_) => "ResolveProposal",
            Req::ConsolidateRevision(_) => "ConsolidateRevision",
            Req::RecordRevisionDecision(_) => "RecordRevisionDecision",
            Req::CreateApproval(_) => "CreateApproval",
            Req::RecordApproval(_) => "RecordApproval",
            Req::ListAgreements(_) => "ListAgreements",
            Req::ListVersions(_) => "ListVersions",
            Req::DiffVersions(_) => "DiffVersions",
            Req::ListRevisions(_) => "ListRevisions",
        }
    }

    /// Sends the request as a person allowed to make it.
    async fn send(self, mut c: Client) -> Result<(), Status> {
        match self {
            Req::CreateAgreement(r) => c.create_agreement(as_(EVA, r)).await.map(drop),
            Req::UpdateVersion(r) => c.update_version(as_(EVA, r)).await.map(drop),
            Req::OpenRevision(r) => c.open_revision(as_(EVA, r)).await.map(drop),
            Req::AdvanceRevision(r) => c.advance_revision(as_(EVA, r)).await.map(drop),
            Req::CreateProposal(r) => c.create_proposal(as_(ERIK, r)).await.map(drop),
            Req::SubmitProposal(r) => c.submit_proposal(as_(ERIK, r)).await.map(drop),
            Req::ResolveProposal(r) => c.resolve_proposal(as_(EVA, r)).await.map(drop),
            Req::ConsolidateRevision(r) => c.consolidate_revision(as_(EVA, r)).await.map(drop),
            Req::RecordRevisionDecision(r) => {
                c.record_revision_decision(as_(EVA, r)).await.map(drop)
            }
            Req::CreateApproval(r) => c.create_approval(as_(ANNA, r)).await.map(drop),
            Req::RecordApproval(r) => c.record_approval(as_(ANNA, r)).await.map(drop),
            Req::ListAgreements(r) => c.list_agreements(as_(EVA, r)).await.map(drop),
            Req::ListVersions(r) => c.list_versions(as_(EVA, r)).await.map(drop),
            Req::DiffVersions(r) => c.diff_versions(as_(EVA, r)).await.map(drop),
            Req::ListRevisions(r) => c.list_revisions(as_(EVA, r)).await.map(drop),
        }
    }
}

async fn send_paced(c: &Client, req: &Req) -> Result<(), Status> {
    paced(|| req.clone().send(c.clone())).await
}

/// An agreement with its version in force, a revision of 2027 in its
/// proposals phase with a draft proposal of Tranemo's, and a decision of
/// IT-styrgruppen to record, that the valid requests refer to.
struct Fixture {
    agreement: pb::Agreement,
    version: pb::Version,
    revision: pb::Revision,
    proposal: pb::Proposal,
    decision: dpb::Decision,
}

async fn get_revision(c: &mut Client, id: &str) -> pb::Revision {
    c.get_revision(as_(EVA, pb::GetRevisionRequest { id: id.into() }))
        .await
        .unwrap()
        .into_inner()
        .revision
        .unwrap()
}

impl Fixture {
    async fn load(server: &TestServer, c: &mut Client) -> Self {
        let created = c
            .create_agreement(as_(
                EVA,
                pb::CreateAgreementRequest {
                    request_id: "samverkansavtal".into(),
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
        let revision = c
            .open_revision(as_(
                EVA,
                pb::OpenRevisionRequest {
                    request_id: "översyn-2027".into(),
                    agreement_id: agreement.id.clone(),
                    year: 2027,
                    phase_ends: vec![
                        date(2026, 9, 30).unwrap(),
                        date(2026, 10, 15).unwrap(),
                        date(2026, 10, 31).unwrap(),
                        date(2026, 11, 15).unwrap(),
                        date(2026, 12, 15).unwrap(),
                    ],
                    effective_from: date(2027, 1, 1),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .revision
            .unwrap();
        let proposal = c
            .create_proposal(as_(
                ERIK,
                pb::CreateProposalRequest {
                    request_id: "förslag-kostnader".into(),
                    proposal: Some(pb::Proposal {
                        revision_id: revision.id.clone(),
                        section_number: "3".into(),
                        action: pb::ProposalAction::Amend as i32,
                        text: "Kostnaderna fördelas enligt prislistan och fördelningsnyckeln."
                            .into(),
                        rationale: "Fördelningsnyckeln används sedan 2025.".into(),
                        ..Default::default()
                    }),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .proposal
            .unwrap();

        // A decision of IT-styrgruppen, registered against its §.
        let mut f = ForumsServiceClient::new(server.channel().await);
        let (_, styrgruppen) = forum_ids(server).await;
        let m = meeting(
            &mut f,
            EVA,
            &styrgruppen,
            "IT-styrgruppen 6/2026",
            (2026, 12, 3),
        )
        .await;
        let m = add_item(
            &mut f,
            EVA,
            &m.id,
            fpb::AgendaItemKind::Decision,
            "Samverkansavtal IT 2027",
            "",
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
            "IT-styrgruppen fastställer avtalet för 2027.",
        )
        .await;
        let decision = DecisionsServiceClient::new(server.channel().await)
            .register_decision(as_(
                EVA,
                dpb::RegisterDecisionRequest {
                    request_id: "beslut-avtal-2027".into(),
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
        Self {
            agreement,
            version: created.version.unwrap(),
            revision,
            proposal,
            decision,
        }
    }

    fn create_agreement(&self) -> pb::CreateAgreementRequest {
        pb::CreateAgreementRequest {
            request_id: "avtal-e-arkiv".into(),
            kind: pb::AgreementKind::CollaborationAgreement as i32,
            title: "Avtal om gemensamt e-arkiv".into(),
            version: Some(pb::Version {
                text: "Avtal om e-arkiv.\n\n## 1. Parter\n\nTranemo och Ulricehamn.\n".into(),
                effective_from: date(2027, 1, 1),
                next_review_on: date(2028, 12, 31),
                link: "https://samverkan.example/avtal/e-arkiv".into(),
                ..Default::default()
            }),
        }
    }

    fn update_version(&self) -> pb::UpdateVersionRequest {
        pb::UpdateVersionRequest {
            version: Some(pb::Version {
                text: format!("{AGREEMENT}\n## 5. Giltighet\n\nAvtalet gäller tills vidare.\n"),
                changelog: "Ny § 5 om avtalets giltighet.".into(),
                link: "https://samverkan.example/avtal/it".into(),
                ..self.version.clone()
            }),
            etag: self.version.etag.clone(),
        }
    }

    fn open_revision(&self) -> pb::OpenRevisionRequest {
        pb::OpenRevisionRequest {
            request_id: "översyn-2028".into(),
            agreement_id: self.agreement.id.clone(),
            year: 2028,
            phase_ends: vec![
                date(2027, 9, 30).unwrap(),
                date(2027, 10, 15).unwrap(),
                date(2027, 10, 31).unwrap(),
                date(2027, 11, 15).unwrap(),
                date(2027, 12, 15).unwrap(),
            ],
            effective_from: date(2028, 1, 1),
        }
    }

    fn advance_revision(&self) -> pb::AdvanceRevisionRequest {
        pb::AdvanceRevisionRequest {
            id: self.revision.id.clone(),
            etag: self.revision.etag.clone(),
        }
    }

    fn create_proposal(&self) -> pb::CreateProposalRequest {
        pb::CreateProposalRequest {
            request_id: "förslag-ny-paragraf".into(),
            proposal: Some(pb::Proposal {
                revision_id: self.revision.id.clone(),
                section_number: "0".into(),
                action: pb::ProposalAction::Add as i32,
                title: "Anslutning av nya medlemmar".into(),
                text:
                    "Ny medlem ansluter efter beslut i IT-styrgruppen och i varje kommunstyrelse."
                        .into(),
                rationale: "Borås har visat intresse för samverkan.".into(),
                ..Default::default()
            }),
        }
    }

    fn submit_proposal(&self) -> pb::SubmitProposalRequest {
        pb::SubmitProposalRequest {
            id: self.proposal.id.clone(),
            etag: self.proposal.etag.clone(),
        }
    }

    fn resolve_proposal(&self) -> pb::ResolveProposalRequest {
        pb::ResolveProposalRequest {
            id: self.proposal.id.clone(),
            outcome: pb::ProposalState::AcceptedWithChanges as i32,
            reason: "Förtydligat i samråd med båda kommunerna.".into(),
            accepted_text:
                "Kostnaderna fördelas enligt prislistan och den beslutade fördelningsnyckeln."
                    .into(),
            etag: self.proposal.etag.clone(),
        }
    }

    fn record_revision_decision(&self) -> pb::RecordRevisionDecisionRequest {
        pb::RecordRevisionDecisionRequest {
            id: self.revision.id.clone(),
            decision_id: self.decision.id.clone(),
            etag: self.revision.etag.clone(),
        }
    }

    fn create_approval(&self) -> pb::CreateApprovalRequest {
        pb::CreateApprovalRequest {
            request_id: "godkännande-tranemo".into(),
            approval: Some(pb::Approval {
                revision_id: self.revision.id.clone(),
                body: "Kommunstyrelsen i Tranemo".into(),
                paragraph_ref: "KS § 187".into(),
                decided_on: date(2026, 12, 9),
                ..Default::default()
            }),
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

const NOTHING: &str = "01900000-0000-7000-8000-00000000dead";

fn cases(fx: &Fixture) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut add = |field, what, req| cases.push(Case { field, what, req });
    let bad_dates: [(&'static str, Option<Date>); 4] = [
        ("month 13 (2025-13-01)", date(2025, 13, 1)),
        ("29 February of a common year", date(2027, 2, 29)),
        ("year 0", date(0, 1, 1)),
        ("negative month", date(2027, -1, 1)),
    ];

    // CreateAgreement
    let ca = |f: &dyn Fn(&mut pb::CreateAgreementRequest)| {
        let mut r = fx.create_agreement();
        f(&mut r);
        Req::CreateAgreement(r)
    };
    fn cv(r: &mut pb::CreateAgreementRequest) -> &mut pb::Version {
        r.version.as_mut().unwrap()
    }
    add("kind", "unspecified (0)", ca(&|r| r.kind = 0));
    add("kind", "unknown (999)", ca(&|r| r.kind = 999));
    add("title", "empty", ca(&|r| r.title.clear()));
    add("title", "201 characters", ca(&|r| r.title = long(201)));
    add(
        "title",
        "control character",
        ca(&|r| r.title = "Avtal\u{7}".into()),
    );
    add("version.text", "empty", ca(&|r| cv(r).text.clear()));
    add("version.text", "unset version", ca(&|r| r.version = None));
    add(
        "version.text",
        "200 001 characters",
        ca(&|r| cv(r).text = long(200_001)),
    );
    add(
        "version.text",
        "NUL character",
        ca(&|r| cv(r).text = "Avtal\u{0}".into()),
    );
    add(
        "version.effective_from",
        "missing",
        ca(&|r| cv(r).effective_from = None),
    );
    for (what, d) in bad_dates {
        add(
            "version.effective_from",
            what,
            ca(&move |r| cv(r).effective_from = d),
        );
    }
    for (what, d) in bad_dates {
        add(
            "version.next_review_on",
            what,
            ca(&move |r| cv(r).next_review_on = d),
        );
    }
    add(
        "version.next_review_on",
        "before effective_from",
        ca(&|r| cv(r).next_review_on = date(2026, 12, 31)),
    );
    add(
        "version.link",
        "line break",
        ca(&|r| cv(r).link = "https://samverkan.example/\navtal".into()),
    );
    add(
        "version.link",
        "NUL character",
        ca(&|r| cv(r).link = "https://samverkan.example/\u{0}".into()),
    );
    add(
        "request_id",
        "129 characters",
        ca(&|r| r.request_id = "ö".repeat(129)),
    );

    // UpdateVersion
    let uv = |f: &dyn Fn(&mut pb::UpdateVersionRequest)| {
        let mut r = fx.update_version();
        f(&mut r);
        Req::UpdateVersion(r)
    };
    fn uvv(r: &mut pb::UpdateVersionRequest) -> &mut pb::Version {
        r.version.as_mut().unwrap()
    }
    add("version.id", "empty", uv(&|r| uvv(r).id.clear()));
    add(
        "version.id",
        "not a UUID",
        uv(&|r| uvv(r).id = "version 1".into()),
    );
    add("version.text", "empty", uv(&|r| uvv(r).text.clear()));
    add("version.text", "unset version", uv(&|r| r.version = None));
    add(
        "version.text",
        "NUL character",
        uv(&|r| uvv(r).text = "Avtal\u{0}".into()),
    );
    add(
        "version.changelog",
        "200 001 characters",
        uv(&|r| uvv(r).changelog = long(200_001)),
    );
    add(
        "version.changelog",
        "NUL character",
        uv(&|r| uvv(r).changelog = "Ny § 5\u{0}".into()),
    );
    add(
        "version.link",
        "line break",
        uv(&|r| uvv(r).link = "https://\nsamverkan.example".into()),
    );
    add("etag", "empty", uv(&|r| r.etag.clear()));
    add("etag", "65 characters", uv(&|r| r.etag = "e".repeat(65)));

    // OpenRevision
    let or = |f: &dyn Fn(&mut pb::OpenRevisionRequest)| {
        let mut r = fx.open_revision();
        f(&mut r);
        Req::OpenRevision(r)
    };
    add("agreement_id", "empty", or(&|r| r.agreement_id.clear()));
    add(
        "agreement_id",
        "not a UUID",
        or(&|r| r.agreement_id = "samverkansavtal".into()),
    );
    add("year", "1999", or(&|r| r.year = 1999));
    add("year", "10000", or(&|r| r.year = 10_000));
    add("phase_ends", "none", or(&|r| r.phase_ends.clear()));
    add(
        "phase_ends",
        "four",
        or(&|r| {
            r.phase_ends.pop();
        }),
    );
    add(
        "phase_ends",
        "going backwards",
        or(&|r| r.phase_ends.swap(1, 2)),
    );
    for (what, d) in bad_dates {
        add(
            "phase_ends[2]",
            what,
            or(&move |r| r.phase_ends[2] = d.unwrap()),
        );
    }
    add(
        "effective_from",
        "missing",
        or(&|r| r.effective_from = None),
    );
    for (what, d) in bad_dates {
        add("effective_from", what, or(&move |r| r.effective_from = d));
    }
    add(
        "effective_from",
        "before the approvals end",
        or(&|r| r.effective_from = date(2027, 12, 1)),
    );
    add(
        "request_id",
        "129 characters",
        or(&|r| r.request_id = "ö".repeat(129)),
    );

    // AdvanceRevision
    let ar = |f: &dyn Fn(&mut pb::AdvanceRevisionRequest)| {
        let mut r = fx.advance_revision();
        f(&mut r);
        Req::AdvanceRevision(r)
    };
    add("id", "empty", ar(&|r| r.id.clear()));
    add("id", "not a UUID", ar(&|r| r.id = "översyn-2027".into()));
    add("etag", "empty", ar(&|r| r.etag.clear()));
    add("etag", "65 characters", ar(&|r| r.etag = "e".repeat(65)));

    // CreateProposal
    let cp = |f: &dyn Fn(&mut pb::CreateProposalRequest)| {
        let mut r = fx.create_proposal();
        f(&mut r);
        Req::CreateProposal(r)
    };
    fn pr(r: &mut pb::CreateProposalRequest) -> &mut pb::Proposal {
        r.proposal.as_mut().unwrap()
    }
    add(
        "proposal.action",
        "unspecified (0)",
        cp(&|r| pr(r).action = 0),
    );
    add(
        "proposal.action",
        "unknown (999)",
        cp(&|r| pr(r).action = 999),
    );
    add(
        "proposal.action",
        "unset proposal",
        cp(&|r| r.proposal = None),
    );
    add(
        "proposal.section_number",
        "empty",
        cp(&|r| pr(r).section_number.clear()),
    );
    add(
        "proposal.section_number",
        "21 characters",
        cp(&|r| pr(r).section_number = "1".repeat(21)),
    );
    add(
        "proposal.section_number",
        "control character",
        cp(&|r| pr(r).section_number = "3\u{0}".into()),
    );
    add(
        "proposal.section_number",
        "not in the agreement",
        cp(&|r| {
            pr(r).action = pb::ProposalAction::Amend as i32;
            pr(r).section_number = "9".into();
        }),
    );
    add("proposal.text", "empty", cp(&|r| pr(r).text.clear()));
    add(
        "proposal.text",
        "200 001 characters",
        cp(&|r| pr(r).text = long(200_001)),
    );
    add(
        "proposal.text",
        "NUL character",
        cp(&|r| pr(r).text = "Ny medlem\u{0}".into()),
    );
    add(
        "proposal.title",
        "empty when adding",
        cp(&|r| pr(r).title.clear()),
    );
    add(
        "proposal.title",
        "201 characters",
        cp(&|r| pr(r).title = long(201)),
    );
    add(
        "proposal.rationale",
        "empty",
        cp(&|r| pr(r).rationale.clear()),
    );
    add(
        "proposal.rationale",
        "NUL character",
        cp(&|r| pr(r).rationale = "Borås\u{0}".into()),
    );
    add(
        "proposal.revision_id",
        "empty",
        cp(&|r| pr(r).revision_id.clear()),
    );
    add(
        "proposal.revision_id",
        "not a UUID",
        cp(&|r| pr(r).revision_id = "2027".into()),
    );
    add(
        "request_id",
        "129 characters",
        cp(&|r| r.request_id = "ö".repeat(129)),
    );

    // SubmitProposal
    let sp = |f: &dyn Fn(&mut pb::SubmitProposalRequest)| {
        let mut r = fx.submit_proposal();
        f(&mut r);
        Req::SubmitProposal(r)
    };
    add("id", "empty", sp(&|r| r.id.clear()));
    add("id", "not a UUID", sp(&|r| r.id = "förslag".into()));
    add("etag", "empty", sp(&|r| r.etag.clear()));
    add("etag", "65 characters", sp(&|r| r.etag = "e".repeat(65)));

    // ResolveProposal
    let rp = |f: &dyn Fn(&mut pb::ResolveProposalRequest)| {
        let mut r = fx.resolve_proposal();
        f(&mut r);
        Req::ResolveProposal(r)
    };
    add("outcome", "unspecified (0)", rp(&|r| r.outcome = 0));
    add("outcome", "unknown (999)", rp(&|r| r.outcome = 999));
    add(
        "outcome",
        "DRAFT",
        rp(&|r| r.outcome = pb::ProposalState::Draft as i32),
    );
    add(
        "outcome",
        "SUBMITTED",
        rp(&|r| r.outcome = pb::ProposalState::Submitted as i32),
    );
    add("reason", "empty", rp(&|r| r.reason.clear()));
    add(
        "reason",
        "NUL character",
        rp(&|r| r.reason = "Förtydligat\u{0}".into()),
    );
    add(
        "accepted_text",
        "empty when accepted with changes",
        rp(&|r| r.accepted_text.clear()),
    );
    add(
        "accepted_text",
        "200 001 characters",
        rp(&|r| r.accepted_text = long(200_001)),
    );
    add("etag", "empty", rp(&|r| r.etag.clear()));
    add("id", "not a UUID", rp(&|r| r.id = "förslag".into()));

    // ConsolidateRevision
    add(
        "id",
        "empty",
        Req::ConsolidateRevision(pb::ConsolidateRevisionRequest::default()),
    );
    add(
        "id",
        "not a UUID",
        Req::ConsolidateRevision(pb::ConsolidateRevisionRequest {
            id: "översyn".into(),
        }),
    );

    // RecordRevisionDecision
    let rd = |f: &dyn Fn(&mut pb::RecordRevisionDecisionRequest)| {
        let mut r = fx.record_revision_decision();
        f(&mut r);
        Req::RecordRevisionDecision(r)
    };
    add("decision_id", "empty", rd(&|r| r.decision_id.clear()));
    add(
        "decision_id",
        "not a UUID",
        rd(&|r| r.decision_id = "§ 4".into()),
    );
    add("etag", "empty", rd(&|r| r.etag.clear()));
    add("etag", "65 characters", rd(&|r| r.etag = "e".repeat(65)));
    add("id", "empty", rd(&|r| r.id.clear()));
    add("id", "not a UUID", rd(&|r| r.id = "översyn".into()));

    // CreateApproval
    let cap = |f: &dyn Fn(&mut pb::CreateApprovalRequest)| {
        let mut r = fx.create_approval();
        f(&mut r);
        Req::CreateApproval(r)
    };
    fn ap(r: &mut pb::CreateApprovalRequest) -> &mut pb::Approval {
        r.approval.as_mut().unwrap()
    }
    add("approval.body", "empty", cap(&|r| ap(r).body.clear()));
    add(
        "approval.body",
        "unset approval",
        cap(&|r| r.approval = None),
    );
    add(
        "approval.body",
        "101 characters",
        cap(&|r| ap(r).body = long(101)),
    );
    add(
        "approval.body",
        "control character",
        cap(&|r| ap(r).body = "KS\u{0}".into()),
    );
    add(
        "approval.paragraph_ref",
        "empty",
        cap(&|r| ap(r).paragraph_ref.clear()),
    );
    add(
        "approval.paragraph_ref",
        "51 characters",
        cap(&|r| ap(r).paragraph_ref = long(51)),
    );
    add(
        "approval.decided_on",
        "missing",
        cap(&|r| ap(r).decided_on = None),
    );
    for (what, d) in bad_dates {
        add(
            "approval.decided_on",
            what,
            cap(&move |r| ap(r).decided_on = d),
        );
    }
    add(
        "approval.revision_id",
        "empty",
        cap(&|r| ap(r).revision_id.clear()),
    );
    add(
        "approval.revision_id",
        "not a UUID",
        cap(&|r| ap(r).revision_id = "2027".into()),
    );

    // RecordApproval
    add(
        "id",
        "empty",
        Req::RecordApproval(pb::RecordApprovalRequest {
            etag: "e".into(),
            ..Default::default()
        }),
    );
    add(
        "id",
        "not a UUID",
        Req::RecordApproval(pb::RecordApprovalRequest {
            id: "godkännande".into(),
            etag: "e".into(),
        }),
    );
    add(
        "etag",
        "empty",
        Req::RecordApproval(pb::RecordApprovalRequest {
            id: NOTHING.into(),
            etag: String::new(),
        }),
    );
    add(
        "etag",
        "65 characters",
        Req::RecordApproval(pb::RecordApprovalRequest {
            id: NOTHING.into(),
            etag: "e".repeat(65),
        }),
    );

    // Reads.
    add(
        "collaboration_id",
        "not a UUID",
        Req::ListAgreements(pb::ListAgreementsRequest {
            collaboration_id: "samverkan".into(),
        }),
    );
    add(
        "agreement_id",
        "not a UUID",
        Req::ListVersions(pb::ListVersionsRequest {
            agreement_id: "avtal".into(),
        }),
    );
    add(
        "from_version_id",
        "not a UUID",
        Req::DiffVersions(pb::DiffVersionsRequest {
            from_version_id: "v1".into(),
            to_version_id: fx.version.id.clone(),
        }),
    );
    add(
        "agreement_id",
        "not a UUID",
        Req::ListRevisions(pb::ListRevisionsRequest {
            agreement_id: "samverkansavtal".into(),
            ..Default::default()
        }),
    );
    add(
        "page_size",
        "negative",
        Req::ListRevisions(pb::ListRevisionsRequest {
            agreement_id: fx.agreement.id.clone(),
            page_size: -1,
            ..Default::default()
        }),
    );
    add(
        "page_token",
        "forged",
        Req::ListRevisions(pb::ListRevisionsRequest {
            agreement_id: fx.agreement.id.clone(),
            page_token: "år-2026".into(),
            ..Default::default()
        }),
    );

    // Fields the server sets are refused, never ignored; an owner field
    // is accepted only naming the caller's own.
    let stamp = || {
        Some(samverkan_proto::Timestamp {
            seconds: 1_767_225_600,
            nanos: 0,
        })
    };
    add(
        "version.id",
        "set by the caller",
        ca(&|r| cv(r).id = NOTHING.into()),
    );
    add(
        "version.agreement_id",
        "set by the caller",
        ca(&|r| cv(r).agreement_id = fx.agreement.id.clone()),
    );
    add(
        "version.number",
        "set by the caller",
        ca(&|r| cv(r).number = 2),
    );
    add(
        "version.status",
        "set by the caller",
        ca(&|r| cv(r).status = pb::VersionStatus::Draft as i32),
    );
    add(
        "version.decision_ids",
        "set by the caller",
        ca(&|r| cv(r).decision_ids = vec![NOTHING.into()]),
    );
    add(
        "version.changelog",
        "of a first version",
        ca(&|r| cv(r).changelog = "Allt är nytt.".into()),
    );
    add(
        "version.create_time",
        "set by the caller",
        ca(&move |r| cv(r).create_time = stamp()),
    );
    add(
        "version.etag",
        "set by the caller",
        ca(&|r| cv(r).etag = "e1".into()),
    );
    add(
        "proposal.id",
        "set by the caller",
        cp(&|r| pr(r).id = NOTHING.into()),
    );
    add(
        "proposal.municipality_id",
        "another municipality",
        cp(&|r| pr(r).municipality_id = "ulricehamn".into()),
    );
    add(
        "proposal.author",
        "someone else",
        cp(&|r| pr(r).author = EVA.into()),
    );
    add(
        "proposal.state",
        "set by the caller",
        cp(&|r| pr(r).state = pb::ProposalState::Accepted as i32),
    );
    add(
        "proposal.accepted_text",
        "set by the caller",
        cp(&|r| pr(r).accepted_text = "Godtagen.".into()),
    );
    add(
        "proposal.etag",
        "set by the caller",
        cp(&|r| pr(r).etag = "e1".into()),
    );
    add(
        "approval.id",
        "set by the caller",
        cap(&|r| ap(r).id = NOTHING.into()),
    );
    add(
        "approval.municipality_id",
        "another municipality",
        cap(&|r| ap(r).municipality_id = "ulricehamn".into()),
    );
    add(
        "approval.recorded_by",
        "someone else",
        cap(&|r| ap(r).recorded_by = EVA.into()),
    );
    add(
        "approval.recorded",
        "set by the caller",
        cap(&|r| ap(r).recorded = true),
    );
    add(
        "approval.create_time",
        "set by the caller",
        cap(&move |r| ap(r).create_time = stamp()),
    );
    cases
}

/// Sends each valid request the cases spoil, taking the revision from
/// proposals to approvals; every one must succeed.
async fn controls(fx: &Fixture, c: &mut Client) -> Vec<String> {
    let mut failures = Vec::new();
    let mut check = |what: &str, r: Result<(), Status>| {
        if let Err(s) = r {
            failures.push(format!("control {what}: {:?}: {}", s.code(), s.message()));
        }
    };
    let r = fx.revision.id.clone();
    for req in [
        Req::CreateAgreement(fx.create_agreement()),
        Req::OpenRevision(fx.open_revision()),
        Req::CreateProposal(fx.create_proposal()),
        Req::SubmitProposal(fx.submit_proposal()),
        Req::AdvanceRevision(fx.advance_revision()), // → consolidation
    ] {
        check(req.rpc(), send_paced(c, &req).await);
    }
    let etag = c
        .list_proposals(as_(
            EVA,
            pb::ListProposalsRequest {
                revision_id: r.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .proposals
        .into_iter()
        .find(|p| p.id == fx.proposal.id)
        .map(|p| p.etag)
        .unwrap_or_default();
    let req = Req::ResolveProposal(pb::ResolveProposalRequest {
        etag,
        ..fx.resolve_proposal()
    });
    check(req.rpc(), send_paced(c, &req).await);
    let consolidated = paced(|| {
        let mut c = c.clone();
        let r = r.clone();
        async move {
            c.consolidate_revision(as_(EVA, pb::ConsolidateRevisionRequest { id: r }))
                .await
                .map(|x| x.into_inner().version.unwrap_or_default())
        }
    })
    .await;
    match consolidated {
        Err(s) => check("ConsolidateRevision", Err(s)),
        Ok(draft) => {
            let valid = fx.update_version();
            let req = Req::UpdateVersion(pb::UpdateVersionRequest {
                version: Some(pb::Version {
                    id: draft.id.clone(),
                    ..valid.version.unwrap()
                }),
                etag: draft.etag,
            });
            check(req.rpc(), send_paced(c, &req).await);
        }
    }
    for _ in 0..2 {
        // → forum review, → decision
        let etag = get_revision(c, &r).await.etag;
        let req = Req::AdvanceRevision(pb::AdvanceRevisionRequest {
            id: r.clone(),
            etag,
        });
        check(req.rpc(), send_paced(c, &req).await);
    }
    let etag = get_revision(c, &r).await.etag;
    let req = Req::RecordRevisionDecision(pb::RecordRevisionDecisionRequest {
        etag,
        ..fx.record_revision_decision()
    });
    check(req.rpc(), send_paced(c, &req).await);
    let etag = get_revision(c, &r).await.etag;
    let req = Req::AdvanceRevision(pb::AdvanceRevisionRequest {
        id: r.clone(),
        etag,
    }); // → approvals
    check(req.rpc(), send_paced(c, &req).await);
    let approval = paced(|| {
        let mut c = c.clone();
        async move {
            c.create_approval(as_(ANNA, fx.create_approval()))
                .await
                .map(|x| x.into_inner().approval.unwrap_or_default())
        }
    })
    .await;
    match approval {
        Err(s) => check("CreateApproval", Err(s)),
        Ok(a) => {
            let req = Req::RecordApproval(pb::RecordApprovalRequest {
                id: a.id,
                etag: a.etag,
            });
            check(req.rpc(), send_paced(c, &req).await);
        }
    }
    failures
}

async fn bad_input_is_refused_and_writes_nothing(db: TestDb) {
    let server = TestServer::start(
        &db,
        &[Svc::Roles, Svc::Forums, Svc::Decisions, Svc::Agreements],
    )
    .await;
    let mut c = AgreementsServiceClient::new(server.channel().await);
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
    failures.extend(controls(&fx, &mut c).await);
    assert!(
        failures.is_empty(),
        "{} of {} bad inputs mishandled:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    samverkan_testkit::figure(&format!(
        "bad input: agreements: {} cases ({:?})",
        cases.len(),
        db.backend
    ));
    server.stop().await;
}
backend_test!(bad_input_is_refused_and_writes_nothing);
