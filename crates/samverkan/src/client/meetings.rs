//! Meetings: the agenda built from the backlog, private preparation notes,
//! minutes with §§ and adjustment, and exports.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::{Context as _, anyhow, bail};
use clap::{Subcommand, ValueEnum};

use samverkan_proto::forums::v1 as fpb;

use super::matters::{MATTER_COLS, matter_row};
use super::output::{Report, col, local_time};
use super::{Ctx, enum_name, explain, parse_local_time, request_id};

#[derive(Subcommand, Debug)]
pub enum MeetingsCommand {
    /// Meetings, soonest first.
    List {
        /// Only this forum's (code, name or id).
        #[arg(long)]
        forum: Option<String>,
    },
    /// One meeting with its agenda.
    Show {
        /// The meeting's title or id.
        meeting: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum AgendaCommand {
    /// What was submitted or escalated to a forum and waits for an agenda.
    Backlog {
        /// The forum (code, name or id), e.g. styrgruppen.
        #[arg(long)]
        forum: String,
    },
    /// Plan a meeting of a forum.
    CreateMeeting {
        /// The forum (code, name or id).
        #[arg(long)]
        forum: String,
        /// Title, e.g. "IT-styrgruppen 6/2026".
        #[arg(long)]
        title: String,
        /// Start, Swedish local time: "2026-12-17 13:00".
        #[arg(long)]
        start: String,
        /// Length in minutes.
        #[arg(long, default_value_t = 120)]
        minutes: i64,
        /// Place or link.
        #[arg(long, default_value = "")]
        location: String,
    },
    /// Add an item to a meeting's agenda: a matter, or a report or information by title.
    AddItem {
        /// The meeting's title or id.
        meeting: String,
        /// The matter it handles (title or id).
        #[arg(long, conflicts_with = "backlog")]
        matter: Option<String>,
        /// Add every matter on the forum's backlog, oldest first.
        #[arg(long)]
        backlog: bool,
        /// The item's title (default: the matter's).
        #[arg(long, default_value = "")]
        title: String,
        #[arg(long, value_enum, default_value = "decision")]
        kind: ItemKind,
        /// Who presents it.
        #[arg(long, default_value = "")]
        presenter: String,
        /// Estimated minutes.
        #[arg(long, default_value_t = 15)]
        estimate: i32,
    },
    /// Publish the notice with the agenda (kallelse med dagordning).
    Publish {
        /// The meeting's title or id.
        meeting: String,
    },
}

#[derive(ValueEnum, Debug, Clone, Copy)]
pub enum ItemKind {
    Decision,
    Report,
    Information,
}

#[derive(Subcommand, Debug)]
pub enum NotesCommand {
    /// Write a preparation note on an agenda item, private to your municipality.
    Add {
        /// The meeting's title or id.
        meeting: String,
        /// The agenda item's number.
        #[arg(long)]
        item: i32,
        /// The note.
        #[arg(long)]
        text: String,
    },
    /// Your municipality's notes on a meeting.
    List {
        /// The meeting's title or id.
        meeting: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum MinutesCommand {
    /// Record who attended; opens the minutes.
    Attend {
        /// The meeting's title or id.
        meeting: String,
        /// Present, by e-mail, comma-separated.
        #[arg(long, value_delimiter = ',', required = true)]
        present: Vec<String>,
        /// Absent, by e-mail, comma-separated.
        #[arg(long, value_delimiter = ',')]
        absent: Vec<String>,
    },
    /// Add a numbered paragraph (§) recording an agenda item.
    Paragraph {
        /// The meeting's title or id.
        meeting: String,
        /// The agenda item's number.
        #[arg(long)]
        item: i32,
        #[arg(long, value_enum)]
        outcome: Outcome,
        /// What was decided or noted.
        #[arg(long)]
        decision: String,
        /// What was presented.
        #[arg(long, default_value = "")]
        presented: String,
    },
    /// Designate the two adjusters (justerare); default: the forum's eligible seats.
    Adjusters {
        /// The meeting's title or id.
        meeting: String,
        /// Two people by e-mail, comma-separated.
        #[arg(long, value_delimiter = ',')]
        people: Vec<String>,
    },
    /// Adjust (justera) the minutes as a designated adjuster.
    Adjust {
        /// The meeting's title or id.
        meeting: String,
    },
    /// The minutes of a meeting.
    Show {
        /// The meeting's title or id.
        meeting: String,
    },
}

#[derive(ValueEnum, Debug, Clone, Copy)]
pub enum Outcome {
    Decided,
    Noted,
    Escalated,
}

#[derive(Subcommand, Debug)]
pub enum ExportCommand {
    /// The notice with agenda.
    Agenda(ExportArgs),
    /// The minutes.
    Minutes(ExportArgs),
    /// The meeting as an iCalendar event.
    Ics {
        /// The meeting's title or id.
        meeting: String,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// The meeting's title or id.
    meeting: String,
    #[arg(long, value_enum, default_value = "md")]
    format: Format,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
}

#[derive(ValueEnum, Debug, Clone, Copy)]
pub enum Format {
    Md,
    Html,
}

fn meeting_state(s: i32) -> String {
    fpb::MeetingState::try_from(s)
        .map(|s| enum_name(s.as_str_name(), "MEETING_STATE_"))
        .unwrap_or_default()
}

fn item_kind(k: i32) -> String {
    fpb::AgendaItemKind::try_from(k)
        .map(|s| enum_name(s.as_str_name(), "AGENDA_ITEM_KIND_"))
        .unwrap_or_default()
}

fn show_meeting(m: &fpb::Meeting, forums: &HashMap<String, String>) -> Report {
    Report::default()
        .fields(
            "meeting",
            vec![
                (col("title", "Sammanträde"), m.title.clone()),
                (
                    col("forum", "Forum"),
                    forums.get(&m.forum_id).cloned().unwrap_or_default(),
                ),
                (col("start", "Tid"), local_time(m.start_time.as_ref())),
                (col("end", "Slut"), local_time(m.end_time.as_ref())),
                (col("location", "Plats"), m.location.clone()),
                (col("state", "Läge"), meeting_state(m.state)),
                (col("id", "Id"), m.id.clone()),
            ],
        )
        .table(
            "agenda",
            vec![
                col("number", "Nr"),
                col("kind", "Typ"),
                col("title", "Ärende"),
                col("presenter", "Föredragande"),
                col("minutes", "Min"),
            ],
            m.agenda
                .iter()
                .map(|i| {
                    vec![
                        i.number.to_string(),
                        item_kind(i.kind),
                        i.title.clone(),
                        i.presenter.clone(),
                        i.estimated_minutes.to_string(),
                    ]
                })
                .collect(),
        )
}

fn item_id(m: &fpb::Meeting, number: i32) -> anyhow::Result<String> {
    m.agenda
        .iter()
        .find(|i| i.number == number)
        .map(|i| i.id.clone())
        .ok_or_else(|| {
            anyhow!(
                "{} has no agenda item {number}: see `samverkan meetings show \"{}\"`",
                m.title,
                m.title
            )
        })
}

pub async fn meetings(ctx: &Ctx, cmd: MeetingsCommand) -> anyhow::Result<Report> {
    let forums = ctx.forum_names().await?;
    match cmd {
        MeetingsCommand::List { forum } => {
            let forum_id = match forum {
                Some(f) => ctx.forum(&f).await?.id,
                None => String::new(),
            };
            let list = ctx
                .forums()
                .list_meetings(ctx.req(fpb::ListMeetingsRequest {
                    forum_id,
                    page_size: 200,
                    ..Default::default()
                }))
                .await
                .map_err(|s| explain(s, "list meetings"))?
                .into_inner()
                .meetings;
            Ok(Report::default().table(
                "meetings",
                vec![
                    col("title", "Sammanträde"),
                    col("forum", "Forum"),
                    col("start", "Tid"),
                    col("state", "Läge"),
                    col("id", "Id"),
                ],
                list.iter()
                    .map(|m| {
                        vec![
                            m.title.clone(),
                            forums.get(&m.forum_id).cloned().unwrap_or_default(),
                            local_time(m.start_time.as_ref()),
                            meeting_state(m.state),
                            m.id.clone(),
                        ]
                    })
                    .collect(),
            ))
        }
        MeetingsCommand::Show { meeting } => {
            Ok(show_meeting(&ctx.meeting(&meeting).await?, &forums))
        }
    }
}

async fn backlog(ctx: &Ctx, forum_id: &str) -> anyhow::Result<Vec<fpb::Matter>> {
    let mut all = Vec::new();
    let mut token = String::new();
    loop {
        let page = ctx
            .forums()
            .list_agenda_backlog(ctx.req(fpb::ListAgendaBacklogRequest {
                forum_id: forum_id.into(),
                page_size: 200,
                page_token: token,
            }))
            .await
            .map_err(|s| explain(s, "read the backlog"))?
            .into_inner();
        all.extend(page.matters);
        if page.next_page_token.is_empty() {
            return Ok(all);
        }
        token = page.next_page_token;
    }
}

pub async fn agenda(ctx: &Ctx, cmd: AgendaCommand) -> anyhow::Result<Report> {
    let forums = ctx.forum_names().await?;
    match cmd {
        AgendaCommand::Backlog { forum } => {
            let f = ctx.forum(&forum).await?;
            let list = backlog(ctx, &f.id).await?;
            let mut cols = MATTER_COLS.to_vec();
            cols.insert(4, col("from", "Lyft från"));
            let rows = list
                .iter()
                .map(|m| {
                    let mut row = matter_row(m, &forums);
                    row.insert(
                        4,
                        m.provenance
                            .iter()
                            .map(|p| format!("{} {}", p.forum_name, p.paragraph_ref))
                            .collect::<Vec<_>>()
                            .join(", "),
                    );
                    row
                })
                .collect();
            Ok(Report::default().table("backlog", cols, rows))
        }
        AgendaCommand::CreateMeeting {
            forum,
            title,
            start,
            minutes,
            location,
        } => {
            let f = ctx.forum(&forum).await?;
            let start = parse_local_time(&start)?;
            let end = samverkan_proto::Timestamp {
                seconds: start.seconds + minutes.max(1) * 60,
                nanos: 0,
            };
            let m = ctx
                .forums()
                .create_meeting(ctx.req(fpb::CreateMeetingRequest {
                    request_id: request_id(),
                    meeting: Some(fpb::Meeting {
                        forum_id: f.id,
                        title,
                        start_time: Some(start),
                        end_time: Some(end),
                        location,
                        ..Default::default()
                    }),
                }))
                .await
                .map_err(|s| explain(s, "plan the meeting"))?
                .into_inner()
                .meeting
                .ok_or_else(|| anyhow!("the server answered without a meeting"))?;
            Ok(Report::default()
                .line(format!(
                    "Sammanträde planerat / meeting planned: {}",
                    m.title
                ))
                .blocks_from(show_meeting(&m, &forums)))
        }
        AgendaCommand::AddItem {
            meeting,
            matter,
            backlog: from_backlog,
            title,
            kind,
            presenter,
            estimate,
        } => {
            let m = ctx.meeting(&meeting).await?;
            let kind = match kind {
                ItemKind::Decision => fpb::AgendaItemKind::Decision,
                ItemKind::Report => fpb::AgendaItemKind::Report,
                ItemKind::Information => fpb::AgendaItemKind::Information,
            };
            let matters: Vec<String> = if from_backlog {
                let list = backlog(ctx, &m.forum_id).await?;
                if list.is_empty() {
                    bail!("the forum's backlog is empty: nothing to add");
                }
                list.into_iter().map(|m| m.id).collect()
            } else if let Some(name) = matter {
                vec![ctx.matter(&name).await?.id]
            } else if title.is_empty() {
                bail!("give --matter, --backlog, or a --title for a report or information item");
            } else {
                vec![String::new()]
            };
            let mut latest = m.clone();
            for matter_id in matters {
                latest = ctx
                    .forums()
                    .add_agenda_item(ctx.req(fpb::AddAgendaItemRequest {
                        request_id: request_id(),
                        item: Some(fpb::AgendaItem {
                            meeting_id: m.id.clone(),
                            kind: kind as i32,
                            title: if from_backlog {
                                String::new()
                            } else {
                                title.clone()
                            },
                            matter_id,
                            presenter: presenter.clone(),
                            estimated_minutes: estimate,
                            ..Default::default()
                        }),
                    }))
                    .await
                    .map_err(|s| explain(s, "add the agenda item"))?
                    .into_inner()
                    .meeting
                    .ok_or_else(|| anyhow!("the server answered without a meeting"))?;
            }
            Ok(show_meeting(&latest, &forums))
        }
        AgendaCommand::Publish { meeting } => {
            let m = ctx.meeting(&meeting).await?;
            let m = ctx
                .forums()
                .publish_agenda(ctx.req(fpb::PublishAgendaRequest {
                    meeting_id: m.id,
                    etag: m.etag,
                }))
                .await
                .map_err(|s| explain(s, "publish the agenda"))?
                .into_inner()
                .meeting
                .ok_or_else(|| anyhow!("the server answered without a meeting"))?;
            Ok(Report::default()
                .line(format!(
                    "Kallelse med dagordning publicerad / agenda published: {}",
                    m.title
                ))
                .blocks_from(show_meeting(&m, &forums)))
        }
    }
}

impl Report {
    /// This report followed by `other`'s blocks.
    fn blocks_from(mut self, other: Report) -> Report {
        self.blocks.extend(other.blocks);
        self
    }
}

pub async fn notes(ctx: &Ctx, cmd: NotesCommand) -> anyhow::Result<Report> {
    match cmd {
        NotesCommand::Add {
            meeting,
            item,
            text,
        } => {
            let m = ctx.meeting(&meeting).await?;
            let note = ctx
                .forums()
                .create_note(ctx.req(fpb::CreateNoteRequest {
                    request_id: request_id(),
                    note: Some(fpb::Note {
                        agenda_item_id: item_id(&m, item)?,
                        text,
                        ..Default::default()
                    }),
                }))
                .await
                .map_err(|s| explain(s, "write the note"))?
                .into_inner()
                .note
                .ok_or_else(|| anyhow!("the server answered without a note"))?;
            Ok(Report::default().line(format!(
                "Anteckning sparad, synlig bara för {} / note saved, private to your municipality",
                note.municipality_id
            )))
        }
        NotesCommand::List { meeting } => {
            let m = ctx.meeting(&meeting).await?;
            let numbers: HashMap<&str, i32> =
                m.agenda.iter().map(|i| (i.id.as_str(), i.number)).collect();
            let list = ctx
                .forums()
                .list_notes(ctx.req(fpb::ListNotesRequest {
                    meeting_id: m.id.clone(),
                }))
                .await
                .map_err(|s| explain(s, "list the notes"))?
                .into_inner()
                .notes;
            Ok(Report::default().table(
                "notes",
                vec![
                    col("item", "Punkt"),
                    col("municipality", "Kommun"),
                    col("author", "Författare"),
                    col("text", "Anteckning"),
                    col("created", "Skriven"),
                ],
                list.iter()
                    .map(|n| {
                        vec![
                            numbers
                                .get(n.agenda_item_id.as_str())
                                .map(i32::to_string)
                                .unwrap_or_default(),
                            n.municipality_id.clone(),
                            n.author.clone(),
                            n.text.clone(),
                            local_time(n.create_time.as_ref()),
                        ]
                    })
                    .collect(),
            ))
        }
    }
}

async fn show_minutes(ctx: &Ctx, m: &fpb::Meeting, min: &fpb::Minutes) -> anyhow::Result<Report> {
    let people: HashMap<String, String> = ctx
        .people()
        .await?
        .into_iter()
        .map(|p| (p.id, p.display_name))
        .collect();
    let name = |id: &String| people.get(id).cloned().unwrap_or_else(|| id.clone());
    let numbers: HashMap<&str, i32> = m.agenda.iter().map(|i| (i.id.as_str(), i.number)).collect();
    let adjusters: Vec<String> = min.adjuster_person_ids.iter().map(name).collect();
    let adjusted: Vec<String> = min.adjusted_by_person_ids.iter().map(name).collect();
    let present: Vec<String> = min
        .attendance
        .iter()
        .filter(|a| a.status == fpb::AttendanceStatus::Present as i32)
        .map(|a| a.name.clone())
        .collect();
    Ok(Report::default()
        .fields(
            "minutes",
            vec![
                (col("meeting", "Sammanträde"), m.title.clone()),
                (col("present", "Närvarande"), present.join(", ")),
                (col("adjusters", "Justerare"), adjusters.join(", ")),
                (col("adjusted_by", "Justerat av"), adjusted.join(", ")),
                (
                    col("locked", "Justerat"),
                    if min.locked {
                        format!("ja, låst {}", local_time(min.lock_time.as_ref()))
                    } else {
                        "nej".into()
                    },
                ),
            ],
        )
        .table(
            "paragraphs",
            vec![
                col("reference", "§"),
                col("item", "Punkt"),
                col("title", "Rubrik"),
                col("outcome", "Utfall"),
                col("decision", "Beslut"),
            ],
            min.paragraphs
                .iter()
                .map(|p| {
                    vec![
                        p.reference.clone(),
                        numbers
                            .get(p.agenda_item_id.as_str())
                            .map(i32::to_string)
                            .unwrap_or_default(),
                        p.title.clone(),
                        fpb::ParagraphOutcome::try_from(p.outcome)
                            .map(|o| enum_name(o.as_str_name(), "PARAGRAPH_OUTCOME_"))
                            .unwrap_or_default(),
                        p.decision.clone(),
                    ]
                })
                .collect(),
        ))
}

pub async fn minutes(ctx: &Ctx, cmd: MinutesCommand) -> anyhow::Result<Report> {
    match cmd {
        MinutesCommand::Attend {
            meeting,
            present,
            absent,
        } => {
            let m = ctx.meeting(&meeting).await?;
            let people = ctx.people().await?;
            let find = |email: &str| {
                people
                    .iter()
                    .find(|p| p.email.eq_ignore_ascii_case(email.trim()))
                    .ok_or_else(|| anyhow!("no person {email:?} in the collaboration"))
            };
            let mut attendance = Vec::new();
            for (emails, status) in [
                (&present, fpb::AttendanceStatus::Present),
                (&absent, fpb::AttendanceStatus::Absent),
            ] {
                for e in emails {
                    let p = find(e)?;
                    attendance.push(fpb::Attendance {
                        person_id: p.id.clone(),
                        name: p.display_name.clone(),
                        status: status as i32,
                        ..Default::default()
                    });
                }
            }
            let min = ctx
                .forums()
                .record_attendance(ctx.req(fpb::RecordAttendanceRequest {
                    meeting_id: m.id.clone(),
                    attendance,
                    etag: m.etag.clone(),
                }))
                .await
                .map_err(|s| explain(s, "record attendance"))?
                .into_inner()
                .minutes
                .unwrap_or_default();
            Ok(Report::default()
                .line(
                    "Närvaro registrerad, protokollet öppnat / attendance recorded, minutes opened",
                )
                .blocks_from(show_minutes(ctx, &m, &min).await?))
        }
        MinutesCommand::Paragraph {
            meeting,
            item,
            outcome,
            decision,
            presented,
        } => {
            let m = ctx.meeting(&meeting).await?;
            let outcome = match outcome {
                Outcome::Decided => fpb::ParagraphOutcome::Decided,
                Outcome::Noted => fpb::ParagraphOutcome::Noted,
                Outcome::Escalated => fpb::ParagraphOutcome::Escalated,
            };
            let p = ctx
                .forums()
                .add_paragraph(ctx.req(fpb::AddParagraphRequest {
                    request_id: request_id(),
                    paragraph: Some(fpb::Paragraph {
                        meeting_id: m.id.clone(),
                        agenda_item_id: item_id(&m, item)?,
                        presented,
                        decision,
                        outcome: outcome as i32,
                        ..Default::default()
                    }),
                }))
                .await
                .map_err(|s| explain(s, "add the paragraph"))?
                .into_inner()
                .paragraph
                .ok_or_else(|| anyhow!("the server answered without a paragraph"))?;
            Ok(Report::default().line(format!("{} {}", p.reference, p.title)))
        }
        MinutesCommand::Adjusters { meeting, people } => {
            let m = ctx.meeting(&meeting).await?;
            let mut ids = Vec::new();
            for e in &people {
                ids.push(ctx.person(e).await?.id);
            }
            let min = ctx
                .forums()
                .designate_adjusters(ctx.req(fpb::DesignateAdjustersRequest {
                    meeting_id: m.id.clone(),
                    person_ids: ids,
                }))
                .await
                .map_err(|s| explain(s, "designate the adjusters"))?
                .into_inner()
                .minutes
                .unwrap_or_default();
            show_minutes(ctx, &m, &min).await
        }
        MinutesCommand::Adjust { meeting } => {
            let m = ctx.meeting(&meeting).await?;
            let min = ctx
                .forums()
                .adjust_minutes(ctx.req(fpb::AdjustMinutesRequest {
                    meeting_id: m.id.clone(),
                }))
                .await
                .map_err(|s| explain(s, "adjust the minutes"))?
                .into_inner()
                .minutes
                .unwrap_or_default();
            let line = if min.locked {
                "Protokollet är justerat och låst / minutes adjusted and locked"
            } else {
                "Din justering är registrerad; den andra justeraren återstår / your adjustment is recorded; the other adjuster remains"
            };
            Ok(Report::default()
                .line(line)
                .blocks_from(show_minutes(ctx, &m, &min).await?))
        }
        MinutesCommand::Show { meeting } => {
            let m = ctx.meeting(&meeting).await?;
            let min = ctx
                .forums()
                .get_minutes(ctx.req(fpb::GetMinutesRequest {
                    meeting_id: m.id.clone(),
                }))
                .await
                .map_err(|s| explain(s, "read the minutes"))?
                .into_inner()
                .minutes
                .unwrap_or_default();
            show_minutes(ctx, &m, &min).await
        }
    }
}

pub async fn export(ctx: &Ctx, cmd: ExportCommand) -> anyhow::Result<Report> {
    let (meeting, kind, format, output) = match cmd {
        ExportCommand::Agenda(a) => (a.meeting, fpb::ExportKind::Agenda, a.format, a.output),
        ExportCommand::Minutes(a) => (a.meeting, fpb::ExportKind::Minutes, a.format, a.output),
        ExportCommand::Ics { meeting, output } => {
            (meeting, fpb::ExportKind::Calendar, Format::Md, output)
        }
    };
    let m = ctx.meeting(&meeting).await?;
    let out = ctx
        .forums()
        .export_meeting(ctx.req(fpb::ExportMeetingRequest {
            meeting_id: m.id,
            kind: kind as i32,
            format: match format {
                Format::Md => fpb::ExportFormat::Markdown,
                Format::Html => fpb::ExportFormat::Html,
            } as i32,
        }))
        .await
        .map_err(|s| explain(s, "export the meeting"))?
        .into_inner();
    let text = String::from_utf8(out.content).context("the export is not UTF-8")?;
    match output {
        Some(path) => {
            std::fs::write(&path, &text).with_context(|| format!("write {}", path.display()))?;
            Ok(Report::default().line(format!(
                "{} skriven / written ({}, {} bytes; suggested name {})",
                path.display(),
                out.media_type,
                text.len(),
                out.file_name
            )))
        }
        None => Ok(Report::default().raw("content", text)),
    }
}
