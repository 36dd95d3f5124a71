//! The client CLI: what officials do, as commands against a running server.
//!
//! Every command reads the server address and token from the session that
//! `samverkan login` stored (overridable with `--server` and `--token`),
//! makes its gRPC calls with the generated clients, and prints a table (or
//! JSON with `--json`). Forums, meetings, matters and decisions can be named
//! the way people name them (a forum's code, a meeting's or matter's title)
//! as well as by id.

mod agreements;
mod bills;
mod decisions;
mod errors;
mod matters;
mod meetings;
mod members;
pub mod output;
mod session;

use std::process::ExitCode;

use anyhow::{Context as _, anyhow, bail};
use chrono::{Days, NaiveDate, NaiveDateTime, TimeZone as _};
use chrono_tz::Europe::Stockholm;
use clap::{Args, Subcommand};
use tonic::transport::Channel;

use samverkan_proto::Timestamp;
use samverkan_proto::common::v1::Date;
use samverkan_proto::decisions::v1 as dpb;
use samverkan_proto::decisions::v1::decisions_service_client::DecisionsServiceClient;
use samverkan_proto::forums::v1 as fpb;
use samverkan_proto::forums::v1::forums_service_client::ForumsServiceClient;
use samverkan_proto::roles::v1 as rpb;
use samverkan_proto::roles::v1::roles_service_client::RolesServiceClient;

pub use errors::explain;
use output::Report;
pub use session::dev_municipality;

/// Options every client command takes.
#[derive(Args, Debug, Clone, Default)]
pub struct GlobalArgs {
    /// The server to call, e.g. http://127.0.0.1:50051 (default: the one `login` stored).
    #[arg(
        long,
        global = true,
        env = "SAMVERKAN_SERVER",
        help_heading = "Client options"
    )]
    pub server: Option<String>,
    /// The bearer token to send (default: the one `login` stored).
    #[arg(
        long,
        global = true,
        env = "SAMVERKAN_TOKEN",
        hide_env_values = true,
        help_heading = "Client options"
    )]
    pub token: Option<String>,
    /// Print JSON for scripts instead of a table.
    #[arg(long, global = true, help_heading = "Client options")]
    pub json: bool,
}

/// The client commands, flattened into the binary's command list.
#[derive(Subcommand, Debug)]
pub enum ClientCommand {
    /// Sign in: check a token against the server and store both for later commands.
    Login(session::LoginArgs),
    /// Forget the stored session.
    Logout,
    /// Who the stored token says you are.
    Whoami,
    /// The collaboration's forums and their codes.
    Forums,
    /// Matters (ärenden): list, show, draft, submit, escalate.
    Matters {
        #[command(subcommand)]
        command: matters::MattersCommand,
    },
    /// Meetings of a forum.
    Meetings {
        #[command(subcommand)]
        command: meetings::MeetingsCommand,
    },
    /// Build and publish an agenda (dagordning) from the forum's backlog.
    Agenda {
        #[command(subcommand)]
        command: meetings::AgendaCommand,
    },
    /// Private preparation notes on agenda items.
    Notes {
        #[command(subcommand)]
        command: meetings::NotesCommand,
    },
    /// Minutes (protokoll): attendance, §§, adjusters, adjustment.
    Minutes {
        #[command(subcommand)]
        command: meetings::MinutesCommand,
    },
    /// Export a meeting's agenda or minutes (Markdown, HTML) or the meeting (iCalendar).
    Export {
        #[command(subcommand)]
        command: meetings::ExportCommand,
    },
    /// The decision register and follow-ups.
    Decisions {
        #[command(subcommand)]
        command: decisions::DecisionsCommand,
    },
    /// Follow-ups and activities that are due or overdue.
    Due(decisions::DueArgs),
    /// Price lists of the cost model.
    Pricelist {
        #[command(subcommand)]
        command: bills::PriceListCommand,
    },
    /// A municipality's bill, its explanation and CSV.
    Bill {
        #[command(subcommand)]
        command: bills::BillCommand,
    },
    /// Agreements and their yearly review: open, propose, submit, consolidate, decide, approve, diff.
    Agreement {
        #[command(subcommand)]
        command: agreements::AgreementCommand,
    },
    /// Member municipalities: list, add from a join date, end a membership.
    Members {
        #[command(subcommand)]
        command: members::MembersCommand,
    },
    /// People: register one (of your municipality, or a new member's first administrator), list.
    People {
        #[command(subcommand)]
        command: members::PeopleCommand,
    },
    /// Role assignments: give a person a role from a date.
    Roles {
        #[command(subcommand)]
        command: members::RolesCommand,
    },
}

