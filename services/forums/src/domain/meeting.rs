//! Meetings and their minutes: states, § references and adjusters.

use samverkan_core::Refusal;

use super::rules;

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

/// What a § records about its agenda item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The forum decided the matter.
    Decided,
    /// The forum took note of a report or information.
    Noted,
    /// The forum sends the matter to the forum it reports to.
    Escalated,
}

impl Outcome {
    pub const ALL: &'static [Outcome] = &[Outcome::Decided, Outcome::Noted, Outcome::Escalated];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Decided => "decided",
            Outcome::Noted => "noted",
            Outcome::Escalated => "escalated",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|x| x.as_str() == s)
    }
}

/// Whether a meeting in `state` has open minutes: held, so that
/// attendance and §§ are recorded.
pub fn minutes_open(state: State) -> bool {
    matches!(state, State::Held | State::MinutesDrafted)
}

/// The year of the § series a meeting's paragraphs are numbered in: the
/// calendar year in Stockholm of the meeting's start. A correction
/// follows the meeting that records it, not the corrected one.
pub fn series_year(start: chrono::DateTime<chrono::Utc>) -> i32 {
    use chrono::Datelike as _;
    samverkan_core::dates::stockholm_date(start).year()
}

/// How far a meeting's minutes are signed by its two adjusters, which
/// decides whether anything they show may still change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signing {
    /// No adjuster has signed: the meeting and its minutes may change.
    Unsigned,
    /// One adjuster has signed: what they signed must be what the second
    /// adjuster signs, so nothing the minutes show may change.
    Frozen,
    /// Both have signed: the minutes are adjusted and never change again.
    Adjusted,
}

impl Signing {
    /// The signing of a meeting in `state` that `signatures` adjusters
    /// have signed.
    pub fn of(state: State, signatures: usize) -> Self {
        if state == State::Adjusted {
            Signing::Adjusted
        } else if signatures > 0 {
            Signing::Frozen
        } else {
            Signing::Unsigned
        }
    }

    /// The one rule for every write to what the minutes show (minutes
    /// text, attendance, agenda and §, adjusters, the items' documents and
    /// notes): refused from the first signature on, naming the state.
    pub fn frozen(self) -> Option<Refusal> {
        match self {
            Signing::Unsigned => None,
            Signing::Frozen => Some(rules::MINUTES_FROZEN.refuse(
                "the minutes are signed by one adjuster and frozen: nothing they show may change until the second adjuster signs",
            )),
            Signing::Adjusted => Some(rules::MINUTES_ADJUSTED.refuse(
                "the minutes are adjusted and locked: nothing they show may change; record a correction in a later meeting's minutes",
            )),
        }
    }

    /// Whether an adjuster may sign now: the minutes are open and not yet
    /// adjusted (the second signature is what ends the freeze).
    pub fn signable(self, state: State) -> Result<(), Refusal> {
        if self == Signing::Adjusted {
            return Err(self.frozen().unwrap_or_else(not_open));
        }
        may_write_minutes(state)
    }
}

/// The refusal of a write to minutes that are not open yet.
pub fn not_open() -> Refusal {
    rules::MINUTES_NOT_OPEN
        .refuse("the minutes are not open: publish the agenda and record attendance first")
}

/// Whether what the minutes of a meeting in `state` record may be
/// written: only while they are open.
pub fn may_write_minutes(state: State) -> Result<(), Refusal> {
    if minutes_open(state) {
        Ok(())
    } else {
        Err(not_open())
    }
}

/// Whether the agenda of a meeting in `state` may change: until the
/// meeting is held and its minutes drafted.
pub fn may_change_agenda(state: State) -> Result<(), Refusal> {
    if state >= State::Held {
        return Err(rules::MEETING_HELD.refuse(
            "the meeting is held and its minutes drafted; the agenda can no longer change",
        ));
    }
    Ok(())
}

/// Whether the agenda of a meeting in `state`, with `items` on it, may be
/// published: once, and not empty.
pub fn may_publish_agenda(state: State, items: usize) -> Result<State, Refusal> {
    if state != State::Planned {
        return Err(rules::AGENDA_PUBLISHED.refuse("the agenda is already published"));
    }
    if items == 0 {
        return Err(rules::AGENDA_EMPTY.refuse("an empty agenda cannot be published"));
    }
    Ok(State::AgendaPublished)
}

