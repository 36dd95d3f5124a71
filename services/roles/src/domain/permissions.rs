//! Who may do what: declared once, as a table, evaluated
//! purely from facts about the principal on the request's date and about
//! the resource. `docs/permissions.md` is rendered from this table and a
//! test fails when the two differ.

use chrono::NaiveDate;
use uuid::Uuid;

use super::catalogue::{
    IT_CHEF, IT_STRATEG, KOMMUNCHEF, PERSONALCHEF, REGISTRATOR, SAMVERKANSADMINISTRATOR,
    STYRGRUPPEN, SeatKind, TJANSTEFIERING, UTVECKLINGSCHEF,
};
use super::membership::in_force;
use samverkan_proto::service_names::{AGREEMENTS, COSTMODEL, DECISIONS, FORUMS, ROLES};

/// One way to be allowed an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// Any person of a member municipality.
    AnyMember,
    /// The person who owns the resource (its author, the activity's owner).
    Owner,
    /// A person designated for the resource (the meeting's adjusters, the
    /// decision's responsible person).
    Designated,
    /// A seat of one of these kinds in the resource's forum (empty: any seat).
    Seat(&'static [SeatKind]),
    /// Any seat in the resource's forum, held by a person of the resource's
    /// own municipality.
    OwnSeat,
    /// A seat of one of these kinds in the named forum of the collaboration.
    ForumSeat(&'static str, &'static [SeatKind]),
    /// The role, held in the IT department or in any municipality.
    Role(&'static str),
    /// The municipal role, held in the principal's own municipality, for a
    /// resource of that municipality.
    OwnRole(&'static str),
    /// A person of the resource's municipality.
    OwnMunicipality,
    /// The role, for a municipality being onboarded: a member of the
    /// collaboration on the request's date in which nobody holds an
    /// administrator role ([`administrator_roles`]) from that date on.
    Newcomer(&'static str),
}

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct Permission {
    pub action: &'static str,
    pub description: &'static str,
    pub grants: &'static [Grant],
}

const CHAIR_OR_SECRETARY: &[SeatKind] = &[SeatKind::Chair, SeatKind::Secretary];
const SECRETARY: &[SeatKind] = &[SeatKind::Secretary];
const ANY_SEAT: &[SeatKind] = &[];

/// The permission table.
pub const PERMISSIONS: &[Permission] = &[
    Permission {
        action: "matters.draft",
        description: "draft a matter, write it, withdraw it (own drafts)",
        grants: &[Grant::AnyMember],
    },
    Permission {
        action: "matters.submit",
        description: "submit a matter to a forum",
        grants: &[Grant::Owner, Grant::OwnSeat],
    },
    Permission {
        action: "matters.escalate",
        description: "escalate a matter to the forum this forum reports to",
        grants: &[Grant::Seat(CHAIR_OR_SECRETARY)],
    },
    Permission {
        action: "meetings.manage",
        description: "create a meeting, build and publish its agenda",
        grants: &[Grant::Seat(CHAIR_OR_SECRETARY)],
    },
    Permission {
        action: "notes.write",
        description: "write preparation notes on an agenda item",
        grants: &[
            Grant::OwnSeat,
            Grant::OwnRole(UTVECKLINGSCHEF),
            Grant::OwnRole(KOMMUNCHEF),
        ],
    },
    Permission {
        action: "minutes.record",
        description: "record minutes and register decisions",
        grants: &[Grant::Seat(SECRETARY)],
    },
    Permission {
        action: "minutes.adjust",
        description: "adjust minutes",
        grants: &[Grant::Designated],
    },
    Permission {
        action: "activities.update",
        description: "update an action-plan activity",
        grants: &[Grant::Owner, Grant::Designated],
    },
    Permission {
        action: "costmodel.edit",
        description: "edit a draft price list, volumes, drivers, direct charges",
        grants: &[
            Grant::ForumSeat(TJANSTEFIERING, ANY_SEAT),
            Grant::Role(IT_CHEF),
        ],
    },
    Permission {
        action: "pricelists.publish",
        description: "publish a price list, with the decision that adopted it",
        grants: &[Grant::ForumSeat(STYRGRUPPEN, SECRETARY)],
    },
    Permission {
        action: "costdetail.read",
        description: "read a municipality's per-unit cost detail",
        grants: &[Grant::OwnMunicipality],
    },
    Permission {
        action: "agreements.revise",
        description: "open and consolidate an agreement revision",
        grants: &[Grant::Role(IT_STRATEG)],
    },
    Permission {
        action: "proposals.draft",
        description: "draft and submit change proposals",
        grants: &[Grant::OwnRole(KOMMUNCHEF), Grant::OwnRole(UTVECKLINGSCHEF)],
    },
    Permission {
        action: "approvals.record",
        description: "record a municipality's approval (KS §, date)",
        grants: &[Grant::OwnRole(KOMMUNCHEF), Grant::OwnRole(REGISTRATOR)],
    },
    Permission {
        action: "roles.assign_municipal",
        description: "assign and end roles within a municipality",
        grants: &[Grant::OwnRole(KOMMUNCHEF), Grant::OwnRole(PERSONALCHEF)],
    },
    Permission {
        action: "roles.assign_it",
        description: "assign and end IT-department roles",
        grants: &[Grant::Role(IT_CHEF)],
    },
    Permission {
        action: "people.manage",
        description: "register and update people of one's own municipality",
        grants: &[
            Grant::OwnRole(KOMMUNCHEF),
            Grant::OwnRole(PERSONALCHEF),
            Grant::Role(IT_CHEF),
        ],
    },
    Permission {
        action: "municipalities.update",
        description: "change a municipality's name or organisation number",
        grants: &[Grant::OwnRole(KOMMUNCHEF)],
    },
    Permission {
        action: "members.manage",
        description: "add a member municipality from its join date, end a membership (the leaver's role assignments and seats end on the same day), rename the collaboration; with the decision",
        grants: &[
            Grant::ForumSeat(STYRGRUPPEN, SECRETARY),
            Grant::Role(SAMVERKANSADMINISTRATOR),
        ],
    },
    Permission {
        action: "members.onboard",
        description: "register the first administrator of another member municipality: its people (CreatePerson with `person.municipality_id`) and a kommunchef or personalchef role, until one is held; from then on that administrator registers the rest",
        grants: &[Grant::Newcomer(SAMVERKANSADMINISTRATOR)],
    },
    Permission {
        action: "forums.manage",
        description: "change a forum's mandate or seats, with the decision; adopt role mandates",
        grants: &[Grant::ForumSeat(STYRGRUPPEN, SECRETARY)],
    },
];

/// The municipal roles whose holder administers their own municipality:
/// those that register its people and assign its roles (`people.manage`
/// and `roles.assign_municipal` as [`Grant::OwnRole`]). A municipality in
/// which one of them is held no longer needs [`Grant::Newcomer`].
pub fn administrator_roles() -> Vec<&'static str> {
    let own_roles = |action: &str| -> Vec<&'static str> {
        permission(action)
            .map(|p| {
                p.grants
                    .iter()
                    .filter_map(|g| match *g {
                        Grant::OwnRole(r) => Some(r),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let assigners = own_roles("roles.assign_municipal");
    own_roles("people.manage")
        .into_iter()
        .filter(|r| assigners.contains(r))
        .collect()
}

/// The row for `action`.
pub fn permission(action: &str) -> Option<&'static Permission> {
    PERMISSIONS.iter().find(|p| p.action == action)
}

/// A role the principal holds on the date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldRole {
    pub code: String,
    /// The municipality a municipal role is held in.
    pub municipality: Option<String>,
}

/// A seat the principal holds on the date (explicit or from a role).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldSeat {
    pub forum_id: Uuid,
    pub forum_code: String,
    pub kind: SeatKind,
}

/// What is known about the principal on the request's date.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Whether the municipality is a member of the collaboration today.
    pub is_member: bool,
    pub tenant: String,
    pub person_id: Option<Uuid>,
    pub roles: Vec<HeldRole>,
    pub seats: Vec<HeldSeat>,
}

/// What is known about the resource.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub forum_id: Option<Uuid>,
    pub municipality: Option<String>,
    pub owner: Option<Uuid>,
    pub designated: Vec<Uuid>,
    /// For onboarding: the state of `municipality` in the collaboration.
    pub newcomer: Option<Newcomer>,
}

/// What is known about a municipality being onboarded, on a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Newcomer {
    /// The date the question is asked for (the request's date).
    pub on: NaiveDate,
    /// Its memberships of the collaboration: first and last day.
    pub memberships: Vec<(NaiveDate, Option<NaiveDate>)>,
    /// Administrator roles ([`administrator_roles`]) held in it on or
    /// after `on`, by anyone.
    pub administrators: Vec<String>,
}

