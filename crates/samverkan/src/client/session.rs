//! Signing in: the stored session (server and token), who am I, the forums.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use clap::Args;
use serde::{Deserialize, Serialize};

use samverkan_proto::roles::v1 as rpb;

use super::output::{Report, col};
use super::{Ctx, GlobalArgs, bearer, channel, explain};

#[derive(Args, Debug)]
pub struct LoginArgs {
    /// A token from your identity provider.
    #[arg(
        long,
        conflicts_with = "dev_person",
        required_unless_present = "dev_person"
    )]
    token: Option<String>,
    /// Mint a development token for a person (servers run with --dev-auth only).
    #[arg(long, value_name = "EMAIL")]
    dev_person: Option<String>,
    /// With --dev-person: the person's municipality; needed for anyone but
    /// the demo people (e.g. a new member's administrator).
    #[arg(long, requires = "dev_person", value_name = "ID")]
    municipality: Option<String>,
    /// The development secret the server was started with.
    #[arg(long, env = "SAMVERKAN_DEV_SECRET", default_value = crate::common::DEFAULT_DEV_SECRET, hide_default_value = true, hide_env_values = true)]
    dev_secret: String,
    /// Issuer of minted development tokens.
    #[arg(long, env = "SAMVERKAN_JWT_ISSUER", default_value = "samverkan-dev")]
    jwt_issuer: String,
    /// Audience of minted development tokens.
    #[arg(long, env = "SAMVERKAN_JWT_AUDIENCE", default_value = "samverkan")]
    jwt_audience: String,
}

/// What `login` stores.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub server: String,
    pub token: String,
}

impl Session {
    /// `$SAMVERKAN_CONFIG`, else `$XDG_CONFIG_HOME/samverkan/session.json`,
    /// else `~/.config/samverkan/session.json`.
    pub fn path() -> anyhow::Result<PathBuf> {
        if let Some(p) = std::env::var_os("SAMVERKAN_CONFIG").filter(|p| !p.is_empty()) {
            return Ok(PathBuf::from(p));
        }
        let base = match std::env::var_os("XDG_CONFIG_HOME").filter(|p| !p.is_empty()) {
            Some(d) => PathBuf::from(d),
            None => PathBuf::from(
                std::env::var_os("HOME")
                    .ok_or_else(|| anyhow!("set SAMVERKAN_CONFIG or HOME to store the session"))?,
            )
            .join(".config"),
        };
        Ok(base.join("samverkan").join("session.json"))
    }

    pub fn load() -> anyhow::Result<Option<Self>> {
        let path = Self::path()?;
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map(Some).with_context(|| {
                format!(
                    "{} is not a session file: delete it and run `samverkan login`",
                    path.display()
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("read {}", path.display())),
        }
    }

    /// Writes the session readable by its owner only: it holds a token.
    fn save(&self) -> anyhow::Result<PathBuf> {
        let path = Self::path()?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
        }
        let text = serde_json::to_string_pretty(self)?;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            opts.mode(0o600);
        }
        let mut f = opts
            .open(&path)
            .with_context(|| format!("write {}", path.display()))?;
        #[cfg(unix)]
        {
            // An existing file keeps its mode on open: tighten it.
            use std::os::unix::fs::PermissionsExt as _;
            f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        use std::io::Write as _;
        f.write_all(text.as_bytes())
            .with_context(|| format!("write {}", path.display()))?;
        Ok(path)
    }
}

/// The municipality a development token names: the one given, or a demo
/// person's own. The token only claims who the person is; what they may
/// do follows from their assignments on the server, as for anyone.
pub fn dev_municipality(person: &str, municipality: Option<String>) -> anyhow::Result<String> {
    match (municipality, samverkan_roles::demo::person(person)) {
        (Some(m), _) => {
            samverkan_core::TenantId::parse(&m).map_err(|e| anyhow!("--municipality: {e}"))?;
            Ok(m)
        }
        (None, Some(p)) => Ok(p.municipality.to_owned()),
        (None, None) => {
            let known: Vec<_> = samverkan_roles::demo::PEOPLE
                .iter()
                .map(|p| p.email)
                .collect();
            bail!(
                "{person} is not a demo person: give their municipality with --municipality, or choose one of: {}",
                known.join(", ")
            )
        }
    }
}

