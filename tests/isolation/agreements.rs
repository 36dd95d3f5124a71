//! The agreements service's rows of the isolation matrix.
//!
//! Agreement documents, their versions and revisions are the
//! collaboration's; a municipality's change proposals and its approval are
//! private to it until submitted or recorded. Only the IT-strateg (Eva, of
//! Ulricehamn) revises, so her rows are tried against Tranemo's people as
//! the other member; the proposals and approvals are Tranemo's, tried
//! against Ulricehamn's.

use samverkan_proto::agreements::v1 as pb;
use samverkan_proto::agreements::v1::agreements_service_client::AgreementsServiceClient;
use samverkan_proto::common::v1::Date;
use samverkan_proto::decisions::v1 as dpb;
use samverkan_proto::decisions::v1::decisions_service_client::DecisionsServiceClient;
use samverkan_proto::forums::v1 as fpb;
use samverkan_proto::forums::v1::forums_service_client::ForumsServiceClient;
use samverkan_testkit::story::{add_item, as_, forum_ids, hold, meeting, paragraph, publish};
use tonic::transport::Channel;

use crate::harness::{Fixture, Row};

const SERVICE: &str = "samverkan.agreements.v1.AgreementsService";

/// Ulricehamn's IT-strateg: opens, advances and consolidates revisions, and
/// IT-styrgruppen's secretary.
const EVA: &str = "eva.dahlgren@ulricehamn.se";
/// Ulricehamn's IT-chef: heads the IT department, but is not its IT-strateg.
const PER: &str = "per.hakansson@ulricehamn.se";
/// Tranemo's kommunchef, who sits in IT-styrgruppen: the strongest person
/// of the other member against the IT-strateg's rows.
const ANNA: &str = "anna.aberg@tranemo.se";
/// Tranemo's utvecklingschef: drafts and submits Tranemo's proposals.
const ERIK: &str = "erik.ohman@tranemo.se";
/// Tranemo's registrator: records Tranemo's approval.
const BIRGITTA: &str = "birgitta.ek@tranemo.se";
/// Ulricehamn's kommunchef, who records Ulricehamn's approval.
const LARS: &str = "lars.angstrom@ulricehamn.se";
/// Tranemo's it-tekniker: a person with no role in the agreements.
const EMIL: &str = "emil.sandstrom@tranemo.se";

type Agreements = AgreementsServiceClient<Channel>;

fn date(y: i32, m: i32, d: i32) -> Option<Date> {
    Some(Date {
        year: y,
        month: m,
        day: d,
    })
}

fn agreement_text(shared: &str) -> String {
    format!(
        "Avtal om gemensam IT-verksamhet.\n\n\
         ## 1. Parter\n\nTranemo kommun och Ulricehamns kommun.\n\n\
         ## 2. Syfte\n\nAtt bedriva IT-verksamhet gemensamt. {shared}\n\n\
         ## 3. Kostnader\n\nKostnaderna fördelas enligt prislistan.\n\n\
         ## 4. Uppsägning\n\nAvtalet kan sägas upp med tolv månaders varsel.\n"
    )
}

async fn revision(a: &mut Agreements, id: &str) -> pb::Revision {
    a.get_revision(as_(EVA, pb::GetRevisionRequest { id: id.into() }))
        .await
        .unwrap()
        .into_inner()
        .revision
        .unwrap()
}

async fn open(a: &mut Agreements, agreement: &str, year: i32) -> pb::Revision {
    a.open_revision(as_(EVA, open_request(agreement, year)))
        .await
        .unwrap()
        .into_inner()
        .revision
        .unwrap()
}

/// The revision of `year`, in effect from 1 January, its phases ending
/// through the autumn before.
fn open_request(agreement: &str, year: i32) -> pb::OpenRevisionRequest {
    pb::OpenRevisionRequest {
        request_id: String::new(),
        agreement_id: agreement.into(),
        year,
        phase_ends: [(3, 31), (4, 30), (6, 30), (9, 30), (12, 15)]
            .into_iter()
            .filter_map(|(m, d)| date(year - 1, m, d))
            .collect(),
        effective_from: date(year, 1, 1),
    }
}