impl Newcomer {
    /// Why `municipality` cannot be onboarded now; `None` when it can.
    pub fn refusal(&self, municipality: &str) -> Option<String> {
        if !self
            .memberships
            .iter()
            .any(|&(joined, left)| in_force(joined, left, self.on))
        {
            let upcoming = self
                .memberships
                .iter()
                .filter(|(joined, _)| *joined > self.on)
                .map(|(joined, _)| *joined)
                .min();
            return Some(match upcoming {
                Some(joined) => format!(
                    "{municipality} is not a member of the collaboration until {joined}; its first administrator can be registered from that day"
                ),
                None => format!(
                    "{municipality} is not a member of the collaboration on {}",
                    self.on
                ),
            });
        }
        if !self.administrators.is_empty() {
            return Some(format!(
                "{municipality} already has an administrator ({}); its own administrator registers its people and assigns its roles",
                self.administrators.join(", ")
            ));
        }
        None
    }
}

/// The answer, with the reason a person can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub reason: String,
}

fn kinds_text(kinds: &[SeatKind]) -> String {
    if kinds.is_empty() {
        "a seat".into()
    } else {
        kinds
            .iter()
            .map(|k| k.swedish())
            .collect::<Vec<_>>()
            .join(" or ")
    }
}

/// Describes a grant for people (docs and reasons).
pub fn describe(g: &Grant) -> String {
    match g {
        Grant::AnyMember => "any person of a member municipality who holds a role or seat".into(),
        Grant::Owner => "the resource's owner (author, activity owner)".into(),
        Grant::Designated => "a person designated for the resource (adjuster, responsible)".into(),
        Grant::Seat(k) => format!("{} in the resource's forum", kinds_text(k)),
        Grant::OwnSeat => {
            "a seat in the forum, held by a person of the resource's municipality".into()
        }
        Grant::ForumSeat(f, k) => format!("{} in {f}", kinds_text(k)),
        Grant::Role(r) => format!("role {r}"),
        Grant::OwnRole(r) => format!("role {r} in the resource's own municipality"),
        Grant::OwnMunicipality => "a person of the resource's municipality".into(),
        Grant::Newcomer(r) => format!(
            "role {r}, for a municipality that is a member on the date and in which nobody holds {} yet",
            administrator_roles().join(" or ")
        ),
    }
}

fn own_resource(facts: &Facts, target: &Target) -> bool {
    target
        .municipality
        .as_deref()
        .is_none_or(|m| m == facts.tenant)
}