/// Runs a client command and prints its report.
pub async fn run(global: GlobalArgs, cmd: ClientCommand) -> anyhow::Result<ExitCode> {
    let json = global.json;
    let report = match cmd {
        ClientCommand::Login(args) => session::login(&global, args).await?,
        ClientCommand::Logout => session::logout()?,
        other => {
            let ctx = Ctx::connect(&global).await?;
            dispatch(&ctx, other).await?
        }
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&report.to_json())?);
    } else {
        print!("{}", report.to_text());
    }
    Ok(ExitCode::SUCCESS)
}

async fn dispatch(ctx: &Ctx, cmd: ClientCommand) -> anyhow::Result<Report> {
    match cmd {
        ClientCommand::Login(_) | ClientCommand::Logout => {
            unreachable!("handled before connecting")
        }
        ClientCommand::Whoami => session::whoami(ctx).await,
        ClientCommand::Forums => session::forums(ctx).await,
        ClientCommand::Matters { command } => matters::run(ctx, command).await,
        ClientCommand::Meetings { command } => meetings::meetings(ctx, command).await,
        ClientCommand::Agenda { command } => meetings::agenda(ctx, command).await,
        ClientCommand::Notes { command } => meetings::notes(ctx, command).await,
        ClientCommand::Minutes { command } => meetings::minutes(ctx, command).await,
        ClientCommand::Export { command } => meetings::export(ctx, command).await,
        ClientCommand::Decisions { command } => decisions::run(ctx, command).await,
        ClientCommand::Due(args) => decisions::due(ctx, args).await,
        ClientCommand::Pricelist { command } => bills::price_lists_cmd(ctx, command).await,
        ClientCommand::Bill { command } => bills::bill(ctx, command).await,
        ClientCommand::Agreement { command } => agreements::run(ctx, command).await,
        ClientCommand::Members { command } => members::members(ctx, command).await,
        ClientCommand::People { command } => members::people(ctx, command).await,
        ClientCommand::Roles { command } => members::roles(ctx, command).await,
    }
}

/// A connection to the server with the caller's token.
pub struct Ctx {
    pub server: String,
    token: String,
    channel: Channel,
}

impl Ctx {
    async fn connect(global: &GlobalArgs) -> anyhow::Result<Self> {
        let stored = session::Session::load()?;
        let server = global
            .server
            .clone()
            .or_else(|| stored.as_ref().map(|s| s.server.clone()))
            .ok_or_else(|| {
                anyhow!(
                    "not signed in: run `samverkan login --server <url> --dev-person <email>` (or pass --server and --token)"
                )
            })?;
        let token = global
            .token
            .clone()
            .or_else(|| stored.as_ref().map(|s| s.token.clone()))
            .ok_or_else(|| anyhow!("no token: run `samverkan login` first (or pass --token)"))?;
        let channel = channel(&server).await?;
        Ok(Self {
            server,
            token,
            channel,
        })
    }

    /// `msg` as a request carrying the caller's token.
    pub fn req<T>(&self, msg: T) -> tonic::Request<T> {
        bearer(&self.token, msg)
    }

    pub fn forums(&self) -> ForumsServiceClient<Channel> {
        ForumsServiceClient::new(self.channel.clone())
    }

    pub fn roles(&self) -> RolesServiceClient<Channel> {
        RolesServiceClient::new(self.channel.clone())
    }

    pub fn decisions(&self) -> DecisionsServiceClient<Channel> {
        DecisionsServiceClient::new(self.channel.clone())
    }

    pub fn costmodel(
        &self,
    ) -> samverkan_proto::costmodel::v1::cost_model_service_client::CostModelServiceClient<Channel>
    {
        samverkan_proto::costmodel::v1::cost_model_service_client::CostModelServiceClient::new(
            self.channel.clone(),
        )
    }

    /// The collaboration's forums.
    pub async fn list_forums(&self) -> anyhow::Result<Vec<rpb::Forum>> {
        Ok(self
            .roles()
            .list_forums(self.req(rpb::ListForumsRequest::default()))
            .await
            .map_err(|s| explain(s, "list forums"))?
            .into_inner()
            .forums)
    }

    /// A forum by id, code ("styrgruppen") or name ("IT-styrgruppen").
    pub async fn forum(&self, name: &str) -> anyhow::Result<rpb::Forum> {
        let forums = self.list_forums().await?;
        let want = name.trim().to_lowercase();
        forums
            .iter()
            .find(|f| f.id == name || f.code == want || f.name.to_lowercase() == want)
            .cloned()
            .ok_or_else(|| {
                let codes: Vec<_> = forums.iter().map(|f| f.code.as_str()).collect();
                anyhow!(
                    "no forum {name:?}: use one of {} (see `samverkan forums`)",
                    codes.join(", ")
                )
            })
    }

