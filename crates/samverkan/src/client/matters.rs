//! Matters (ärenden): draft, submit to a forum, escalate upward.

use std::collections::HashMap;

use anyhow::{anyhow, bail};
use clap::{Subcommand, ValueEnum};

use samverkan_proto::forums::v1 as fpb;

use super::output::{Col, Report, col, local_time};
use super::{Ctx, enum_name, explain, request_id};

#[derive(Subcommand, Debug)]
pub enum MattersCommand {
    /// Matters you may see, newest first.
    List {
        /// Only matters with this forum (code, name or id).
        #[arg(long)]
        forum: Option<String>,
        /// Only matters in this state.
        #[arg(long, value_enum)]
        state: Option<StateArg>,
    },
    /// One matter with where it has been.
    Show {
        /// The matter's id or title.
        matter: String,
    },
    /// Draft a matter, private to your municipality until submitted.
    Create {
        #[arg(long)]
        title: String,
        #[arg(long, default_value = "")]
        description: String,
        #[arg(long, value_enum, default_value = "development-need")]
        kind: KindArg,
        #[arg(long, value_enum, default_value = "normal")]
        priority: PriorityArg,
    },
    /// Submit a draft to a forum: the whole collaboration sees it from now on.
    Submit {
        /// The matter's id or title.
        matter: String,
        /// The forum (code, name or id), e.g. utveckling.
        #[arg(long)]
        forum: String,
    },
    /// Escalate a matter to the forum above, citing the § of the minutes that decided it.
    Escalate {
        /// The matter's id or title.
        matter: String,
        /// The meeting whose minutes decided the escalation (title or id).
        #[arg(long)]
        meeting: String,
        /// The forum's recommendation to the forum above.
        #[arg(long)]
        recommendation: String,
        /// The § number; default: the § that records this matter.
        #[arg(long)]
        paragraph: Option<i32>,
    },
}

#[derive(ValueEnum, Debug, Clone, Copy)]
pub enum StateArg {
    Draft,
    Submitted,
    OnAgenda,
    Handled,
    Escalated,
    Withdrawn,
}

#[derive(ValueEnum, Debug, Clone, Copy)]
pub enum KindArg {
    DevelopmentNeed,
    ImprovementNeed,
    Report,
    FollowUp,
    Information,
}

#[derive(ValueEnum, Debug, Clone, Copy)]
pub enum PriorityArg {
    Low,
    Normal,
    High,
}

pub const MATTER_COLS: [Col; 6] = [
    col("title", "Titel"),
    col("state", "Läge"),
    col("municipality", "Kommun"),
    col("forum", "Forum"),
    col("created", "Skapad"),
    col("id", "Id"),
];

pub fn matter_row(m: &fpb::Matter, forums: &HashMap<String, String>) -> Vec<String> {
    vec![
        m.title.clone(),
        state_name(m.state),
        m.raising_municipality_id.clone(),
        forums.get(&m.forum_id).cloned().unwrap_or_default(),
        local_time(m.create_time.as_ref()),
        m.id.clone(),
    ]
}

fn state_name(s: i32) -> String {
    fpb::MatterState::try_from(s)
        .map(|s| enum_name(s.as_str_name(), "MATTER_STATE_"))
        .unwrap_or_default()
}

