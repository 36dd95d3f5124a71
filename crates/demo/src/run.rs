//! Generating the scaled demo through the real gRPC API, served in process.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail, ensure};
use chrono::NaiveDate;
use futures::{StreamExt, TryStreamExt};
use tonic::transport::{Channel, Endpoint};

use samverkan_db::Database;
use samverkan_proto::Timestamp;
use samverkan_proto::common::v1::Date;
use samverkan_proto::costmodel::v1 as cpb;
use samverkan_proto::costmodel::v1::cost_model_service_client::CostModelServiceClient;
use samverkan_proto::decisions::v1 as dpb;
use samverkan_proto::decisions::v1::decisions_service_client::DecisionsServiceClient;
use samverkan_proto::forums::v1 as fpb;
use samverkan_proto::forums::v1::forums_service_client::ForumsServiceClient;
use samverkan_proto::roles::v1 as rpb;
use samverkan_proto::roles::v1::roles_service_client::RolesServiceClient;
use samverkan_roles::bootstrap::Spec;
use samverkan_server::{Limits, RateLimit, ServeConfig, Svc};

use crate::{BACKLOG_PER_FORUM, MAX_SCALE, PLANNED_PER_FORUM, Shape, Summary, org};

const ISSUER: &str = "samverkan-demo";
const AUDIENCE: &str = "samverkan";
/// Collaborations generated at once (their writes go to different audit
/// chains, so PostgreSQL runs them side by side).
const COLLABORATIONS_AT_ONCE: usize = 4;
/// (forum, year) units of one collaboration generated at once. Layers of
/// one unit run in order: § numbers are per forum and year, and must not
/// depend on scheduling.
const UNITS_AT_ONCE: usize = 4;
/// The day unrecorded follow-ups of the last year are due.
const OPEN_FOLLOW_UP_DUE: (i32, u32, u32) = (2027, 6, 30);

/// Loads scale `scale` (1..=1000) of [`Shape::STANDARD`]; see the crate
/// documentation for what that contains. Idempotent.
pub async fn load_scaled(db: &Database, scale: u32) -> anyhow::Result<Summary> {
    load_scaled_with(db, scale, Shape::STANDARD).await
}

/// Loads scale `scale` with layers of `shape` (tests use [`Shape::SMALL`]).
pub async fn load_scaled_with(db: &Database, scale: u32, shape: Shape) -> anyhow::Result<Summary> {
    ensure!(
        (1..=MAX_SCALE).contains(&scale),
        "scale must be 1..={MAX_SCALE}, not {scale}"
    );
    ensure!(
        shape.last_year < 2026 && shape.first_year <= shape.last_year,
        "history is of the years before 2026"
    );
    ensure!(
        (1..=9).contains(&shape.meetings_per_year),
        "1..=9 meetings a year keep each layer's meetings on days of their own"
    );
    // The organisation: the demo exactly as `samverkan demo` loads it, and
    // the generated collaborations from their specs (the operator's act,
    // not an API call: nobody holds a role before the collaboration exists).
    samverkan_roles::demo::load(db)
        .await
        .map_err(|e| anyhow::anyhow!("load the demo organisation: {e}"))?;
    samverkan_costmodel::demo::load(db)
        .await
        .map_err(|e| anyhow::anyhow!("load the demo cost model: {e}"))?;
    for i in 2..=scale {
        let spec = org::spec(i);
        samverkan_roles::bootstrap::bootstrap(db, &spec)
            .await
            .map_err(|e| anyhow::anyhow!("create {}: {e}", spec.name))?;
    }

    let server = Server::start(db).await?;
    let generator = Arc::new(Gen {
        channel: server.channel.clone(),
        secret: server.secret.clone(),
        shape,
    });
    let work = futures::stream::iter(1..=scale)
        .map(|i| {
            let generator = generator.clone();
            let layers = if i == 1 { scale } else { 1 };
            async move { generator.collaboration(i, layers).await }
        })
        .buffer_unordered(COLLABORATIONS_AT_ONCE)
        .try_fold((0u64, 0u64), |(a, p), (a2, p2)| async move {
            Ok((a + a2, p + p2))
        })
        .await;
    let result = match work {
        Ok(counts) => {
            // Deliver the outbox (adjusted minutes make decisions final),
            // as the server's background work would have.
            let today = samverkan_core::dates::today();
            for _ in 0..100 {
                let n = samverkan_server::background::run_once_for(db, Svc::ALL, today)
                    .await
                    .map_err(|e| anyhow::anyhow!("background round: {e}"))?;
                if n == 0 {
                    break;
                }
            }
            Ok(counts)
        }
        Err(e) => Err(e),
    };
    server.stop().await?;
    let (added, present) = result?;
    Ok(Summary {
        units_added: added,
        units_present: present,
        ..Summary::planned(scale, &shape)
    })
}

