//! A decision's life: decided → in progress → carried out → followed up;
//! or revoked; or superseded by a later decision.

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
pub fn change(from: Status, to: Status, superseded_by: Option<&str>) -> Result<Status, String> {
    use Status::*;
    if from == Superseded {
        return Err(match (to, superseded_by) {
            (Revoked, Some(by)) => format!(
                "the decision is superseded by decision {by}; it no longer binds and cannot be revoked — revoke {by} instead"
            ),
            _ => "the decision is superseded by a later decision and can no longer change".into(),
        });
    }
    let allowed: &[Status] = match from {
        Decided => &[InProgress, CarriedOut, Revoked],
        InProgress => &[CarriedOut, Revoked],
        CarriedOut => &[FollowedUp, Revoked],
        FollowedUp | Revoked | Superseded => &[],
    };
    if to == Superseded {
        return Err(
            "a decision is superseded only by registering the later decision that supersedes it"
                .into(),
        );
    }
    if allowed.contains(&to) {
        Ok(to)
    } else {
        Err(format!(
            "a decision that is {} cannot become {}",
            from.as_str(),
            to.as_str()
        ))
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
        assert!(err.contains("superseded by decision B"), "{err}");
        assert!(change(Status::Decided, Status::Superseded, None).is_err());
        assert!(change(Status::Revoked, Status::InProgress, None).is_err());
        assert!(change(Status::FollowedUp, Status::Revoked, None).is_err());
    }
}
