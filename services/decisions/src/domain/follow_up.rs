//! A decision's follow-up: planned for a forum, presented at one of its
//! meetings, and complete once that meeting's minutes record it.

use samverkan_core::Refusal;
use uuid::Uuid;

use super::rules;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUpStatus {
    Planned,
    PresentedNotMinuted,
    Complete,
}

impl FollowUpStatus {
    pub const ALL: &'static [FollowUpStatus] = &[
        FollowUpStatus::Planned,
        FollowUpStatus::PresentedNotMinuted,
        FollowUpStatus::Complete,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FollowUpStatus::Planned => "planned",
            FollowUpStatus::PresentedNotMinuted => "presented_not_minuted",
            FollowUpStatus::Complete => "complete",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|x| x.as_str() == s)
    }
}

/// The status after presenting a follow-up of `forum` at a meeting of
/// `meeting_forum`, recorded by a § of its minutes or not: only its own
/// forum presents it (a secretary of another forum cannot close it with
/// their own §), and only once it is in minutes is it complete.
pub fn present(
    forum: Uuid,
    status: FollowUpStatus,
    meeting_forum: Uuid,
    minuted: bool,
) -> Result<FollowUpStatus, Refusal> {
    if forum != meeting_forum {
        return Err(rules::WRONG_FORUM
            .refuse("the follow-up is presented in its own forum; name a meeting of that forum"));
    }
    if status == FollowUpStatus::Complete {
        return Err(
            rules::FOLLOW_UP_COMPLETE.refuse("the follow-up is already recorded in minutes")
        );
    }
    Ok(if minuted {
        FollowUpStatus::Complete
    } else {
        FollowUpStatus::PresentedNotMinuted
    })
}

/// The § a decision or follow-up names, among those of the meeting's
/// minutes: a decision never exists without the § that records it.
pub fn paragraph<'a, P>(
    paragraphs: &'a [P],
    id_of: impl Fn(&P) -> &str,
    wanted: &str,
) -> Result<&'a P, Refusal> {
    paragraphs
        .iter()
        .find(|p| id_of(p) == wanted)
        .ok_or_else(|| {
            rules::NO_SUCH_PARAGRAPH
                .refuse("the meeting's minutes have no such §; record the § first")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_its_own_forum_completes_a_follow_up_once() {
        let (f, g) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let planned = FollowUpStatus::Planned;
        assert_eq!(present(f, planned, f, true), Ok(FollowUpStatus::Complete));
        assert_eq!(
            present(f, planned, f, false),
            Ok(FollowUpStatus::PresentedNotMinuted)
        );
        assert_eq!(
            present(f, FollowUpStatus::PresentedNotMinuted, f, true),
            Ok(FollowUpStatus::Complete)
        );
        assert_eq!(
            present(f, planned, g, true).unwrap_err().reason(),
            "WRONG_FORUM"
        );
        assert_eq!(
            present(f, FollowUpStatus::Complete, f, true)
                .unwrap_err()
                .reason(),
            "FOLLOW_UP_COMPLETE"
        );
    }

    #[test]
    fn statuses_round_trip() {
        for s in FollowUpStatus::ALL {
            assert_eq!(FollowUpStatus::parse(s.as_str()), Some(*s));
        }
    }

    #[test]
    fn a_paragraph_is_found_or_refused() {
        let ps = ["a", "b"];
        assert_eq!(paragraph(&ps, |p| p, "b"), Ok(&"b"));
        assert_eq!(
            paragraph(&ps, |p| p, "c").unwrap_err().reason(),
            "NO_SUCH_PARAGRAPH"
        );
    }
}