async fn advance(a: &mut Agreements, id: &str) -> pb::Revision {
    let r = revision(a, id).await;
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

async fn consolidate(a: &mut Agreements, id: &str) -> pb::Version {
    a.consolidate_revision(as_(EVA, pb::ConsolidateRevisionRequest { id: id.into() }))
        .await
        .unwrap()
        .into_inner()
        .version
        .unwrap()
}

/// Tranemo's draft proposal to amend `section` of the revision.
async fn draft_proposal(
    a: &mut Agreements,
    revision: &str,
    section: &str,
    text: &str,
) -> pb::Proposal {
    a.create_proposal(as_(ERIK, amend(revision, section, text)))
        .await
        .unwrap()
        .into_inner()
        .proposal
        .unwrap()
}

fn amend(revision: &str, section: &str, text: &str) -> pb::CreateProposalRequest {
    pb::CreateProposalRequest {
        request_id: String::new(),
        proposal: Some(pb::Proposal {
            revision_id: revision.into(),
            section_number: section.into(),
            action: pb::ProposalAction::Amend as i32,
            text: text.into(),
            rationale: "Behovet har ändrats.".into(),
            ..Default::default()
        }),
    }
}

async fn submit(a: &mut Agreements, p: pb::Proposal) -> pb::Proposal {
    a.submit_proposal(as_(
        ERIK,
        pb::SubmitProposalRequest {
            id: p.id,
            etag: p.etag,
        },
    ))
    .await
    .unwrap()
    .into_inner()
    .proposal
    .unwrap()
}

fn resolve(p: &pb::Proposal, reason: &str) -> pb::ResolveProposalRequest {
    pb::ResolveProposalRequest {
        id: p.id.clone(),
        outcome: pb::ProposalState::Accepted as i32,
        reason: reason.into(),
        accepted_text: String::new(),
        etag: p.etag.clone(),
    }
}

/// IT-styrgruppen's decision on the consolidated drafts, registered against
/// a § of its minutes.
async fn styrgruppen_decision(fx: &Fixture) -> String {
    let mut f = ForumsServiceClient::new(fx.channel.clone());
    let (_, styrgruppen) = forum_ids(&fx.server).await;
    let m = meeting(
        &mut f,
        EVA,
        &styrgruppen,
        "IT-styrgruppen (isolationsmatris, avtal)",
        (2026, 12, 16),
    )
    .await;
    let m = add_item(
        &mut f,
        EVA,
        &m.id,
        fpb::AgendaItemKind::Decision,
        "Samverkansavtal IT – konsoliderat förslag",
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
        "IT-styrgruppen fastställer avtalet.",
    )
    .await;
    DecisionsServiceClient::new(fx.channel.clone())
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
        .unwrap()
        .id
}

/// Takes a revision in its proposals phase through consolidation, forum
/// review and IT-styrgruppen's decision to its approvals phase.
async fn to_approvals(a: &mut Agreements, id: &str, decision: &str) {
    advance(a, id).await;
    consolidate(a, id).await;
    advance(a, id).await;
    let r = advance(a, id).await;
    a.record_revision_decision(as_(
        EVA,
        pb::RecordRevisionDecisionRequest {
            id: id.into(),
            decision_id: decision.into(),
            etag: r.etag,
        },
    ))
    .await
    .unwrap();
    advance(a, id).await;
}

fn approval(revision: &str, body: &str) -> pb::CreateApprovalRequest {
    pb::CreateApprovalRequest {
        request_id: String::new(),
        approval: Some(pb::Approval {
            revision_id: revision.into(),
            body: body.into(),
            paragraph_ref: "§ 187".into(),
            decided_on: date(2026, 11, 18),
            ..Default::default()
        }),
    }
}

async fn draft_approval(a: &mut Agreements, revision: &str, body: &str) -> pb::Approval {
    a.create_approval(as_(BIRGITTA, approval(revision, body)))
        .await
        .unwrap()
        .into_inner()
        .approval
        .unwrap()
}

pub async fn rows(fx: &Fixture) -> Vec<Row> {
    let s = &fx.secrets;
    let mut a = AgreementsServiceClient::new(fx.channel.clone());

    // The collaboration agreement, version 1 in force.
    let in_force_text = s.shared("agreement text");
    let link = s.shared("agreement link");
    let created = a
        .create_agreement(as_(
            EVA,
            pb::CreateAgreementRequest {
                request_id: String::new(),
                kind: pb::AgreementKind::CollaborationAgreement as i32,
                title: "Samverkansavtal IT (isolationsmatris)".into(),
                version: Some(pb::Version {
                    text: agreement_text(&in_force_text),
                    effective_from: date(2022, 1, 1),
                    next_review_on: date(2026, 12, 31),
                    link: format!("Diarienummer KS 2021/117 {link}"),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let agreement = created.agreement.unwrap().id;
    let first = created.version.unwrap();

    // 2031, in its proposals phase: Tranemo's private draft, and two of its
    // proposals submitted (one to list, one to resolve).
    let proposing = open(&mut a, &agreement, 2031).await;
    let private_draft = s.private("proposal draft");
    draft_proposal(&mut a, &proposing.id, "3", &private_draft).await;
    let submitted_text = s.shared("submitted proposal");
    let p = draft_proposal(&mut a, &proposing.id, "4", &submitted_text).await;
    submit(&mut a, p).await;
    let p = draft_proposal(&mut a, &proposing.id, "1", &s.shared("proposal to resolve")).await;
    let to_resolve = submit(&mut a, p).await;

    // 2032: a draft for Tranemo to submit.
    let submitting = open(&mut a, &agreement, 2032).await;
    let to_submit_text = s.private("proposal to submit");
    let to_submit = draft_proposal(&mut a, &submitting.id, "2", &to_submit_text).await;

    // 2033: to advance from proposals to consolidation.
    let advancing = open(&mut a, &agreement, 2033).await;

    // 2034: in consolidation, with Tranemo's accepted proposal.
    let consolidating = open(&mut a, &agreement, 2034).await;
    let accepted = s.shared("accepted proposal");
    let p = draft_proposal(&mut a, &consolidating.id, "3", &accepted).await;
    let p = submit(&mut a, p).await;
    advance(&mut a, &consolidating.id).await;
    a.resolve_proposal(as_(EVA, resolve(&p, "Godtas.")))
        .await
        .unwrap();

    // 2035: consolidated, its draft version still being written.
    let updating = open(&mut a, &agreement, 2035).await;
    advance(&mut a, &updating.id).await;
    let draft = consolidate(&mut a, &updating.id).await;

    // 2036: at IT-styrgruppen's decision, its draft amending § 3.
    let deciding = open(&mut a, &agreement, 2036).await;
    let amended = s.shared("amended section");
    let p = draft_proposal(&mut a, &deciding.id, "3", &amended).await;
    let p = submit(&mut a, p).await;
    advance(&mut a, &deciding.id).await;
    a.resolve_proposal(as_(EVA, resolve(&p, "Godtas.")))
        .await
        .unwrap();
    let decided_draft = consolidate(&mut a, &deciding.id).await;
    advance(&mut a, &deciding.id).await;
    let deciding = advance(&mut a, &deciding.id).await;
    let decision = styrgruppen_decision(fx).await;

    // 2037–2039 in their approvals phase: one without approvals, one with
    // Tranemo's draft approval to read, one with a draft to record.
    let approving = open(&mut a, &agreement, 2037).await;
    to_approvals(&mut a, &approving.id, &decision).await;
    let viewed = open(&mut a, &agreement, 2038).await;
    to_approvals(&mut a, &viewed.id, &decision).await;
    let draft_body = s.private("approval draft");
    draft_approval(&mut a, &viewed.id, &format!("Kommunstyrelsen {draft_body}")).await;
    let recording = open(&mut a, &agreement, 2039).await;
    to_approvals(&mut a, &recording.id, &decision).await;
    let to_record_body = s.private("approval to record");
    let to_record = draft_approval(
        &mut a,
        &recording.id,
        &format!("Kommunstyrelsen {to_record_body}"),
    )
    .await;

    let advancing = revision(&mut a, &advancing.id).await;
    let new_approval = s.private("approval drafted by the row");
    let updated_text = s.shared("draft updated by the row");
    let row = |method, control| Row::new(SERVICE, method, control);
    let read = "agreements, versions and revisions are the collaboration's: every person of a member municipality reads them";
    vec![
        // Another collaboration's IT-strateg registers an agreement of his
        // own collaboration.
        row("CreateAgreement", EVA)
            .no_role(PER)
            .other_member_as(ANNA)
            .other_collaboration_allowed()
            .request(pb::CreateAgreementRequest {
                request_id: String::new(),
                kind: pb::AgreementKind::CollaborationAgreement as i32,
                title: "Avtal om gemensam e-arkivtjänst".into(),
                version: Some(pb::Version {
                    text: "## 1. Parter\n\nKommunerna i samverkan.".into(),
                    effective_from: date(2027, 1, 1),
                    ..Default::default()
                }),
            }),
        // Another collaboration lists its own agreements.
        row("ListAgreements", EMIL)
            .any_person(read)
            .other_member_allowed()
            .other_collaboration_allowed()
            .reveals(&link)
            .request(pb::ListAgreementsRequest::default()),
        row("GetVersion", EMIL)
            .any_person(read)
            .other_member_allowed()
            .reveals(&in_force_text)
            .request(pb::GetVersionRequest {
                id: first.id.clone(),
            }),
        row("ListVersions", EMIL)
            .any_person(read)
            .other_member_allowed()
            .reveals(&link)
            .request(pb::ListVersionsRequest {
                agreement_id: agreement.clone(),
            }),
        row("UpdateVersion", EVA)
            .no_role(PER)
            .other_member_as(ANNA)
            .reveals(&updated_text)
            .request(pb::UpdateVersionRequest {
                version: Some(pb::Version {
                    text: agreement_text(&updated_text),
                    ..draft.clone()
                }),
                etag: draft.etag.clone(),
            }),
        row("DiffVersions", EMIL)
            .any_person(read)
            .other_member_allowed()
            .reveals(&amended)
            .request(pb::DiffVersionsRequest {
                from_version_id: first.id.clone(),
                to_version_id: decided_draft.id.clone(),
            }),
        row("OpenRevision", EVA)
            .no_role(PER)
            .other_member_as(ANNA)
            .request(open_request(&agreement, 2040)),
        // Tranemo's draft approval shows to Tranemo only.
        row("GetRevision", EMIL)
            .any_person("a revision is the collaboration's; each member sees its own draft approval")
            .other_member_allowed()
            .reveals(&draft_body)
            .request(pb::GetRevisionRequest {
                id: viewed.id.clone(),
            }),
        // The revisions carry no text and no approvals (a draft approval is
        // GetRevision's), so there is no marker to look for: the other
        // collaboration is told the agreement does not exist.
        row("ListRevisions", EMIL)
            .any_person(read)
            .other_member_allowed()
            .request(pb::ListRevisionsRequest {
                agreement_id: agreement.clone(),
                ..Default::default()
            }),
        row("AdvanceRevision", EVA)
            .no_role(PER)
            .other_member_as(ANNA)
            .request(pb::AdvanceRevisionRequest {
                id: advancing.id.clone(),
                etag: advancing.etag.clone(),
            }),
        // Ulricehamn's utvecklingschef drafts Ulricehamn's own proposal:
        // the request names no municipality, the caller's is taken.
        row("CreateProposal", ERIK)
            .no_role(BIRGITTA)
            .other_member_allowed()
            .request(amend(
                &proposing.id,
                "2",
                "Att bedriva IT-verksamhet och digitalisering gemensamt.",
            )),
        row("SubmitProposal", ERIK)
            .no_role(BIRGITTA)
            .reveals(&to_submit_text)
            .request(pb::SubmitProposalRequest {
                id: to_submit.id.clone(),
                etag: to_submit.etag.clone(),
            }),
        // Ulricehamn lists the submitted proposals, not Tranemo's draft.
        row("ListProposals", EMIL)
            .any_person("a municipality's drafts show to its own people, submitted proposals to every member's")
            .other_member_allowed()
            .reveals(&private_draft)
            .reveals(&submitted_text)
            .request(pb::ListProposalsRequest {
                revision_id: proposing.id.clone(),
            }),
        // Not even the proposing municipality's kommunchef resolves.
        row("ResolveProposal", EVA)
            .no_role(PER)
            .other_member_as(ANNA)
            .request(resolve(&to_resolve, "Godtas som föreslaget.")),
        row("ConsolidateRevision", EVA)
            .no_role(PER)
            .other_member_as(ANNA)
            .reveals(&in_force_text)
            .reveals(&accepted)
            .request(pb::ConsolidateRevisionRequest {
                id: consolidating.id.clone(),
            }),
        row("RecordRevisionDecision", EVA)
            .no_role(PER)
            .other_member_as(ANNA)
            .request(pb::RecordRevisionDecisionRequest {
                id: deciding.id.clone(),
                decision_id: decision.clone(),
                etag: deciding.etag.clone(),
            }),
        // Ulricehamn's utvecklingschef records no approvals, not even her own.
        row("CreateApproval", BIRGITTA)
            .no_role(ERIK)
            .reveals(&new_approval)
            .request(approval(
                &approving.id,
                &format!("Kommunstyrelsen {new_approval}"),
            )),
        // Ulricehamn's kommunchef records Ulricehamn's approvals, never
        // Tranemo's: its draft does not exist for her municipality.
        row("RecordApproval", BIRGITTA)
            .no_role(ERIK)
            .other_member_as(LARS)
            .reveals(&to_record_body)
            .request(pb::RecordApprovalRequest {
                id: to_record.id.clone(),
                etag: to_record.etag.clone(),
            }),
    ]
}