/// Whether attendance may be recorded for a meeting in `state`: once its
/// agenda is published.
pub fn may_record_attendance(state: State) -> Result<(), Refusal> {
    if state == State::Planned {
        return Err(
            rules::AGENDA_NOT_PUBLISHED.refuse("publish the agenda before the meeting is held")
        );
    }
    Ok(())
}

/// Whether a meeting in `state` has minutes to read: once it is held.
pub fn has_minutes(state: State) -> Result<(), Refusal> {
    if state < State::Held {
        return Err(rules::NO_MINUTES.refuse("the meeting has no minutes yet"));
    }
    Ok(())
}

/// Whether `me` may sign minutes whose designated `adjusters` are given,
/// that `signed` have signed already, and whose agenda items `missing`
/// have no § yet: two adjusters designated, each signs once, and every
/// agenda item has its § (an audit finding).
pub fn may_sign(
    adjusters: &[String],
    signed: &[String],
    me: &str,
    missing: &[String],
) -> Result<(), Refusal> {
    adjusters_designated(adjusters)?;
    if signed.iter().any(|s| s == me) {
        return Err(rules::ALREADY_ADJUSTED.refuse("you have already adjusted these minutes"));
    }
    if !missing.is_empty() {
        return Err(rules::ITEMS_WITHOUT_PARAGRAPH.refuse(format!(
            "every agenda item needs its § before adjustment; missing: {}",
            missing.join("; ")
        )));
    }
    Ok(())
}

/// Whether the two adjusters of the minutes are designated.
pub fn adjusters_designated(adjusters: &[String]) -> Result<(), Refusal> {
    if adjusters.len() != 2 {
        return Err(rules::NO_ADJUSTERS.refuse("designate the two adjusters first"));
    }
    Ok(())
}

/// The refusal of a second § for one agenda item.
pub fn already_minuted() -> Refusal {
    rules::ALREADY_MINUTED.refuse("the agenda item already has its § in the minutes")
}

/// Why a watch cannot resume from a cursor, given the meeting's cursor
/// `now` and how many changes were `missed` since: a cursor ahead of the
/// meeting (from another database?), or more than `max` changes behind.
pub fn may_resume(after: &Cursor, now: &Cursor, missed: usize, max: usize) -> Result<(), Refusal> {
    if after.ahead_of(now) {
        return Err(rules::CURSOR_AHEAD.refuse(
            "resume_after is ahead of the meeting's changes (from another database?); reload the meeting and watch afresh",
        ));
    }
    if missed > max {
        return Err(rules::CURSOR_TOO_OLD.refuse(format!(
            "more than {max} changes were missed since resume_after; reload the meeting and watch afresh"
        )));
    }
    Ok(())
}

/// A meeting as the correction rule sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Side<F> {
    pub forum: F,
    pub state: State,
    pub signing: Signing,
    pub start: chrono::DateTime<chrono::Utc>,
}

/// Which meeting a correction refusal concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    Corrected,
    Recording,
}

