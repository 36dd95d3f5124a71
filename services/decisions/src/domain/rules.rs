//! The preconditions of the decision register and its follow-ups: each rule's stable reason
//! (`ErrorInfo.reason`) and what it means, as `docs/errors.md` lists them.
//! A domain function that finds a rule broken answers
//! [`samverkan_core::Rule::refuse`]; nothing else defines a reason.

samverkan_core::rules! {
    DECISION_FINAL: "the minutes are adjusted, so the decision's text is final; register a new decision that supersedes it";
    DECISION_STATUS: "the requested status change is not allowed from the decision's current status (e.g. superseded or revoked)";
    FOLLOW_UP_COMPLETE: "the follow-up is already recorded in minutes and complete";
    NOT_IN_FORCE: "the decision to supersede is revoked or already superseded, so it cannot be superseded";
    NO_SUCH_PARAGRAPH: "the meeting's minutes have no § with that id; record the § in the minutes first";
    WRONG_FORUM: "the follow-up belongs to another forum; name a meeting of the follow-up's own forum";
}
