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