/// The whole server in this process on `127.0.0.1:0`, with a random
/// development secret, the rate limit off and no background timer (the
/// generator delivers the outbox itself at the end, so that follow-ups due
/// in the past are not announced while it is still recording them).
struct Server {
    channel: Channel,
    secret: String,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Server {
    async fn start(db: &Database) -> anyhow::Result<Self> {
        let secret = format!(
            "{}{}",
            samverkan_core::new_uuid().simple(),
            samverkan_core::new_uuid().simple()
        );
        let verifier = samverkan_auth::Verifier::new(samverkan_auth::AuthConfig::dev(
            &secret, ISSUER, AUDIENCE,
        ))
        .await
        .map_err(|e| anyhow::anyhow!("verifier: {e}"))?;
        let directory = Arc::new(samverkan_roles::LocalDirectory::new(db.clone()));
        let cfg = ServeConfig::new(db.clone(), Svc::ALL.to_vec(), verifier, directory)
            .with_limits(Limits {
                rate_limit: RateLimit::OFF,
                ..Limits::default()
            })
            .with_background_interval(None);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("bind 127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(samverkan_server::serve(listener, cfg, async {
            let _ = stopped.await;
        }));
        let channel = Endpoint::from_shared(format!("http://{addr}"))?
            .connect_timeout(Duration::from_secs(5))
            .connect()
            .await
            .context("connect to the in-process server")?;
        Ok(Self {
            channel,
            secret,
            stop,
            task,
        })
    }

    async fn stop(self) -> anyhow::Result<()> {
        drop(self.channel);
        let _ = self.stop.send(());
        self.task.await.context("server task")?
    }
}

struct Gen {
    channel: Channel,
    secret: String,
    shape: Shape,
}

/// One forum as the generator uses it.
struct Forum {
    code: &'static str,
    name: String,
    id: String,
    /// Who builds the agenda and keeps the minutes.
    secretary: String,
    /// Who raises its matters, one per member.
    authors: Vec<(String, String)>,
    topics: &'static [&'static str],
    report: &'static str,
}

/// Which municipal role raises a forum's matters, and its topics.
fn forum_profile(
    code: &str,
) -> (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static str,
) {
    // (secretary role, author role, topics, standing report)
    match code {
        "styrgruppen" => (
            "it-strateg",
            "kommunchef",
            &[
                "Gemensam e-arkivlösning",
                "Strategi för molntjänster",
                "Upphandling av nätverkstjänster",
                "Digital signering av protokoll",
                "Gemensam IT-plan",
                "Införande av e-legitimation för anställda",
                "Ny modell för licenshantering",
                "Prioritering av utvecklingsportföljen",
                "Ersättningsinvestering i serverhallen",
                "Riktlinjer för AI-tjänster",
            ],
            "IT-chefens rapport: ekonomi och bemanning",
        ),
        "drift" => (
            "it-koordinator",
            "sektionschef",
            &[
                "Uppgradering av skolornas trådlösa nät",
                "Byte av skrivarplattform",
                "Reservkraft för växeln",
                "Rutin för lösenordsbyten",
                "Telefoni i hemtjänsten",
                "Patchfönster för verksamhetssystem",
                "Mobilhantering för förskolan",
                "Kapacitet i fiberringen",
            ],
            "Supportens uppföljning per tertial",
        ),
        "utveckling" => (
            "e-samordnare",
            "utvecklingschef",
            &[
                "E-tjänst för bygglov",
                "Digital ansökan om försörjningsstöd",
                "Chattfunktion för kontaktcenter",
                "Gemensam intranätsplattform",
                "Automatiserad fakturahantering",
                "Digitala möten för nämnderna",
                "Öppna data om skolval",
                "E-tjänst för felanmälan av gatubelysning",
            ],
            "Lägesrapport för utvecklingsportföljen",
        ),
        "informationssakerhet" => (
            "verksamhetsutvecklare",
            "informationssakerhetssamordnare",
            &[
                "Informationsklassning av ekonomisystemet",
                "Incidentrutin vid dataintrång",
                "Uppföljning av leverantörers säkerhetsåtgärder",
                "Utbildning i phishing-medvetenhet",
                "Kontinuitetsplan för verksamhetskritiska system",
                "Loggranskning i journalsystemet",
                "Behörighetsöversyn för socialtjänsten",
                "Riskanalys inför molnflytt",
            ],
            "Informationssäkerhetsgruppens rapport till IT-styrgruppen",
        ),
        _ => (
            "it-strateg",
            "utvecklingschef",
            &[
                "Justering av priset per användarkonto",
                "Fördelningsnyckel för gemensam bas",
                "Ny tjänst i tjänstekatalogen: e-arkiv",
                "Avräkning mot budget",
                "Direktdebitering av IT-beredskap",
                "Prisindex för nästa år",
                "Volymuppföljning av datorer",
                "Budgetunderlag till kommunerna",
            ],
            "Tjänstefieringsgruppens utfall mot budget",
        ),
    }
}

/// The seats the history needs beyond the standard forums' role seats:
/// (forum, role, kind, may adjust, per member).
const EXTRA_SEATS: &[(&str, &str, rpb::SeatKind, bool, bool)] = &[
    (
        "informationssakerhet",
        "verksamhetsutvecklare",
        rpb::SeatKind::Secretary,
        false,
        false,
    ),
    (
        "tjanstefiering",
        "it-strateg",
        rpb::SeatKind::Secretary,
        false,
        false,
    ),
    (
        "drift",
        "utvecklingschef",
        rpb::SeatKind::Member,
        true,
        true,
    ),
    (
        "tjanstefiering",
        "utvecklingschef",
        rpb::SeatKind::Member,
        true,
        true,
    ),
];

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