    /// A forum's name for display (its id when unknown).
    pub async fn forum_names(&self) -> anyhow::Result<std::collections::HashMap<String, String>> {
        Ok(self
            .list_forums()
            .await?
            .into_iter()
            .map(|f| (f.id, f.name))
            .collect())
    }

    /// Every person the caller may see.
    pub async fn people(&self) -> anyhow::Result<Vec<rpb::Person>> {
        let mut out = Vec::new();
        let mut token = String::new();
        loop {
            let page = self
                .roles()
                .list_people(self.req(rpb::ListPeopleRequest {
                    page_size: 200,
                    page_token: token,
                    ..Default::default()
                }))
                .await
                .map_err(|s| explain(s, "list people"))?
                .into_inner();
            out.extend(page.people);
            if page.next_page_token.is_empty() {
                return Ok(out);
            }
            token = page.next_page_token;
        }
    }

    /// A person by id or e-mail.
    pub async fn person(&self, who: &str) -> anyhow::Result<rpb::Person> {
        self.people()
            .await?
            .into_iter()
            .find(|p| p.id == who || p.email.eq_ignore_ascii_case(who.trim()))
            .ok_or_else(|| {
                anyhow!("no person {who:?}: give an e-mail address of someone in the collaboration")
            })
    }

    /// A meeting by id or title (exact, or a unique part of it).
    pub async fn meeting(&self, name: &str) -> anyhow::Result<fpb::Meeting> {
        let id = if is_id(name) {
            name.to_owned()
        } else {
            let mut all = Vec::new();
            let mut token = String::new();
            loop {
                let page = self
                    .forums()
                    .list_meetings(self.req(fpb::ListMeetingsRequest {
                        page_size: 200,
                        page_token: token,
                        ..Default::default()
                    }))
                    .await
                    .map_err(|s| explain(s, "list meetings"))?
                    .into_inner();
                all.extend(page.meetings);
                if page.next_page_token.is_empty() {
                    break;
                }
                token = page.next_page_token;
            }
            pick(
                "meeting",
                name,
                all,
                |m| m.title.clone(),
                "samverkan meetings list",
            )?
            .id
        };
        self.forums()
            .get_meeting(self.req(fpb::GetMeetingRequest { id }))
            .await
            .map_err(|s| explain(s, "read the meeting"))?
            .into_inner()
            .meeting
            .ok_or_else(|| anyhow!("the server answered without a meeting"))
    }

    /// A matter by id or title (exact, or a unique part of it).
    pub async fn matter(&self, name: &str) -> anyhow::Result<fpb::Matter> {
        let id = if is_id(name) {
            name.to_owned()
        } else {
            let all = self.all_matters(fpb::ListMattersRequest::default()).await?;
            pick(
                "matter",
                name,
                all,
                |m| m.title.clone(),
                "samverkan matters list",
            )?
            .id
        };
        self.forums()
            .get_matter(self.req(fpb::GetMatterRequest { id }))
            .await
            .map_err(|s| explain(s, "read the matter"))?
            .into_inner()
            .matter
            .ok_or_else(|| anyhow!("the server answered without a matter"))
    }

    pub async fn all_matters(
        &self,
        filter: fpb::ListMattersRequest,
    ) -> anyhow::Result<Vec<fpb::Matter>> {
        let mut all = Vec::new();
        let mut token = String::new();
        loop {
            let page = self
                .forums()
                .list_matters(self.req(fpb::ListMattersRequest {
                    page_size: 200,
                    page_token: token,
                    ..filter.clone()
                }))
                .await
                .map_err(|s| explain(s, "list matters"))?
                .into_inner();
            all.extend(page.matters);
            if page.next_page_token.is_empty() {
                return Ok(all);
            }
            token = page.next_page_token;
        }
    }

    /// A decision by id or a unique part of its title.
    pub async fn decision(&self, name: &str) -> anyhow::Result<dpb::Decision> {
        let id = if is_id(name) {
            name.to_owned()
        } else {
            let all = self
                .decisions()
                .list_decisions(self.req(dpb::ListDecisionsRequest {
                    text: name.into(),
                    page_size: 200,
                    ..Default::default()
                }))
                .await
                .map_err(|s| explain(s, "list decisions"))?
                .into_inner()
                .decisions;
            pick(
                "decision",
                name,
                all,
                |d| d.title.clone(),
                "samverkan decisions list",
            )?
            .id
        };
        self.decisions()
            .get_decision(self.req(dpb::GetDecisionRequest { id }))
            .await
            .map_err(|s| explain(s, "read the decision"))?
            .into_inner()
            .decision
            .ok_or_else(|| anyhow!("the server answered without a decision"))
    }
}

