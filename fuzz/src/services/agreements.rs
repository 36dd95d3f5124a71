//! `samverkan.agreements.v1.AgreementsService`.

use samverkan_proto::agreements::v1 as pb;
use samverkan_proto::agreements::v1::agreements_service_server::AgreementsService as _;

use super::{Seed, date, seed};

super::service!(agreements, "samverkan.agreements.v1.AgreementsService", pb, [
    CreateAgreement => create_agreement(CreateAgreementRequest),
    ListAgreements => list_agreements(ListAgreementsRequest),
    GetVersion => get_version(GetVersionRequest),
    ListVersions => list_versions(ListVersionsRequest),
    UpdateVersion => update_version(UpdateVersionRequest),
    DiffVersions => diff_versions(DiffVersionsRequest),
    OpenRevision => open_revision(OpenRevisionRequest),
    GetRevision => get_revision(GetRevisionRequest),
    AdvanceRevision => advance_revision(AdvanceRevisionRequest),
    CreateProposal => create_proposal(CreateProposalRequest),
    SubmitProposal => submit_proposal(SubmitProposalRequest),
    ListProposals => list_proposals(ListProposalsRequest),
    ResolveProposal => resolve_proposal(ResolveProposalRequest),
    ConsolidateRevision => consolidate_revision(ConsolidateRevisionRequest),
    RecordRevisionDecision => record_revision_decision(RecordRevisionDecisionRequest),
    CreateApproval => create_approval(CreateApprovalRequest),
    RecordApproval => record_approval(RecordApprovalRequest),
    ListRevisions => list_revisions(ListRevisionsRequest),
]);

/// The IT strategist: opens and consolidates revisions.
const EVA: &str = "eva.dahlgren@ulricehamn.se";
/// Tranemo's kommunchef: drafts proposals, records Tranemo's approval.
const ANNA: &str = "anna.aberg@tranemo.se";

const TEXT: &str = "# 1 Parter\n\nTranemo kommun och Ulricehamns kommun.\n\n\
# 2 Syfte\n\nAvtalet reglerar den gemensamma IT-avdelningen.\n\n\
## 2.1 Värdkommun\n\nUlricehamn är värdkommun.\n\n\
# 3 Kostnader\n\nKostnaderna fördelas enligt kostnadsmodellen.\n";