pub async fn run(ctx: &Ctx, cmd: MattersCommand) -> anyhow::Result<Report> {
    let forums = ctx.forum_names().await?;
    match cmd {
        MattersCommand::List { forum, state } => {
            let forum_id = match forum {
                Some(f) => ctx.forum(&f).await?.id,
                None => String::new(),
            };
            let state = state.map(|s| match s {
                StateArg::Draft => fpb::MatterState::Draft,
                StateArg::Submitted => fpb::MatterState::Submitted,
                StateArg::OnAgenda => fpb::MatterState::OnAgenda,
                StateArg::Handled => fpb::MatterState::Handled,
                StateArg::Escalated => fpb::MatterState::Escalated,
                StateArg::Withdrawn => fpb::MatterState::Withdrawn,
            });
            let all = ctx
                .all_matters(fpb::ListMattersRequest {
                    forum_id,
                    state: state.map_or(0, |s| s as i32),
                    ..Default::default()
                })
                .await?;
            let rows = all.iter().map(|m| matter_row(m, &forums)).collect();
            Ok(Report::default().table("matters", MATTER_COLS.to_vec(), rows))
        }
        MattersCommand::Show { matter } => {
            let m = ctx.matter(&matter).await?;
            Ok(show(&m, &forums))
        }
        MattersCommand::Create {
            title,
            description,
            kind,
            priority,
        } => {
            let kind = match kind {
                KindArg::DevelopmentNeed => fpb::MatterKind::DevelopmentNeed,
                KindArg::ImprovementNeed => fpb::MatterKind::ImprovementNeed,
                KindArg::Report => fpb::MatterKind::Report,
                KindArg::FollowUp => fpb::MatterKind::FollowUp,
                KindArg::Information => fpb::MatterKind::Information,
            };
            let priority = match priority {
                PriorityArg::Low => fpb::Priority::Low,
                PriorityArg::Normal => fpb::Priority::Normal,
                PriorityArg::High => fpb::Priority::High,
            };
            let m = ctx
                .forums()
                .create_matter(ctx.req(fpb::CreateMatterRequest {
                    request_id: request_id(),
                    matter: Some(fpb::Matter {
                        kind: kind as i32,
                        title,
                        description,
                        priority: priority as i32,
                        ..Default::default()
                    }),
                }))
                .await
                .map_err(|s| explain(s, "draft the matter"))?
                .into_inner()
                .matter
                .ok_or_else(|| anyhow!("the server answered without a matter"))?;
            Ok(Report::default()
                .line(format!(
                    "Utkast skapat, synligt bara för {} / draft created, private to your municipality",
                    m.raising_municipality_id
                ))
                .table("matter", MATTER_COLS.to_vec(), vec![matter_row(&m, &forums)]))
        }
        MattersCommand::Submit { matter, forum } => {
            let m = ctx.matter(&matter).await?;
            let f = ctx.forum(&forum).await?;
            let m = ctx
                .forums()
                .submit_matter(ctx.req(fpb::SubmitMatterRequest {
                    id: m.id,
                    forum_id: f.id,
                    etag: m.etag,
                }))
                .await
                .map_err(|s| explain(s, "submit the matter"))?
                .into_inner()
                .matter
                .ok_or_else(|| anyhow!("the server answered without a matter"))?;
            Ok(Report::default()
                .line(format!(
                    "Inlämnat till {} – hela samverkan ser det nu / submitted",
                    f.name
                ))
                .table(
                    "matter",
                    MATTER_COLS.to_vec(),
                    vec![matter_row(&m, &forums)],
                ))
        }
        MattersCommand::Escalate {
            matter,
            meeting,
            recommendation,
            paragraph,
        } => {
            let m = ctx.matter(&matter).await?;
            let meeting = ctx.meeting(&meeting).await?;
            let minutes = ctx
                .forums()
                .get_minutes(ctx.req(fpb::GetMinutesRequest {
                    meeting_id: meeting.id.clone(),
                }))
                .await
                .map_err(|s| explain(s, "read the minutes"))?
                .into_inner()
                .minutes
                .unwrap_or_default();
            let items: Vec<&str> = meeting
                .agenda
                .iter()
                .filter(|i| i.matter_id == m.id)
                .map(|i| i.id.as_str())
                .collect();
            let p = minutes.paragraphs.iter().find(|p| match paragraph {
                Some(n) => p.number == n,
                None => items.contains(&p.agenda_item_id.as_str()),
            });
            let Some(p) = p else {
                bail!(
                    "the minutes of {} have no § for this matter: record one with `samverkan minutes paragraph`, or pass --paragraph",
                    meeting.title
                );
            };
            let m = ctx
                .forums()
                .escalate_matter(ctx.req(fpb::EscalateMatterRequest {
                    id: m.id,
                    paragraph_id: p.id.clone(),
                    recommendation,
                    etag: m.etag,
                }))
                .await
                .map_err(|s| explain(s, "escalate the matter"))?
                .into_inner()
                .matter
                .ok_or_else(|| anyhow!("the server answered without a matter"))?;
            Ok(Report::default()
                .line(format!(
                    "Lyft till {} enligt {} / escalated",
                    forums.get(&m.forum_id).cloned().unwrap_or_default(),
                    p.reference
                ))
                .table(
                    "matter",
                    MATTER_COLS.to_vec(),
                    vec![matter_row(&m, &forums)],
                ))
        }
    }
}

fn show(m: &fpb::Matter, forums: &HashMap<String, String>) -> Report {
    let mut r = Report::default().fields(
        "matter",
        vec![
            (col("title", "Titel"), m.title.clone()),
            (
                col("kind", "Typ"),
                fpb::MatterKind::try_from(m.kind)
                    .map(|k| enum_name(k.as_str_name(), "MATTER_KIND_"))
                    .unwrap_or_default(),
            ),
            (col("state", "Läge"), state_name(m.state)),
            (
                col("priority", "Prioritet"),
                fpb::Priority::try_from(m.priority)
                    .map(|k| enum_name(k.as_str_name(), "PRIORITY_"))
                    .unwrap_or_default(),
            ),
            (
                col("municipality", "Kommun"),
                m.raising_municipality_id.clone(),
            ),
            (col("author", "Författare"), m.author.clone()),
            (
                col("forum", "Forum"),
                forums.get(&m.forum_id).cloned().unwrap_or_default(),
            ),
            (col("created", "Skapad"), local_time(m.create_time.as_ref())),
            (
                col("submitted", "Inlämnad"),
                local_time(m.submit_time.as_ref()),
            ),
            (col("description", "Beskrivning"), m.description.clone()),
            (col("id", "Id"), m.id.clone()),
        ],
    );
    if !m.provenance.is_empty() {
        r = r.table(
            "provenance",
            vec![
                col("forum", "Lyft från"),
                col("paragraph", "§"),
                col("recommendation", "Rekommendation"),
                col("time", "När"),
            ],
            m.provenance
                .iter()
                .map(|p| {
                    vec![
                        p.forum_name.clone(),
                        p.paragraph_ref.clone(),
                        p.recommendation.clone(),
                        local_time(p.escalate_time.as_ref()),
                    ]
                })
                .collect(),
        );
    }
    r
}
