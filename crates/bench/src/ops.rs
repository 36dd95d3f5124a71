//! What the load generator calls: the operations of the mix, who calls
//! each, and the resources they need, found once through the API before
//! the clock starts.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context as _, anyhow};
use samverkan_proto::costmodel::v1 as cpb;
use samverkan_proto::costmodel::v1::cost_model_service_client::CostModelServiceClient;
use samverkan_proto::decisions::v1 as dpb;
use samverkan_proto::decisions::v1::decisions_service_client::DecisionsServiceClient;
use samverkan_proto::forums::v1 as fpb;
use samverkan_proto::forums::v1::forums_service_client::ForumsServiceClient;
use samverkan_proto::roles::v1 as rpb;
use samverkan_proto::roles::v1::roles_service_client::RolesServiceClient;
use tonic::transport::Channel;
use tonic_health::pb::health_client::HealthClient;

/// The development token issuer and audience `samverkan serve --dev-auth` accepts.
pub const DEV_ISSUER: &str = "samverkan-dev";
pub const DEV_AUDIENCE: &str = "samverkan";

/// Rows a list asks for, as a client app showing one screen would.
pub const PAGE_SIZE: i32 = 50;

/// One kind of call the load generator makes. Writes count as one
/// operation even when they take two RPCs (a matter is created, then
/// submitted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Op {
    /// gRPC health check: the server stack without a database (the gRPC floor).
    Health,
    /// The secretary reads the forum's agenda backlog.
    AgendaBacklog,
    /// A member reads a meeting with its agenda.
    GetMeeting,
    /// A member lists the forum's meetings.
    ListMeetings,
    /// A member lists the matters raised to a forum.
    ListMatters,
    /// A member lists IT-styrgruppen's decisions.
    ListDecisions,
    /// A client app asks whether its user may submit to a forum.
    CheckPermission,
    /// An e-samordnare writes a matter and submits it (two RPCs).
    CreateSubmitMatter,
    /// The chair of IT-forum utveckling adds an item to a planned agenda.
    AddAgendaItem,
    /// A kommunchef computes the municipality's bill of the year.
    ComputeBill,
}

impl Op {
    pub const READS: &'static [Op] = &[
        Op::AgendaBacklog,
        Op::GetMeeting,
        Op::ListMeetings,
        Op::ListMatters,
        Op::ListDecisions,
        Op::CheckPermission,
    ];
    pub const WRITES: &'static [Op] = &[Op::CreateSubmitMatter, Op::AddAgendaItem];
    pub const ALL: &'static [Op] = &[
        Op::Health,
        Op::AgendaBacklog,
        Op::GetMeeting,
        Op::ListMeetings,
        Op::ListMatters,
        Op::ListDecisions,
        Op::CheckPermission,
        Op::CreateSubmitMatter,
        Op::AddAgendaItem,
        Op::ComputeBill,
    ];

    /// The name on the command line and in the report: the RPC it calls.
    pub fn name(self) -> &'static str {
        match self {
            Op::Health => "Health.Check",
            Op::AgendaBacklog => "ListAgendaBacklog",
            Op::GetMeeting => "GetMeeting",
            Op::ListMeetings => "ListMeetings",
            Op::ListMatters => "ListMatters",
            Op::ListDecisions => "ListDecisions",
            Op::CheckPermission => "CheckPermission",
            Op::CreateSubmitMatter => "CreateMatter+SubmitMatter",
            Op::AddAgendaItem => "AddAgendaItem",
            Op::ComputeBill => "ComputeBill",
        }
    }

    pub fn parse(s: &str) -> Option<Op> {
        Self::ALL
            .iter()
            .copied()
            .find(|o| o.name().eq_ignore_ascii_case(s) || format!("{o:?}").eq_ignore_ascii_case(s))
    }

    /// The role code of the people who make this call.
    fn role(self) -> &'static str {
        match self {
            Op::Health | Op::GetMeeting | Op::ListMeetings | Op::ListDecisions => "utvecklingschef",
            Op::AgendaBacklog | Op::AddAgendaItem => "it-strateg",
            Op::ListMatters | Op::CheckPermission | Op::CreateSubmitMatter => "e-samordnare",
            Op::ComputeBill => "kommunchef",
        }
    }
}

/// A weighted mix of operations.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Mix(pub Vec<(Op, u32)>);

impl Mix {
    /// What the member municipalities' client apps do all day: mostly
    /// polling the backlog, meetings, matters and decisions, some writing.
    pub fn realistic() -> Self {
        Mix(vec![
            (Op::AgendaBacklog, 15),
            (Op::GetMeeting, 20),
            (Op::ListMeetings, 10),
            (Op::ListMatters, 15),
            (Op::ListDecisions, 15),
            (Op::CheckPermission, 10),
            (Op::CreateSubmitMatter, 5),
            (Op::AddAgendaItem, 3),
            (Op::ComputeBill, 7),
        ])
    }

