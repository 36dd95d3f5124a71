//! A matter's life, declared once: states, the transitions between them,
//! and the permission each transition needs (see docs/permissions.md).

/// Where a matter is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    Draft,
    Submitted,
    OnAgenda,
    Handled,
    Escalated,
    Withdrawn,
}

impl State {
    pub const ALL: &'static [State] = &[
        State::Draft,
        State::Submitted,
        State::OnAgenda,
        State::Handled,
        State::Escalated,
        State::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Draft => "draft",
            State::Submitted => "submitted",
            State::OnAgenda => "on_agenda",
            State::Handled => "handled",
            State::Escalated => "escalated",
            State::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|x| x.as_str() == s)
    }

    /// Whether the matter waits on its forum's agenda backlog.
    pub fn on_backlog(self) -> bool {
        matches!(self, State::Submitted | State::Escalated)
    }
}

/// What can happen to a matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Submit,
    Withdraw,
    PutOnAgenda,
    Handle,
    Escalate,
}

/// One allowed transition and who may make it.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub transition: Transition,
    pub from: &'static [State],
    pub to: State,
    /// The action in the permission table that governs it.
    pub action: &'static str,
}

/// The state machine.
pub const RULES: &[Rule] = &[
    Rule {
        transition: Transition::Submit,
        from: &[State::Draft],
        to: State::Submitted,
        action: "matters.submit",
    },
    Rule {
        transition: Transition::Withdraw,
        from: &[State::Draft, State::Submitted],
        to: State::Withdrawn,
        action: "matters.draft",
    },
    Rule {
        transition: Transition::PutOnAgenda,
        from: &[State::Submitted, State::Escalated],
        to: State::OnAgenda,
        action: "meetings.manage",
    },
    Rule {
        transition: Transition::Handle,
        from: &[State::OnAgenda],
        to: State::Handled,
        action: "minutes.record",
    },
    Rule {
        transition: Transition::Escalate,
        from: &[State::OnAgenda, State::Submitted],
        to: State::Escalated,
        action: "matters.escalate",
    },
];

/// The rule for `t`.
pub fn rule(t: Transition) -> &'static Rule {
    // Every transition has exactly one rule (tested below).
    RULES
        .iter()
        .find(|r| r.transition == t)
        .unwrap_or(&RULES[0])
}

/// The state after `t`, or why `t` is not allowed from `from`.
pub fn next(from: State, t: Transition) -> Result<State, String> {
    let r = rule(t);
    if r.from.contains(&from) {
        Ok(r.to)
    } else {
        Err(format!(
            "a matter that is {} cannot be {}; allowed from: {}",
            from.as_str(),
            match t {
                Transition::Submit => "submitted",
                Transition::Withdraw => "withdrawn",
                Transition::PutOnAgenda => "put on an agenda",
                Transition::Handle => "handled",
                Transition::Escalate => "escalated",
            },
            r.from
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }
}

/// What a matter is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    DevelopmentNeed,
    ImprovementNeed,
    Report,
    FollowUp,
    Information,
}

impl Kind {
    pub const ALL: &'static [Kind] = &[
        Kind::DevelopmentNeed,
        Kind::ImprovementNeed,
        Kind::Report,
        Kind::FollowUp,
        Kind::Information,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::DevelopmentNeed => "development_need",
            Kind::ImprovementNeed => "improvement_need",
            Kind::Report => "report",
            Kind::FollowUp => "follow_up",
            Kind::Information => "information",
        }
    }

    pub fn swedish(self) -> &'static str {
        match self {
            Kind::DevelopmentNeed => "Utvecklingsbehov",
            Kind::ImprovementNeed => "Förbättringsbehov",
            Kind::Report => "Rapport",
            Kind::FollowUp => "Uppföljning",
            Kind::Information => "Information",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|x| x.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_transition_has_one_rule() {
        for t in [
            Transition::Submit,
            Transition::Withdraw,
            Transition::PutOnAgenda,
            Transition::Handle,
            Transition::Escalate,
        ] {
            assert_eq!(
                RULES.iter().filter(|r| r.transition == t).count(),
                1,
                "{t:?}"
            );
        }
    }

    #[test]
    fn the_life_of_a_matter() {
        let s = next(State::Draft, Transition::Submit).unwrap();
        assert_eq!(s, State::Submitted);
        assert!(s.on_backlog());
        let s = next(s, Transition::PutOnAgenda).unwrap();
        let s = next(s, Transition::Escalate).unwrap();
        assert_eq!(s, State::Escalated);
        assert!(
            s.on_backlog(),
            "an escalated matter waits on the forum above's backlog"
        );
        let s = next(s, Transition::PutOnAgenda).unwrap();
        assert_eq!(next(s, Transition::Handle).unwrap(), State::Handled);
    }

    #[test]
    fn refused_transitions_say_why() {
        let err = next(State::Draft, Transition::Escalate).unwrap_err();
        assert!(err.contains("draft") && err.contains("on_agenda"), "{err}");
        assert!(next(State::Handled, Transition::Withdraw).is_err());
        assert!(next(State::Withdrawn, Transition::Submit).is_err());
    }
}
