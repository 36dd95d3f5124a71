//! A decision's life: decided → in progress → carried out → followed up;
//! or revoked; or superseded by a later decision.

use samverkan_core::Refusal;

use super::rules;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Decided,
    InProgress,
    CarriedOut,
    FollowedUp,
    Revoked,
    Superseded,
}

impl Status {
    pub const ALL: &'static [Status] = &[
        Status::Decided,
        Status::InProgress,
        Status::CarriedOut,
        Status::FollowedUp,
        Status::Revoked,
        Status::Superseded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Decided => "decided",
            Status::InProgress => "in_progress",
            Status::CarriedOut => "carried_out",
            Status::FollowedUp => "followed_up",
            Status::Revoked => "revoked",
            Status::Superseded => "superseded",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|x| x.as_str() == s)
    }

    /// Whether the decision still binds (can be acted on or superseded).
    pub fn in_force(self) -> bool {
        !matches!(self, Status::Revoked | Status::Superseded)
    }
}

/// The status after a requested change, or why it is refused.
/// `superseded_by` names the decision that supersedes this one, if any.
pub fn change(from: Status, to: Status, superseded_by: Option<&str>) -> Result<Status, Refusal> {
    use Status::*;
    let refuse = |why: String| rules::DECISION_STATUS.refuse(why);
    if from == Superseded {
        return Err(refuse(match (to, superseded_by) {
            (Revoked, Some(by)) => format!(
                "the decision is superseded by decision {by}; it no longer binds and cannot be revoked — revoke {by} instead"
            ),
            _ => "the decision is superseded by a later decision and can no longer change".into(),
        }));
    }
    let allowed: &[Status] = match from {
        Decided => &[InProgress, CarriedOut, Revoked],
        InProgress => &[CarriedOut, Revoked],
        CarriedOut => &[FollowedUp, Revoked],
        FollowedUp | Revoked | Superseded => &[],
    };
    if to == Superseded {
        return Err(refuse(
            "a decision is superseded only by registering the later decision that supersedes it"
                .into(),
        ));
    }
    if allowed.contains(&to) {
        Ok(to)
    } else {
        Err(refuse(format!(
            "a decision that is {} cannot become {}",
            from.as_str(),
            to.as_str()
        )))
    }
}

/// Whether a decision that is `status` may be superseded by a later one:
/// only while it still binds.
pub fn may_supersede(status: Status) -> Result<(), Refusal> {
    if status.in_force() {
        Ok(())
    } else {
        Err(rules::NOT_IN_FORCE.refuse(format!(
            "the decision is {} and cannot be superseded",
            status.as_str()
        )))
    }
}

/// Whether a decision's text may still change: not once the minutes that
/// record it are adjusted.
pub fn text_may_change(minutes_adjusted: bool) -> Result<(), Refusal> {
    if minutes_adjusted {
        Err(rules::DECISION_FINAL.refuse(
            "the minutes are adjusted: the decision's text never changes; register a new decision that supersedes it",
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_usual_path() {
        let s = change(Status::Decided, Status::InProgress, None).unwrap();
        let s = change(s, Status::CarriedOut, None).unwrap();
        assert_eq!(
            change(s, Status::FollowedUp, None).unwrap(),
            Status::FollowedUp
        );
    }

    #[test]
    fn superseded_decisions_cannot_be_revoked() {
        let err = change(Status::Superseded, Status::Revoked, Some("B")).unwrap_err();
        assert_eq!(err.reason(), "DECISION_STATUS");
        assert!(err.message.contains("superseded by decision B"), "{err}");
        assert!(change(Status::Decided, Status::Superseded, None).is_err());
        assert!(change(Status::Revoked, Status::InProgress, None).is_err());
        assert!(change(Status::FollowedUp, Status::Revoked, None).is_err());
    }

    #[test]
    fn only_a_binding_decision_is_superseded_and_adjusted_text_is_final() {
        assert!(may_supersede(Status::InProgress).is_ok());
        assert_eq!(
            may_supersede(Status::Revoked).unwrap_err().reason(),
            "NOT_IN_FORCE"
        );
        assert!(text_may_change(false).is_ok());
        assert_eq!(
            text_may_change(true).unwrap_err().reason(),
            "DECISION_FINAL"
        );
    }
}
