//! The preconditions of the agreement and its yearly revision: each rule's stable reason
//! (`ErrorInfo.reason`) and what it means, as `docs/errors.md` lists them.
//! A domain function that finds a rule broken answers
//! [`samverkan_core::Rule::refuse`]; nothing else defines a reason.

samverkan_core::rules! {
    APPROVALS_MISSING: "the new version cannot take force until every member municipality on the effective date has approved";
    APPROVAL_RECORDED: "this municipality's approval is already recorded and cannot be recorded again";
    CONFLICTING_PROPOSALS: "accepted proposals conflict: one refers to a section that does not exist or another proposal deleted";
    NOT_CONSOLIDATED: "the revision cannot go to forum review before the accepted proposals are consolidated into a draft";
    NOT_YET_EFFECTIVE: "all approvals are in but the new version's effective date has not come yet";
    NO_DECISION: "the revision cannot move to approvals before IT-styrgruppen's decision is recorded";
    NO_VERSION_IN_FORCE: "the agreement has no version in force, so a revision cannot be started";
    PROPOSAL_STATE: "only a submitted proposal can be resolved; this one is still a draft or already resolved";
    PROPOSAL_SUBMITTED: "the proposal is already submitted and cannot be submitted again";
    REVISION_DONE: "the revision is complete (in force), so it cannot advance further";
    REVISION_PHASE: "the action is not possible in the revision's current phase";
    VERSION_LOCKED: "the version is no longer draft or in review, so its text never changes; revise it in a new version";
}