fn holds(facts: &Facts, g: &Grant, target: &Target) -> bool {
    let seat_matches =
        |s: &HeldSeat, kinds: &[SeatKind]| kinds.is_empty() || kinds.contains(&s.kind);
    match *g {
        Grant::AnyMember => facts.is_member,
        Grant::Owner => facts.person_id.is_some() && facts.person_id == target.owner,
        Grant::Designated => facts
            .person_id
            .is_some_and(|p| target.designated.contains(&p)),
        Grant::Seat(kinds) => target.forum_id.is_some_and(|f| {
            facts
                .seats
                .iter()
                .any(|s| s.forum_id == f && seat_matches(s, kinds))
        }),
        Grant::OwnSeat => {
            own_resource(facts, target)
                && target
                    .forum_id
                    .is_some_and(|f| facts.seats.iter().any(|s| s.forum_id == f))
        }
        Grant::ForumSeat(code, kinds) => facts
            .seats
            .iter()
            .any(|s| s.forum_code == code && seat_matches(s, kinds)),
        Grant::Role(code) => facts.roles.iter().any(|r| r.code == code),
        Grant::OwnRole(code) => {
            own_resource(facts, target)
                && facts.roles.iter().any(|r| {
                    r.code == code && r.municipality.as_deref() == Some(facts.tenant.as_str())
                })
        }
        Grant::OwnMunicipality => target.municipality.as_deref() == Some(facts.tenant.as_str()),
        Grant::Newcomer(code) => {
            facts.roles.iter().any(|r| r.code == code)
                && target.municipality.as_deref().is_some_and(|m| {
                    target
                        .newcomer
                        .as_ref()
                        .is_some_and(|n| n.refusal(m).is_none())
                })
        }
    }
}

/// For a principal who holds a [`Grant::Newcomer`] role and was still
/// refused: why the municipality cannot be onboarded (more use to them
/// than the list of grants).
fn newcomer_refusal(p: &Permission, facts: &Facts, target: &Target) -> Option<String> {
    p.grants.iter().find_map(|g| match *g {
        Grant::Newcomer(code) if facts.roles.iter().any(|r| r.code == code) => {
            let m = target.municipality.as_deref().unwrap_or("the municipality");
            Some(match &target.newcomer {
                Some(n) => n.refusal(m)?,
                None => format!("{} needs a municipality to onboard", p.action),
            })
        }
        _ => None,
    })
}

/// Decides `action` for the principal and resource. `None` for an unknown action.
pub fn decide(action: &str, facts: &Facts, target: &Target) -> Option<Decision> {
    let p = permission(action)?;
    if !facts.is_member {
        return Some(Decision {
            allowed: false,
            reason: "the municipality is not a member of the collaboration on this date".into(),
        });
    }
    Some(match p.grants.iter().find(|g| holds(facts, g, target)) {
        Some(g) => Decision {
            allowed: true,
            reason: format!("allowed as {}", describe(g)),
        },
        None => Decision {
            allowed: false,
            reason: newcomer_refusal(p, facts, target).unwrap_or_else(|| {
                format!(
                    "{} requires {}",
                    p.action,
                    p.grants
                        .iter()
                        .map(describe)
                        .collect::<Vec<_>>()
                        .join(", or ")
                )
            }),
        },
    })
}

/// What a call needs beyond the two gates every call passes (a registered
/// person of the municipality; a role assignment or seat on the date).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// A registered person of the municipality, with or without a role or
    /// seat: the one call the second gate lets through (`WhoAmI`).
    Registered,
    /// Any person of a member municipality who holds a role or seat; the
    /// answer holds only what the municipality may see.
    Member,
    /// One of these permission actions, on the resource the handler names
    /// (the note says which where it is not plain).
    Any(&'static [&'static str]),
}

impl Needs {
    /// The actions named, none for [`Needs::Registered`] and [`Needs::Member`].
    pub fn actions(&self) -> &'static [&'static str] {
        match *self {
            Needs::Any(actions) => actions,
            Needs::Registered | Needs::Member => &[],
        }
    }

    /// How `docs/permissions.md` states it.
    pub fn describe(&self) -> String {
        match self {
            Needs::Registered => "registered person".into(),
            Needs::Member => "member".into(),
            Needs::Any(actions) => actions
                .iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(" or "),
        }
    }
}

/// One RPC and what it needs.
#[derive(Debug, Clone, Copy)]
pub struct Call {
    /// The fully qualified service, e.g. `samverkan.roles.v1.RolesService`.
    pub service: &'static str,
    pub method: &'static str,
    pub needs: Needs,
    /// Where the rule is subtler than the action: on what resource, for
    /// whom, what else narrows it. Empty when there is nothing to add.
    pub note: &'static str,
}

impl Call {
    /// `package.Service/Method`, as the descriptor set and the isolation
    /// matrix name it.
    pub fn full_method(&self) -> String {
        format!("{}/{}", self.service, self.method)
    }
}

const fn call(
    service: &'static str,
    method: &'static str,
    needs: Needs,
    note: &'static str,
) -> Call {
    Call {
        service,
        method,
        needs,
        note,
    }
}

const MEMBER: Needs = Needs::Member;
const EDIT: Needs = Needs::Any(&["costmodel.edit"]);
const PUBLISH: Needs = Needs::Any(&["pricelists.publish"]);
const REVISE: Needs = Needs::Any(&["agreements.revise"]);
const RECORD: Needs = Needs::Any(&["minutes.record"]);
const MANAGE_MEETINGS: Needs = Needs::Any(&["meetings.manage"]);
const MANAGE_MEMBERS: Needs = Needs::Any(&["members.manage"]);
const MANAGE_FORUMS: Needs = Needs::Any(&["forums.manage"]);
const SECRETARY_OR_RESPONSIBLE: Needs = Needs::Any(&["minutes.record", "activities.update"]);
const SECRETARY_OR_RESPONSIBLE_NOTE: &str = "the decision's forum's sekreterare, or the decision's responsible person (`activities.update` as designated)";

