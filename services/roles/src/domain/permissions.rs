//! Who may do what (DESIGN.md §4): declared once, as a table, evaluated
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
         permission below — the collaboration's meetings, matters, minutes, decisions, agreements, cost model and \
         register of people — is open to any person of a member municipality who holds at least one role or seat, \
         and shows only what that municipality may see.\n\n\
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

    #[test]
    fn unknown_actions_are_none() {
        assert!(decide("world.domination", &facts("tranemo"), &Target::default()).is_none());
    }
}