/// Whether a § of `corrected`'s minutes may be corrected by a new § in the
/// minutes of `recording`: the corrected minutes are adjusted (until then
/// the secretary amends the draft), and the recording meeting is a later
/// meeting of the same forum whose minutes are open and not yet frozen.
pub fn may_record_correction<F: PartialEq>(
    corrected: &Side<F>,
    recording: &Side<F>,
) -> Result<(), (Which, Refusal)> {
    if corrected.signing != Signing::Adjusted {
        return Err((
            Which::Corrected,
            rules::MINUTES_NOT_ADJUSTED.refuse(
                "corrections are for adjusted minutes; until then the secretary amends the draft",
            ),
        ));
    }
    if recording.forum != corrected.forum {
        return Err((
            Which::Recording,
            rules::CORRECTION_OTHER_FORUM.refuse(
                "a correction is recorded in the minutes of a later meeting of the same forum",
            ),
        ));
    }
    if recording.start <= corrected.start {
        return Err((
            Which::Recording,
            rules::CORRECTION_NOT_LATER.refuse(
                "a correction is recorded in the minutes of a meeting later than the corrected one",
            ),
        ));
    }
    if let Some(r) = recording.signing.frozen() {
        return Err((Which::Recording, r));
    }
    may_write_minutes(recording.state).map_err(|r| (Which::Recording, r))?;
    Ok(())
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
/// members are represented; refused when two municipalities cannot be
/// found.
pub fn default_adjusters(eligible: &[Eligible]) -> Result<[String; 2], Refusal> {
    let two = || {
        let first = eligible.first()?;
        let second = eligible
            .iter()
            .find(|e| e.municipality != first.municipality)?;
        Some([first.person_id.clone(), second.person_id.clone()])
    };
    two().ok_or_else(|| {
        rules::NO_ELIGIBLE_ADJUSTERS
            .refuse("the forum has no eligible adjusters from two municipalities; name them")
    })
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
        assert_eq!(default_adjusters(&eligible), Ok(["a".into(), "c".into()]));
        for few in [&[e("a", "tranemo"), e("b", "tranemo")][..], &[]] {
            assert_eq!(
                default_adjusters(few).unwrap_err().reason(),
                "NO_ELIGIBLE_ADJUSTERS"
            );
        }
    }

    #[test]
    fn states_round_trip() {
        for s in State::ALL {
            assert_eq!(State::parse(s.as_str()), Some(*s));
        }
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.as_str()), Some(*o));
        }
    }

    #[test]
    fn the_first_signature_freezes_the_minutes() {
        use State::*;
        for s in [Planned, AgendaPublished, Held, MinutesDrafted] {
            assert_eq!(Signing::of(s, 0), Signing::Unsigned);
            assert_eq!(Signing::of(s, 0).frozen(), None, "{s:?}");
        }
        let one = Signing::of(MinutesDrafted, 1);
        assert_eq!(one, Signing::Frozen);
        assert_eq!(one.frozen().map(|r| r.reason()), Some("MINUTES_FROZEN"));
        assert!(
            one.frozen()
                .unwrap()
                .message
                .contains("signed by one adjuster")
        );
        // The second adjuster may still sign frozen minutes.
        assert_eq!(one.signable(MinutesDrafted), Ok(()));
        let two = Signing::of(Adjusted, 2);
        assert_eq!(two, Signing::Adjusted);
        assert_eq!(two.frozen().map(|r| r.reason()), Some("MINUTES_ADJUSTED"));
        assert_eq!(
            two.signable(Adjusted).map_err(|r| r.reason()),
            Err("MINUTES_ADJUSTED")
        );
        assert_eq!(
            Signing::Unsigned
                .signable(AgendaPublished)
                .map_err(|r| r.reason()),
            Err("MINUTES_NOT_OPEN")
        );
    }

    #[test]
    fn corrections_are_recorded_in_a_later_open_meeting_of_the_forum() {
        use chrono::TimeZone;
        let at = |y, m, d| chrono::Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap();
        let corrected = Side {
            forum: "styr",
            state: State::Adjusted,
            signing: Signing::Adjusted,
            start: at(2026, 12, 17),
        };
        let recording = Side {
            forum: "styr",
            state: State::MinutesDrafted,
            signing: Signing::Unsigned,
            start: at(2027, 1, 21),
        };
        assert_eq!(may_record_correction(&corrected, &recording), Ok(()));
        let why = |c: &Side<&str>, r: &Side<&str>| {
            may_record_correction(c, r).map_err(|(w, r)| (w, r.reason()))
        };
        let drafted = Side {
            state: State::MinutesDrafted,
            signing: Signing::Frozen,
            ..corrected
        };
        assert_eq!(
            why(&drafted, &recording),
            Err((Which::Corrected, "MINUTES_NOT_ADJUSTED"))
        );
        assert_eq!(
            why(
                &corrected,
                &Side {
                    forum: "utv",
                    ..recording
                }
            ),
            Err((Which::Recording, "CORRECTION_OTHER_FORUM"))
        );
        for start in [at(2026, 12, 17), at(2026, 3, 1)] {
            assert_eq!(
                why(&corrected, &Side { start, ..recording }),
                Err((Which::Recording, "CORRECTION_NOT_LATER"))
            );
        }
        assert_eq!(
            why(
                &corrected,
                &Side {
                    signing: Signing::Frozen,
                    ..recording
                }
            ),
            Err((Which::Recording, "MINUTES_FROZEN"))
        );
        assert_eq!(
            why(
                &corrected,
                &Side {
                    state: State::Adjusted,
                    signing: Signing::Adjusted,
                    ..recording
                }
            ),
            Err((Which::Recording, "MINUTES_ADJUSTED"))
        );
        assert_eq!(
            why(
                &corrected,
                &Side {
                    state: State::AgendaPublished,
                    ..recording
                }
            ),
            Err((Which::Recording, "MINUTES_NOT_OPEN"))
        );
    }

    #[test]
    fn the_series_year_is_the_meetings_year_in_stockholm() {
        use chrono::TimeZone;
        // 23.30 UTC on New Year's Eve is already 1 January in Stockholm.
        let t = chrono::Utc
            .with_ymd_and_hms(2026, 12, 31, 23, 30, 0)
            .unwrap();
        assert_eq!(series_year(t), 2027);
        let t = chrono::Utc
            .with_ymd_and_hms(2026, 12, 31, 22, 30, 0)
            .unwrap();
        assert_eq!(series_year(t), 2026);
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
    use super::*;

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

    #[test]
    fn the_agenda_is_published_once_and_changes_until_the_meeting_is_held() {
        use State::*;
        assert_eq!(may_publish_agenda(Planned, 2), Ok(AgendaPublished));
        assert_eq!(
            may_publish_agenda(Planned, 0).unwrap_err().reason(),
            "AGENDA_EMPTY"
        );
        assert_eq!(
            may_publish_agenda(AgendaPublished, 2).unwrap_err().reason(),
            "AGENDA_PUBLISHED"
        );
        assert!(may_change_agenda(AgendaPublished).is_ok());
        assert_eq!(
            may_change_agenda(Held).unwrap_err().reason(),
            "MEETING_HELD"
        );
        assert_eq!(
            may_record_attendance(Planned).unwrap_err().reason(),
            "AGENDA_NOT_PUBLISHED"
        );
        assert!(may_record_attendance(AgendaPublished).is_ok());
        assert_eq!(
            has_minutes(AgendaPublished).unwrap_err().reason(),
            "NO_MINUTES"
        );
        assert!(has_minutes(Held).is_ok());
    }

    #[test]
    fn two_adjusters_sign_once_each_when_every_item_has_its_paragraph() {
        let two = ["a".to_owned(), "b".to_owned()];
        assert!(may_sign(&two, &[], "a", &[]).is_ok());
        assert_eq!(
            may_sign(&two[..1], &[], "a", &[]).unwrap_err().reason(),
            "NO_ADJUSTERS"
        );
        let e = may_sign(&two, &["a".to_owned()], "a", &[]).unwrap_err();
        assert_eq!(e.reason(), "ALREADY_ADJUSTED");
        let e = may_sign(&two, &[], "b", &["3. Budget".to_owned()]).unwrap_err();
        assert_eq!(e.reason(), "ITEMS_WITHOUT_PARAGRAPH");
        assert!(e.message.ends_with("3. Budget"), "{e}");
    }

    #[test]
    fn a_watch_resumes_from_a_cursor_it_can_still_reach() {
        let c = |shared, notes| Cursor { shared, notes };
        assert!(may_resume(&c(3, 1), &c(5, 1), 2, 100).is_ok());
        assert_eq!(
            may_resume(&c(6, 1), &c(5, 1), 0, 100).unwrap_err().reason(),
            "CURSOR_AHEAD"
        );
        assert_eq!(
            may_resume(&c(1, 1), &c(500, 1), 101, 100)
                .unwrap_err()
                .reason(),
            "CURSOR_TOO_OLD"
        );
    }
}
