//! The agreement documents and their yearly review: the IT-strateg opens a
//! revision, each municipality drafts (privately) and submits change
//! proposals, the IT-strateg resolves them and consolidates a draft that
//! goes to IT-styrgruppen, the decision is linked, and each municipality's
//! KS approval is recorded.
//!
//! An agreement is named by its title (any unique part of it), its kind
//! (`samverkansavtal`, `riktlinjer`, `organisation`) or its id; a revision
//! by its agreement (the open one, or `--year`'s) or its id.

use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use clap::{ArgGroup, Subcommand, ValueEnum};
use tonic::transport::Channel;

use samverkan_proto::agreements::v1 as pb;
use samverkan_proto::agreements::v1::agreements_service_client::AgreementsServiceClient;
use samverkan_proto::common::v1::Date;
use samverkan_proto::forums::v1 as fpb;

use super::output::{Col, Report, col, date};
use super::{Ctx, enum_name, explain, is_id, parse_date, pick, request_id};

#[derive(Subcommand, Debug)]
pub enum AgreementCommand {
    /// The collaboration's agreement documents and the version in force.
    List,
    /// Register an agreement document with its first version, in force from a date (IT-strateg).
    Create {
        /// Title, e.g. "Samverkansavtal IT".
        #[arg(long)]
        title: String,
        #[arg(long, value_enum, default_value = "samverkansavtal")]
        kind: Kind,
        /// The day the first version took effect: 2022-01-01.
        #[arg(long)]
        effective_from: String,
        /// The day of its next review.
        #[arg(long)]
        next_review: Option<String>,
        /// A numbered section, "Title: text"; repeat in order. Or use --file.
        #[arg(long = "section", required_unless_present = "file")]
        sections: Vec<String>,
        /// The text as Markdown with numbered sections ("## 1. Parter").
        #[arg(long, conflicts_with = "sections")]
        file: Option<std::path::PathBuf>,
        /// A reference such as the diarienummer.
        #[arg(long, default_value = "")]
        link: String,
    },
    /// One version of an agreement with its text (default: the version in force).
    Show {
        /// The agreement: title, kind or id.
        agreement: String,
        /// The version's number.
        #[arg(long)]
        version: Option<i32>,
    },
    /// An agreement's revisions, newest year first.
    Revisions {
        /// The agreement: title, kind or id.
        agreement: String,
    },
    /// Open the yearly revision of an agreement (IT-strateg).
    Open {
        /// The agreement: title, kind or id.
        agreement: String,
        /// The year of the revision.
        #[arg(long)]
        year: i32,
        /// The day the new version takes effect (default: 1 January of the year).
        #[arg(long)]
        effective_from: Option<String>,
        /// Last day of each phase: proposals, consolidation, forum review,
        /// decision, approvals, comma-separated (default: 6, 5, 4 and 3
        /// months and 1 day before the effective date).
        #[arg(long, value_delimiter = ',')]
        phase_ends: Vec<String>,
    },
    /// Move a revision forward to a phase, one phase at a time (IT-strateg).
    Advance {
        #[command(flatten)]
        revision: RevisionRef,
        /// The phase to reach.
        #[arg(long, value_enum)]
        to: PhaseArg,
    },
    /// Draft a change proposal for your municipality; only your municipality sees it until submitted.
    Propose {
        #[command(flatten)]
        revision: RevisionRef,
        /// The section it concerns, e.g. 3 (for add: the section the new one follows; 0 for first).
        #[arg(long)]
        section: String,
        #[arg(long, value_enum)]
        kind: Action,
        /// For add: the new section's title.
        #[arg(long, default_value = "")]
        title: String,
        /// For amend and add: the proposed text of the section.
        #[arg(long, default_value = "")]
        text: String,
        /// Why.
        #[arg(long)]
        rationale: String,
    },
    /// The proposals of a revision: your municipality's drafts and every submitted one.
    Proposals {
        #[command(flatten)]
        revision: RevisionRef,
    },
    /// Submit your municipality's draft proposals (all of the revision's, or one section's, or one by id).
    Submit {
        /// A proposal's id, or the revision (agreement title, kind or revision id).
        proposal: String,
        /// Only the revision's draft for this section.
        #[arg(long)]
        section: Option<String>,
        /// The revision's year (default: the open revision).
        #[arg(long)]
        year: Option<i32>,
    },
    /// Accept or reject submitted proposals, with a reason for the proposer (IT-strateg).
    #[command(group(ArgGroup::new("outcome").required(true).args(["accept", "accept_with_changes", "reject"])))]
    Resolve {
        /// A proposal's id, or the revision: then every submitted proposal (or --section's).
        proposal: String,
        /// Only the revision's submitted proposal(s) for this section.
        #[arg(long)]
        section: Option<String>,
        /// The revision's year (default: the open revision).
        #[arg(long)]
        year: Option<i32>,
        #[arg(long)]
        accept: bool,
        /// Accept with this text instead of the proposed one.
        #[arg(long, value_name = "TEXT")]
        accept_with_changes: Option<String>,
        #[arg(long)]
        reject: bool,
        /// The reason, for the proposer to read.
        #[arg(long)]
        reason: String,
    },
    /// Build the consolidated draft from the accepted proposals and show its diff
    /// (closes the proposals phase first if it is still open) (IT-strateg).
    Consolidate {
        #[command(flatten)]
        revision: RevisionRef,
    },
    /// Link IT-styrgruppen's decision to the consolidated draft and open the approvals (IT-strateg).
    Decide {
        #[command(flatten)]
        revision: RevisionRef,
        /// The decision: its id or a unique part of its title.
        #[arg(long)]
        decision: String,
    },
    /// Record your municipality's approval (KS-beslut) of the decided version.
    Approve {
        #[command(flatten)]
        revision: RevisionRef,
        /// The KS decision's paragraph, e.g. "KS § 123" or "§ 123".
        #[arg(long)]
        ks_paragraph: String,
        /// The day of the KS decision: 2027-03-01.
        #[arg(long)]
        date: String,
        /// The approving body.
        #[arg(long, default_value = "Kommunstyrelsen")]
        body: String,
    },
    /// The readable difference between two versions of an agreement.
    Diff {
        /// The agreement: title, kind or id.
        agreement: String,
        /// The earlier version's number (default: the one before --to).
        #[arg(long)]
        from: Option<i32>,
        /// The later version's number (default: the newest).
        #[arg(long)]
        to: Option<i32>,
    },
}

