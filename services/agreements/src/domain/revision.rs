//! The yearly revision: its phases in order, what is late, and how the
//! accepted proposals turn the version in force into the consolidated draft.

use chrono::NaiveDate;

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
pub fn consolidate(base: &Document, changes: &[Change]) -> Result<Document, String> {
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
        assert!(err.contains('9'));
    }
}