fn pdate(d: NaiveDate) -> Option<Date> {
    Some(samverkan_core::dates::to_proto(d))
}

fn ts(t: chrono::DateTime<chrono::Utc>) -> Option<Timestamp> {
    Some(Timestamp {
        seconds: t.timestamp(),
        nanos: 0,
    })
}

fn status(what: impl std::fmt::Display) -> impl FnOnce(tonic::Status) -> anyhow::Error {
    move |s| anyhow::anyhow!("{what}: {:?}: {}", s.code(), s.message())
}

/// A collaboration's people and forums, as its history is written.
struct Collab {
    generator: Arc<Gen>,
    index: u32,
    spec: Spec,
    tokens: HashMap<String, String>,
    person_ids: HashMap<String, String>,
    emails_by_id: HashMap<String, String>,
    forums: Vec<Arc<Forum>>,
}

impl Gen {
    async fn collaboration(self: Arc<Self>, index: u32, layers: u32) -> anyhow::Result<(u64, u64)> {
        let spec = org::spec(index);
        let c = Arc::new(Collab::open(self.clone(), index, spec).await?);
        c.seats().await?;
        let mut units = Vec::new();
        for f in &c.forums {
            for y in self.shape.first_year..=self.shape.last_year {
                units.push((f.clone(), y));
            }
        }
        let (added, present) = futures::stream::iter(units)
            .map(|(f, y)| {
                let c = c.clone();
                async move { c.unit(&f, y, layers).await }
            })
            .buffer_unordered(UNITS_AT_ONCE)
            .try_fold((0u64, 0u64), |(a, p), (a2, p2)| async move {
                Ok((a + a2, p + p2))
            })
            .await
            .with_context(|| format!("history of {}", c.spec.name))?;
        c.open_work(layers).await?;
        if index >= 2 {
            c.cost_model().await?;
        }
        tracing::info!(collaboration = %c.spec.name, added, present, "scaled demo");
        Ok((added, present))
    }
}

impl Collab {
    async fn open(generator: Arc<Gen>, index: u32, spec: Spec) -> anyhow::Result<Self> {
        let mut tokens = HashMap::new();
        for p in &spec.people {
            let t = samverkan_auth::mint_dev_token(
                &generator.secret,
                ISSUER,
                AUDIENCE,
                &p.email,
                &p.municipality,
                Duration::from_secs(24 * 3600),
            )
            .map_err(|e| anyhow::anyhow!("mint a token for {}: {e}", p.email))?;
            tokens.insert(p.email.clone(), t);
        }
        let mut c = Self {
            generator,
            index,
            spec,
            tokens,
            person_ids: HashMap::new(),
            emails_by_id: HashMap::new(),
            forums: Vec::new(),
        };
        let mut roles = c.roles();
        for p in &c.spec.people {
            let me = roles
                .who_am_i(c.req(&p.email, rpb::WhoAmIRequest {})?)
                .await
                .map_err(status(format!("who is {}", p.email)))?
                .into_inner();
            let id = me
                .person
                .map(|x| x.id)
                .with_context(|| format!("{} has no person record", p.email))?;
            c.emails_by_id.insert(id.clone(), p.email.clone());
            c.person_ids.insert(p.email.clone(), id);
        }
        let strateg = c.holder("it-strateg", None)?;
        let listed = roles
            .list_forums(c.req(
                &strateg,
                rpb::ListForumsRequest {
                    collaboration_id: c.spec.id.0.to_string(),
                },
            )?)
            .await
            .map_err(status("list forums"))?
            .into_inner()
            .forums;
        for f in listed {
            let Some(code) = [
                "styrgruppen",
                "drift",
                "utveckling",
                "informationssakerhet",
                "tjanstefiering",
            ]
            .into_iter()
            .find(|c| *c == f.code) else {
                continue;
            };
            let (secretary, author, topics, report) = forum_profile(code);
            let authors = c
                .spec
                .members
                .iter()
                .map(|m| Ok((c.holder(author, Some(&m.id))?, m.name.clone())))
                .collect::<anyhow::Result<Vec<_>>>()?;
            c.forums.push(Arc::new(Forum {
                code,
                name: f.name,
                id: f.id,
                secretary: c.holder(secretary, None)?,
                authors,
                topics,
                report,
            }));
        }
        ensure!(
            c.forums.len() == crate::FORUMS,
            "{}: forums missing",
            c.spec.name
        );
        // A fixed order, whatever the listing's.
        c.forums.sort_by_key(|f| f.code);
        Ok(c)
    }

    /// The e-mail of the holder of `role` (in `municipality`, for a
    /// municipal role).
    fn holder(&self, role: &str, municipality: Option<&str>) -> anyhow::Result<String> {
        self.spec
            .people
            .iter()
            .find(|p| p.role == role && municipality.is_none_or(|m| p.municipality == m))
            .map(|p| p.email.clone())
            .with_context(|| format!("{}: nobody holds {role} {municipality:?}", self.spec.name))
    }