pub async fn login(global: &GlobalArgs, args: LoginArgs) -> anyhow::Result<Report> {
    let server = global
        .server
        .clone()
        .or_else(|| Session::load().ok().flatten().map(|s| s.server))
        .unwrap_or_else(|| "http://127.0.0.1:50051".into());
    let token = match (args.token.or(global.token.clone()), args.dev_person) {
        (Some(t), _) => t,
        (None, Some(email)) => {
            let municipality = dev_municipality(&email, args.municipality)?;
            samverkan_auth::mint_dev_token(
                &args.dev_secret,
                &args.jwt_issuer,
                &args.jwt_audience,
                &email,
                &municipality,
                Duration::from_secs(8 * 3600),
            )
            .map_err(|e| anyhow!("mint a development token: {e}"))?
        }
        (None, None) => bail!("pass --token <jwt> or --dev-person <email>"),
    };
    // Check the token before storing it.
    let me = whoami_call(&server, &token).await?;
    let path = Session { server, token }.save()?;
    Ok(Report::default()
        .line(format!(
            "Inloggad som {} / signed in as {}",
            describe(&me),
            me.subject
        ))
        .line(format!("Session: {}", path.display())))
}

pub fn logout() -> anyhow::Result<Report> {
    let path = Session::path()?;
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(Report::default().line(format!(
            "Utloggad / signed out ({} removed)",
            path.display()
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Ok(Report::default().line("Inte inloggad / not signed in"))
        }
        Err(e) => Err(e).with_context(|| format!("remove {}", path.display())),
    }
}

async fn whoami_call(server: &str, token: &str) -> anyhow::Result<rpb::WhoAmIResponse> {
    let ch = channel(server).await?;
    Ok(
        samverkan_proto::roles::v1::roles_service_client::RolesServiceClient::new(ch)
            .who_am_i(bearer(token, rpb::WhoAmIRequest {}))
            .await
            .map_err(|s| explain(s, "sign in"))?
            .into_inner(),
    )
}

fn describe(me: &rpb::WhoAmIResponse) -> String {
    let name = me
        .person
        .as_ref()
        .map(|p| p.display_name.clone())
        .unwrap_or_else(|| me.subject.clone());
    let muni = me
        .municipality
        .as_ref()
        .map(|m| m.name.clone())
        .unwrap_or_default();
    format!("{name} ({muni})")
}

pub async fn whoami(ctx: &Ctx) -> anyhow::Result<Report> {
    let me = ctx
        .roles()
        .who_am_i(ctx.req(rpb::WhoAmIRequest {}))
        .await
        .map_err(|s| explain(s, "ask who you are"))?
        .into_inner();
    let collabs: Vec<String> = me
        .memberships
        .iter()
        .filter_map(|m| m.collaboration.as_ref().map(|c| c.name.clone()))
        .collect();
    Ok(Report::default().fields(
        "whoami",
        vec![
            (
                col("name", "Namn"),
                me.person
                    .as_ref()
                    .map(|p| p.display_name.clone())
                    .unwrap_or_default(),
            ),
            (col("subject", "Konto"), me.subject.clone()),
            (
                col("municipality", "Kommun"),
                me.municipality
                    .as_ref()
                    .map(|m| m.name.clone())
                    .unwrap_or_default(),
            ),
            (col("collaborations", "Samverkan"), collabs.join(", ")),
            (col("server", "Server"), ctx.server.clone()),
        ],
    ))
}

pub async fn forums(ctx: &Ctx) -> anyhow::Result<Report> {
    let forums = ctx.list_forums().await?;
    let names: std::collections::HashMap<_, _> = forums
        .iter()
        .map(|f| (f.id.clone(), f.name.clone()))
        .collect();
    let rows = forums
        .iter()
        .map(|f| {
            vec![
                f.code.clone(),
                f.name.clone(),
                names
                    .get(&f.reports_to_forum_id)
                    .cloned()
                    .unwrap_or_default(),
                f.id.clone(),
            ]
        })
        .collect();
    Ok(Report::default().table(
        "forums",
        vec![
            col("code", "Kod"),
            col("name", "Forum"),
            col("reports_to", "Rapporterar till"),
            col("id", "Id"),
        ],
        rows,
    ))
}