    pub fn only(op: Op) -> Self {
        Mix(vec![(op, 1)])
    }

    /// Parses `mixed`, `reads`, `writes` or a comma-separated list of operations.
    pub fn parse(s: &str) -> anyhow::Result<Self> {
        match s {
            "mixed" => Ok(Self::realistic()),
            "reads" => Ok(Mix(Op::READS.iter().map(|o| (*o, 1)).collect())),
            "writes" => Ok(Mix(Op::WRITES.iter().map(|o| (*o, 1)).collect())),
            _ => s
                .split(',')
                .map(|p| {
                    Op::parse(p.trim()).map(|o| (o, 1)).ok_or_else(|| {
                        let known: Vec<_> = Op::ALL.iter().map(|o| o.name()).collect();
                        anyhow!(
                            "unknown operation {p:?}; use mixed, reads, writes or: {}",
                            known.join(", ")
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Mix),
        }
    }

    /// The operation for a uniform draw `r` in 0..total.
    pub fn pick(&self, r: u64) -> Op {
        let total: u64 = self.0.iter().map(|(_, w)| u64::from(*w)).sum();
        let mut r = r % total.max(1);
        for (op, w) in &self.0 {
            if r < u64::from(*w) {
                return *op;
            }
            r -= u64::from(*w);
        }
        self.0[0].0
    }

    pub fn describe(&self) -> String {
        self.0
            .iter()
            .map(|(o, w)| format!("{} {w}", o.name()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A person the generator acts as, with a token and what their calls need.
#[derive(Debug, Clone)]
pub struct Actor {
    pub email: String,
    pub municipality: String,
    pub role: String,
    pub collaboration: String,
    pub token: String,
}

/// What a collaboration's calls need: its forums and meetings.
#[derive(Debug, Clone)]
pub struct Place {
    pub styrgruppen: String,
    pub utveckling: String,
    /// Meetings of IT-styrgruppen that have taken place (for GetMeeting).
    pub meetings: Vec<String>,
    /// A planned meeting of IT-forum utveckling (for AddAgendaItem).
    pub planned: Option<String>,
}

/// Everything the generator acts on: people by role, places by collaboration.
#[derive(Debug, Clone)]
pub struct World {
    pub actors: BTreeMap<&'static str, Vec<Actor>>,
    pub places: BTreeMap<String, Place>,
}

/// The clients of one worker, over one channel.
#[derive(Clone)]
pub struct Clients {
    pub health: HealthClient<Channel>,
    pub roles: RolesServiceClient<Channel>,
    pub forums: ForumsServiceClient<Channel>,
    pub decisions: DecisionsServiceClient<Channel>,
    pub costmodel: CostModelServiceClient<Channel>,
}

impl Clients {
    pub fn new(ch: Channel) -> Self {
        Self {
            health: HealthClient::new(ch.clone()),
            roles: RolesServiceClient::new(ch.clone()),
            forums: ForumsServiceClient::new(ch.clone()),
            decisions: DecisionsServiceClient::new(ch.clone()),
            costmodel: CostModelServiceClient::new(ch),
        }
    }
}

/// A request carrying `token` as its bearer.
pub fn req<T>(token: &str, msg: T) -> tonic::Request<T> {
    let mut r = tonic::Request::new(msg);
    if let Ok(v) = format!("Bearer {token}").parse() {
        r.metadata_mut().insert("authorization", v);
    }
    r
}

impl World {
    /// Mints a token for every generated person of `scale` and finds, as
    /// each collaboration's IT-strateg, its forums and meetings.
    pub async fn discover(
        clients: &mut Clients,
        scale: u32,
        secret: &str,
        ttl: Duration,
    ) -> anyhow::Result<Self> {
        let mut actors: BTreeMap<&'static str, Vec<Actor>> = BTreeMap::new();
        let roles: Vec<&'static str> = Op::ALL.iter().map(|o| o.role()).collect();
        for p in samverkan_demo::principals(scale) {
            let Some(role) = roles.iter().copied().find(|r| *r == p.role) else {
                continue;
            };
            let token = samverkan_auth::mint_dev_token(
                secret,
                DEV_ISSUER,
                DEV_AUDIENCE,
                &p.email,
                &p.municipality,
                ttl,
            )
            .map_err(|e| anyhow!("minting a token for {}: {e}", p.email))?;
            actors.entry(role).or_default().push(Actor {
                email: p.email,
                municipality: p.municipality,
                role: p.role,
                collaboration: p.collaboration.to_string(),
                token,
            });
        }
        let mut places = BTreeMap::new();
        let strateger = actors.get("it-strateg").cloned().unwrap_or_default();
        for a in &strateger {
            if places.contains_key(&a.collaboration) {
                continue;
            }
            places.insert(a.collaboration.clone(), Place::find(clients, a).await?);
        }
        anyhow::ensure!(!places.is_empty(), "no IT-strateg among the principals");
        Ok(Self { actors, places })
    }

    /// The same people and places, narrowed to one collaboration.
    pub fn only(&self, collaboration: &str) -> Self {
        Self {
            actors: self
                .actors
                .iter()
                .map(|(role, all)| {
                    let mine = all
                        .iter()
                        .filter(|a| a.collaboration == collaboration)
                        .cloned()
                        .collect();
                    (*role, mine)
                })
                .collect(),
            places: self
                .places
                .iter()
                .filter(|(c, _)| c.as_str() == collaboration)
                .map(|(c, p)| (c.clone(), p.clone()))
                .collect(),
        }
    }

    /// The `i`th person who makes `op` calls (round robin), and their place.
    pub fn actor(&self, op: Op, i: usize) -> Option<(&Actor, &Place)> {
        let all = self.actors.get(op.role())?;
        let a = all.get(i % all.len().max(1))?;
        Some((a, self.places.get(&a.collaboration)?))
    }

    pub fn principals(&self) -> usize {
        self.actors.values().map(Vec::len).sum()
    }

    pub fn municipalities(&self) -> usize {
        let mut m: Vec<&str> = self
            .actors
            .values()
            .flatten()
            .map(|a| a.municipality.as_str())
            .collect();
        m.sort_unstable();
        m.dedup();
        m.len()
    }
}

impl Place {
    async fn find(c: &mut Clients, strateg: &Actor) -> anyhow::Result<Self> {
        let forums = c
            .roles
            .list_forums(req(
                &strateg.token,
                rpb::ListForumsRequest {
                    collaboration_id: strateg.collaboration.clone(),
                },
            ))
            .await
            .with_context(|| format!("ListForums as {}", strateg.email))?
            .into_inner()
            .forums;
        let forum = |code: &str| {
            forums
                .iter()
                .find(|f| f.code == code)
                .map(|f| f.id.clone())
                .ok_or_else(|| {
                    anyhow!(
                        "collaboration {} has no forum {code}",
                        strateg.collaboration
                    )
                })
        };
        let (styrgruppen, utveckling) = (forum("styrgruppen")?, forum("utveckling")?);
        let held = c
            .forums
            .list_meetings(req(
                &strateg.token,
                fpb::ListMeetingsRequest {
                    forum_id: styrgruppen.clone(),
                    page_size: 20,
                    order_by: "start_time desc".into(),
                    ..Default::default()
                },
            ))
            .await
            .context("ListMeetings of IT-styrgruppen")?
            .into_inner()
            .meetings;
        let meetings: Vec<String> = held
            .iter()
            .filter(|m| m.state != fpb::MeetingState::Planned as i32)
            .map(|m| m.id.clone())
            .collect();
        anyhow::ensure!(
            !meetings.is_empty(),
            "IT-styrgruppen of {} has no meetings: load the data with `samverkan demo --scale N`",
            strateg.collaboration
        );
        let planned = c
            .forums
            .list_meetings(req(
                &strateg.token,
                fpb::ListMeetingsRequest {
                    forum_id: utveckling.clone(),
                    state: fpb::MeetingState::Planned as i32,
                    page_size: 1,
                    ..Default::default()
                },
            ))
            .await
            .context("ListMeetings of IT-forum utveckling")?
            .into_inner()
            .meetings
            .into_iter()
            .next()
            .map(|m| m.id);
        Ok(Self {
            styrgruppen,
            utveckling,
            meetings,
            planned,
        })
    }
}

/// Makes one `op` call as the `i`th person for it; `n` makes texts and
/// request ids unique. The error is the call's status.
pub async fn call(
    c: &mut Clients,
    world: &World,
    op: Op,
    i: usize,
    n: u64,
) -> Result<(), tonic::Status> {
    if op == Op::Health {
        c.health
            .check(tonic_health::pb::HealthCheckRequest {
                service: String::new(),
            })
            .await?;
        return Ok(());
    }
    let Some((a, place)) = world.actor(op, i) else {
        return Err(tonic::Status::failed_precondition(format!(
            "nobody with role {} to call {}",
            op.role(),
            op.name()
        )));
    };
    let t = a.token.as_str();
    match op {
        Op::Health => {}
        Op::AgendaBacklog => {
            c.forums
                .list_agenda_backlog(req(
                    t,
                    fpb::ListAgendaBacklogRequest {
                        forum_id: place.styrgruppen.clone(),
                        page_size: PAGE_SIZE,
                        ..Default::default()
                    },
                ))
                .await?;
        }
        Op::GetMeeting => {
            let id = &place.meetings[(n as usize) % place.meetings.len()];
            c.forums
                .get_meeting(req(t, fpb::GetMeetingRequest { id: id.clone() }))
                .await?;
        }
        Op::ListMeetings => {
            c.forums
                .list_meetings(req(
                    t,
                    fpb::ListMeetingsRequest {
                        forum_id: place.styrgruppen.clone(),
                        page_size: PAGE_SIZE,
                        order_by: "start_time desc".into(),
                        ..Default::default()
                    },
                ))
                .await?;
        }
        Op::ListMatters => {
            c.forums
                .list_matters(req(
                    t,
                    fpb::ListMattersRequest {
                        forum_id: place.utveckling.clone(),
                        page_size: PAGE_SIZE,
                        ..Default::default()
                    },
                ))
                .await?;
        }
        Op::ListDecisions => {
            c.decisions
                .list_decisions(req(
                    t,
                    dpb::ListDecisionsRequest {
                        forum_id: place.styrgruppen.clone(),
                        page_size: PAGE_SIZE,
                        ..Default::default()
                    },
                ))
                .await?;
        }
        Op::CheckPermission => {
            c.roles
                .check_permission(req(
                    t,
                    rpb::CheckPermissionRequest {
                        action: "matters.submit".into(),
                        forum_id: place.utveckling.clone(),
                        municipality_id: a.municipality.clone(),
                        ..Default::default()
                    },
                ))
                .await?;
        }
        Op::CreateSubmitMatter => {
            let m = c
                .forums
                .create_matter(req(
                    t,
                    fpb::CreateMatterRequest {
                        request_id: String::new(),
                        matter: Some(fpb::Matter {
                            kind: fpb::MatterKind::DevelopmentNeed as i32,
                            title: format!("Behov {n}: e-tjänst för färdtjänst"),
                            description: "Ansökan ska kunna göras digitalt, även för anhöriga."
                                .into(),
                            priority: fpb::Priority::Normal as i32,
                            ..Default::default()
                        }),
                    },
                ))
                .await?
                .into_inner()
                .matter
                .ok_or_else(|| tonic::Status::internal("CreateMatter answered no matter"))?;
            c.forums
                .submit_matter(req(
                    t,
                    fpb::SubmitMatterRequest {
                        id: m.id,
                        forum_id: place.utveckling.clone(),
                        etag: m.etag,
                    },
                ))
                .await?;
        }
        Op::AddAgendaItem => {
            let Some(meeting) = &place.planned else {
                return Err(tonic::Status::failed_precondition(
                    "IT-forum utveckling has no planned meeting",
                ));
            };
            c.forums
                .add_agenda_item(req(
                    t,
                    fpb::AddAgendaItemRequest {
                        request_id: String::new(),
                        item: Some(fpb::AgendaItem {
                            meeting_id: meeting.clone(),
                            kind: fpb::AgendaItemKind::Information as i32,
                            title: format!("Information {n}: läget i säkerhetsarbetet"),
                            presenter: "Nils Ekström".into(),
                            estimated_minutes: 10,
                            ..Default::default()
                        }),
                    },
                ))
                .await?;
        }
        Op::ComputeBill => {
            c.costmodel
                .compute_bill(req(
                    t,
                    cpb::ComputeBillRequest {
                        collaboration_id: a.collaboration.clone(),
                        municipality_id: a.municipality.clone(),
                        source: Some(cpb::BillSource {
                            period: Some(cpb::Period::of_year(2025)),
                            basis: cpb::BillBasis::Live as i32,
                            ..Default::default()
                        }),
                    },
                ))
                .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{Mix, Op};

    #[test]
    fn the_mix_picks_by_weight() {
        let mix = Mix::realistic();
        let total: u64 = mix.0.iter().map(|(_, w)| u64::from(*w)).sum();
        let mut seen = std::collections::BTreeMap::new();
        for r in 0..total {
            *seen.entry(mix.pick(r)).or_insert(0u32) += 1;
        }
        for (op, w) in &mix.0 {
            assert_eq!(seen.get(op), Some(w), "{op:?}");
        }
    }

    #[test]
    fn mixes_parse_by_name_and_unknown_names_are_refused() {
        let m = Mix::parse("ListMatters, getmeeting").expect("two names");
        assert_eq!(m.0, vec![(Op::ListMatters, 1), (Op::GetMeeting, 1)]);
        assert_eq!(Mix::parse("reads").expect("reads").0.len(), Op::READS.len());
        let err = Mix::parse("ListMatter").expect_err("a typo").to_string();
        assert!(
            err.contains("ListMatter") && err.contains("ListMatters"),
            "{err}"
        );
    }
}
