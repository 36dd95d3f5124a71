//! The yearly revision: its phases in order, what is late, and how the
//! accepted proposals turn the version in force into the consolidated draft.

use chrono::NaiveDate;
use samverkan_core::Refusal;

use super::rules;
use super::text::{Document, Section, renumber};

/// The phases, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    Proposals,
    Consolidation,
    ForumReview,
    Decision,
    Approvals,
    InForce,
}

impl Phase {
    pub const ALL: &'static [Phase] = &[
        Phase::Proposals,
        Phase::Consolidation,
        Phase::ForumReview,
        Phase::Decision,
        Phase::Approvals,
        Phase::InForce,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Proposals => "proposals",
            Phase::Consolidation => "consolidation",
            Phase::ForumReview => "forum_review",
            Phase::Decision => "decision",
            Phase::Approvals => "approvals",
            Phase::InForce => "in_force",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|p| p.as_str() == s)
    }

    /// The phase after this one.
    pub fn next(self) -> Option<Self> {
        let i = Self::ALL.iter().position(|p| *p == self)?;
        Self::ALL.get(i + 1).copied()
    }

    /// Whether `what` may be done in this phase, one of `allowed`.
    pub fn allows(self, allowed: &[Phase], what: &str) -> Result<(), Refusal> {
        if allowed.contains(&self) {
            Ok(())
        } else {
            Err(rules::REVISION_PHASE.refuse(format!(
                "{what} is not possible in the {} phase",
                self.as_str()
            )))
        }
    }

    /// The phase the revision moves to, or why it cannot move: the last
    /// phase ends it; forum review needs the consolidated draft, and the
    /// approvals IT-styrgruppen's decision.
    pub fn advance(self, consolidated: bool, decided: bool) -> Result<Phase, Refusal> {
        let next = self
            .next()
            .ok_or_else(|| rules::REVISION_DONE.refuse("the revision is complete"))?;
        match next {
            Phase::ForumReview if !consolidated => {
                Err(rules::NOT_CONSOLIDATED.refuse("consolidate the accepted proposals first"))
            }
            Phase::Approvals if !decided => {
                Err(rules::NO_DECISION.refuse("record IT-styrgruppen's decision first"))
            }
            next => Ok(next),
        }
    }
}

/// Whether the new version may take force `today`: every member
/// municipality on its effective date (`members`) has approved it
/// (`approved`), and that date has come.
pub fn may_take_force<'a>(
    members: &'a [String],
    approved: impl Fn(&str) -> bool,
    effective_from: NaiveDate,
    today: NaiveDate,
) -> Result<(), Refusal> {
    let missing: Vec<&'a str> = members
        .iter()
        .map(String::as_str)
        .filter(|m| !approved(m))
        .collect();
    if !missing.is_empty() {
        return Err(rules::APPROVALS_MISSING.refuse(format!(
            "approval not yet recorded by: {}",
            missing.join(", ")
        )));
    }
    if today < effective_from {
        return Err(rules::NOT_YET_EFFECTIVE
            .refuse(format!("the new version takes effect on {effective_from}")));
    }
    Ok(())
}

/// Whether a municipality's approval may be recorded: once.
pub fn may_record_approval(recorded: bool) -> Result<(), Refusal> {
    if recorded {
        Err(rules::APPROVAL_RECORDED.refuse("the approval is already recorded"))
    } else {
        Ok(())
    }
}

/// A phase is late when its last day has passed and the revision has not
/// moved beyond it. `ends` holds the last days of the first five phases.
pub fn late(current: Phase, ends: &[NaiveDate], today: NaiveDate) -> Vec<(Phase, NaiveDate, bool)> {
    Phase::ALL
        .iter()
        .zip(ends.iter())
        .map(|(p, end)| (*p, *end, current <= *p && today > *end))
        .collect()
}

/// What an accepted proposal does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Amend {
        section: String,
        text: String,
    },
    Add {
        after: String,
        title: String,
        text: String,
    },
    Delete {
        section: String,
    },
}

/// Applies accepted changes to the version in force and renumbers the
/// sections. Changes apply in the order given; an anchor that no longer
/// exists is an error naming it.
pub fn consolidate(base: &Document, changes: &[Change]) -> Result<Document, Refusal> {
    consolidate_text(base, changes).map_err(|why| rules::CONFLICTING_PROPOSALS.refuse(why))
}