/// What every RPC of every service needs, in the order of the proto files.
/// A test holds it to the descriptor set, and the isolation matrix to what
/// the services do.
pub const CALLS: &[Call] = &[
    // samverkan.roles.v1.RolesService
    call(
        ROLES,
        "WhoAmI",
        Needs::Registered,
        "the only call open to a person without a role or seat",
    ),
    call(
        ROLES,
        "ListMunicipalities",
        MEMBER,
        "the members of the caller's collaborations, and the caller's own municipality",
    ),
    call(
        ROLES,
        "GetMunicipality",
        MEMBER,
        "the caller's own municipality or a peer",
    ),
    call(
        ROLES,
        "CreateMunicipality",
        MANAGE_MEMBERS,
        "in the collaboration joined",
    ),
    call(
        ROLES,
        "UpdateMunicipality",
        Needs::Any(&["municipalities.update"]),
        "one's own municipality only",
    ),
    call(
        ROLES,
        "ListCollaborations",
        MEMBER,
        "the caller's municipality's memberships",
    ),
    call(
        ROLES,
        "GetCollaboration",
        MEMBER,
        "one of the caller's collaborations",
    ),
    call(
        ROLES,
        "UpdateCollaboration",
        MANAGE_MEMBERS,
        "in that collaboration",
    ),
    call(ROLES, "ListMembers", MEMBER, ""),
    call(
        ROLES,
        "EndMembership",
        MANAGE_MEMBERS,
        "in that collaboration",
    ),
    call(
        ROLES,
        "ListPeople",
        MEMBER,
        "the people of the caller's municipality and its peers",
    ),
    call(
        ROLES,
        "GetPerson",
        MEMBER,
        "a person of the caller's municipality or a peer",
    ),
    call(
        ROLES,
        "CreatePerson",
        Needs::Any(&["people.manage", "members.onboard"]),
        "`people.manage` for a person of one's own municipality; `members.onboard` for another member municipality's first administrator (`person.municipality_id`)",
    ),
    call(
        ROLES,
        "UpdatePerson",
        Needs::Any(&["people.manage"]),
        "a person of one's own municipality only",
    ),
    call(ROLES, "ListRoles", MEMBER, ""),
    call(
        ROLES,
        "CreateMandate",
        MANAGE_FORUMS,
        "in the collaboration of the role or forum",
    ),
    call(ROLES, "ListMandates", MEMBER, ""),
    call(
        ROLES,
        "CreateAssignment",
        Needs::Any(&[
            "roles.assign_municipal",
            "roles.assign_it",
            "members.onboard",
        ]),
        "`roles.assign_municipal` for a municipal role, in the municipality it is held in; `roles.assign_it` for an IT-department role; `members.onboard` for another municipality's first kommunchef or personalchef",
    ),
    call(
        ROLES,
        "EndAssignment",
        Needs::Any(&["roles.assign_municipal", "roles.assign_it"]),
        "by the role's scope, as for `CreateAssignment`",
    ),
    call(ROLES, "ListAssignments", MEMBER, ""),
    call(ROLES, "ListForums", MEMBER, ""),
    call(ROLES, "GetForum", MEMBER, ""),
    call(
        ROLES,
        "CreateSeat",
        MANAGE_FORUMS,
        "in the forum's collaboration",
    ),
    call(
        ROLES,
        "EndSeat",
        MANAGE_FORUMS,
        "in the seat's collaboration",
    ),
    call(ROLES, "GetForumComposition", MEMBER, ""),
    call(
        ROLES,
        "CheckPermission",
        MEMBER,
        "answers for the caller only",
    ),
    // samverkan.forums.v1.ForumsService
    call(FORUMS, "CreateMatter", Needs::Any(&["matters.draft"]), ""),
    call(
        FORUMS,
        "GetMatter",
        MEMBER,
        "a draft only to its municipality's people",
    ),
    call(
        FORUMS,
        "ListMatters",
        MEMBER,
        "drafts only to their municipality's people",
    ),
    call(
        FORUMS,
        "UpdateMatter",
        Needs::Any(&["matters.draft"]),
        "own drafts: the author only, while it is a draft",
    ),
    call(
        FORUMS,
        "SubmitMatter",
        Needs::Any(&["matters.submit"]),
        "in the forum submitted to, for the draft's municipality; the author submits their own draft without asking",
    ),
    call(
        FORUMS,
        "WithdrawMatter",
        Needs::Any(&["matters.draft"]),
        "own drafts: the author only",
    ),
    call(
        FORUMS,
        "EscalateMatter",
        Needs::Any(&["matters.escalate"]),
        "in the forum the matter is with",
    ),
    call(FORUMS, "ListAgendaBacklog", MEMBER, ""),
    call(
        FORUMS,
        "CreateMeeting",
        MANAGE_MEETINGS,
        "in the meeting's forum",
    ),
    call(FORUMS, "GetMeeting", MEMBER, ""),
    call(FORUMS, "ListMeetings", MEMBER, ""),
    call(
        FORUMS,
        "AddAgendaItem",
        MANAGE_MEETINGS,
        "in the meeting's forum",
    ),
    call(
        FORUMS,
        "PublishAgenda",
        MANAGE_MEETINGS,
        "in the meeting's forum",
    ),
    call(
        FORUMS,
        "CreateNote",
        Needs::Any(&["notes.write"]),
        "in the meeting's forum, for the caller's own municipality",
    ),
    call(
        FORUMS,
        "ListNotes",
        MEMBER,
        "the caller's own municipality's notes",
    ),
    call(
        FORUMS,
        "CreateDocument",
        MANAGE_MEETINGS,
        "on a matter, its author adds documents without asking (to a draft: the author only); otherwise in the forum of the matter or of the agenda item's meeting",
    ),
    call(
        FORUMS,
        "GetDocument",
        MEMBER,
        "a draft's documents only to its municipality's people",
    ),
    call(
        FORUMS,
        "ListDocuments",
        MEMBER,
        "a draft's documents only to its municipality's people",
    ),
    call(FORUMS, "RecordAttendance", RECORD, "in the meeting's forum"),
    call(FORUMS, "AddParagraph", RECORD, "in the meeting's forum"),
    call(
        FORUMS,
        "DesignateAdjusters",
        RECORD,
        "in the meeting's forum",
    ),
    call(
        FORUMS,
        "AdjustMinutes",
        Needs::Any(&["minutes.adjust"]),
        "the meeting's designated adjusters",
    ),
    call(
        FORUMS,
        "AddCorrection",
        RECORD,
        "in the recording meeting's forum",
    ),
    call(FORUMS, "GetMinutes", MEMBER, ""),
    call(FORUMS, "WatchMeeting", MEMBER, ""),
    call(FORUMS, "ExportMeeting", MEMBER, ""),
    // samverkan.decisions.v1.DecisionsService
    call(
        DECISIONS,
        "RegisterDecision",
        RECORD,
        "in the decision's forum",
    ),
    call(DECISIONS, "GetDecision", MEMBER, ""),
    call(DECISIONS, "ListDecisions", MEMBER, ""),
    call(
        DECISIONS,
        "UpdateDecision",
        RECORD,
        "in the decision's forum",
    ),
    call(
        DECISIONS,
        "SetDecisionStatus",
        SECRETARY_OR_RESPONSIBLE,
        SECRETARY_OR_RESPONSIBLE_NOTE,
    ),
    call(
        DECISIONS,
        "CreateFollowUp",
        RECORD,
        "in the decision's forum",
    ),
    call(
        DECISIONS,
        "RecordFollowUp",
        RECORD,
        "in the follow-up's forum",
    ),
    call(DECISIONS, "ListFollowUps", MEMBER, ""),
    call(
        DECISIONS,
        "CreateActionPlan",
        SECRETARY_OR_RESPONSIBLE,
        SECRETARY_OR_RESPONSIBLE_NOTE,
    ),
    call(DECISIONS, "GetActionPlan", MEMBER, ""),
    call(
        DECISIONS,
        "AddActivity",
        SECRETARY_OR_RESPONSIBLE,
        SECRETARY_OR_RESPONSIBLE_NOTE,
    ),
    call(
        DECISIONS,
        "UpdateActivity",
        Needs::Any(&["activities.update"]),
        "the activity's owner or the decision's responsible person",
    ),
    call(DECISIONS, "ListDue", MEMBER, ""),
    call(DECISIONS, "GetTrail", MEMBER, ""),
    // samverkan.costmodel.v1.CostModelService
    call(COSTMODEL, "CreateCatalogueService", EDIT, ""),
    call(COSTMODEL, "ListCatalogueServices", MEMBER, ""),
    call(COSTMODEL, "CreatePriceList", EDIT, ""),
    call(COSTMODEL, "GetPriceList", MEMBER, ""),
    call(COSTMODEL, "ListPriceLists", MEMBER, ""),
    call(
        COSTMODEL,
        "UpdatePriceList",
        EDIT,
        "in the price list's collaboration",
    ),
    call(
        COSTMODEL,
        "ProposePriceList",
        EDIT,
        "in the price list's collaboration",
    ),
    call(
        COSTMODEL,
        "DecidePriceList",
        PUBLISH,
        "in the price list's collaboration",
    ),
    call(
        COSTMODEL,
        "PublishPriceList",
        PUBLISH,
        "in the price list's collaboration",
    ),
    call(COSTMODEL, "CreateAllocationKey", EDIT, ""),
    call(COSTMODEL, "ListAllocationKeys", MEMBER, ""),
    call(COSTMODEL, "RecordDriverSnapshot", EDIT, ""),
    call(COSTMODEL, "ListDriverSnapshots", MEMBER, ""),
    call(COSTMODEL, "RecordVolume", EDIT, ""),
    call(COSTMODEL, "RecordDirectCharge", EDIT, ""),
    call(COSTMODEL, "IssueBills", EDIT, ""),
    call(
        COSTMODEL,
        "ComputeBill",
        MEMBER,
        "every member's total; the per-unit lines only with `costdetail.read` for the bill's municipality",
    ),
    call(
        COSTMODEL,
        "ExplainChange",
        Needs::Any(&["costdetail.read"]),
        "for the municipality named (`NOT_FOUND` without it)",
    ),
    call(
        COSTMODEL,
        "ExportCsv",
        Needs::Any(&["costdetail.read"]),
        "for the municipality named (`NOT_FOUND` without it)",
    ),
    call(COSTMODEL, "Reconcile", EDIT, ""),
    call(COSTMODEL, "CreateScenario", EDIT, ""),
    call(COSTMODEL, "RunScenario", MEMBER, ""),
    // samverkan.agreements.v1.AgreementsService
    call(AGREEMENTS, "CreateAgreement", REVISE, ""),
    call(AGREEMENTS, "ListAgreements", MEMBER, ""),
    call(AGREEMENTS, "GetVersion", MEMBER, ""),
    call(AGREEMENTS, "ListVersions", MEMBER, ""),
    call(
        AGREEMENTS,
        "UpdateVersion",
        REVISE,
        "in the agreement's collaboration",
    ),
    call(AGREEMENTS, "DiffVersions", MEMBER, ""),
    call(
        AGREEMENTS,
        "OpenRevision",
        REVISE,
        "in the agreement's collaboration",
    ),
    call(
        AGREEMENTS,
        "GetRevision",
        MEMBER,
        "each member sees its own draft approval",
    ),
    call(AGREEMENTS, "ListRevisions", MEMBER, ""),
    call(
        AGREEMENTS,
        "AdvanceRevision",
        REVISE,
        "in the revision's collaboration",
    ),
    call(
        AGREEMENTS,
        "CreateProposal",
        Needs::Any(&["proposals.draft"]),
        "for the caller's own municipality",
    ),
    call(
        AGREEMENTS,
        "SubmitProposal",
        Needs::Any(&["proposals.draft"]),
        "for the proposal's municipality",
    ),
    call(
        AGREEMENTS,
        "ListProposals",
        MEMBER,
        "a municipality's drafts only to its own people; submitted proposals to every member's",
    ),
    call(
        AGREEMENTS,
        "ResolveProposal",
        REVISE,
        "in the revision's collaboration",
    ),
    call(
        AGREEMENTS,
        "ConsolidateRevision",
        REVISE,
        "in the revision's collaboration",
    ),
    call(
        AGREEMENTS,
        "RecordRevisionDecision",
        REVISE,
        "in the revision's collaboration",
    ),
    call(
        AGREEMENTS,
        "CreateApproval",
        Needs::Any(&["approvals.record"]),
        "for the caller's own municipality",
    ),
    call(
        AGREEMENTS,
        "RecordApproval",
        Needs::Any(&["approvals.record"]),
        "for the approval's municipality",
    ),
];

