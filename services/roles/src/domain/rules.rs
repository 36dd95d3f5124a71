//! The preconditions of the collaboration's members and roles: each rule's stable reason
//! (`ErrorInfo.reason`) and what it means, as `docs/errors.md` lists them.
//! A domain function that finds a rule broken answers
//! [`samverkan_core::Rule::refuse`]; nothing else defines a reason.

samverkan_core::rules! {
    ALREADY_MEMBER: "the municipality is already a member of the collaboration on the given joining date";
    MEMBERSHIP_ENDED: "the municipality's membership in the collaboration has already ended";
    NOT_A_MEMBER: "the assignment's municipality is not a member of the collaboration on the assignment's start date";
    OVERLAPPING_ASSIGNMENT: "the person already holds this role in the same place during part of the requested period";
}