/// Connects to `server`, saying what to do when nobody answers.
pub async fn channel(server: &str) -> anyhow::Result<Channel> {
    let endpoint = tonic::transport::Endpoint::from_shared(server.to_owned())
        .map_err(|_| anyhow!("{server:?} is not a server address such as http://127.0.0.1:50051"))?
        .connect_timeout(std::time::Duration::from_secs(5));
    endpoint.connect().await.map_err(|e| {
        anyhow!(
            "cannot reach the server at {server} ({e}): is `samverkan serve` running there? Check --server or run `samverkan login` again"
        )
    })
}

pub fn bearer<T>(token: &str, msg: T) -> tonic::Request<T> {
    let mut req = tonic::Request::new(msg);
    if let Ok(v) = format!("Bearer {token}").parse() {
        req.metadata_mut().insert("authorization", v);
    }
    req
}

/// Whether `s` looks like a UUID (an id rather than a name).
pub fn is_id(s: &str) -> bool {
    uuid::Uuid::parse_str(s.trim()).is_ok()
}

/// The one item whose title equals `name` or, failing that, contains it
/// (case-insensitively).
pub fn pick<T>(
    what: &str,
    name: &str,
    items: Vec<T>,
    title: impl Fn(&T) -> String,
    list_cmd: &str,
) -> anyhow::Result<T> {
    let want = name.trim().to_lowercase();
    let (exact, rest): (Vec<T>, Vec<T>) = items
        .into_iter()
        .partition(|i| title(i).to_lowercase() == want);
    if exact.len() == 1 {
        return Ok(exact.into_iter().next().unwrap_or_else(|| unreachable!()));
    }
    let mut matching: Vec<T> = exact
        .into_iter()
        .chain(
            rest.into_iter()
                .filter(|i| title(i).to_lowercase().contains(&want)),
        )
        .collect();
    match matching.len() {
        0 => bail!("no {what} matches {name:?}: run `{list_cmd}` to see them, or give the id"),
        1 => Ok(matching.remove(0)),
        n => {
            let titles: Vec<String> = matching
                .iter()
                .take(5)
                .map(|i| format!("{:?}", title(i)))
                .collect();
            bail!(
                "{n} {what}s match {name:?} ({}): give more of the title, or the id",
                titles.join(", ")
            )
        }
    }
}

/// A new idempotency key for a create call.
pub fn request_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// "2026-12-17 13:00" (Swedish local time) as a timestamp.
pub fn parse_local_time(s: &str) -> anyhow::Result<Timestamp> {
    let naive = NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%d %H:%M").with_context(|| {
        format!("{s:?} is not a time such as \"2026-12-17 13:00\" (Swedish local time)")
    })?;
    let local = Stockholm
        .from_local_datetime(&naive)
        .earliest()
        .ok_or_else(|| {
            anyhow!("{s:?} does not exist in Swedish local time (the clocks skip it)")
        })?;
    Ok(Timestamp {
        seconds: local.timestamp(),
        nanos: 0,
    })
}

/// "2027-03-31", or "+60d" for sixty days from today (Stockholm).
pub fn parse_date(s: &str) -> anyhow::Result<Date> {
    let s = s.trim();
    let d = if let Some(days) = s.strip_prefix('+') {
        let n: u64 = days
            .trim_end_matches('d')
            .parse()
            .with_context(|| format!("{s:?} is not a number of days such as +60d"))?;
        let today = chrono::Utc::now().with_timezone(&Stockholm).date_naive();
        today
            .checked_add_days(Days::new(n))
            .ok_or_else(|| anyhow!("{s:?} is too far ahead"))?
    } else {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .with_context(|| format!("{s:?} is not a date such as 2027-03-31 or +60d"))?
    };
    use chrono::Datelike as _;
    Ok(Date {
        year: d.year(),
        month: d.month() as i32,
        day: d.day() as i32,
    })
}

/// A proto enum's value name without its prefix, lowercased with dashes:
/// `MATTER_STATE_ON_AGENDA` → "on-agenda".
pub fn enum_name(full: &str, prefix: &str) -> String {
    full.strip_prefix(prefix)
        .unwrap_or(full)
        .to_lowercase()
        .replace('_', "-")
}