/// The entry for `full_method` (`package.Service/Method`).
pub fn call_for(full_method: &str) -> Option<&'static Call> {
    CALLS.iter().find(|c| {
        full_method
            .strip_prefix(c.service)
            .and_then(|rest| rest.strip_prefix('/'))
            == Some(c.method)
    })
}

/// Whether the call at `rpc` (a gRPC path, `/package.Service/Method`)
/// needs only membership ([`Needs::Member`]): it reads what the caller's
/// municipality may see. These are what a former member's people may call.
pub fn reads_only(rpc: &str) -> bool {
    call_for(rpc.strip_prefix('/').unwrap_or(rpc)).is_some_and(|c| matches!(c.needs, Needs::Member))
}

/// Whether every person of the resource's municipality holds `action`,
/// role or seat or not: it has a grant that asks for neither
/// ([`Grant::AnyMember`], [`Grant::OwnMunicipality`]). A call that needs
/// only such actions is open to any person of a member municipality past
/// the two gates, like a [`Needs::Member`] read (`CreateMatter`,
/// `ExplainChange` of one's own municipality).
pub fn held_without_role(action: &str) -> bool {
    permission(action).is_some_and(|p| {
        p.grants
            .iter()
            .any(|g| matches!(g, Grant::AnyMember | Grant::OwnMunicipality))
    })
}