fn consolidate_text(base: &Document, changes: &[Change]) -> Result<Document, String> {
    let mut doc = base.clone();
    // Anchors refer to the base's numbering: remember each section's
    // original number so later changes still find theirs.
    let mut origin: Vec<Option<String>> = doc
        .sections
        .iter()
        .map(|s| Some(s.number.clone()))
        .collect();
    let pos =
        |origin: &[Option<String>], n: &str| origin.iter().position(|o| o.as_deref() == Some(n));
    for c in changes {
        match c {
            Change::Amend { section, text } => {
                let i = pos(&origin, section)
                    .ok_or_else(|| format!("section {section} does not exist"))?;
                doc.sections[i].body = text.trim().to_owned();
            }
            Change::Delete { section } => {
                let i = pos(&origin, section)
                    .ok_or_else(|| format!("section {section} does not exist"))?;
                doc.sections.remove(i);
                origin.remove(i);
            }
            Change::Add { after, title, text } => {
                let i = if after.is_empty() || after == "0" {
                    0
                } else {
                    pos(&origin, after).ok_or_else(|| format!("section {after} does not exist"))?
                        + 1
                };
                doc.sections.insert(
                    i,
                    Section {
                        number: String::new(),
                        title: title.trim().to_owned(),
                        body: text.trim().to_owned(),
                    },
                );
                origin.insert(i, None);
            }
        }
    }
    renumber(&mut doc);
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::text::parse;

    #[test]
    fn phases_in_order() {
        assert_eq!(Phase::Proposals.next(), Some(Phase::Consolidation));
        assert_eq!(Phase::InForce.next(), None);
        for p in Phase::ALL {
            assert_eq!(Phase::parse(p.as_str()), Some(*p));
        }
    }

    #[test]
    fn lateness() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        let ends = [d(3, 31), d(4, 30), d(5, 31), d(6, 15), d(9, 30)];
        let l = late(Phase::Consolidation, &ends, d(5, 2));
        assert!(!l[0].2, "proposals are done");
        assert!(l[1].2, "consolidation is late");
        assert!(!l[2].2, "forum review not yet due");
    }

    #[test]
    fn consolidation_applies_changes_against_the_base_numbering() {
        let base = parse(
            "## 1. Parter\n\nTranemo och Ulricehamn.\n\n## 2. Syfte\n\nGemensam IT.\n\n## 3. Kostnader\n\nEnligt prislista.\n",
        );
        let changes = vec![
            Change::Delete {
                section: "2".into(),
            },
            Change::Amend {
                section: "3".into(),
                text: "Enligt prislista och fördelningsnyckel.".into(),
            },
            Change::Add {
                after: "1".into(),
                title: "Medlemmar".into(),
                text: "Nya medlemmar ansluter genom beslut.".into(),
            },
        ];
        let out = consolidate(&base, &changes).unwrap();
        let titles: Vec<_> = out
            .sections
            .iter()
            .map(|s| (s.number.as_str(), s.title.as_str()))
            .collect();
        assert_eq!(
            titles,
            [("1", "Parter"), ("2", "Medlemmar"), ("3", "Kostnader")]
        );
        assert_eq!(
            out.sections[2].body,
            "Enligt prislista och fördelningsnyckel."
        );
        let err = consolidate(
            &base,
            &[Change::Amend {
                section: "9".into(),
                text: "x".into(),
            }],
        )
        .unwrap_err();
        assert_eq!(err.reason(), "CONFLICTING_PROPOSALS");
        assert!(err.message.contains('9'));
    }

    #[test]
    fn phases_advance_in_order_with_their_preconditions() {
        assert_eq!(
            Phase::Proposals.advance(false, false),
            Ok(Phase::Consolidation)
        );
        let e = Phase::Consolidation.advance(false, false).unwrap_err();
        assert_eq!(e.reason(), "NOT_CONSOLIDATED");
        assert_eq!(
            Phase::Consolidation.advance(true, false),
            Ok(Phase::ForumReview)
        );
        let e = Phase::Decision.advance(true, false).unwrap_err();
        assert_eq!(e.reason(), "NO_DECISION");
        assert_eq!(Phase::Decision.advance(true, true), Ok(Phase::Approvals));
        assert_eq!(
            Phase::InForce.advance(true, true).unwrap_err().reason(),
            "REVISION_DONE"
        );
        assert!(Phase::Proposals.allows(&[Phase::Proposals], "x").is_ok());
        let e = Phase::Approvals
            .allows(&[Phase::Proposals], "submitting")
            .unwrap_err();
        assert_eq!(e.reason(), "REVISION_PHASE");
    }

    #[test]
    fn a_version_takes_force_when_all_have_approved_on_its_day() {
        let d = |day| NaiveDate::from_ymd_opt(2026, 1, day).unwrap();
        let members = vec!["tranemo".to_owned(), "ulricehamn".to_owned()];
        let e = may_take_force(&members, |m| m == "tranemo", d(1), d(2)).unwrap_err();
        assert_eq!(e.reason(), "APPROVALS_MISSING");
        assert!(e.message.ends_with("ulricehamn"), "{e}");
        let e = may_take_force(&members, |_| true, d(3), d(2)).unwrap_err();
        assert_eq!(e.reason(), "NOT_YET_EFFECTIVE");
        assert!(may_take_force(&members, |_| true, d(2), d(2)).is_ok());
        assert!(may_record_approval(false).is_ok());
        assert_eq!(
            may_record_approval(true).unwrap_err().reason(),
            "APPROVAL_RECORDED"
        );
    }
}