/// A revision: by its agreement (title, kind or id) and year, or by id.
#[derive(clap::Args, Debug)]
pub struct RevisionRef {
    /// The revision: the agreement's title, kind or id (its open revision), or the revision's id.
    revision: String,
    /// The revision's year (default: the open revision).
    #[arg(long)]
    year: Option<i32>,
}

#[derive(ValueEnum, Debug, Clone, Copy)]
pub enum Kind {
    /// Samverkansavtal IT.
    Samverkansavtal,
    /// Riktlinjer för ramuppdrag IT.
    Riktlinjer,
    /// Samverkansorganisation IT och digitalisering.
    Organisation,
}

#[derive(ValueEnum, Debug, Clone, Copy)]
pub enum Action {
    Amend,
    Add,
    Delete,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PhaseArg {
    Proposals,
    Consolidation,
    ForumReview,
    Decision,
    Approvals,
    InForce,
}

impl PhaseArg {
    fn pb(self) -> pb::Phase {
        match self {
            PhaseArg::Proposals => pb::Phase::Proposals,
            PhaseArg::Consolidation => pb::Phase::Consolidation,
            PhaseArg::ForumReview => pb::Phase::ForumReview,
            PhaseArg::Decision => pb::Phase::Decision,
            PhaseArg::Approvals => pb::Phase::Approvals,
            PhaseArg::InForce => pb::Phase::InForce,
        }
    }
}

type Client = AgreementsServiceClient<Channel>;

fn api(ctx: &Ctx) -> Client {
    AgreementsServiceClient::new(ctx.channel.clone())
}

fn kind_name(k: i32) -> String {
    match pb::AgreementKind::try_from(k) {
        Ok(pb::AgreementKind::CollaborationAgreement) => "samverkansavtal".into(),
        Ok(pb::AgreementKind::Guidelines) => "riktlinjer".into(),
        Ok(pb::AgreementKind::Organisation) => "organisation".into(),
        _ => String::new(),
    }
}

fn phase_name(p: i32) -> String {
    pb::Phase::try_from(p)
        .map(|p| enum_name(p.as_str_name(), "PHASE_"))
        .unwrap_or_default()
}

fn status_name(s: i32) -> String {
    pb::VersionStatus::try_from(s)
        .map(|s| enum_name(s.as_str_name(), "VERSION_STATUS_"))
        .unwrap_or_default()
}

fn proposal_state(s: i32) -> String {
    pb::ProposalState::try_from(s)
        .map(|s| enum_name(s.as_str_name(), "PROPOSAL_STATE_"))
        .unwrap_or_default()
}

fn action_name(a: i32) -> String {
    pb::ProposalAction::try_from(a)
        .map(|a| enum_name(a.as_str_name(), "PROPOSAL_ACTION_"))
        .unwrap_or_default()
}

async fn agreements(ctx: &Ctx) -> anyhow::Result<Vec<pb::Agreement>> {
    Ok(api(ctx)
        .list_agreements(ctx.req(pb::ListAgreementsRequest::default()))
        .await
        .map_err(|s| explain(s, "list agreements"))?
        .into_inner()
        .agreements)
}

/// An agreement by id, kind ("samverkansavtal") or title (a unique part).
async fn agreement(ctx: &Ctx, name: &str) -> anyhow::Result<pb::Agreement> {
    let all = agreements(ctx).await?;
    if let Some(a) = all.iter().find(|a| a.id == name.trim()) {
        return Ok(a.clone());
    }
    let want = name.trim().to_lowercase();
    let of_kind: Vec<_> = all.iter().filter(|a| kind_name(a.kind) == want).collect();
    if let [one] = of_kind.as_slice() {
        return Ok((*one).clone());
    }
    pick(
        "agreement",
        name,
        all,
        |a| a.title.clone(),
        "samverkan agreement list",
    )
}

async fn revisions(ctx: &Ctx, agreement_id: &str) -> anyhow::Result<Vec<pb::Revision>> {
    let mut all = Vec::new();
    let mut token = String::new();
    loop {
        let page = api(ctx)
            .list_revisions(ctx.req(pb::ListRevisionsRequest {
                agreement_id: agreement_id.to_owned(),
                page_size: 200,
                page_token: token,
            }))
            .await
            .map_err(|s| explain(s, "list the revisions"))?
            .into_inner();
        all.extend(page.revisions);
        if page.next_page_token.is_empty() {
            return Ok(all);
        }
        token = page.next_page_token;
    }
}

async fn get_revision(ctx: &Ctx, id: &str) -> Result<pb::Revision, tonic::Status> {
    api(ctx)
        .get_revision(ctx.req(pb::GetRevisionRequest { id: id.to_owned() }))
        .await?
        .into_inner()
        .revision
        .ok_or_else(|| tonic::Status::internal("the server answered without a revision"))
}

/// A revision by id, or its agreement's revision of `year` (default: the
/// open one, newest first), with its members' approvals.
async fn revision(ctx: &Ctx, name: &str, year: Option<i32>) -> anyhow::Result<pb::Revision> {
    if is_id(name) && year.is_none() {
        match get_revision(ctx, name.trim()).await {
            Ok(r) => return Ok(r),
            Err(s) if s.code() == tonic::Code::NotFound => {} // an agreement's id, perhaps
            Err(s) => return Err(explain(s, "read the revision")),
        }
    }
    let a = agreement(ctx, name).await?;
    let all = revisions(ctx, &a.id).await?;
    let found = match year {
        Some(y) => all.into_iter().find(|r| r.year == y).ok_or_else(|| {
            anyhow!(
                "{} has no revision for {y}: see `samverkan agreement revisions \"{}\"`",
                a.title,
                a.title
            )
        })?,
        None => all
            .into_iter()
            .find(|r| r.phase != pb::Phase::InForce as i32)
            .ok_or_else(|| {
                anyhow!(
                    "{} has no open revision: the IT-strateg opens one with `samverkan agreement open \"{}\" --year <year>`",
                    a.title,
                    a.title
                )
            })?,
    };
    get_revision(ctx, &found.id)
        .await
        .map_err(|s| explain(s, "read the revision"))
}

async fn proposals(ctx: &Ctx, revision_id: &str) -> anyhow::Result<Vec<pb::Proposal>> {
    Ok(api(ctx)
        .list_proposals(ctx.req(pb::ListProposalsRequest {
            revision_id: revision_id.to_owned(),
        }))
        .await
        .map_err(|s| explain(s, "list the proposals"))?
        .into_inner()
        .proposals)
}

/// The proposals `name` stands for: one by id (found in the open
/// revisions), or the revision's in `state`, narrowed to `section`.
async fn chosen_proposals(
    ctx: &Ctx,
    name: &str,
    year: Option<i32>,
    section: Option<&str>,
    state: pb::ProposalState,
) -> anyhow::Result<(pb::Revision, Vec<pb::Proposal>)> {
    if is_id(name) && year.is_none() {
        for a in agreements(ctx).await? {
            for r in revisions(ctx, &a.id).await? {
                if r.phase > pb::Phase::Consolidation as i32 {
                    continue;
                }
                if let Some(p) = proposals(ctx, &r.id)
                    .await?
                    .into_iter()
                    .find(|p| p.id == name.trim())
                {
                    return Ok((r, vec![p]));
                }
            }
        }
    }
    let r = revision(ctx, name, year).await?;
    let chosen: Vec<pb::Proposal> = proposals(ctx, &r.id)
        .await?
        .into_iter()
        .filter(|p| p.state == state as i32)
        .filter(|p| section.is_none_or(|s| p.section_number == s.trim()))
        .collect();
    if chosen.is_empty() {
        bail!(
            "no {} proposal{} in this revision: see `samverkan agreement proposals {}`",
            proposal_state(state as i32),
            section
                .map(|s| format!(" for section {s}"))
                .unwrap_or_default(),
            r.id
        );
    }
    Ok((r, chosen))
}

/// The current phase's last day, "(försenad)" when it has passed.
fn phase_end(r: &pb::Revision) -> String {
    r.deadlines
        .iter()
        .find(|d| d.phase == r.phase)
        .map(|d| {
            format!(
                "{}{}",
                date(d.ends_on.as_ref()),
                if d.late { " (försenad)" } else { "" }
            )
        })
        .unwrap_or_default()
}

const REVISION_COLS: [Col; 5] = [
    col("year", "År"),
    col("phase", "Fas"),
    col("effective_from", "Gäller från"),
    col("phase_ends_on", "Fasens sista dag"),
    col("id", "Id"),
];

fn revision_row(r: &pb::Revision) -> Vec<String> {
    vec![
        r.year.to_string(),
        phase_name(r.phase),
        date(r.effective_from.as_ref()),
        phase_end(r),
        r.id.clone(),
    ]
}

/// `report` followed by the members' approvals of `r`.
fn with_approvals(report: Report, r: &pb::Revision) -> Report {
    report.table(
        "approvals",
        vec![
            col("municipality", "Kommun"),
            col("approval", "Godkännande"),
            col("decided_on", "Datum"),
        ],
        r.approvals
            .iter()
            .map(|m| match &m.approval {
                Some(a) => vec![
                    m.municipality_id.clone(),
                    format!(
                        "{} {}{}",
                        a.body,
                        a.paragraph_ref,
                        if a.recorded { "" } else { " (utkast)" }
                    ),
                    date(a.decided_on.as_ref()),
                ],
                None => vec![m.municipality_id.clone(), "väntar".into(), String::new()],
            })
            .collect(),
    )
}

const PROPOSAL_COLS: [Col; 7] = [
    col("section", "Avsnitt"),
    col("action", "Åtgärd"),
    col("municipality", "Kommun"),
    col("state", "Status"),
    col("text", "Förslag"),
    col("reason", "Skäl"),
    col("id", "Id"),
];

fn proposal_row(p: &pb::Proposal) -> Vec<String> {
    let text = if p.title.is_empty() {
        p.text.clone()
    } else {
        format!("{}: {}", p.title, p.text)
    };
    vec![
        p.section_number.clone(),
        action_name(p.action),
        p.municipality_id.clone(),
        proposal_state(p.state),
        text,
        if p.resolution_reason.is_empty() {
            p.rationale.clone()
        } else {
            p.resolution_reason.clone()
        },
        p.id.clone(),
    ]
}

fn version_fields(a: &pb::Agreement, v: &pb::Version) -> Vec<(Col, String)> {
    vec![
        (col("agreement", "Avtal"), a.title.clone()),
        (col("version", "Version"), v.number.to_string()),
        (col("status", "Status"), status_name(v.status)),
        (
            col("effective_from", "Gäller från"),
            date(v.effective_from.as_ref()),
        ),
        (
            col("next_review_on", "Nästa översyn"),
            date(v.next_review_on.as_ref()),
        ),
        (col("decisions", "Beslut"), v.decision_ids.join(", ")),
        (col("link", "Länk"), v.link.clone()),
        (col("id", "Id"), v.id.clone()),
    ]
}

async fn versions(ctx: &Ctx, agreement_id: &str) -> anyhow::Result<Vec<pb::Version>> {
    Ok(api(ctx)
        .list_versions(ctx.req(pb::ListVersionsRequest {
            agreement_id: agreement_id.to_owned(),
        }))
        .await
        .map_err(|s| explain(s, "list the versions"))?
        .into_inner()
        .versions)
}

fn numbered(a: &pb::Agreement, all: &[pb::Version], n: i32) -> anyhow::Result<pb::Version> {
    all.iter().find(|v| v.number == n).cloned().ok_or_else(|| {
        let have: Vec<String> = all.iter().map(|v| v.number.to_string()).collect();
        anyhow!("{} has no version {n}: it has {}", a.title, have.join(", "))
    })
}

/// "Parter: Tranemo kommun och …" as numbered Markdown sections.
fn sections_text(sections: &[String]) -> anyhow::Result<String> {
    let mut out = String::new();
    for (i, s) in sections.iter().enumerate() {
        let (title, body) = s.split_once(':').ok_or_else(|| {
            anyhow!("--section {s:?}: write it as \"Title: text\", e.g. \"Parter: Tranemo kommun och Ulricehamns kommun.\"")
        })?;
        out.push_str(&format!(
            "## {}. {}\n\n{}\n\n",
            i + 1,
            title.trim(),
            body.trim()
        ));
    }
    Ok(out)
}

fn to_naive(d: &Date) -> anyhow::Result<chrono::NaiveDate> {
    chrono::NaiveDate::from_ymd_opt(d.year, d.month as u32, d.day as u32)
        .ok_or_else(|| anyhow!("not a date"))
}

fn from_naive(d: chrono::NaiveDate) -> Date {
    use chrono::Datelike as _;
    Date {
        year: d.year(),
        month: d.month() as i32,
        day: d.day() as i32,
    }
}

/// The default schedule: proposals end 6 months before the effective date,
/// consolidation 5, forum review 4, decision 3, approvals the day before.
fn default_phase_ends(effective: chrono::NaiveDate) -> Vec<Date> {
    [6, 5, 4, 3]
        .into_iter()
        .filter_map(|m| effective.checked_sub_months(chrono::Months::new(m)))
        .chain(effective.pred_opt())
        .map(from_naive)
        .collect()
}

async fn advance_once(ctx: &Ctx, r: &pb::Revision) -> anyhow::Result<pb::Revision> {
    api(ctx)
        .advance_revision(ctx.req(pb::AdvanceRevisionRequest {
            id: r.id.clone(),
            etag: r.etag.clone(),
        }))
        .await
        .map_err(|s| explain(s, "advance the revision"))?
        .into_inner()
        .revision
        .ok_or_else(|| anyhow!("the server answered without a revision"))
}

/// Waits (up to 30 s) until the outbox has put the revision's decision on
/// the top forum's backlog, and says so; the delivery runs in the
/// background every few seconds.
async fn await_backlog(ctx: &Ctx, a: &pb::Agreement, r: &pb::Revision) -> anyhow::Result<String> {
    let forums = ctx.list_forums().await?;
    let Some(top) = forums.iter().find(|f| f.reports_to_forum_id.is_empty()) else {
        return Ok(String::new());
    };
    let want = format!("{} {}", a.title, r.year);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let backlog = ctx
            .forums()
            .list_agenda_backlog(ctx.req(fpb::ListAgendaBacklogRequest {
                forum_id: top.id.clone(),
                ..Default::default()
            }))
            .await;
        let found = match backlog {
            Ok(b) => b
                .into_inner()
                .matters
                .into_iter()
                .find(|m| m.title.contains(&want)),
            // Who may not read the backlog is not kept waiting.
            Err(_) => {
                return Ok(format!(
                    "Skickat till {} för beslut (ligger på dess balanslista inom några sekunder)",
                    top.name
                ));
            }
        };
        if let Some(m) = found {
            return Ok(format!(
                "På {}s balanslista / on the backlog: {}",
                top.name, m.title
            ));
        }
        if Instant::now() > deadline {
            return Ok(format!(
                "Skickat till {} för beslut; ännu inte på balanslistan: see `samverkan agenda backlog --forum {}` shortly",
                top.name, top.code
            ));
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

pub async fn run(ctx: &Ctx, cmd: AgreementCommand) -> anyhow::Result<Report> {
    match cmd {
        AgreementCommand::List => {
            let all = agreements(ctx).await?;
            Ok(Report::default().table(
                "agreements",
                vec![
                    col("title", "Avtal"),
                    col("kind", "Typ"),
                    col("version", "Version i kraft"),
                    col("effective_from", "Gäller från"),
                    col("next_review_on", "Nästa översyn"),
                    col("id", "Id"),
                ],
                all.iter()
                    .map(|a| {
                        let v = a.in_force.clone().unwrap_or_default();
                        vec![
                            a.title.clone(),
                            kind_name(a.kind),
                            if a.in_force.is_some() {
                                v.number.to_string()
                            } else {
                                String::new()
                            },
                            date(v.effective_from.as_ref()),
                            date(v.next_review_on.as_ref()),
                            a.id.clone(),
                        ]
                    })
                    .collect(),
            ))
        }
        AgreementCommand::Create {
            title,
            kind,
            effective_from,
            next_review,
            sections,
            file,
            link,
        } => {
            let text = match file {
                Some(path) => std::fs::read_to_string(&path)
                    .with_context(|| format!("read {}", path.display()))?,
                None => sections_text(&sections)?,
            };
            let created = api(ctx)
                .create_agreement(ctx.req(pb::CreateAgreementRequest {
                    request_id: request_id(),
                    kind: match kind {
                        Kind::Samverkansavtal => pb::AgreementKind::CollaborationAgreement,
                        Kind::Riktlinjer => pb::AgreementKind::Guidelines,
                        Kind::Organisation => pb::AgreementKind::Organisation,
                    } as i32,
                    title,
                    version: Some(pb::Version {
                        text,
                        effective_from: Some(parse_date(&effective_from)?),
                        next_review_on: next_review.as_deref().map(parse_date).transpose()?,
                        link,
                        ..Default::default()
                    }),
                }))
                .await
                .map_err(|s| explain(s, "register the agreement"))?
                .into_inner();
            let a = created
                .agreement
                .ok_or_else(|| anyhow!("the server answered without an agreement"))?;
            let v = created.version.unwrap_or_default();
            Ok(Report::default()
                .line(format!(
                    "Avtal registrerat / agreement registered: {}, version {} gäller från {}",
                    a.title,
                    v.number,
                    date(v.effective_from.as_ref())
                ))
                .fields("version", version_fields(&a, &v)))
        }
        AgreementCommand::Show {
            agreement: name,
            version,
        } => {
            let a = agreement(ctx, &name).await?;
            let all = versions(ctx, &a.id).await?;
            let chosen = match version {
                Some(n) => numbered(&a, &all, n)?,
                None => all
                    .iter()
                    .find(|v| v.status == pb::VersionStatus::InForce as i32)
                    .or(all.first())
                    .cloned()
                    .ok_or_else(|| anyhow!("{} has no versions", a.title))?,
            };
            let v = api(ctx)
                .get_version(ctx.req(pb::GetVersionRequest { id: chosen.id }))
                .await
                .map_err(|s| explain(s, "read the version"))?
                .into_inner()
                .version
                .ok_or_else(|| anyhow!("the server answered without a version"))?;
            let mut report = Report::default().fields("version", version_fields(&a, &v));
            if !v.changelog.is_empty() {
                report = report.raw("changelog", v.changelog.clone());
            }
            Ok(report.raw("text", v.text.clone()).table(
                "versions",
                vec![
                    col("number", "Version"),
                    col("status", "Status"),
                    col("effective_from", "Gäller från"),
                ],
                all.iter()
                    .map(|v| {
                        vec![
                            v.number.to_string(),
                            status_name(v.status),
                            date(v.effective_from.as_ref()),
                        ]
                    })
                    .collect(),
            ))
        }
        AgreementCommand::Revisions { agreement: name } => {
            let a = agreement(ctx, &name).await?;
            let all = revisions(ctx, &a.id).await?;
            Ok(Report::default().table(
                "revisions",
                REVISION_COLS.to_vec(),
                all.iter().map(revision_row).collect(),
            ))
        }
        AgreementCommand::Open {
            agreement: name,
            year,
            effective_from,
            phase_ends: ends,
        } => {
            let a = agreement(ctx, &name).await?;
            let effective = match effective_from {
                Some(d) => parse_date(&d)?,
                None => Date {
                    year,
                    month: 1,
                    day: 1,
                },
            };
            let phase_ends = if ends.is_empty() {
                default_phase_ends(to_naive(&effective)?)
            } else {
                ends.iter()
                    .map(|d| parse_date(d))
                    .collect::<anyhow::Result<_>>()?
            };
            let r = api(ctx)
                .open_revision(ctx.req(pb::OpenRevisionRequest {
                    request_id: request_id(),
                    agreement_id: a.id.clone(),
                    year,
                    phase_ends,
                    effective_from: Some(effective),
                }))
                .await
                .map_err(|s| explain(s, "open the revision"))?
                .into_inner()
                .revision
                .ok_or_else(|| anyhow!("the server answered without a revision"))?;
            Ok(Report::default()
                .line(format!(
                    "Revision {} av {} öppnad / opened: förslag senast {}",
                    r.year,
                    a.title,
                    r.deadlines
                        .first()
                        .map(|d| date(d.ends_on.as_ref()))
                        .unwrap_or_default()
                ))
                .table("revision", REVISION_COLS.to_vec(), vec![revision_row(&r)]))
        }
        AgreementCommand::Advance { revision: rr, to } => {
            let mut r = revision(ctx, &rr.revision, rr.year).await?;
            let target = to.pb() as i32;
            if r.phase > target {
                bail!(
                    "the revision is already in the {} phase, past {}",
                    phase_name(r.phase),
                    phase_name(target)
                );
            }
            let mut report = Report::default();
            while r.phase < target {
                r = advance_once(ctx, &r).await?;
                report = report.line(format!("Fas / phase: {}", phase_name(r.phase)));
                if r.phase == pb::Phase::Decision as i32 {
                    let a = agreement(ctx, &r.agreement_id).await?;
                    let waited = await_backlog(ctx, &a, &r).await?;
                    if !waited.is_empty() {
                        report = report.line(waited);
                    }
                }
            }
            Ok(report.table("revision", REVISION_COLS.to_vec(), vec![revision_row(&r)]))
        }
        AgreementCommand::Propose {
            revision: rr,
            section,
            kind,
            title,
            text,
            rationale,
        } => {
            let r = revision(ctx, &rr.revision, rr.year).await?;
            let p = api(ctx)
                .create_proposal(ctx.req(pb::CreateProposalRequest {
                    request_id: request_id(),
                    proposal: Some(pb::Proposal {
                        revision_id: r.id.clone(),
                        section_number: section,
                        action: match kind {
                            Action::Amend => pb::ProposalAction::Amend,
                            Action::Add => pb::ProposalAction::Add,
                            Action::Delete => pb::ProposalAction::Delete,
                        } as i32,
                        title,
                        text,
                        rationale,
                        ..Default::default()
                    }),
                }))
                .await
                .map_err(|s| explain(s, "draft the proposal"))?
                .into_inner()
                .proposal
                .ok_or_else(|| anyhow!("the server answered without a proposal"))?;
            Ok(Report::default()
                .line(format!(
                    "Förslag sparat som utkast, synligt bara för {} / draft visible only to {}: lämna in med `samverkan agreement submit {}`",
                    p.municipality_id, p.municipality_id, p.id
                ))
                .table("proposal", PROPOSAL_COLS.to_vec(), vec![proposal_row(&p)]))
        }
        AgreementCommand::Proposals { revision: rr } => {
            let r = revision(ctx, &rr.revision, rr.year).await?;
            let all = proposals(ctx, &r.id).await?;
            Ok(Report::default().table(
                "proposals",
                PROPOSAL_COLS.to_vec(),
                all.iter().map(proposal_row).collect(),
            ))
        }
        AgreementCommand::Submit {
            proposal,
            section,
            year,
        } => {
            let (_, drafts) = chosen_proposals(
                ctx,
                &proposal,
                year,
                section.as_deref(),
                pb::ProposalState::Draft,
            )
            .await?;
            let mut rows = Vec::new();
            for p in drafts {
                let p = api(ctx)
                    .submit_proposal(ctx.req(pb::SubmitProposalRequest {
                        id: p.id,
                        etag: p.etag,
                    }))
                    .await
                    .map_err(|s| explain(s, "submit the proposal"))?
                    .into_inner()
                    .proposal
                    .ok_or_else(|| anyhow!("the server answered without a proposal"))?;
                rows.push(proposal_row(&p));
            }
            Ok(Report::default()
                .line(format!(
                    "{} förslag inlämnat / submitted: alla medlemmar ser nu {}",
                    rows.len(),
                    if rows.len() == 1 { "det" } else { "dem" }
                ))
                .table("proposals", PROPOSAL_COLS.to_vec(), rows))
        }
        AgreementCommand::Resolve {
            proposal,
            section,
            year,
            accept,
            accept_with_changes,
            reject,
            reason,
        } => {
            let outcome = match (accept, &accept_with_changes, reject) {
                (_, Some(_), _) => pb::ProposalState::AcceptedWithChanges,
                (true, None, _) => pb::ProposalState::Accepted,
                _ => pb::ProposalState::Rejected,
            };
            let (_, submitted) = chosen_proposals(
                ctx,
                &proposal,
                year,
                section.as_deref(),
                pb::ProposalState::Submitted,
            )
            .await?;
            let mut rows = Vec::new();
            for p in submitted {
                let p = api(ctx)
                    .resolve_proposal(ctx.req(pb::ResolveProposalRequest {
                        id: p.id,
                        outcome: outcome as i32,
                        reason: reason.clone(),
                        accepted_text: accept_with_changes.clone().unwrap_or_default(),
                        etag: p.etag,
                    }))
                    .await
                    .map_err(|s| explain(s, "resolve the proposal"))?
                    .into_inner()
                    .proposal
                    .ok_or_else(|| anyhow!("the server answered without a proposal"))?;
                rows.push(proposal_row(&p));
            }
            Ok(Report::default()
                .line(format!(
                    "{} förslag {} / resolved",
                    rows.len(),
                    match outcome {
                        pb::ProposalState::Rejected => "avslaget",
                        pb::ProposalState::AcceptedWithChanges => "godtaget med ändringar",
                        _ => "godtaget",
                    }
                ))
                .table("proposals", PROPOSAL_COLS.to_vec(), rows))
        }
        AgreementCommand::Consolidate { revision: rr } => {
            let mut r = revision(ctx, &rr.revision, rr.year).await?;
            let mut report = Report::default();
            if r.phase == pb::Phase::Proposals as i32 {
                r = advance_once(ctx, &r).await?;
                report = report.line("Förslagsperioden stängd / proposals closed");
            }
            let c = api(ctx)
                .consolidate_revision(ctx.req(pb::ConsolidateRevisionRequest { id: r.id.clone() }))
                .await
                .map_err(|s| explain(s, "consolidate the revision"))?
                .into_inner();
            let v = c.version.unwrap_or_default();
            Ok(report
                .line(format!(
                    "Konsoliderat förslag / consolidated draft: version {} ({})",
                    v.number,
                    status_name(v.status)
                ))
                .raw("diff", c.diff_markdown))
        }
        AgreementCommand::Decide {
            revision: rr,
            decision,
        } => {
            let d = ctx.decision(&decision).await?;
            let r = revision(ctx, &rr.revision, rr.year).await?;
            let r = api(ctx)
                .record_revision_decision(ctx.req(pb::RecordRevisionDecisionRequest {
                    id: r.id.clone(),
                    decision_id: d.id.clone(),
                    etag: r.etag.clone(),
                }))
                .await
                .map_err(|s| explain(s, "record the decision"))?
                .into_inner()
                .revision
                .ok_or_else(|| anyhow!("the server answered without a revision"))?;
            let r = advance_once(ctx, &r).await?;
            Ok(with_approvals(
                Report::default().line(format!(
                    "Beslutat enligt {} {} / decided; nu godkänner varje medlems kommunstyrelse (fas {})",
                    d.paragraph_ref,
                    d.title,
                    phase_name(r.phase)
                )),
                &r,
            ))
        }
        AgreementCommand::Approve {
            revision: rr,
            ks_paragraph,
            date: decided_on,
            body,
        } => {
            let r = revision(ctx, &rr.revision, rr.year).await?;
            let paragraph = ks_paragraph
                .trim()
                .strip_prefix("KS")
                .map(str::trim)
                .unwrap_or(ks_paragraph.trim())
                .to_owned();
            let created = api(ctx)
                .create_approval(ctx.req(pb::CreateApprovalRequest {
                    request_id: request_id(),
                    approval: Some(pb::Approval {
                        revision_id: r.id.clone(),
                        body,
                        paragraph_ref: paragraph,
                        decided_on: Some(parse_date(&decided_on)?),
                        ..Default::default()
                    }),
                }))
                .await;
            let draft = match created {
                Ok(resp) => resp
                    .into_inner()
                    .approval
                    .ok_or_else(|| anyhow!("the server answered without an approval"))?,
                // A draft left by an earlier attempt: record that one.
                Err(s) if s.code() == tonic::Code::AlreadyExists => r
                    .approvals
                    .iter()
                    .filter_map(|m| m.approval.clone())
                    .find(|a| !a.recorded)
                    .ok_or_else(|| explain(s, "record the approval"))?,
                Err(s) => return Err(explain(s, "record the approval")),
            };
            let resp = api(ctx)
                .record_approval(ctx.req(pb::RecordApprovalRequest {
                    id: draft.id,
                    etag: draft.etag,
                }))
                .await
                .map_err(|s| explain(s, "record the approval"))?
                .into_inner();
            let a = resp
                .approval
                .ok_or_else(|| anyhow!("the server answered without an approval"))?;
            let r = resp
                .revision
                .ok_or_else(|| anyhow!("the server answered without the revision"))?;
            let waiting: Vec<&str> = r
                .approvals
                .iter()
                .filter(|m| !m.approval.as_ref().is_some_and(|a| a.recorded))
                .map(|m| m.municipality_id.as_str())
                .collect();
            let mut report = Report::default().line(format!(
                "Godkännande registrerat / approval recorded: {} {} {} ({})",
                a.municipality_id,
                a.body,
                a.paragraph_ref,
                date(a.decided_on.as_ref())
            ));
            report = if r.phase == pb::Phase::InForce as i32 {
                report.line(format!(
                    "Alla medlemmar har godkänt; den nya versionen gäller sedan {}",
                    date(r.effective_from.as_ref())
                ))
            } else if waiting.is_empty() {
                report.line(format!(
                    "Alla medlemmar har godkänt; den nya versionen gäller från {}",
                    date(r.effective_from.as_ref())
                ))
            } else {
                report.line(format!("Väntar på / waiting for: {}", waiting.join(", ")))
            };
            Ok(with_approvals(report, &r))
        }
        AgreementCommand::Diff {
            agreement: name,
            from,
            to,
        } => {
            let a = agreement(ctx, &name).await?;
            let all = versions(ctx, &a.id).await?;
            let to = match to {
                Some(n) => numbered(&a, &all, n)?,
                None => all
                    .first()
                    .cloned()
                    .ok_or_else(|| anyhow!("{} has no versions", a.title))?,
            };
            let from = numbered(&a, &all, from.unwrap_or(to.number - 1))?;
            let d = api(ctx)
                .diff_versions(ctx.req(pb::DiffVersionsRequest {
                    from_version_id: from.id.clone(),
                    to_version_id: to.id.clone(),
                }))
                .await
                .map_err(|s| explain(s, "compare the versions"))?
                .into_inner();
            Ok(Report::default()
                .line(format!(
                    "{}: version {} → {}: {} nya, {} borttagna, {} flyttade, {} ändrade avsnitt",
                    a.title, from.number, to.number, d.added, d.removed, d.moved, d.edited
                ))
                .raw("diff", d.markdown))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_become_numbered_markdown() {
        let text = sections_text(&[
            "Parter: Tranemo kommun och Ulricehamns kommun.".into(),
            "Kostnader: Enligt prislistan: se bilaga.".into(),
        ])
        .unwrap();
        assert_eq!(
            text,
            "## 1. Parter\n\nTranemo kommun och Ulricehamns kommun.\n\n\
             ## 2. Kostnader\n\nEnligt prislistan: se bilaga.\n\n"
        );
        assert!(sections_text(&["Ingen rubrik".into()]).is_err());
    }

    #[test]
    fn default_schedule_ends_before_the_effective_date() {
        let effective = chrono::NaiveDate::from_ymd_opt(2027, 7, 1).unwrap();
        let ends: Vec<String> = default_phase_ends(effective)
            .iter()
            .map(|d| date(Some(d)))
            .collect();
        assert_eq!(
            ends,
            [
                "2027-01-01",
                "2027-02-01",
                "2027-03-01",
                "2027-04-01",
                "2027-06-30"
            ]
        );
    }
}
