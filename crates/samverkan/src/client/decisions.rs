//! The decision register: decisions against their §, follow-ups, what is due.

use std::collections::HashMap;

use anyhow::{anyhow, bail};
use clap::{Args, Subcommand};

use samverkan_proto::decisions::v1 as dpb;
use samverkan_proto::forums::v1 as fpb;

use super::output::{Col, Report, col, date};
use super::{Ctx, enum_name, explain, parse_date, request_id};

#[derive(Subcommand, Debug)]
pub enum DecisionsCommand {
    /// Register a decision recorded in a § of a meeting's minutes (the forum's secretary).
    Register {
        /// The meeting's title or id.
        #[arg(long)]
        meeting: String,
        /// The § number in the forum's series.
        #[arg(long)]
        paragraph: i32,
        /// Title (default: the §'s title).
        #[arg(long, default_value = "")]
        title: String,
        /// The decision's text (default: the §'s).
        #[arg(long, default_value = "")]
        text: String,
        /// The person responsible, by e-mail.
        #[arg(long)]
        responsible: String,
        /// The responsible role's code, e.g. it-chef.
        #[arg(long)]
        role: String,
    },
    /// The register, newest first.
    List {
        /// Only this forum's (code, name or id).
        #[arg(long)]
        forum: Option<String>,
        /// Only this year's.
        #[arg(long)]
        year: Option<i32>,
    },
    /// One decision with its follow-ups.
    Show {
        /// The decision's id or a unique part of its title.
        decision: String,
    },
    /// Plan a follow-up of a decision.
    FollowUp {
        /// The decision's id or a unique part of its title.
        decision: String,
        /// When it is due: 2027-03-31, or +60d.
        #[arg(long)]
        due: String,
        /// What is to be reported.
        #[arg(long)]
        title: String,
    },
}

#[derive(Args, Debug)]
pub struct DueArgs {
    /// Due within this many days (overdue items are always listed).
    #[arg(long, default_value_t = 30)]
    within: i32,
    /// Only this forum's (code, name or id).
    #[arg(long)]
    forum: Option<String>,
    /// Only what you are responsible for.
    #[arg(long)]
    mine: bool,
}

const DECISION_COLS: [Col; 6] = [
    col("paragraph", "§"),
    col("forum", "Forum"),
    col("date", "Datum"),
    col("title", "Beslut"),
    col("status", "Status"),
    col("id", "Id"),
];

fn decision_row(d: &dpb::Decision, forums: &HashMap<String, String>) -> Vec<String> {
    vec![
        d.paragraph_ref.clone(),
        forums.get(&d.forum_id).cloned().unwrap_or_default(),
        date(d.decision_date.as_ref()),
        d.title.clone(),
        status(d.status),
        d.id.clone(),
    ]
}

fn status(s: i32) -> String {
    dpb::DecisionStatus::try_from(s)
        .map(|s| enum_name(s.as_str_name(), "DECISION_STATUS_"))
        .unwrap_or_default()
}