    fn name_of(&self, email: &str) -> String {
        self.spec
            .people
            .iter()
            .find(|p| p.email == email)
            .map(|p| p.name.clone())
            .unwrap_or_default()
    }

    fn req<T>(&self, email: &str, msg: T) -> anyhow::Result<tonic::Request<T>> {
        let token = self
            .tokens
            .get(email)
            .with_context(|| format!("no token for {email}"))?;
        let mut r = tonic::Request::new(msg);
        r.metadata_mut()
            .insert("authorization", format!("Bearer {token}").parse()?);
        Ok(r)
    }

    fn roles(&self) -> RolesServiceClient<Channel> {
        RolesServiceClient::new(self.generator.channel.clone())
    }
    fn forums_client(&self) -> ForumsServiceClient<Channel> {
        ForumsServiceClient::new(self.generator.channel.clone())
    }
    fn decisions(&self) -> DecisionsServiceClient<Channel> {
        DecisionsServiceClient::new(self.generator.channel.clone())
    }
    fn costmodel(&self) -> CostModelServiceClient<Channel> {
        CostModelServiceClient::new(self.generator.channel.clone())
    }

    fn rid(&self, rest: &str) -> String {
        format!("demo-c{}-{rest}", self.index)
    }

    /// The seats of [`EXTRA_SEATS`], decided by IT-styrgruppen.
    async fn seats(&self) -> anyhow::Result<()> {
        let strateg = self.holder("it-strateg", None)?;
        let mut roles = self.roles();
        let since = self.spec.since;
        for (forum, role, kind, may_adjust, per_member) in EXTRA_SEATS {
            let f = self
                .forums
                .iter()
                .find(|f| f.code == *forum)
                .context("forum")?;
            let holders: Vec<String> = if *per_member {
                self.spec
                    .members
                    .iter()
                    .map(|m| self.holder(role, Some(&m.id)))
                    .collect::<anyhow::Result<_>>()?
            } else {
                vec![self.holder(role, None)?]
            };
            for email in holders {
                roles
                    .create_seat(self.req(
                        &strateg,
                        rpb::CreateSeatRequest {
                            request_id: self.rid(&format!("seat-{forum}-{email}")),
                            seat: Some(rpb::Seat {
                                forum_id: f.id.clone(),
                                person_id: self.person_ids[&email].clone(),
                                kind: *kind as i32,
                                may_adjust: *may_adjust,
                                valid_from: pdate(since),
                                decision_ref: format!(
                                    "IT-styrgruppen {}-02-10 § 3, forumens sammansättning",
                                    since.format("%Y")
                                ),
                                ..Default::default()
                            }),
                        },
                    )?)
                    .await
                    .map_err(status(format!("seat {email} in {forum}")))?;
            }
        }
        Ok(())
    }

    /// When meeting `k` of layer `layer` in `year` starts: layers a day
    /// apart (35 days), then 15 minutes later in the day.
    fn start(&self, year: i32, k: u32, layer: u32) -> chrono::DateTime<chrono::Utc> {
        let spacing = 330 / self.generator.shape.meetings_per_year;
        let day = 15 + spacing * k + layer % 35;
        let d = NaiveDate::from_yo_opt(year, day).unwrap_or_default();
        d.and_hms_opt(8, 0, 0).unwrap_or_default().and_utc()
            + chrono::Duration::minutes(15 * i64::from(layer / 35))
    }

    async fn meeting_at(
        &self,
        f: &Forum,
        at: chrono::DateTime<chrono::Utc>,
    ) -> anyhow::Result<Option<fpb::Meeting>> {
        let found = self
            .forums_client()
            .list_meetings(self.req(
                &f.secretary,
                fpb::ListMeetingsRequest {
                    forum_id: f.id.clone(),
                    start_after: ts(at),
                    start_before: ts(at + chrono::Duration::seconds(1)),
                    page_size: 1,
                    ..Default::default()
                },
            )?)
            .await
            .map_err(status("list meetings"))?
            .into_inner()
            .meetings;
        Ok(found.into_iter().next())
    }

    /// One forum's year: its layers in order. Returns (added, present).
    async fn unit(&self, f: &Forum, year: i32, layers: u32) -> anyhow::Result<(u64, u64)> {
        let n = self.generator.shape.meetings_per_year;
        let (mut added, mut present) = (0, 0);
        for layer in 0..layers {
            let last = self.meeting_at(f, self.start(year, n - 1, layer)).await?;
            if last.is_some_and(|m| m.state == fpb::MeetingState::Adjusted as i32) {
                present += 1;
                continue;
            }
            if self
                .meeting_at(f, self.start(year, 0, layer))
                .await?
                .is_some()
            {
                bail!(
                    "{}, {} {year} layer {}: partly generated by an interrupted run; \
                     load into a fresh database",
                    self.spec.name,
                    f.name,
                    layer + 1
                );
            }
            let mut carry = None;
            for k in 0..n {
                carry = self
                    .meeting(f, year, layer, k, carry)
                    .await
                    .with_context(|| format!("{} {}/{year} layer {}", f.name, k + 1, layer + 1))?;
            }
            added += 1;
        }
        Ok((added, present))
    }

