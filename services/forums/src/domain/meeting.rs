//! Meetings and their minutes: states, § references and adjusters.

/// A meeting's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum State {
    Planned,
    AgendaPublished,
    Held,
    MinutesDrafted,
    Adjusted,
}

impl State {
    pub const ALL: &'static [State] = &[
        State::Planned,
        State::AgendaPublished,
        State::Held,
        State::MinutesDrafted,
        State::Adjusted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Planned => "planned",
            State::AgendaPublished => "agenda_published",
            State::Held => "held",
            State::MinutesDrafted => "minutes_drafted",
            State::Adjusted => "adjusted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|x| x.as_str() == s)
    }
}

/// How people cite a paragraph: "§ 4/2026".
pub fn reference(number: i32, year: i32) -> String {
    format!("§ {number}/{year}")
}

/// An eligible adjuster: a person with a seat that may adjust, and the
/// municipality that employs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Eligible {
    pub person_id: String,
    pub municipality: String,
}

/// The default adjusters: one from each of two municipalities, taking the
/// eligible seats in the order given (the composition's order), so both
/// members are represented. `None` when two municipalities cannot be found.
pub fn default_adjusters(eligible: &[Eligible]) -> Option<[String; 2]> {
    let first = eligible.first()?;
    let second = eligible
        .iter()
        .find(|e| e.municipality != first.municipality)?;
    Some([first.person_id.clone(), second.person_id.clone()])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(p: &str, m: &str) -> Eligible {
        Eligible {
            person_id: p.into(),
            municipality: m.into(),
        }
    }

    #[test]
    fn default_adjusters_come_from_two_municipalities() {
        let eligible = [e("a", "tranemo"), e("b", "tranemo"), e("c", "ulricehamn")];
        assert_eq!(default_adjusters(&eligible), Some(["a".into(), "c".into()]));
        assert_eq!(
            default_adjusters(&[e("a", "tranemo"), e("b", "tranemo")]),
            None
        );
        assert_eq!(default_adjusters(&[]), None);
    }

    #[test]
    fn states_round_trip() {
        for s in State::ALL {
            assert_eq!(State::parse(s.as_str()), Some(*s));
        }
    }

    #[test]
    fn references() {
        assert_eq!(reference(4, 2026), "§ 4/2026");
    }
}

/// What a committed change did to a meeting, as `WatchMeeting` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    AgendaItemAdded,
    AgendaPublished,
    AttendanceRecorded,
    ParagraphAdded,
    AdjustersDesignated,
    MinutesAdjusted,
    CorrectionAdded,
}

impl ChangeKind {
    const ALL: [ChangeKind; 7] = [
        Self::AgendaItemAdded,
        Self::AgendaPublished,
        Self::AttendanceRecorded,
        Self::ParagraphAdded,
        Self::AdjustersDesignated,
        Self::MinutesAdjusted,
        Self::CorrectionAdded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AgendaItemAdded => "agenda_item_added",
            Self::AgendaPublished => "agenda_published",
            Self::AttendanceRecorded => "attendance_recorded",
            Self::ParagraphAdded => "paragraph_added",
            Self::AdjustersDesignated => "adjusters_designated",
            Self::MinutesAdjusted => "minutes_adjusted",
            Self::CorrectionAdded => "correction_added",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[cfg(test)]
mod change_kind_tests {
    use super::ChangeKind;

    #[test]
    fn every_kind_reads_back() {
        for k in ChangeKind::ALL {
            assert_eq!(ChangeKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(ChangeKind::parse("renamed"), None);
    }
}

/// Where a `WatchMeeting` client is: the meeting's shared changes up to
/// `shared`, and the first `notes` notes of the client's own municipality
/// (notes are never changed or removed, so their count only grows). Other
/// municipalities' notes count nowhere, so a cursor reveals nothing of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cursor {
    pub shared: i64,
    pub notes: i64,
}

impl Cursor {
    /// Reads `S.N` as written by [`Cursor::to_string`].
    pub fn parse(s: &str) -> Option<Self> {
        let (a, b) = s.split_once('.')?;
        let (shared, notes) = (a.parse().ok()?, b.parse().ok()?);
        (shared >= 0 && notes >= 0).then_some(Self { shared, notes })
    }

    /// Whether `self` is behind `other` in anything.
    pub fn behind(&self, other: &Cursor) -> bool {
        self.shared < other.shared || self.notes < other.notes
    }

    /// Whether `self` is ahead of `other` in anything (a cursor the
    /// meeting never reached).
    pub fn ahead_of(&self, other: &Cursor) -> bool {
        self.shared > other.shared || self.notes > other.notes
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.shared, self.notes)
    }
}

#[cfg(test)]
mod cursor_tests {
    use super::Cursor;

    #[test]
    fn cursors_read_back_and_compare() {
        let c = Cursor {
            shared: 12,
            notes: 3,
        };
        assert_eq!(Cursor::parse(&c.to_string()), Some(c));
        for bad in ["", "12", "x.1", "1.-1", "-1.0", "1.2.3"] {
            assert_eq!(Cursor::parse(bad), None, "{bad}");
        }
        let later = Cursor {
            shared: 12,
            notes: 4,
        };
        assert!(c.behind(&later) && later.ahead_of(&c));
        assert!(!c.behind(&c) && !c.ahead_of(&c));
    }
}