pub async fn run(ctx: &Ctx, cmd: DecisionsCommand) -> anyhow::Result<Report> {
    let forums = ctx.forum_names().await?;
    match cmd {
        DecisionsCommand::Register {
            meeting,
            paragraph,
            title,
            text,
            responsible,
            role,
        } => {
            let m = ctx.meeting(&meeting).await?;
            let minutes = ctx
                .forums()
                .get_minutes(ctx.req(fpb::GetMinutesRequest {
                    meeting_id: m.id.clone(),
                }))
                .await
                .map_err(|s| explain(s, "read the minutes"))?
                .into_inner()
                .minutes
                .unwrap_or_default();
            let Some(p) = minutes.paragraphs.iter().find(|p| p.number == paragraph) else {
                bail!(
                    "the minutes of {} have no § {paragraph}: see `samverkan minutes show \"{}\"`",
                    m.title,
                    m.title
                );
            };
            let person = ctx.person(&responsible).await?;
            let d = ctx
                .decisions()
                .register_decision(ctx.req(dpb::RegisterDecisionRequest {
                    request_id: request_id(),
                    decision: Some(dpb::Decision {
                        meeting_id: m.id.clone(),
                        paragraph_id: p.id.clone(),
                        title,
                        text,
                        responsible_role_code: role,
                        responsible_person_id: person.id,
                        ..Default::default()
                    }),
                }))
                .await
                .map_err(|s| explain(s, "register the decision"))?
                .into_inner()
                .decision
                .ok_or_else(|| anyhow!("the server answered without a decision"))?;
            Ok(Report::default()
                .line(format!(
                    "Beslut registrerat / decision registered: {} {}, ansvarig {}",
                    d.paragraph_ref, d.title, person.display_name
                ))
                .table(
                    "decision",
                    DECISION_COLS.to_vec(),
                    vec![decision_row(&d, &forums)],
                ))
        }
        DecisionsCommand::List { forum, year } => {
            let forum_id = match forum {
                Some(f) => ctx.forum(&f).await?.id,
                None => String::new(),
            };
            let list = ctx
                .decisions()
                .list_decisions(ctx.req(dpb::ListDecisionsRequest {
                    forum_id,
                    year: year.unwrap_or(0),
                    page_size: 200,
                    ..Default::default()
                }))
                .await
                .map_err(|s| explain(s, "list decisions"))?
                .into_inner()
                .decisions;
            Ok(Report::default().table(
                "decisions",
                DECISION_COLS.to_vec(),
                list.iter().map(|d| decision_row(d, &forums)).collect(),
            ))
        }
        DecisionsCommand::Show { decision } => {
            let d = ctx.decision(&decision).await?;
            let people: HashMap<String, String> = ctx
                .people()
                .await?
                .into_iter()
                .map(|p| (p.id, p.display_name))
                .collect();
            let follow_ups = ctx
                .decisions()
                .list_follow_ups(ctx.req(dpb::ListFollowUpsRequest {
                    decision_id: d.id.clone(),
                }))
                .await
                .map_err(|s| explain(s, "list follow-ups"))?
                .into_inner()
                .follow_ups;
            Ok(Report::default()
                .fields(
                    "decision",
                    vec![
                        (col("title", "Beslut"), d.title.clone()),
                        (
                            col("forum", "Forum"),
                            forums.get(&d.forum_id).cloned().unwrap_or_default(),
                        ),
                        (col("paragraph", "§"), d.paragraph_ref.clone()),
                        (col("date", "Datum"), date(d.decision_date.as_ref())),
                        (col("text", "Text"), d.text.clone()),
                        (
                            col("responsible", "Ansvarig"),
                            format!(
                                "{} ({})",
                                people
                                    .get(&d.responsible_person_id)
                                    .cloned()
                                    .unwrap_or_default(),
                                d.responsible_role_code
                            ),
                        ),
                        (col("status", "Status"), status(d.status)),
                        (
                            col("final", "Slutligt"),
                            if d.r#final {
                                "ja (justerat)"
                            } else {
                                "nej (ej justerat)"
                            }
                            .into(),
                        ),
                        (col("id", "Id"), d.id.clone()),
                    ],
                )
                .table(
                    "follow_ups",
                    vec![
                        col("due", "Senast"),
                        col("title", "Uppföljning"),
                        col("status", "Status"),
                        col("paragraph", "§"),
                    ],
                    follow_ups
                        .iter()
                        .map(|f| {
                            vec![
                                date(f.due_on.as_ref()),
                                f.title.clone(),
                                dpb::FollowUpStatus::try_from(f.status)
                                    .map(|s| enum_name(s.as_str_name(), "FOLLOW_UP_STATUS_"))
                                    .unwrap_or_default(),
                                f.paragraph_ref.clone(),
                            ]
                        })
                        .collect(),
                ))
        }
        DecisionsCommand::FollowUp {
            decision,
            due,
            title,
        } => {
            let d = ctx.decision(&decision).await?;
            let f = ctx
                .decisions()
                .create_follow_up(ctx.req(dpb::CreateFollowUpRequest {
                    request_id: request_id(),
                    follow_up: Some(dpb::FollowUp {
                        decision_id: d.id.clone(),
                        due_on: Some(parse_date(&due)?),
                        title,
                        ..Default::default()
                    }),
                }))
                .await
                .map_err(|s| explain(s, "plan the follow-up"))?
                .into_inner()
                .follow_up
                .ok_or_else(|| anyhow!("the server answered without a follow-up"))?;
            Ok(Report::default().line(format!(
                "Uppföljning planerad / follow-up planned: {} senast {} ({} {})",
                f.title,
                date(f.due_on.as_ref()),
                d.paragraph_ref,
                d.title
            )))
        }
    }
}

pub async fn due(ctx: &Ctx, args: DueArgs) -> anyhow::Result<Report> {
    let forums = ctx.forum_names().await?;
    let forum_id = match args.forum {
        Some(f) => ctx.forum(&f).await?.id,
        None => String::new(),
    };
    let people = ctx.people().await?;
    let responsible_person_id = if args.mine {
        let me = ctx
            .roles()
            .who_am_i(ctx.req(samverkan_proto::roles::v1::WhoAmIRequest {}))
            .await
            .map_err(|s| explain(s, "ask who you are"))?
            .into_inner();
        me.person.map(|p| p.id).unwrap_or_default()
    } else {
        String::new()
    };
    let names: HashMap<String, String> =
        people.into_iter().map(|p| (p.id, p.display_name)).collect();
    let items = ctx
        .decisions()
        .list_due(ctx.req(dpb::ListDueRequest {
            within_days: args.within,
            forum_id,
            responsible_person_id,
        }))
        .await
        .map_err(|s| explain(s, "list what is due"))?
        .into_inner()
        .items;
    Ok(Report::default().table(
        "due",
        vec![
            col("due", "Senast"),
            col("days_left", "Dagar kvar"),
            col("kind", "Typ"),
            col("title", "Vad"),
            col("forum", "Forum"),
            col("responsible", "Ansvarig"),
        ],
        items
            .iter()
            .map(|i| {
                vec![
                    date(i.due_on.as_ref()),
                    if i.overdue {
                        format!("{} (försenad)", i.days_left)
                    } else {
                        i.days_left.to_string()
                    },
                    match i.kind.as_str() {
                        "follow_up" => "uppföljning".into(),
                        "activity" => "aktivitet".into(),
                        k => k.to_owned(),
                    },
                    i.title.clone(),
                    forums.get(&i.forum_id).cloned().unwrap_or_default(),
                    names
                        .get(&i.responsible_person_id)
                        .cloned()
                        .unwrap_or_default(),
                ]
            })
            .collect(),
    ))
}
