//! The states of a document's versions and of the proposals that revise
//! it, and what each state allows.

use samverkan_core::Refusal;

use super::rules;

/// A version of an agreement document: drafted in a revision, reviewed by
/// the forums, decided, approved by every member, in force, and replaced
/// by the next version in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionStatus {
    Draft,
    InReview,
    Decided,
    Approved,
    InForce,
    Replaced,
}

impl VersionStatus {
    pub const ALL: &'static [VersionStatus] = &[
        VersionStatus::Draft,
        VersionStatus::InReview,
        VersionStatus::Decided,
        VersionStatus::Approved,
        VersionStatus::InForce,
        VersionStatus::Replaced,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            VersionStatus::Draft => "draft",
            VersionStatus::InReview => "in_review",
            VersionStatus::Decided => "decided",
            VersionStatus::Approved => "approved",
            VersionStatus::InForce => "in_force",
            VersionStatus::Replaced => "replaced",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|x| x.as_str() == s)
    }

    /// Whether the version's text may still change: while drafted or in
    /// review; after that it is revised only in a new version.
    pub fn may_edit_text(self) -> Result<(), Refusal> {
        match self {
            VersionStatus::Draft | VersionStatus::InReview => Ok(()),
            other => Err(rules::VERSION_LOCKED.refuse(format!(
                "the version is {}: its text never changes; revise it in a new version",
                other.as_str()
            ))),
        }
    }
}

/// The version in force among a document's versions, which a revision
/// starts from.
pub fn in_force<V>(versions: &[V], status_of: impl Fn(&V) -> &str) -> Result<&V, Refusal> {
    versions
        .iter()
        .find(|v| status_of(v) == VersionStatus::InForce.as_str())
        .ok_or_else(|| {
            rules::NO_VERSION_IN_FORCE.refuse("the document has no version in force to revise")
        })
}

/// A municipality's proposal to change the document: drafted, submitted
/// to the revision, then resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProposalState {
    Draft,
    Submitted,
    Accepted,
    AcceptedWithChanges,
    Rejected,
}

impl ProposalState {
    pub const ALL: &'static [ProposalState] = &[
        ProposalState::Draft,
        ProposalState::Submitted,
        ProposalState::Accepted,
        ProposalState::AcceptedWithChanges,
        ProposalState::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProposalState::Draft => "draft",
            ProposalState::Submitted => "submitted",
            ProposalState::Accepted => "accepted",
            ProposalState::AcceptedWithChanges => "accepted_with_changes",
            ProposalState::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|x| x.as_str() == s)
    }

    /// Whether the proposal was accepted, as written or with changes: what
    /// consolidation applies.
    pub fn accepted(self) -> bool {
        matches!(
            self,
            ProposalState::Accepted | ProposalState::AcceptedWithChanges
        )
    }

    /// The state after submitting: only a draft is submitted, once.
    pub fn submit(self) -> Result<ProposalState, Refusal> {
        match self {
            ProposalState::Draft => Ok(ProposalState::Submitted),
            _ => Err(rules::PROPOSAL_SUBMITTED.refuse("the proposal is already submitted")),
        }
    }

    /// The state after resolving as `outcome`: only a submitted proposal is
    /// resolved, and only to an outcome.
    pub fn resolve(self, outcome: ProposalState) -> Result<ProposalState, Refusal> {
        match self {
            ProposalState::Submitted => Ok(outcome),
            other => Err(rules::PROPOSAL_STATE
                .refuse(format!("a {} proposal cannot be resolved", other.as_str()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip() {
        for s in VersionStatus::ALL {
            assert_eq!(VersionStatus::parse(s.as_str()), Some(*s));
        }
        for s in ProposalState::ALL {
            assert_eq!(ProposalState::parse(s.as_str()), Some(*s));
        }
    }

    #[test]
    fn only_drafts_and_versions_in_review_change_text() {
        assert!(VersionStatus::Draft.may_edit_text().is_ok());
        assert!(VersionStatus::InReview.may_edit_text().is_ok());
        for s in [
            VersionStatus::Decided,
            VersionStatus::InForce,
            VersionStatus::Replaced,
        ] {
            assert_eq!(s.may_edit_text().unwrap_err().reason(), "VERSION_LOCKED");
        }
        let vs = ["replaced", "in_force", "draft"];
        assert_eq!(in_force(&vs, |v| v), Ok(&"in_force"));
        assert_eq!(
            in_force(&vs[2..], |v| v).unwrap_err().reason(),
            "NO_VERSION_IN_FORCE"
        );
    }

    #[test]
    fn a_proposal_is_submitted_once_and_resolved_once() {
        use ProposalState::*;
        assert_eq!(Draft.submit(), Ok(Submitted));
        assert_eq!(
            Submitted.submit().unwrap_err().reason(),
            "PROPOSAL_SUBMITTED"
        );
        assert_eq!(Submitted.resolve(Rejected), Ok(Rejected));
        assert_eq!(
            Draft.resolve(Accepted).unwrap_err().reason(),
            "PROPOSAL_STATE"
        );
        assert_eq!(
            Accepted.resolve(Rejected).unwrap_err().reason(),
            "PROPOSAL_STATE"
        );
    }
}