/// `docs/permissions.md`, rendered from [`PERMISSIONS`].
pub fn render_markdown() -> String {
    let mut s = String::from(
        "# Permissions\n\n\
         Rendered from `services/roles/src/domain/permissions.rs` (a test fails when this file and the \
         table differ; regenerate with `SAMVERKAN_WRITE_DOCS=1 cargo test -p samverkan-roles permissions_doc`).\n\n\
         What a person may do follows from their role assignments and seats on the request's date, never from the \
         token. \"Own\" means of the principal's own municipality. An action is allowed when any one of its grants \
         holds; a municipality that is not a member of the collaboration on the date is allowed nothing.\n\n\
         Before any of this, every call passes two gates (`crates/auth`, with the registry in the roles service):\n\n\
         1. **A registered person.** The token's issuer must be trusted for the municipality the token is for, and \
         the municipality must have registered a person with the token's subject (e.g. Entra ID's `oid`); \
         otherwise `UNAUTHENTICATED` or `PERMISSION_DENIED`, with nothing read.\n\
         2. **No assignment, no data.** A registered person who holds no role assignment and no forum seat on the \
         request's date may call `WhoAmI` and nothing else (`PERMISSION_DENIED`). Every read that does not name a \
         permission (**member** under \"What each call needs\" below) — the collaboration's meetings, matters, minutes, decisions, agreements, cost model and \
         register of people — is open to any person of a member municipality who holds at least one role or seat, \
         and shows only what that municipality may see. A municipality that has left every collaboration it was in \
         keeps these reads, for what was recorded up to its last day of membership, and nothing else (ADR 0013).\n\n\
         | action | what | who |\n|---|---|---|\n",
    );
    for p in PERMISSIONS {
        let who = p
            .grants
            .iter()
            .map(describe)
            .collect::<Vec<_>>()
            .join("; or ");
        s.push_str(&format!(
            "| `{}` | {} | {} |\n",
            p.action, p.description, who
        ));
    }
    s.push_str(
        "\n## What each call needs\n\n\
         Every RPC of every service, past the two gates above. **registered person**: any registered person \
         of the municipality, with or without a role or seat (`WhoAmI` only). **member**: any person of a \
         member municipality who holds a role or seat; the answer holds only what that municipality may see. \
         An action (`a` or `b`: either one): the action in the table above, on the resource the note names; \
         a person without it gets `PERMISSION_DENIED`, or `NOT_FOUND` for a resource they may not see.\n",
    );
    let mut services: Vec<&str> = Vec::new();
    for c in CALLS {
        if !services.contains(&c.service) {
            services.push(c.service);
        }
    }
    for service in services {
        s.push_str(&format!(
            "\n### `{service}`\n\n| call | needs |\n|---|---|\n"
        ));
        for c in CALLS.iter().filter(|c| c.service == service) {
            let needs = c.needs.describe();
            if c.note.is_empty() {
                s.push_str(&format!("| `{}` | {needs} |\n", c.method));
            } else {
                s.push_str(&format!("| `{}` | {needs} — {} |\n", c.method, c.note));
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(tenant: &str) -> Facts {
        Facts {
            is_member: true,
            tenant: tenant.into(),
            person_id: Some(Uuid::from_u128(1)),
            ..Default::default()
        }
    }

    #[test]
    fn every_action_is_unique() {
        let mut actions: Vec<_> = PERMISSIONS.iter().map(|p| p.action).collect();
        actions.sort_unstable();
        let n = actions.len();
        actions.dedup();
        assert_eq!(actions.len(), n);
    }

    #[test]
    fn own_role_is_scoped_to_own_municipality() {
        let mut f = facts("tranemo");
        f.roles.push(HeldRole {
            code: INFOSAK_SAMORDNARE_FOR_TEST.into(),
            municipality: Some("tranemo".into()),
        });
        f.roles.push(HeldRole {
            code: KOMMUNCHEF.into(),
            municipality: Some("tranemo".into()),
        });
        let own = Target {
            municipality: Some("tranemo".into()),
            ..Default::default()
        };
        let other = Target {
            municipality: Some("ulricehamn".into()),
            ..Default::default()
        };
        assert!(decide("roles.assign_municipal", &f, &own).unwrap().allowed);
        let d = decide("roles.assign_municipal", &f, &other).unwrap();
        assert!(!d.allowed);
        assert!(d.reason.contains("kommunchef"), "{}", d.reason);
    }

    const INFOSAK_SAMORDNARE_FOR_TEST: &str = super::super::catalogue::INFOSAK_SAMORDNARE;

    #[test]
    fn seats_grant_in_their_forum_only() {
        let forum = Uuid::from_u128(10);
        let mut f = facts("ulricehamn");
        f.seats.push(HeldSeat {
            forum_id: forum,
            forum_code: STYRGRUPPEN.into(),
            kind: SeatKind::Secretary,
        });
        let here = Target {
            forum_id: Some(forum),
            ..Default::default()
        };
        let elsewhere = Target {
            forum_id: Some(Uuid::from_u128(11)),
            ..Default::default()
        };
        assert!(decide("minutes.record", &f, &here).unwrap().allowed);
        assert!(!decide("minutes.record", &f, &elsewhere).unwrap().allowed);
        assert!(
            decide("pricelists.publish", &f, &elsewhere)
                .unwrap()
                .allowed
        );
    }

    #[test]
    fn non_members_get_nothing() {
        let mut f = facts("boras");
        f.is_member = false;
        assert!(
            !decide("matters.draft", &f, &Target::default())
                .unwrap()
                .allowed
        );
        assert!(
            decide("matters.draft", &facts("tranemo"), &Target::default())
                .unwrap()
                .allowed
        );
    }

    #[test]
    fn designated_and_owner() {
        let f = facts("tranemo");
        let me = f.person_id.unwrap();
        let t = Target {
            designated: vec![me],
            ..Default::default()
        };
        assert!(decide("minutes.adjust", &f, &t).unwrap().allowed);
        assert!(
            !decide("minutes.adjust", &f, &Target::default())
                .unwrap()
                .allowed
        );
        let t = Target {
            owner: Some(me),
            ..Default::default()
        };
        assert!(decide("activities.update", &f, &t).unwrap().allowed);
    }

    #[test]
    fn a_former_member_reads_and_calls_nothing_else() {
        assert!(reads_only(
            "/samverkan.forums.v1.ForumsService/ListMeetings"
        ));
        assert!(reads_only(
            "/samverkan.costmodel.v1.CostModelService/ComputeBill"
        ));
        assert!(!reads_only(
            "/samverkan.forums.v1.ForumsService/CreateMatter"
        ));
        assert!(!reads_only(
            "/samverkan.costmodel.v1.CostModelService/ExplainChange"
        ));
        assert!(!reads_only("/samverkan.roles.v1.RolesService/WhoAmI"));
        assert!(!reads_only("/samverkan.forums.v1.ForumsService/NoSuchCall"));
    }

    #[test]
    fn permissions_doc_matches_the_table() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/permissions.md");
        let rendered = render_markdown();
        if std::env::var("SAMVERKAN_WRITE_DOCS").is_ok_and(|v| v == "1") {
            std::fs::write(path, &rendered).unwrap();
        }
        let on_disk = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            on_disk == rendered,
            "docs/permissions.md differs from the permission table; regenerate with \
             SAMVERKAN_WRITE_DOCS=1 cargo test -p samverkan-roles permissions_doc"
        );
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn onboarding(memberships: Vec<(NaiveDate, Option<NaiveDate>)>, admins: &[&str]) -> Target {
        Target {
            municipality: Some("svenljunga".into()),
            newcomer: Some(Newcomer {
                on: d(2027, 3, 1),
                memberships,
                administrators: admins.iter().map(|a| a.to_string()).collect(),
            }),
            ..Default::default()
        }
    }

    #[test]
    fn administrators_register_people_and_assign_roles() {
        assert_eq!(administrator_roles(), vec![KOMMUNCHEF, PERSONALCHEF]);
    }

    #[test]
    fn the_collaboration_administrator_onboards_a_member_without_an_administrator() {
        let mut admin = facts("ulricehamn");
        admin.roles.push(HeldRole {
            code: SAMVERKANSADMINISTRATOR.into(),
            municipality: None,
        });
        let member = onboarding(vec![(d(2027, 1, 1), None)], &[]);
        assert!(decide("members.onboard", &admin, &member).unwrap().allowed);
        assert!(
            decide("members.manage", &admin, &Target::default())
                .unwrap()
                .allowed
        );

        // Dated: not before the join date, not after leaving.
        let later = onboarding(vec![(d(2027, 6, 1), None)], &[]);
        let no = decide("members.onboard", &admin, &later).unwrap();
        assert!(!no.allowed);
        assert!(no.reason.contains("until 2027-06-01"), "{}", no.reason);
        let left = onboarding(vec![(d(2025, 1, 1), Some(d(2026, 12, 31)))], &[]);
        assert!(!decide("members.onboard", &admin, &left).unwrap().allowed);

        // Once an administrator is held, the municipality manages itself.
        let done = onboarding(vec![(d(2027, 1, 1), None)], &[KOMMUNCHEF]);
        let no = decide("members.onboard", &admin, &done).unwrap();
        assert!(!no.allowed);
        assert!(
            no.reason
                .contains("already has an administrator (kommunchef)"),
            "{}",
            no.reason
        );

        // Without the facts about the newcomer nothing is allowed.
        let bare = Target {
            municipality: Some("svenljunga".into()),
            ..Default::default()
        };
        assert!(!decide("members.onboard", &admin, &bare).unwrap().allowed);
    }

    #[test]
    fn onboarding_needs_the_role() {
        let mut kommunchef = facts("tranemo");
        kommunchef.roles.push(HeldRole {
            code: KOMMUNCHEF.into(),
            municipality: Some("tranemo".into()),
        });
        let member = onboarding(vec![(d(2027, 1, 1), None)], &[]);
        let no = decide("members.onboard", &kommunchef, &member).unwrap();
        assert!(!no.allowed);
        assert!(
            no.reason.contains("samverkansadministrator"),
            "{}",
            no.reason
        );
        assert!(
            !decide("members.manage", &kommunchef, &Target::default())
                .unwrap()
                .allowed
        );
    }

    /// The fields of `google.protobuf.FileDescriptorSet` that name RPCs
    /// (prost skips the rest).
    mod descriptor {
        #[derive(Clone, PartialEq, prost::Message)]
        pub struct FileDescriptorSet {
            #[prost(message, repeated, tag = "1")]
            pub file: Vec<File>,
        }

        #[derive(Clone, PartialEq, prost::Message)]
        pub struct File {
            #[prost(string, optional, tag = "2")]
            pub package: Option<String>,
            #[prost(message, repeated, tag = "6")]
            pub service: Vec<Service>,
        }

        #[derive(Clone, PartialEq, prost::Message)]
        pub struct Service {
            #[prost(string, optional, tag = "1")]
            pub name: Option<String>,
            #[prost(message, repeated, tag = "2")]
            pub method: Vec<Method>,
        }

        #[derive(Clone, PartialEq, prost::Message)]
        pub struct Method {
            #[prost(string, optional, tag = "1")]
            pub name: Option<String>,
        }
    }

    /// Every RPC of the `samverkan.*` services, as `package.Service/Method`.
    fn rpcs_in_descriptor_set() -> std::collections::BTreeSet<String> {
        use prost::Message as _;
        let set = descriptor::FileDescriptorSet::decode(samverkan_proto::FILE_DESCRIPTOR_SET)
            .expect("descriptor set decodes");
        let mut out = std::collections::BTreeSet::new();
        for file in set.file {
            let package = file.package.unwrap_or_default();
            if !package.starts_with("samverkan.") {
                continue;
            }
            for svc in &file.service {
                for m in &svc.method {
                    out.insert(format!(
                        "{package}.{}/{}",
                        svc.name.as_deref().unwrap_or_default(),
                        m.name.as_deref().unwrap_or_default()
                    ));
                }
            }
        }
        out
    }

    #[test]
    fn every_rpc_is_in_calls_once() {
        let rpcs = rpcs_in_descriptor_set();
        assert!(rpcs.len() > 100, "only {} RPCs decoded", rpcs.len());
        let mut seen = std::collections::BTreeMap::<String, usize>::new();
        for c in CALLS {
            *seen.entry(c.full_method()).or_default() += 1;
        }
        let missing: Vec<_> = rpcs.iter().filter(|m| !seen.contains_key(*m)).collect();
        let unknown: Vec<_> = seen.keys().filter(|m| !rpcs.contains(*m)).collect();
        let doubled: Vec<_> = seen
            .iter()
            .filter(|(_, n)| **n > 1)
            .map(|(m, _)| m)
            .collect();
        assert!(
            missing.is_empty() && unknown.is_empty() && doubled.is_empty(),
            "CALLS out of step with the descriptor set:\n  RPCs not in CALLS: {missing:#?}\n  \
             entries for no RPC: {unknown:#?}\n  RPCs listed twice: {doubled:#?}"
        );
        for c in CALLS {
            assert_eq!(call_for(&c.full_method()).map(|f| f.method), Some(c.method));
        }
    }

    #[test]
    fn calls_name_actions_of_the_table() {
        for c in CALLS {
            if let Needs::Any(actions) = c.needs {
                assert!(!actions.is_empty(), "{}: Needs::Any of nothing", c.method);
                for a in actions {
                    assert!(permission(a).is_some(), "{}: unknown action {a}", c.method);
                }
            }
        }
        let unused: Vec<_> = PERMISSIONS
            .iter()
            .map(|p| p.action)
            .filter(|a| !CALLS.iter().any(|c| c.needs.actions().contains(a)))
            .collect();
        assert!(unused.is_empty(), "actions no call needs: {unused:?}");
    }

    /// Mirrors `OPEN_WITHOUT_ASSIGNMENT` in crates/auth/src/layer.rs.
    #[test]
    // The auth layer's own list (`OPEN_WITHOUT_ASSIGNMENT`) is compared
    // with this in the isolation test, which sees both crates.
    fn only_who_am_i_is_open_to_a_registered_person() {
        let registered: Vec<_> = CALLS
            .iter()
            .filter(|c| c.needs == Needs::Registered)
            .map(Call::full_method)
            .collect();
        assert_eq!(registered, vec!["samverkan.roles.v1.RolesService/WhoAmI"]);
    }

    #[test]
    fn actions_held_without_a_role() {
        assert!(held_without_role("matters.draft"));
        assert!(held_without_role("costdetail.read"));
        assert!(!held_without_role("matters.submit"));
        assert!(!held_without_role("costmodel.edit"));
        assert!(!held_without_role("world.domination"));
    }

    #[test]
    fn unknown_actions_are_none() {
        assert!(decide("world.domination", &facts("tranemo"), &Target::default()).is_none());
    }
}
