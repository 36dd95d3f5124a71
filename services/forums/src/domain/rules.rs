//! The preconditions of forums and their meetings, matters and minutes: each rule's stable reason
//! (`ErrorInfo.reason`) and what it means, as `docs/errors.md` lists them.
//! A domain function that finds a rule broken answers
//! [`samverkan_core::Rule::refuse`]; nothing else defines a reason.

samverkan_core::rules! {
    AGENDA_EMPTY: "the meeting's agenda has no items, so it cannot be published; add agenda items first";
    AGENDA_NOT_PUBLISHED: "attendance cannot be recorded while the meeting is still planned; publish the agenda first";
    AGENDA_PUBLISHED: "the meeting's agenda is already published, so it cannot be published again";
    ALREADY_ADJUSTED: "the caller has already signed (adjusted) these minutes; the other adjuster must sign";
    ALREADY_MINUTED: "the agenda item already has its § in the minutes; only one § per agenda item is allowed";
    CORRECTION_NOT_LATER: "a correction must be recorded in the minutes of a meeting later than the corrected one";
    CORRECTION_OTHER_FORUM: "a correction must be recorded in the minutes of a later meeting of the same forum";
    CURSOR_AHEAD: "`resume_after` is ahead of the meeting's recorded changes; reload the meeting and start watching afresh";
    CURSOR_TOO_OLD: "too many meeting changes were missed since `resume_after`; reload the meeting and start watching afresh";
    ITEMS_WITHOUT_PARAGRAPH: "minutes cannot be adjusted while some agenda items lack a §; record a § for each listed item";
    MATTER_ELSEWHERE: "the matter is not with this meeting's forum, so it cannot be put on this agenda";
    MATTER_STATE: "the matter's current state does not allow this change or transition; only a draft can be edited";
    MEETING_HELD: "the meeting is already held, so its agenda can no longer change";
    MINUTES_ADJUSTED: "the minutes are adjusted and locked; record a correction in a later meeting's minutes instead";
    MINUTES_FROZEN: "one adjuster has signed, so nothing the minutes show may change until the second adjuster signs";
    MINUTES_NOT_ADJUSTED: "only adjusted minutes can be corrected; until then the secretary amends the draft minutes";
    MINUTES_NOT_OPEN: "the meeting's minutes are not open; publish the agenda and record attendance first";
    NO_ADJUSTERS: "the minutes cannot be adjusted before the two adjusters are designated";
    NO_ELIGIBLE_ADJUSTERS: "no default adjusters from two municipalities can be found in the forum; name the two adjusters explicitly";
    NO_ESCALATION_PARAGRAPH: "the § must be in this forum's minutes, have outcome ESCALATED and concern this matter to escalate it";
    NO_MINUTES: "the meeting has no minutes yet (not held), so minutes cannot be exported";
    TOP_FORUM: "the forum reports to no other forum, so there is nowhere to escalate the matter";
}