    /// A matter drafted and submitted by `author` to `f`.
    async fn matter(
        &self,
        f: &Forum,
        author: &str,
        rid: String,
        draft: fpb::Matter,
    ) -> anyhow::Result<fpb::Matter> {
        let mut forums = self.forums_client();
        let m = forums
            .create_matter(self.req(
                author,
                fpb::CreateMatterRequest {
                    request_id: rid,
                    matter: Some(draft),
                },
            )?)
            .await
            .map_err(status("create matter"))?
            .into_inner()
            .matter
            .context("matter")?;
        if m.state != fpb::MatterState::Draft as i32 {
            return Ok(m);
        }
        forums
            .submit_matter(self.req(
                author,
                fpb::SubmitMatterRequest {
                    id: m.id.clone(),
                    forum_id: f.id.clone(),
                    etag: m.etag.clone(),
                },
            )?)
            .await
            .map_err(status("submit matter"))?
            .into_inner()
            .matter
            .context("matter")
    }

    /// Meeting `k` of `f` in `year`, layer `layer`, from its matters to
    /// its adjusted minutes. `carry` is the previous meeting's follow-up,
    /// recorded here; returns this meeting's, if the next one records it.
    async fn meeting(
        &self,
        f: &Forum,
        year: i32,
        layer: u32,
        k: u32,
        carry: Option<dpb::FollowUp>,
    ) -> anyhow::Result<Option<dpb::FollowUp>> {
        let shape = self.generator.shape;
        let n = shape.meetings_per_year;
        let base = format!("{}-{year}-{layer}-{k}", f.code);
        let styrgruppen = f.code == "styrgruppen";
        let start = self.start(year, k, layer);
        let mut forums = self.forums_client();

        // Matters raised by the members in turn.
        let mut matters = Vec::new();
        for j in 0..shape.matters_per_meeting {
            let seq = (k * shape.matters_per_meeting + j) as usize;
            let (author, kommun) = &f.authors[(seq + layer as usize) % f.authors.len()];
            let topic = f.topics[(seq + year as usize + layer as usize) % f.topics.len()];
            let kind = if j % 2 == 0 {
                fpb::MatterKind::DevelopmentNeed
            } else {
                fpb::MatterKind::ImprovementNeed
            };
            let priority = [
                fpb::Priority::Normal,
                fpb::Priority::High,
                fpb::Priority::Low,
            ][seq % 3];
            let m = self
                .matter(
                    f,
                    author,
                    self.rid(&format!("{base}-m{j}")),
                    fpb::Matter {
                        kind: kind as i32,
                        title: format!("{topic} ({kommun}, {year})"),
                        description: format!(
                            "{kommun} lyfter behovet inför {}s sammanträde {}/{year}.\n\n\
                             Underlag och konsekvensbeskrivning bifogas.",
                            f.name,
                            k + 1
                        ),
                        priority: priority as i32,
                        ..Default::default()
                    },
                )
                .await?;
            matters.push(m);
        }

        let title = if layer == 0 {
            format!("{}, sammanträde {}/{year}", f.name, k + 1)
        } else {
            format!("{}, sammanträde {}/{year} ({})", f.name, k + 1, layer + 1)
        };
        let host = self
            .spec
            .members
            .iter()
            .find(|m| m.id == self.spec.host)
            .map(|m| m.name.clone())
            .unwrap_or_default();
        let meeting = forums
            .create_meeting(self.req(
                &f.secretary,
                fpb::CreateMeetingRequest {
                    request_id: self.rid(&base),
                    meeting: Some(fpb::Meeting {
                        forum_id: f.id.clone(),
                        title,
                        start_time: ts(start),
                        end_time: ts(start + chrono::Duration::hours(2)),
                        location: format!("{host}, kommunhuset, sammanträdesrum {}", 1 + k % 3),
                        ..Default::default()
                    }),
                },
            )?)
            .await
            .map_err(status("create meeting"))?
            .into_inner()
            .meeting
            .context("meeting")?;
        ensure!(
            meeting.state == fpb::MeetingState::Planned as i32 && meeting.agenda.is_empty(),
            "meeting {} exists from an interrupted run",
            meeting.title
        );

        // The agenda: the matters, the standing report, the follow-up due.
        let presenter = self.name_of(&f.secretary);
        let mut items: Vec<(fpb::AgendaItemKind, String, String)> = matters
            .iter()
            .enumerate()
            .map(|(j, m)| {
                let kind = if styrgruppen || j % 2 == 0 {
                    fpb::AgendaItemKind::Decision
                } else {
                    fpb::AgendaItemKind::Information
                };
                (kind, String::new(), m.id.clone())
            })
            .collect();
        items.push((
            fpb::AgendaItemKind::Report,
            f.report.to_owned(),
            String::new(),
        ));
        if let Some(fu) = &carry {
            items.push((fpb::AgendaItemKind::Report, fu.title.clone(), String::new()));
        }
        let mut current = meeting;
        for (i, (kind, title, matter)) in items.iter().enumerate() {
            current = forums
                .add_agenda_item(self.req(
                    &f.secretary,
                    fpb::AddAgendaItemRequest {
                        request_id: self.rid(&format!("{base}-i{i}")),
                        item: Some(fpb::AgendaItem {
                            meeting_id: current.id.clone(),
                            kind: *kind as i32,
                            title: title.clone(),
                            matter_id: matter.clone(),
                            presenter: presenter.clone(),
                            estimated_minutes: 20,
                            ..Default::default()
                        }),
                    },
                )?)
                .await
                .map_err(status("add agenda item"))?
                .into_inner()
                .meeting
                .context("meeting")?;
        }
        let current = forums
            .publish_agenda(self.req(
                &f.secretary,
                fpb::PublishAgendaRequest {
                    meeting_id: current.id.clone(),
                    etag: current.etag.clone(),
                },
            )?)
            .await
            .map_err(status("publish agenda"))?
            .into_inner()
            .meeting
            .context("meeting")?;
        let mut attendance = vec![fpb::Attendance {
            name: presenter.clone(),
            status: fpb::AttendanceStatus::Present as i32,
            ..Default::default()
        }];
        for (author, _) in &f.authors {
            attendance.push(fpb::Attendance {
                name: self.name_of(author),
                person_id: self.person_ids[author].clone(),
                status: fpb::AttendanceStatus::Present as i32,
                ..Default::default()
            });
        }
        forums
            .record_attendance(self.req(
                &f.secretary,
                fpb::RecordAttendanceRequest {
                    meeting_id: current.id.clone(),
                    attendance,
                    etag: current.etag.clone(),
                },
            )?)
            .await
            .map_err(status("record attendance"))?;

        // A § per item, in agenda order.
        let mut agenda = current.agenda.clone();
        agenda.sort_by_key(|i| i.number);
        let mut paragraphs = Vec::new();
        for item in &agenda {
            let decided = item.kind == fpb::AgendaItemKind::Decision as i32;
            let (outcome, text) = if decided {
                (
                    fpb::ParagraphOutcome::Decided,
                    format!("{} beslutar att bifalla förslaget.", f.name),
                )
            } else {
                (
                    fpb::ParagraphOutcome::Noted,
                    "Informationen noteras och läggs till handlingarna.".to_owned(),
                )
            };
            let p = forums
                .add_paragraph(self.req(
                    &f.secretary,
                    fpb::AddParagraphRequest {
                        request_id: self.rid(&format!("{base}-p{}", item.number)),
                        paragraph: Some(fpb::Paragraph {
                            meeting_id: current.id.clone(),
                            agenda_item_id: item.id.clone(),
                            presented: format!("{presenter} föredrar ärendet."),
                            decision: text,
                            outcome: outcome as i32,
                            ..Default::default()
                        }),
                    },
                )?)
                .await
                .map_err(status("add paragraph"))?
                .into_inner()
                .paragraph
                .context("paragraph")?;
            paragraphs.push((item.clone(), p));
        }

        // IT-styrgruppen's decisions, the first with a follow-up.
        let mut next = None;
        if styrgruppen {
            let it_chef = self.holder("it-chef", None)?;
            let mut decisions = self.decisions();
            let mut first = true;
            for (item, p) in paragraphs.iter().filter(|(i, _)| !i.matter_id.is_empty()) {
                let d = decisions
                    .register_decision(self.req(
                        &f.secretary,
                        dpb::RegisterDecisionRequest {
                            request_id: self.rid(&format!("{base}-d{}", item.number)),
                            decision: Some(dpb::Decision {
                                meeting_id: current.id.clone(),
                                paragraph_id: p.id.clone(),
                                responsible_role_code: "it-chef".into(),
                                responsible_person_id: self.person_ids[&it_chef].clone(),
                                ..Default::default()
                            }),
                        },
                    )?)
                    .await
                    .map_err(status("register decision"))?
                    .into_inner()
                    .decision
                    .context("decision")?;
                let recorded_next = k + 1 < n;
                if first && (recorded_next || year == shape.last_year) {
                    let due = if recorded_next {
                        samverkan_core::dates::stockholm_date(self.start(year, k + 1, layer))
                    } else {
                        let (y, m, d) = OPEN_FOLLOW_UP_DUE;
                        date(y, m, d)
                    };
                    let fu = decisions
                        .create_follow_up(self.req(
                            &f.secretary,
                            dpb::CreateFollowUpRequest {
                                request_id: self.rid(&format!("{base}-f")),
                                follow_up: Some(dpb::FollowUp {
                                    decision_id: d.id.clone(),
                                    due_on: pdate(due),
                                    title: format!("Uppföljning: {}", d.title),
                                    ..Default::default()
                                }),
                            },
                        )?)
                        .await
                        .map_err(status("create follow-up"))?
                        .into_inner()
                        .follow_up
                        .context("follow-up")?;
                    if recorded_next {
                        next = Some(fu);
                    }
                }
                first = false;
            }
        }
        if let Some(fu) = carry {
            let p = paragraphs
                .iter()
                .find(|(i, _)| i.title == fu.title)
                .map(|(_, p)| p.id.clone())
                .context("the follow-up's §")?;
            self.decisions()
                .record_follow_up(self.req(
                    &f.secretary,
                    dpb::RecordFollowUpRequest {
                        id: fu.id.clone(),
                        meeting_id: current.id.clone(),
                        paragraph_id: p,
                        etag: fu.etag.clone(),
                    },
                )?)
                .await
                .map_err(status("record follow-up"))?;
        }

        // Two adjusters (one per municipality), both adjust: locked.
        let minutes = forums
            .designate_adjusters(self.req(
                &f.secretary,
                fpb::DesignateAdjustersRequest {
                    meeting_id: current.id.clone(),
                    person_ids: vec![],
                },
            )?)
            .await
            .map_err(status("designate adjusters"))?
            .into_inner()
            .minutes
            .context("minutes")?;
        for id in &minutes.adjuster_person_ids {
            let email = self
                .emails_by_id
                .get(id)
                .with_context(|| format!("adjuster {id} is not of this collaboration"))?;
            forums
                .adjust_minutes(self.req(
                    email,
                    fpb::AdjustMinutesRequest {
                        meeting_id: current.id.clone(),
                    },
                )?)
                .await
                .map_err(status(format!("adjust minutes as {email}")))?;
        }
        Ok(next)
    }

