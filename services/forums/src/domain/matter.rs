//! A matter's life, declared once: states, the transitions between them,
//! and the permission each transition needs (see docs/permissions.md).

use samverkan_core::Refusal;

use super::rules;

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
pub fn next(from: State, t: Transition) -> Result<State, Refusal> {
    let r = rule(t);
    if r.from.contains(&from) {
        Ok(r.to)
    } else {
        Err(rules::MATTER_STATE.refuse(format!(
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
        )))
    }
}

/// Whether a matter in `state` may be edited: only a draft; a submitted
/// matter is part of the record.
pub fn may_edit(state: State) -> Result<(), Refusal> {
    if state == State::Draft {
        Ok(())
    } else {
        Err(rules::MATTER_STATE
            .refuse("only a draft can be changed; a submitted matter is part of the record"))
    }
}

/// Whether a matter with `matter_forum` may go on the agenda of a meeting
/// of `meeting_forum`: only its own forum's.
pub fn may_put_on_agenda<F: PartialEq>(
    matter_forum: Option<F>,
    meeting_forum: F,
) -> Result<(), Refusal> {
    if matter_forum == Some(meeting_forum) {
        Ok(())
    } else {
        Err(rules::MATTER_ELSEWHERE.refuse("the matter is not with this meeting's forum"))
    }
}

/// Whether a § decides to escalate a matter: it is in the minutes of the
/// matter's forum (`in_forum`), records the outcome escalated, and
/// concerns this matter.
pub fn escalated_by(
    in_forum: bool,
    outcome_escalated: bool,
    concerns_matter: bool,
) -> Result<(), Refusal> {
    if in_forum && outcome_escalated && concerns_matter {
        Ok(())
    } else {
        Err(rules::NO_ESCALATION_PARAGRAPH.refuse(
            "the § must be in this forum's minutes, record the outcome ESCALATED, and concern this matter",
        ))
    }
}

/// Where a matter of forum `forum_name` escalates to: the forum it
/// reports to, if any.
pub fn escalation_target<F>(reports_to: Option<F>, forum_name: &str) -> Result<F, Refusal> {
    reports_to.ok_or_else(|| {
        rules::TOP_FORUM.refuse(format!(
            "{forum_name} reports to no forum; there is nowhere to escalate"
        ))
    })
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
        assert_eq!(err.reason(), "MATTER_STATE");
        assert!(
            err.message.contains("draft") && err.message.contains("on_agenda"),
            "{err}"
        );
        assert!(next(State::Handled, Transition::Withdraw).is_err());
        assert!(next(State::Withdrawn, Transition::Submit).is_err());
    }

    #[test]
    fn drafts_change_matters_stay_in_their_forum_and_escalate_upwards() {
        assert!(may_edit(State::Draft).is_ok());
        assert_eq!(
            may_edit(State::Submitted).unwrap_err().reason(),
            "MATTER_STATE"
        );
        assert!(may_put_on_agenda(Some(1), 1).is_ok());
        for other in [Some(2), None] {
            assert_eq!(
                may_put_on_agenda(other, 1).unwrap_err().reason(),
                "MATTER_ELSEWHERE"
            );
        }
        assert!(escalated_by(true, true, true).is_ok());
        for (a, b, c) in [
            (false, true, true),
            (true, false, true),
            (true, true, false),
        ] {
            assert_eq!(
                escalated_by(a, b, c).unwrap_err().reason(),
                "NO_ESCALATION_PARAGRAPH"
            );
        }
        assert_eq!(escalation_target(Some(7), "Forum"), Ok(7));
        let e = escalation_target::<i32>(None, "IT-styrgruppen").unwrap_err();
        assert_eq!(e.reason(), "TOP_FORUM");
        assert!(e.message.starts_with("IT-styrgruppen"), "{e}");
    }
}