/// Valid requests, in story order: agreement `@agreements` (version 1
/// `@agreement_versions`), revision `@revisions` taken through its phases
/// (the consolidated draft is `@agreement_versions.1`), proposal
/// `@proposals`, approval `@approvals`.
pub fn story() -> Vec<Seed> {
    vec![
        seed(
            "CreateAgreement",
            EVA,
            pb::CreateAgreementRequest {
                request_id: "seed-agreement".into(),
                kind: pb::AgreementKind::CollaborationAgreement as i32,
                title: "Samverkansavtal IT".into(),
                version: Some(pb::Version {
                    text: TEXT.into(),
                    effective_from: date(2022, 1, 1),
                    next_review_on: date(2026, 12, 31),
                    ..Default::default()
                }),
            },
        ),
        seed(
            "OpenRevision",
            EVA,
            pb::OpenRevisionRequest {
                request_id: "seed-revision".into(),
                agreement_id: "@agreements".into(),
                year: 2026,
                phase_ends: vec![
                    date(2026, 3, 31).unwrap_or_default(),
                    date(2026, 4, 30).unwrap_or_default(),
                    date(2026, 5, 31).unwrap_or_default(),
                    date(2026, 6, 30).unwrap_or_default(),
                    date(2026, 10, 31).unwrap_or_default(),
                ],
                effective_from: date(2027, 1, 1),
            },
        ),
        seed(
            "CreateProposal",
            ANNA,
            pb::CreateProposalRequest {
                request_id: "seed-proposal".into(),
                proposal: Some(pb::Proposal {
                    revision_id: "@revisions".into(),
                    section_number: "2.1".into(),
                    action: pb::ProposalAction::Amend as i32,
                    title: "Värdkommun".into(),
                    text: "Värdskapet roterar vart fjärde år.".into(),
                    rationale: "Jämnare fördelning av ansvaret.".into(),
                    ..Default::default()
                }),
            },
        ),
        seed(
            "SubmitProposal",
            ANNA,
            pb::SubmitProposalRequest {
                id: "@proposals".into(),
                etag: "#proposals".into(),
            },
        ),
        seed(
            "AdvanceRevision",
            EVA,
            pb::AdvanceRevisionRequest {
                id: "@revisions".into(),
                etag: "#revisions".into(),
            },
        ),
        seed(
            "ResolveProposal",
            EVA,
            pb::ResolveProposalRequest {
                id: "@proposals".into(),
                outcome: pb::ProposalState::AcceptedWithChanges as i32,
                reason: "Rotation vart sjätte år i stället.".into(),
                accepted_text: "Värdskapet roterar vart sjätte år.".into(),
                etag: "#proposals".into(),
            },
        ),
        seed(
            "ConsolidateRevision",
            EVA,
            pb::ConsolidateRevisionRequest {
                id: "@revisions".into(),
            },
        ),
        seed(
            "UpdateVersion",
            EVA,
            pb::UpdateVersionRequest {
                version: Some(pb::Version {
                    id: "@agreement_versions.1".into(),
                    text: format!("{TEXT}\n# 4 Giltighet\n\nAvtalet gäller tills vidare.\n"),
                    changelog: "Ny § 4 om giltighet.".into(),
                    ..Default::default()
                }),
                etag: "#agreement_versions.1".into(),
            },
        ),
        seed(
            "AdvanceRevision",
            EVA,
            pb::AdvanceRevisionRequest {
                id: "@revisions".into(),
                etag: "#revisions".into(),
            },
        ),
        seed(
            "AdvanceRevision",
            EVA,
            pb::AdvanceRevisionRequest {
                id: "@revisions".into(),
                etag: "#revisions".into(),
            },
        ),
        seed(
            "RecordRevisionDecision",
            EVA,
            pb::RecordRevisionDecisionRequest {
                id: "@revisions".into(),
                decision_id: "@decisions".into(),
                etag: "#revisions".into(),
            },
        ),
        seed(
            "AdvanceRevision",
            EVA,
            pb::AdvanceRevisionRequest {
                id: "@revisions".into(),
                etag: "#revisions".into(),
            },
        ),
        seed(
            "CreateApproval",
            ANNA,
            pb::CreateApprovalRequest {
                request_id: "seed-approval".into(),
                approval: Some(pb::Approval {
                    revision_id: "@revisions".into(),
                    municipality_id: "tranemo".into(),
                    body: "Kommunfullmäktige".into(),
                    paragraph_ref: "KF 2026-09-24 § 88".into(),
                    decided_on: date(2026, 9, 24),
                    ..Default::default()
                }),
            },
        ),
        seed(
            "RecordApproval",
            ANNA,
            pb::RecordApprovalRequest {
                id: "@approvals".into(),
                etag: "#approvals".into(),
            },
        ),
        seed(
            "ListAgreements",
            ANNA,
            pb::ListAgreementsRequest {
                collaboration_id: "@collaborations".into(),
            },
        ),
        seed(
            "GetVersion",
            ANNA,
            pb::GetVersionRequest {
                id: "@agreement_versions".into(),
            },
        ),
        seed(
            "ListVersions",
            ANNA,
            pb::ListVersionsRequest {
                agreement_id: "@agreements".into(),
            },
        ),
        seed(
            "DiffVersions",
            ANNA,
            pb::DiffVersionsRequest {
                from_version_id: "@agreement_versions".into(),
                to_version_id: "@agreement_versions.1".into(),
            },
        ),
        seed(
            "GetRevision",
            ANNA,
            pb::GetRevisionRequest {
                id: "@revisions".into(),
            },
        ),
        seed(
            "ListRevisions",
            ANNA,
            pb::ListRevisionsRequest {
                agreement_id: "@agreements".into(),
                page_size: 1,
                page_token: String::new(),
            },
        ),
        seed(
            "ListProposals",
            ANNA,
            pb::ListProposalsRequest {
                revision_id: "@revisions".into(),
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