    /// Open work: submitted matters in each forum's backlog (per layer) and
    /// meetings planned for 2027. Replays on a second run.
    async fn open_work(&self, layers: u32) -> anyhow::Result<()> {
        for f in &self.forums {
            for layer in 0..layers {
                for j in 0..BACKLOG_PER_FORUM as usize {
                    let seq = layer as usize * 2 + j;
                    let (author, kommun) = &f.authors[seq % f.authors.len()];
                    let topic = f.topics[(seq + 3) % f.topics.len()];
                    self.matter(
                        f,
                        author,
                        self.rid(&format!("{}-backlog-{layer}-{j}", f.code)),
                        fpb::Matter {
                            kind: fpb::MatterKind::DevelopmentNeed as i32,
                            title: format!("{topic} ({kommun}, 2026)"),
                            description: format!("{kommun} lyfter behovet till {}.", f.name),
                            priority: fpb::Priority::Normal as i32,
                            ..Default::default()
                        },
                    )
                    .await
                    .with_context(|| format!("backlog of {}", f.name))?;
                }
            }
            for k in 0..PLANNED_PER_FORUM as u32 {
                let start = date(2027, 2 + k, 10)
                    .and_hms_opt(12, 0, 0)
                    .unwrap_or_default()
                    .and_utc();
                self.forums_client()
                    .create_meeting(self.req(
                        &f.secretary,
                        fpb::CreateMeetingRequest {
                            request_id: self.rid(&format!("{}-2027-{k}", f.code)),
                            meeting: Some(fpb::Meeting {
                                forum_id: f.id.clone(),
                                title: format!("{}, sammanträde {}/2027", f.name, k + 1),
                                start_time: ts(start),
                                end_time: ts(start + chrono::Duration::hours(2)),
                                location: "Kommunhuset, sammanträdesrum 1".into(),
                                ..Default::default()
                            }),
                        },
                    )?)
                    .await
                    .map_err(status(format!("plan a 2027 meeting of {}", f.name)))?;
            }
        }
        Ok(())
    }

