//! Onboarding and offboarding a member municipality, step by step (issue
//! 18): add the member from its join date, register its first
//! administrator, give them their role; that administrator then registers
//! the rest with the same commands. Leaving ends the membership and, with
//! it, the leaver's role assignments and seats.

use anyhow::anyhow;
use clap::Subcommand;

use samverkan_proto::roles::v1 as rpb;

use super::output::{Col, Report, col, date};
use super::{Ctx, explain, parse_date, request_id};

#[derive(Subcommand, Debug)]
pub enum MembersCommand {
    /// The collaboration's member municipalities (today, or with --history).
    List {
        /// The collaboration's id (default: your municipality's only one).
        #[arg(long, default_value = "")]
        collaboration: String,
        /// Former and future members too.
        #[arg(long)]
        history: bool,
    },
    /// Add a member municipality from its join date, with the decision
    /// (samverkansadministratör or IT-styrgruppen's secretary).
    Add {
        /// The municipality's code, e.g. svenljunga.
        #[arg(long)]
        id: String,
        /// Its name, e.g. "Svenljunga kommun".
        #[arg(long)]
        name: String,
        /// Its organisation number, NNNNNN-NNNN.
        #[arg(long, default_value = "")]
        organisation_number: String,
        /// First day of membership, e.g. 2027-01-01.
        #[arg(long)]
        joined_on: String,
        /// The decision that admitted it, e.g. "IT-styrgruppen 2026-11-20 § 41".
        #[arg(long)]
        decision: String,
        /// The collaboration's id (default: your municipality's only one).
        #[arg(long, default_value = "")]
        collaboration: String,
    },
    /// End a municipality's membership; its role assignments and seats in
    /// the collaboration end on the same day.
    End {
        /// The leaving municipality's code.
        #[arg(long)]
        municipality: String,
        /// Its last day of membership, e.g. 2028-12-31.
        #[arg(long)]
        left_on: String,
        /// The decision.
        #[arg(long)]
        decision: String,
        /// The collaboration's id (default: your municipality's only one).
        #[arg(long, default_value = "")]
        collaboration: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum PeopleCommand {
    /// Register a person: of your own municipality, or (as
    /// samverkansadministratör) the first administrator of a new member.
    Add {
        /// Full name, e.g. "Greta Lind".
        #[arg(long)]
        name: String,
        /// E-mail address.
        #[arg(long)]
        email: String,
        /// The identity provider's subject (default: the e-mail address).
        #[arg(long, default_value = "")]
        subject: String,
        /// The employing municipality (default: your own).
        #[arg(long, default_value = "")]
        municipality: String,
    },
    /// Link a person of your municipality to their identity provider's
    /// stable id (e.g. Entra ID's oid): from then on only a token with that
    /// subject is theirs.
    Link {
        /// The person, by e-mail or id.
        #[arg(long)]
        person: String,
        /// The new subject.
        #[arg(long)]
        subject: String,
    },
    /// People of your municipality and its fellow members.
    List {
        /// Only this municipality's.
        #[arg(long, default_value = "")]
        municipality: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum RolesCommand {
    /// Give a person a role from a date, with the decision.
    Assign {
        /// The person, by e-mail or id.
        #[arg(long)]
        person: String,
        /// The role's code, e.g. kommunchef (see docs/permissions.md).
        #[arg(long)]
        role: String,
        /// For a municipal role: the municipality it is held in.
        #[arg(long, default_value = "")]
        municipality: String,
        /// For a municipal role: the section, if any.
        #[arg(long, default_value = "")]
        section: String,
        /// First day, e.g. 2027-01-01.
        #[arg(long)]
        from: String,
        /// Last day, if known.
        #[arg(long)]
        to: Option<String>,
        /// The decision that made it.
        #[arg(long)]
        decision: String,
        /// The collaboration's id (default: your municipality's only one).
        #[arg(long, default_value = "")]
        collaboration: String,
    },
}

const MEMBER_COLS: [Col; 4] = [
    col("municipality", "Kommun"),
    col("joined_on", "Medlem från"),
    col("left_on", "Medlem till"),
    col("collaboration", "Samverkan"),
];

fn member_row(m: &rpb::Membership) -> Vec<String> {
    vec![
        m.municipality_id.clone(),
        date(m.joined_on.as_ref()),
        date(m.left_on.as_ref()),
        m.collaboration
            .as_ref()
            .map(|c| c.name.clone())
            .unwrap_or_default(),
    ]
}

const PERSON_COLS: [Col; 4] = [
    col("name", "Namn"),
    col("email", "E-post"),
    col("municipality", "Kommun"),
    col("id", "Id"),
];

fn person_row(p: &rpb::Person) -> Vec<String> {
    vec![
        p.display_name.clone(),
        p.email.clone(),
        p.municipality_id.clone(),
        p.id.clone(),
    ]
}

const ASSIGNMENT_COLS: [Col; 6] = [
    col("person", "Person"),
    col("role", "Roll"),
    col("municipality", "Kommun"),
    col("valid_from", "Från"),
    col("valid_to", "Till"),
    col("id", "Id"),
];

fn assignment_row(a: &rpb::Assignment, person: &str) -> Vec<String> {
    vec![
        person.to_owned(),
        a.role_code.clone(),
        a.municipality_id.clone(),
        date(a.valid_from.as_ref()),
        date(a.valid_to.as_ref()),
        a.id.clone(),
    ]
}

pub async fn members(ctx: &Ctx, cmd: MembersCommand) -> anyhow::Result<Report> {
    match cmd {
        MembersCommand::List {
            collaboration,
            history,
        } => {
            let list = ctx
                .roles()
                .list_members(ctx.req(rpb::ListMembersRequest {
                    collaboration_id: collaboration,
                    include_history: history,
                    ..Default::default()
                }))
                .await
                .map_err(|s| explain(s, "list the members"))?
                .into_inner()
                .memberships;
            Ok(Report::default().table(
                "members",
                MEMBER_COLS.to_vec(),
                list.iter().map(member_row).collect(),
            ))
        }
        MembersCommand::Add {
            id,
            name,
            organisation_number,
            joined_on,
            decision,
            collaboration,
        } => {
            let created = ctx
                .roles()
                .create_municipality(ctx.req(rpb::CreateMunicipalityRequest {
                    request_id: request_id(),
                    municipality: Some(rpb::Municipality {
                        id,
                        name,
                        organisation_number,
                        ..Default::default()
                    }),
                    collaboration_id: collaboration,
                    joined_on: Some(parse_date(&joined_on)?),
                    decision_ref: decision,
                }))
                .await
                .map_err(|s| explain(s, "add the member municipality"))?
                .into_inner();
            let m = created
                .municipality
                .ok_or_else(|| anyhow!("the server answered without a municipality"))?;
            let membership = created
                .membership
                .ok_or_else(|| anyhow!("the server answered without a membership"))?;
            Ok(Report::default()
                .line(format!(
                    "{} är medlem från {} / member from that day. Nästa steg: registrera kommunens första administratör med `samverkan people add --municipality {}`",
                    m.name,
                    date(membership.joined_on.as_ref()),
                    m.id
                ))
                .table("membership", MEMBER_COLS.to_vec(), vec![member_row(&membership)]))
        }
        MembersCommand::End {
            municipality,
            left_on,
            decision,
            collaboration,
        } => {
            let ended = ctx
                .roles()
                .end_membership(ctx.req(rpb::EndMembershipRequest {
                    collaboration_id: collaboration,
                    municipality_id: municipality.clone(),
                    left_on: Some(parse_date(&left_on)?),
                    decision_ref: decision,
                }))
                .await
                .map_err(|s| explain(s, "end the membership"))?
                .into_inner();
            let membership = ended
                .membership
                .ok_or_else(|| anyhow!("the server answered without a membership"))?;
            let names = person_names(ctx).await?;
            let name = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_owned());
            Ok(Report::default()
                .line(format!(
                    "Medlemskapet för {municipality} upphör {} / membership ended; {} och {} avslutade samma dag",
                    date(membership.left_on.as_ref()),
                    count(ended.ended_assignments.len(), "rolltilldelning", "rolltilldelningar"),
                    count(ended.ended_seats.len(), "plats", "platser"),
                ))
                .table("membership", MEMBER_COLS.to_vec(), vec![member_row(&membership)])
                .table(
                    "ended_assignments",
                    ASSIGNMENT_COLS.to_vec(),
                    ended
                        .ended_assignments
                        .iter()
                        .map(|a| assignment_row(a, &name(&a.person_id)))
                        .collect(),
                ))
        }
    }
}

/// Display names by person id, of everyone the caller may see.
async fn person_names(ctx: &Ctx) -> anyhow::Result<std::collections::HashMap<String, String>> {
    Ok(ctx
        .people()
        .await?
        .into_iter()
        .map(|p| (p.id, p.display_name))
        .collect())
}

pub async fn people(ctx: &Ctx, cmd: PeopleCommand) -> anyhow::Result<Report> {
    match cmd {
        PeopleCommand::Add {
            name,
            email,
            subject,
            municipality,
        } => {
            let p = ctx
                .roles()
                .create_person(ctx.req(rpb::CreatePersonRequest {
                    request_id: request_id(),
                    person: Some(rpb::Person {
                        display_name: name,
                        email,
                        subject,
                        municipality_id: municipality,
                        ..Default::default()
                    }),
                }))
                .await
                .map_err(|s| explain(s, "register the person"))?
                .into_inner()
                .person
                .ok_or_else(|| anyhow!("the server answered without a person"))?;
            Ok(Report::default()
                .line(format!(
                    "{} är registrerad i {} / person registered",
                    p.display_name, p.municipality_id
                ))
                .table("person", PERSON_COLS.to_vec(), vec![person_row(&p)]))
        }
        PeopleCommand::Link { person, subject } => {
            let who = ctx.person(&person).await?;
            let etag = who.etag.clone();
            let p = ctx
                .roles()
                .update_person(ctx.req(rpb::UpdatePersonRequest {
                    person: Some(rpb::Person { subject, ..who }),
                    etag,
                }))
                .await
                .map_err(|s| explain(s, "link the person"))?
                .into_inner()
                .person
                .ok_or_else(|| anyhow!("the server answered without a person"))?;
            Ok(Report::default()
                .line(format!(
                    "{} loggar nu in som {} / person linked",
                    p.display_name, p.subject
                ))
                .table("person", PERSON_COLS.to_vec(), vec![person_row(&p)]))
        }
        PeopleCommand::List { municipality } => {
            let mut list: Vec<rpb::Person> = ctx
                .people()
                .await?
                .into_iter()
                .filter(|p| municipality.is_empty() || p.municipality_id == municipality)
                .collect();
            list.sort_by(|a, b| {
                a.municipality_id
                    .cmp(&b.municipality_id)
                    .then_with(|| a.display_name.cmp(&b.display_name))
            });
            Ok(Report::default().table(
                "people",
                PERSON_COLS.to_vec(),
                list.iter().map(person_row).collect(),
            ))
        }
    }
}

pub async fn roles(ctx: &Ctx, cmd: RolesCommand) -> anyhow::Result<Report> {
    match cmd {
        RolesCommand::Assign {
            person,
            role,
            municipality,
            section,
            from,
            to,
            decision,
            collaboration,
        } => {
            let who = ctx.person(&person).await?;
            let roles = ctx
                .roles()
                .list_roles(ctx.req(rpb::ListRolesRequest {
                    collaboration_id: collaboration,
                }))
                .await
                .map_err(|s| explain(s, "list the roles"))?
                .into_inner()
                .roles;
            let want = role.trim().to_lowercase();
            let Some(r) = roles
                .iter()
                .find(|r| r.code == want || r.display_name.to_lowercase() == want)
            else {
                let codes: Vec<_> = roles.iter().map(|r| r.code.as_str()).collect();
                anyhow::bail!("no role {role:?}: use one of {}", codes.join(", "));
            };
            let a = ctx
                .roles()
                .create_assignment(ctx.req(rpb::CreateAssignmentRequest {
                    request_id: request_id(),
                    assignment: Some(rpb::Assignment {
                        person_id: who.id.clone(),
                        role_id: r.id.clone(),
                        municipality_id: municipality,
                        section,
                        valid_from: Some(parse_date(&from)?),
                        valid_to: to.as_deref().map(parse_date).transpose()?,
                        decision_ref: decision,
                        ..Default::default()
                    }),
                }))
                .await
                .map_err(|s| explain(s, "assign the role"))?
                .into_inner()
                .assignment
                .ok_or_else(|| anyhow!("the server answered without an assignment"))?;
            Ok(Report::default()
                .line(format!(
                    "{} är {} från {} / role assigned",
                    who.display_name,
                    r.display_name,
                    date(a.valid_from.as_ref())
                ))
                .table(
                    "assignment",
                    ASSIGNMENT_COLS.to_vec(),
                    vec![assignment_row(&a, &who.display_name)],
                ))
        }
    }
}

/// "1 plats", "2 platser".
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