    /// The 2025 cost model of a generated collaboration, like the demo's.
    async fn cost_model(&self) -> anyhow::Result<()> {
        let chef = self.holder("it-chef", None)?;
        let strateg = self.holder("it-strateg", None)?;
        let collaboration_id = self.spec.id.0.to_string();
        let mut cm = self.costmodel();
        let lists = cm
            .list_price_lists(self.req(
                &chef,
                cpb::ListPriceListsRequest {
                    collaboration_id: collaboration_id.clone(),
                    year: 2025,
                    ..Default::default()
                },
            )?)
            .await
            .map_err(status("list price lists"))?
            .into_inner()
            .price_lists;
        if lists
            .iter()
            .any(|l| l.state == cpb::PriceListState::Published as i32)
        {
            return Ok(());
        }
        let frac = |n: i64, d: i64| {
            Some(cpb::Fraction {
                numerator: n,
                denominator: d,
            })
        };
        let services = [
            (
                "konto",
                "Användarkonto",
                "konto/år",
                cpb::ChargeType::PerUnit,
            ),
            (
                "dator",
                "Hanterad dator",
                "dator/år",
                cpb::ChargeType::PerUnit,
            ),
            ("bas", "Gemensam bas", "år", cpb::ChargeType::Allocated),
            (
                "beredskap",
                "IT-beredskap",
                "påbörjad timme",
                cpb::ChargeType::Direct,
            ),
        ];
        for (code, name, unit, charge) in services {
            cm.create_catalogue_service(self.req(
                &chef,
                cpb::CreateCatalogueServiceRequest {
                    request_id: self.rid(&format!("service-{code}")),
                    collaboration_id: collaboration_id.clone(),
                    service: Some(cpb::CatalogueService {
                        code: code.into(),
                        name: name.into(),
                        unit_of_measure: unit.into(),
                        charge_type: charge as i32,
                        billing_increment: if charge == cpb::ChargeType::Direct {
                            frac(1, 1)
                        } else {
                            None
                        },
                        ..Default::default()
                    }),
                },
            )?)
            .await
            .map_err(status(format!("catalogue service {code}")))?;
        }
        let members = org::members(self.index);
        let value = |m: &org::Muni, driver: &str| -> u64 {
            let pop = org::population(m.seq);
            match driver {
                "invanare" => pop,
                "konton" => pop / 11,
                _ => pop / 14,
            }
        };
        let snapshots = [
            (
                "invanare",
                date(2024, 11, 1),
                "SCB, folkmängd 1 november 2024",
            ),
            (
                "konton",
                date(2025, 1, 15),
                "Katalogtjänsten (AD), uttag 2025-01-15",
            ),
            (
                "datorer",
                date(2025, 1, 15),
                "Klientregistret, uttag 2025-01-15",
            ),
        ];
        for (driver, on, source) in snapshots {
            cm.record_driver_snapshot(
                self.req(
                    &chef,
                    cpb::RecordDriverSnapshotRequest {
                        request_id: self.rid(&format!("snapshot-{driver}")),
                        collaboration_id: collaboration_id.clone(),
                        snapshot: Some(cpb::DriverSnapshot {
                            driver: driver.into(),
                            measured_on: pdate(on),
                            source: source.into(),
                            values: members
                                .iter()
                                .map(|m| cpb::DriverValue {
                                    municipality_id: m.id.clone(),
                                    unit: String::new(),
                                    value: i64::try_from(value(m, driver)).unwrap_or(0),
                                })
                                .collect(),
                            ..Default::default()
                        }),
                    },
                )?,
            )
            .await
            .map_err(status(format!("driver snapshot {driver}")))?;
        }
        cm.create_allocation_key(self.req(
            &chef,
            cpb::CreateAllocationKeyRequest {
                request_id: self.rid("key-bas"),
                collaboration_id: collaboration_id.clone(),
                key: Some(cpb::AllocationKey {
                    service_code: "bas".into(),
                    effective_date: pdate(date(2025, 1, 1)),
                    components: vec![
                        cpb::KeyComponent {
                            fraction: frac(1, 3),
                            driver: String::new(),
                        },
                        cpb::KeyComponent {
                            fraction: frac(2, 3),
                            driver: "invanare".into(),
                        },
                    ],
                    ..Default::default()
                }),
            },
        )?)
        .await
        .map_err(status("allocation key"))?;
        for m in &members {
            for (service, driver) in [("konto", "konton"), ("dator", "datorer")] {
                cm.record_volume(self.req(
                    &chef,
                    cpb::RecordVolumeRequest {
                        request_id: self.rid(&format!("volume-2025-{}-{service}", m.id)),
                        collaboration_id: collaboration_id.clone(),
                        volume: Some(cpb::Volume {
                            period: Some(cpb::Period::of_year(2025)),
                            municipality_id: m.id.clone(),
                            unit: String::new(),
                            service_code: service.into(),
                            quantity: frac(i64::try_from(value(m, driver)).unwrap_or(0), 1),
                            ..Default::default()
                        }),
                    },
                )?)
                .await
                .map_err(status(format!("volume {service} of {}", m.id)))?;
            }
        }
        // The pool grows with the members' population: 60 kr per inhabitant.
        let pool: i64 = members
            .iter()
            .map(|m| i64::try_from(value(m, "invanare")).unwrap_or(0) * 6_000)
            .sum();
        let mut list = cm
            .create_price_list(self.req(
                &chef,
                cpb::CreatePriceListRequest {
                    request_id: self.rid("price-list-2025"),
                    collaboration_id: collaboration_id.clone(),
                    year: 2025,
                    effective_date: pdate(date(2025, 1, 1)),
                    prices: vec![
                        cpb::Price {
                            service_code: "konto".into(),
                            amount_ore: 185_000,
                        },
                        cpb::Price {
                            service_code: "dator".into(),
                            amount_ore: 342_000,
                        },
                        cpb::Price {
                            service_code: "bas".into(),
                            amount_ore: pool,
                        },
                        cpb::Price {
                            service_code: "beredskap".into(),
                            amount_ore: 70_000,
                        },
                    ],
                    ..Default::default()
                },
            )?)
            .await
            .map_err(status("create price list"))?
            .into_inner()
            .price_list
            .context("price list")?;
        if list.state == cpb::PriceListState::Draft as i32 {
            list = cm
                .propose_price_list(self.req(
                    &chef,
                    cpb::ProposePriceListRequest {
                        id: list.id.clone(),
                        etag: list.etag.clone(),
                    },
                )?)
                .await
                .map_err(status("propose price list"))?
                .into_inner()
                .price_list
                .context("price list")?;
        }
        if list.state == cpb::PriceListState::Proposed as i32 {
            list = cm
                .decide_price_list(self.req(
                    &strateg,
                    cpb::DecidePriceListRequest {
                        id: list.id.clone(),
                        etag: list.etag.clone(),
                        decision_ref: "IT-styrgruppen 2024-11-20, prislista 2025".into(),
                        decision_id: String::new(),
                    },
                )?)
                .await
                .map_err(status("decide price list"))?
                .into_inner()
                .price_list
                .context("price list")?;
        }
        if list.state == cpb::PriceListState::Decided as i32 {
            cm.publish_price_list(self.req(
                &strateg,
                cpb::PublishPriceListRequest {
                    id: list.id.clone(),
                    etag: list.etag.clone(),
                },
            )?)
            .await
            .map_err(status("publish price list"))?;
        }
        Ok(())
    }
}
