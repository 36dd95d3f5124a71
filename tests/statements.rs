//! No list issues a statement per row (issue #11): every RPC that answers
//! with a list whose length depends on the data — enumerated from the
//! descriptor set, so that a new one without a case fails — is called with
//! a small and a large page (or before and after its rows grow from a few
//! to 25 or more), and the statements the server's pool ran for each call
//! are counted with the pool's statement log. The counts must be equal.
//!
//! The log belongs to the pool, not to a request, so the server runs with
//! its background work off and the calls are made one at a time. Each call
//! is made once unmeasured first, so that a cache filled on first use does
//! not pass for a difference.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use prost::Message;
use samverkan_db::{Database, Recorded};
use samverkan_proto::agreements::v1 as apb;
use samverkan_proto::agreements::v1::agreements_service_client::AgreementsServiceClient;
use samverkan_proto::common::v1::Date;
use samverkan_proto::costmodel::v1 as cpb;
use samverkan_proto::costmodel::v1::cost_model_service_client::CostModelServiceClient;
use samverkan_proto::decisions::v1 as dpb;
use samverkan_proto::decisions::v1::decisions_service_client::DecisionsServiceClient;
use samverkan_proto::forums::v1 as fpb;
use samverkan_proto::forums::v1::forums_service_client::ForumsServiceClient;
use samverkan_proto::roles::v1 as rpb;
use samverkan_proto::roles::v1::roles_service_client::RolesServiceClient;
use samverkan_testkit::story::{self, as_};
use samverkan_testkit::{TestDb, TestServer, backend_test, figure};
use tonic::transport::Channel;

const ROLES: &str = "samverkan.roles.v1.RolesService";
const FORUMS: &str = "samverkan.forums.v1.ForumsService";
const DECISIONS: &str = "samverkan.decisions.v1.DecisionsService";
const COSTMODEL: &str = "samverkan.costmodel.v1.CostModelService";
const AGREEMENTS: &str = "samverkan.agreements.v1.AgreementsService";

/// Reads whose answer holds a list of data-dependent length although the
/// list is not the response's own field (a meeting's agenda, the minutes'
/// paragraphs, an export's lines, a plan's activities, a price list's
/// prices): they need a case too.
const NESTED_LISTS: &[&str] = &[
    "samverkan.forums.v1.ForumsService/GetMeeting",
    "samverkan.forums.v1.ForumsService/GetMinutes",
    "samverkan.forums.v1.ForumsService/ExportMeeting",
    "samverkan.decisions.v1.DecisionsService/GetActionPlan",
    "samverkan.costmodel.v1.CostModelService/GetPriceList",
    "samverkan.costmodel.v1.CostModelService/ComputeBill",
    "samverkan.costmodel.v1.CostModelService/ExportCsv",
];

/// The small and the large sizes.
const SMALL: i32 = 2;
const LARGE: i32 = 50;
/// How many rows the large call must return at least.
const MANY: usize = 25;

// Tranemo
const SOFIA: &str = "sofia.lindstrom@tranemo.se"; // secretary of IT-forum utveckling
const ERIK: &str = "erik.ohman@tranemo.se"; // utvecklingschef
const ANNA: &str = "anna.aberg@tranemo.se"; // kommunchef
const IDA: &str = "ida.nyqvist@tranemo.se"; // it-koordinator
const EMIL: &str = "emil.sandstrom@tranemo.se"; // it-tekniker
// Ulricehamn
const EVA: &str = "eva.dahlgren@ulricehamn.se"; // IT-strateg; secretary of IT-styrgruppen
const PER: &str = "per.hakansson@ulricehamn.se"; // IT-chef

fn date(year: i32, month: i32, day: i32) -> Option<Date> {
    Some(Date { year, month, day })
}

fn collab() -> String {
    samverkan_roles::demo::COLLABORATION_ID.0.to_string()
}

/// What one measured call did.
struct Sample {
    statements: Vec<Recorded>,
    rows: usize,
}

impl Sample {
    fn count(&self) -> usize {
        self.statements.len()
    }

    /// The statements by their SQL (placeholders, not values), most
    /// frequent first: what to read when a count grows.
    fn profile(&self) -> String {
        let mut by_sql = BTreeMap::<&str, usize>::new();
        for s in &self.statements {
            *by_sql.entry(s.sql.as_str()).or_default() += 1;
        }
        let mut v: Vec<_> = by_sql.into_iter().collect();
        v.sort_by_key(|e| std::cmp::Reverse(e.1));
        v.iter()
            .map(|(sql, n)| format!("    {n:>3} × {}", sql.replace('\n', " ")))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The most often repeated statement and how often it ran.
    fn most_repeated(&self) -> usize {
        let mut by_sql = BTreeMap::<&str, usize>::new();
        for s in &self.statements {
            *by_sql.entry(s.sql.as_str()).or_default() += 1;
        }
        by_sql.values().copied().max().unwrap_or(0)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Page `SMALL` against page `LARGE` over the same rows.
    Paged,
    /// The same call before and after its rows grew.
    Grown,
    /// A list whose length the API cannot change (the role catalogue, the
    /// five forums): one call, in which no statement may run once per row.
    Fixed,
}

struct Case {
    rpc: String,
    label: String,
    kind: Kind,
    small: Sample,
    large: Sample,
}

/// Counts the statements of calls on the server's pool.
struct Meter {
    db: Database,
    cases: Vec<Case>,
    pending: BTreeMap<String, Sample>,
}

impl Meter {
    /// Runs `call` once unmeasured, then once measured.
    async fn sample<T, Fut>(&self, call: impl Fn() -> Fut, rows: impl Fn(&T) -> usize) -> Sample
    where
        Fut: Future<Output = T>,
    {
        call().await;
        self.db.statements().start();
        let out = call().await;
        let statements = self.db.statements().stop();
        Sample {
            statements,
            rows: rows(&out),
        }
    }

    /// A paged list: page `SMALL` and page `LARGE` of the same rows.
    async fn paged<T, Fut>(
        &mut self,
        rpc: &str,
        call: impl Fn(i32) -> Fut,
        rows: impl Fn(&T) -> usize + Copy,
    ) where
        Fut: Future<Output = T>,
    {
        let small = self.sample(|| call(SMALL), rows).await;
        let large = self.sample(|| call(LARGE), rows).await;
        self.cases.push(Case {
            rpc: rpc.to_owned(),
            label: rpc.rsplit('/').next().unwrap_or(rpc).to_owned(),
            kind: Kind::Paged,
            small,
            large,
        });
    }

    /// The first half of a grown case: the call over few rows.
    async fn before<T, Fut>(
        &mut self,
        label: &str,
        call: impl Fn() -> Fut,
        rows: impl Fn(&T) -> usize,
    ) where
        Fut: Future<Output = T>,
    {
        let s = self.sample(call, rows).await;
        self.pending.insert(label.to_owned(), s);
    }

    /// The second half: the same call once the rows have grown.
    async fn after<T, Fut>(
        &mut self,
        rpc: &str,
        label: &str,
        call: impl Fn() -> Fut,
        rows: impl Fn(&T) -> usize,
    ) where
        Fut: Future<Output = T>,
    {
        let large = self.sample(call, rows).await;
        let small = self
            .pending
            .remove(label)
            .unwrap_or_else(|| panic!("{label}: measured after without before"));
        self.cases.push(Case {
            rpc: rpc.to_owned(),
            label: label.to_owned(),
            kind: Kind::Grown,
            small,
            large,
        });
    }

    /// A list of fixed length.
    async fn fixed<T, Fut>(
        &mut self,
        rpc: &str,
        call: impl Fn() -> Fut,
        rows: impl Fn(&T) -> usize + Copy,
    ) where
        Fut: Future<Output = T>,
    {
        let small = self.sample(&call, rows).await;
        let large = self.sample(&call, rows).await;
        self.cases.push(Case {
            rpc: rpc.to_owned(),
            label: rpc.rsplit('/').next().unwrap_or(rpc).to_owned(),
            kind: Kind::Fixed,
            small,
            large,
        });
    }
}

/// The RPCs that need a case: every `List…`, every RPC whose response has
/// a repeated field of its own, and the reads of [`NESTED_LISTS`].
fn rpcs_with_lists() -> BTreeSet<String> {
    let set = prost_types::FileDescriptorSet::decode(samverkan_proto::FILE_DESCRIPTOR_SET)
        .expect("descriptor set decodes");
    let mut repeated = BTreeSet::new();
    for file in &set.file {
        for m in &file.message_type {
            if m.field
                .iter()
                .any(|f| f.label() == prost_types::field_descriptor_proto::Label::Repeated)
            {
                repeated.insert(format!(".{}.{}", file.package(), m.name()));
            }
        }
    }
    let mut out = BTreeSet::new();
    for file in &set.file {
        let package = file.package();
        if !package.starts_with("samverkan.") {
            continue;
        }
        for svc in &file.service {
            for m in &svc.method {
                let full = format!("{package}.{}/{}", svc.name(), m.name());
                if m.name().starts_with("List")
                    || repeated.contains(m.output_type())
                    || NESTED_LISTS.contains(&full.as_str())
                {
                    out.insert(full);
                }
            }
        }
    }
    out
}

fn person_of(ch: &Channel, email: &'static str) -> impl Future<Output = String> {
    let mut r = RolesServiceClient::new(ch.clone());
    async move {
        r.who_am_i(as_(email, rpb::WhoAmIRequest {}))
            .await
            .unwrap()
            .into_inner()
            .person
            .unwrap()
            .id
    }
}

async fn statements_per_list_call(db: TestDb) {
    let server = TestServer::start_quiet(&db, samverkan_server::Svc::ALL).await;
    let ch = server.channel().await;
    let mut meter = Meter {
        db: db.app.clone(),
        cases: Vec::new(),
        pending: BTreeMap::new(),
    };

    // The counter counts: one call of the server shows up in the log.
    let probe = meter
        .sample(
            || {
                let mut r = RolesServiceClient::new(ch.clone());
                async move {
                    r.who_am_i(as_(ANNA, rpb::WhoAmIRequest {}))
                        .await
                        .unwrap()
                        .into_inner()
                }
            },
            |r| r.memberships.len(),
        )
        .await;
    assert!(
        probe.count() > 0 && probe.statements.iter().all(|s| !s.failed),
        "the statement log saw nothing of a call to the server: {:?}",
        probe.statements
    );

    roles(&server, &ch, &mut meter).await;
    forums_and_decisions(&server, &ch, &mut meter).await;
    costmodel(&ch, &mut meter).await;
    agreements(&ch, &mut meter).await;
    // Last: more municipalities and collaborations change what every
    // other service sees of the collaboration.
    membership(&db, &ch, &mut meter).await;

    report(&db, meter);
    server.stop().await;
}

backend_test!(statements_per_list_call);

fn report(db: &TestDb, meter: Meter) {
    assert!(
        meter.pending.is_empty(),
        "cases measured before but not after: {:?}",
        meter.pending.keys().collect::<Vec<_>>()
    );
    let required = rpcs_with_lists();
    let covered: BTreeSet<String> = meter.cases.iter().map(|c| c.rpc.clone()).collect();
    let missing: Vec<_> = required.difference(&covered).collect();
    let unknown: Vec<_> = covered.difference(&required).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "statement counts out of step with the descriptor set:\n  list RPCs without a case: {missing:#?}\n  cases for no list RPC: {unknown:#?}"
    );
    let mut failures = Vec::new();
    for c in &meter.cases {
        let (s, l) = (&c.small, &c.large);
        let line = match c.kind {
            Kind::Paged => format!(
                "{} {} (page {SMALL}) / {} (page {LARGE})",
                c.label,
                s.count(),
                l.count()
            ),
            Kind::Grown => format!(
                "{} {} ({} rows) / {} ({} rows)",
                c.label,
                s.count(),
                s.rows,
                l.count(),
                l.rows
            ),
            Kind::Fixed => format!("{} {} ({} rows, fixed)", c.label, l.count(), l.rows),
        };
        figure(&format!(
            "statements per list call ({:?}): {line}",
            db.backend
        ));
        let shape_ok = match c.kind {
            Kind::Paged => s.rows == SMALL as usize && l.rows >= MANY,
            Kind::Grown => l.rows >= MANY && s.rows < l.rows,
            Kind::Fixed => l.rows >= 2,
        };
        if !shape_ok {
            failures.push(format!(
                "{}: the calls did not return the rows the case needs ({} and {} rows)",
                c.label, s.rows, l.rows
            ));
        }
        if s.count() == 0 || s.statements.iter().chain(&l.statements).any(|r| r.failed) {
            failures.push(format!(
                "{}: no statements, or a failed one — the case measures nothing",
                c.label
            ));
        }
        if s.count() != l.count() {
            failures.push(format!(
                "{line}: the count grows with the rows\n  small:\n{}\n  large:\n{}",
                s.profile(),
                l.profile()
            ));
        }
        if l.rows >= 5 && l.most_repeated() >= l.rows {
            failures.push(format!(
                "{line}: a statement runs once per row\n{}",
                l.profile()
            ));
        }
    }
    figure(&format!(
        "statements per list call ({:?}): {} list RPCs, {} cases, {} failing",
        db.backend,
        required.len(),
        meter.cases.len(),
        failures.len()
    ));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---- roles ------------------------------------------------------------------

async fn roles(server: &TestServer, ch: &Channel, meter: &mut Meter) {
    let r = RolesServiceClient::new(ch.clone());
    let (_, styr) = story::forum_ids(server).await;
    let roles = r
        .clone()
        .list_roles(as_(
            ANNA,
            rpb::ListRolesRequest {
                collaboration_id: collab(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .roles;
    let registrator = roles
        .iter()
        .find(|x| x.code == "registrator")
        .unwrap()
        .id
        .clone();

    meter
        .fixed(
            &format!("{ROLES}/ListRoles"),
            || {
                let mut r = r.clone();
                async move {
                    r.list_roles(as_(
                        ANNA,
                        rpb::ListRolesRequest {
                            collaboration_id: collab(),
                        },
                    ))
                    .await
                    .unwrap()
                    .into_inner()
                }
            },
            |x| x.roles.len(),
        )
        .await;
    meter
        .fixed(
            &format!("{ROLES}/ListForums"),
            || {
                let mut r = r.clone();
                async move {
                    r.list_forums(as_(
                        ANNA,
                        rpb::ListForumsRequest {
                            collaboration_id: collab(),
                        },
                    ))
                    .await
                    .unwrap()
                    .into_inner()
                }
            },
            |x| x.forums.len(),
        )
        .await;

    let composition = || {
        let (mut r, styr) = (r.clone(), styr.clone());
        async move {
            r.get_forum_composition(as_(
                ANNA,
                rpb::GetForumCompositionRequest {
                    forum_id: styr,
                    on: None,
                },
            ))
            .await
            .unwrap()
            .into_inner()
        }
    };
    let mandates = || {
        let (mut r, styr) = (r.clone(), styr.clone());
        async move {
            r.list_mandates(as_(
                ANNA,
                rpb::ListMandatesRequest {
                    role_id: String::new(),
                    forum_id: styr,
                },
            ))
            .await
            .unwrap()
            .into_inner()
        }
    };
    meter
        .before("GetForumComposition", composition, |x| x.seats.len())
        .await;
    meter
        .before("ListMandates", mandates, |x| x.mandates.len())
        .await;

    // 30 people of Tranemo, each a registrator with a seat in
    // IT-styrgruppen; 30 versions of IT-styrgruppen's mandate.
    let mut c = r.clone();
    for i in 0..30 {
        let p = c
            .create_person(as_(
                ANNA,
                rpb::CreatePersonRequest {
                    request_id: String::new(),
                    person: Some(rpb::Person {
                        display_name: format!("Person {i:02} Mätsson"),
                        email: format!("person{i:02}@tranemo.se"),
                        ..Default::default()
                    }),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .person
            .unwrap();
        c.create_assignment(as_(
            ANNA,
            rpb::CreateAssignmentRequest {
                request_id: String::new(),
                assignment: Some(rpb::Assignment {
                    person_id: p.id.clone(),
                    role_id: registrator.clone(),
                    municipality_id: "tranemo".into(),
                    valid_from: date(2026, 1, 1),
                    decision_ref: "KS Tranemo 2025-12-10 § 180".into(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap();
        c.create_seat(as_(
            EVA,
            rpb::CreateSeatRequest {
                request_id: String::new(),
                seat: Some(rpb::Seat {
                    forum_id: styr.clone(),
                    person_id: p.id.clone(),
                    kind: rpb::SeatKind::Member as i32,
                    valid_from: date(2026, 1, 1),
                    decision_ref: "IT-styrgruppen 2025-12-04 § 9".into(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap();
        c.create_mandate(as_(
            EVA,
            rpb::CreateMandateRequest {
                request_id: String::new(),
                mandate: Some(rpb::Mandate {
                    forum_id: styr.clone(),
                    text: format!("Styrgruppen leder samverkan, version {i}."),
                    effective_from: date(2027 + i, 1, 1),
                    decision_ref: format!("IT-styrgruppen {}-11-05 § 4", 2026 + i),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap();
    }
    meter
        .after(
            &format!("{ROLES}/GetForumComposition"),
            "GetForumComposition",
            composition,
            |x| x.seats.len(),
        )
        .await;
    meter
        .after(
            &format!("{ROLES}/ListMandates"),
            "ListMandates",
            mandates,
            |x| x.mandates.len(),
        )
        .await;
    meter
        .paged(
            &format!("{ROLES}/ListPeople"),
            |n| {
                let mut r = r.clone();
                async move {
                    r.list_people(as_(
                        ANNA,
                        rpb::ListPeopleRequest {
                            municipality_id: String::new(),
                            page_size: n,
                            page_token: String::new(),
                        },
                    ))
                    .await
                    .unwrap()
                    .into_inner()
                }
            },
            |x| x.people.len(),
        )
        .await;
    meter
        .paged(
            &format!("{ROLES}/ListAssignments"),
            |n| {
                let mut r = r.clone();
                async move {
                    r.list_assignments(as_(
                        ANNA,
                        rpb::ListAssignmentsRequest {
                            collaboration_id: collab(),
                            page_size: n,
                            ..Default::default()
                        },
                    ))
                    .await
                    .unwrap()
                    .into_inner()
                }
            },
            |x| x.assignments.len(),
        )
        .await;
}

/// Municipalities joining the collaboration, and Tranemo joining more
/// collaborations.
async fn membership(db: &TestDb, ch: &Channel, meter: &mut Meter) {
    let r = RolesServiceClient::new(ch.clone());
    let members = || {
        let mut r = r.clone();
        async move {
            r.list_members(as_(
                ANNA,
                rpb::ListMembersRequest {
                    collaboration_id: collab(),
                    on: None,
                    include_history: false,
                },
            ))
            .await
            .unwrap()
            .into_inner()
        }
    };
    let collaborations = || {
        let mut r = r.clone();
        async move {
            r.list_collaborations(as_(ANNA, rpb::ListCollaborationsRequest {}))
                .await
                .unwrap()
                .into_inner()
        }
    };
    let who = || {
        let mut r = r.clone();
        async move {
            r.who_am_i(as_(ANNA, rpb::WhoAmIRequest {}))
                .await
                .unwrap()
                .into_inner()
        }
    };
    meter
        .before("ListMembers", members, |x| x.memberships.len())
        .await;
    meter
        .before("ListCollaborations", collaborations, |x| {
            x.memberships.len()
        })
        .await;
    meter.before("WhoAmI", who, |x| x.memberships.len()).await;
    let mut c = r.clone();
    for i in 0..30 {
        c.create_municipality(as_(
            EVA,
            rpb::CreateMunicipalityRequest {
                request_id: String::new(),
                municipality: Some(rpb::Municipality {
                    id: format!("kommun-{i:02}"),
                    name: format!("Mätkommun {i:02}"),
                    organisation_number: "212000-1561".into(),
                    ..Default::default()
                }),
                collaboration_id: collab(),
                joined_on: date(2026, 1, 1),
                decision_ref: "IT-styrgruppen 2025-12-04 § 12".into(),
            },
        ))
        .await
        .unwrap();
        let spec = samverkan_roles::bootstrap::Spec {
            id: samverkan_core::CollaborationId(
                format!("01900000-0000-7000-8000-0000000100{i:02}")
                    .parse()
                    .unwrap(),
            ),
            name: format!("Mätsamverkan {i:02}"),
            host: "tranemo".into(),
            since: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            decision_ref: "Avtal om mätsamverkan".into(),
            members: vec![samverkan_roles::bootstrap::Member {
                id: "tranemo".into(),
                name: "Tranemo kommun".into(),
                joined_on: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            }],
            people: Vec::new(),
            styrgruppen_chair: None,
            collaboration_administrators: Vec::new(),
        };
        samverkan_roles::bootstrap::bootstrap(&db.app, &spec)
            .await
            .expect("bootstrap a collaboration of Tranemo's");
    }
    meter
        .after(
            &format!("{ROLES}/ListMembers"),
            "ListMembers",
            members,
            |x| x.memberships.len(),
        )
        .await;
    meter
        .after(
            &format!("{ROLES}/ListCollaborations"),
            "ListCollaborations",
            collaborations,
            |x| x.memberships.len(),
        )
        .await;
    meter
        .after(&format!("{ROLES}/WhoAmI"), "WhoAmI", who, |x| {
            x.memberships.len()
        })
        .await;
    meter
        .paged(
            &format!("{ROLES}/ListMunicipalities"),
            |n| {
                let mut r = r.clone();
                async move {
                    r.list_municipalities(as_(
                        ANNA,
                        rpb::ListMunicipalitiesRequest {
                            collaboration_id: collab(),
                            page_size: n,
                            page_token: String::new(),
                        },
                    ))
                    .await
                    .unwrap()
                    .into_inner()
                }
            },
            |x| x.municipalities.len(),
        )
        .await;

    // A municipality that leaves takes its people's role assignments with
    // it: two leave holding one, two holding 30, in as many statements.
    let it_strateg = r
        .clone()
        .list_roles(as_(
            ANNA,
            rpb::ListRolesRequest {
                collaboration_id: collab(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .roles
        .into_iter()
        .find(|x| x.code == "it-strateg")
        .unwrap()
        .id;
    let leavers = [
        ("kommun-00", 1),
        ("kommun-01", 1),
        ("kommun-02", 30),
        ("kommun-03", 30),
    ];
    for (m, n) in leavers {
        for i in 0..n {
            let p = c
                .create_person(as_(
                    IDA,
                    rpb::CreatePersonRequest {
                        request_id: String::new(),
                        person: Some(rpb::Person {
                            municipality_id: m.into(),
                            display_name: format!("Mätperson {i:02}"),
                            email: format!("person-{i:02}@{m}.se"),
                            ..Default::default()
                        }),
                    },
                ))
                .await
                .unwrap()
                .into_inner()
                .person
                .unwrap();
            c.create_assignment(as_(
                PER,
                rpb::CreateAssignmentRequest {
                    request_id: String::new(),
                    assignment: Some(rpb::Assignment {
                        person_id: p.id,
                        role_id: it_strateg.clone(),
                        valid_from: date(2026, 1, 1),
                        decision_ref: "IT-chefens beslut 2025-12-15".into(),
                        ..Default::default()
                    }),
                },
            ))
            .await
            .unwrap();
        }
    }
    // Each call (one unmeasured, one measured) ends the next membership.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let end = || {
        let mut r = r.clone();
        let (m, _) = leavers[next.fetch_add(1, std::sync::atomic::Ordering::SeqCst)];
        async move {
            r.end_membership(as_(
                EVA,
                rpb::EndMembershipRequest {
                    collaboration_id: collab(),
                    municipality_id: m.into(),
                    left_on: date(2026, 6, 30),
                    decision_ref: "IT-styrgruppen 2026-05-20 § 30".into(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
        }
    };
    meter
        .before("EndMembership", &end, |x| x.ended_assignments.len())
        .await;
    meter
        .after(
            &format!("{ROLES}/EndMembership"),
            "EndMembership",
            end,
            |x| x.ended_assignments.len(),
        )
        .await;
}

// ---- forums and decisions ---------------------------------------------------

async fn draft(c: &mut story::Forums, who: &str, title: &str) -> fpb::Matter {
    c.create_matter(as_(
        who,
        fpb::CreateMatterRequest {
            request_id: String::new(),
            matter: Some(fpb::Matter {
                kind: fpb::MatterKind::DevelopmentNeed as i32,
                title: title.into(),
                description: "Ett behov att mäta med.".into(),
                priority: fpb::Priority::Normal as i32,
                ..Default::default()
            }),
        },
    ))
    .await
    .unwrap()
    .into_inner()
    .matter
    .unwrap()
}

async fn submit(c: &mut story::Forums, who: &str, m: fpb::Matter, forum: &str) -> fpb::Matter {
    c.submit_matter(as_(
        who,
        fpb::SubmitMatterRequest {
            id: m.id,
            forum_id: forum.into(),
            etag: m.etag,
        },
    ))
    .await
    .unwrap()
    .into_inner()
    .matter
    .unwrap()
}

async fn forums_and_decisions(server: &TestServer, ch: &Channel, meter: &mut Meter) {
    let f = ForumsServiceClient::new(ch.clone());
    let mut c = f.clone();
    let (utv, _) = story::forum_ids(server).await;

    // 30 matters submitted to IT-forum utveckling, 30 meetings there.
    for i in 0..30 {
        let m = draft(&mut c, SOFIA, &format!("Behov {i:02}")).await;
        submit(&mut c, SOFIA, m, &utv).await;
        story::meeting(
            &mut c,
            SOFIA,
            &utv,
            &format!("IT-forum utveckling {i:02}"),
            (2027, 1 + (i as u32) / 28, 1 + (i as u32) % 28),
        )
        .await;
    }
    meter
        .paged(
            &format!("{FORUMS}/ListMatters"),
            |n| {
                let (mut f, utv) = (f.clone(), utv.clone());
                async move {
                    f.list_matters(as_(
                        SOFIA,
                        fpb::ListMattersRequest {
                            forum_id: utv,
                            page_size: n,
                            ..Default::default()
                        },
                    ))
                    .await
                    .unwrap()
                    .into_inner()
                }
            },
            |x| x.matters.len(),
        )
        .await;
    meter
        .paged(
            &format!("{FORUMS}/ListAgendaBacklog"),
            |n| {
                let (mut f, utv) = (f.clone(), utv.clone());
                async move {
                    f.list_agenda_backlog(as_(
                        SOFIA,
                        fpb::ListAgendaBacklogRequest {
                            forum_id: utv,
                            page_size: n,
                            page_token: String::new(),
                        },
                    ))
                    .await
                    .unwrap()
                    .into_inner()
                }
            },
            |x| x.matters.len(),
        )
        .await;
    meter
        .paged(
            &format!("{FORUMS}/ListMeetings"),
            |n| {
                let (mut f, utv) = (f.clone(), utv.clone());
                async move {
                    f.list_meetings(as_(
                        SOFIA,
                        fpb::ListMeetingsRequest {
                            forum_id: utv,
                            page_size: n,
                            ..Default::default()
                        },
                    ))
                    .await
                    .unwrap()
                    .into_inner()
                }
            },
            |x| x.meetings.len(),
        )
        .await;

    // A draft with documents.
    let d = draft(&mut c, ERIK, "Utkast med bilagor").await;
    let documents = || {
        let (mut f, id) = (f.clone(), d.id.clone());
        async move {
            f.list_documents(as_(
                ERIK,
                fpb::ListDocumentsRequest {
                    matter_id: id,
                    agenda_item_id: String::new(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
        }
    };
    for i in 0..30 {
        if i == 2 {
            meter
                .before("ListDocuments", documents, |x| x.documents.len())
                .await;
        }
        c.create_document(as_(
            ERIK,
            fpb::CreateDocumentRequest {
                request_id: String::new(),
                document: Some(fpb::Document {
                    matter_id: d.id.clone(),
                    title: format!("Bilaga {i:02}"),
                    classification: fpb::Classification::Public as i32,
                    media_type: "text/plain; charset=utf-8".into(),
                    content: format!("Bilaga nummer {i}.").into_bytes(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap();
    }
    meter
        .after(
            &format!("{FORUMS}/ListDocuments"),
            "ListDocuments",
            documents,
            |x| x.documents.len(),
        )
        .await;

    // One meeting whose 30 agenda items all take up one matter: its
    // agenda, notes, minutes, and the 30 decisions of the matter.
    let matter = draft(&mut c, SOFIA, "Ärendet som beslutas").await;
    let matter = submit(&mut c, SOFIA, matter, &utv).await;
    let m = story::meeting(&mut c, SOFIA, &utv, "Mätmötet", (2026, 12, 21)).await;
    let meeting = || {
        let (mut f, id) = (f.clone(), m.id.clone());
        async move {
            f.get_meeting(as_(SOFIA, fpb::GetMeetingRequest { id }))
                .await
                .unwrap()
                .into_inner()
        }
    };
    let export = |kind: fpb::ExportKind| {
        let (f, id) = (f.clone(), m.id.clone());
        move || {
            let (mut f, id) = (f.clone(), id.clone());
            async move {
                f.export_meeting(as_(
                    SOFIA,
                    fpb::ExportMeetingRequest {
                        meeting_id: id,
                        kind: kind as i32,
                        format: fpb::ExportFormat::Markdown as i32,
                    },
                ))
                .await
                .unwrap()
                .into_inner()
            }
        }
    };
    let export_lines = |x: &fpb::ExportMeetingResponse| {
        String::from_utf8_lossy(&x.content)
            .lines()
            .filter(|l| l.contains("Punkt "))
            .count()
    };
    let mut agenda = m.clone();
    for i in 0..30 {
        if i == 2 {
            meter
                .before("GetMeeting", meeting, |x| {
                    x.meeting.as_ref().map_or(0, |m| m.agenda.len())
                })
                .await;
            meter
                .before(
                    "ExportMeeting (agenda)",
                    export(fpb::ExportKind::Agenda),
                    export_lines,
                )
                .await;
        }
        agenda = story::add_item(
            &mut c,
            SOFIA,
            &m.id,
            fpb::AgendaItemKind::Decision,
            &format!("Punkt {i:02}"),
            if i == 0 { &matter.id } else { "" },
        )
        .await;
    }
    meter
        .after(
            &format!("{FORUMS}/GetMeeting"),
            "GetMeeting",
            meeting,
            |x| x.meeting.as_ref().map_or(0, |m| m.agenda.len()),
        )
        .await;
    meter
        .after(
            &format!("{FORUMS}/ExportMeeting"),
            "ExportMeeting (agenda)",
            export(fpb::ExportKind::Agenda),
            export_lines,
        )
        .await;
    story::publish(&mut c, SOFIA, &agenda).await;

    let notes = || {
        let (mut f, id) = (f.clone(), m.id.clone());
        async move {
            f.list_notes(as_(ERIK, fpb::ListNotesRequest { meeting_id: id }))
                .await
                .unwrap()
                .into_inner()
        }
    };
    // The stream's first message: the meeting and the caller's notes
    // (later ones follow changes, none of which happens while measured).
    let watch = || {
        let (mut f, id) = (f.clone(), m.id.clone());
        async move {
            let mut stream = f
                .watch_meeting(as_(
                    ERIK,
                    fpb::WatchMeetingRequest {
                        meeting_id: id,
                        ..Default::default()
                    },
                ))
                .await
                .unwrap()
                .into_inner();
            stream.message().await.unwrap().unwrap()
        }
    };
    for (i, item) in agenda.agenda.iter().enumerate() {
        if i == 2 {
            meter.before("ListNotes", notes, |x| x.notes.len()).await;
            meter
                .before("WatchMeeting (first message)", watch, |x| x.notes.len())
                .await;
        }
        c.create_note(as_(
            ERIK,
            fpb::CreateNoteRequest {
                request_id: String::new(),
                note: Some(fpb::Note {
                    agenda_item_id: item.id.clone(),
                    text: format!("Tranemo stöder punkt {i}."),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap();
    }
    meter
        .after(&format!("{FORUMS}/ListNotes"), "ListNotes", notes, |x| {
            x.notes.len()
        })
        .await;
    meter
        .after(
            &format!("{FORUMS}/WatchMeeting"),
            "WatchMeeting (first message)",
            watch,
            |x| x.notes.len(),
        )
        .await;

    story::hold(&mut c, SOFIA, &agenda).await;
    let minutes = || {
        let (mut f, id) = (f.clone(), m.id.clone());
        async move {
            f.get_minutes(as_(SOFIA, fpb::GetMinutesRequest { meeting_id: id }))
                .await
                .unwrap()
                .into_inner()
        }
    };
    let mut paragraphs = Vec::new();
    for (i, item) in agenda.agenda.iter().enumerate() {
        if i == 2 {
            meter
                .before("GetMinutes", minutes, |x| {
                    x.minutes.as_ref().map_or(0, |m| m.paragraphs.len())
                })
                .await;
            meter
                .before(
                    "ExportMeeting (minutes)",
                    export(fpb::ExportKind::Minutes),
                    export_lines,
                )
                .await;
        }
        paragraphs.push(
            story::paragraph(
                &mut c,
                SOFIA,
                &m.id,
                &item.id,
                fpb::ParagraphOutcome::Decided,
                &format!("Forumet beslutar enligt förslaget i punkt {i}."),
            )
            .await,
        );
    }
    meter
        .after(
            &format!("{FORUMS}/GetMinutes"),
            "GetMinutes",
            minutes,
            |x| x.minutes.as_ref().map_or(0, |m| m.paragraphs.len()),
        )
        .await;
    meter
        .after(
            &format!("{FORUMS}/ExportMeeting"),
            "ExportMeeting (minutes)",
            export(fpb::ExportKind::Minutes),
            export_lines,
        )
        .await;

    decisions(ch, meter, &m.id, &matter.id, &paragraphs).await;
}

async fn decisions(
    ch: &Channel,
    meter: &mut Meter,
    meeting: &str,
    matter: &str,
    paragraphs: &[fpb::Paragraph],
) {
    let d = DecisionsServiceClient::new(ch.clone());
    let mut c = d.clone();
    let ida = person_of(ch, IDA).await;
    let emil = person_of(ch, EMIL).await;
    let today = samverkan_core::dates::today();
    let due = |days: u64| {
        Some(samverkan_core::dates::to_proto(
            today + chrono::Days::new(days),
        ))
    };
    let trail = || {
        let (mut d, id) = (d.clone(), matter.to_owned());
        async move {
            d.get_trail(as_(
                SOFIA,
                dpb::GetTrailRequest {
                    decision_id: String::new(),
                    matter_id: id,
                },
            ))
            .await
            .unwrap()
            .into_inner()
        }
    };
    let mut decided = Vec::new();
    for (i, p) in paragraphs.iter().enumerate() {
        decided.push(
            c.register_decision(as_(
                SOFIA,
                dpb::RegisterDecisionRequest {
                    request_id: String::new(),
                    decision: Some(dpb::Decision {
                        meeting_id: meeting.to_owned(),
                        paragraph_id: p.id.clone(),
                        title: format!("Beslut {i:02}"),
                        text: "IT-forum utveckling beslutar enligt förslaget.".into(),
                        responsible_role_code: "it-koordinator".into(),
                        responsible_person_id: ida.clone(),
                        ..Default::default()
                    }),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .decision
            .unwrap(),
        );
    }
    // A matter is on one agenda at a time, so its decisions are as many as
    // the forums it passed: its trail cannot be grown through the API.
    meter
        .fixed(&format!("{DECISIONS}/GetTrail"), trail, |x| x.steps.len())
        .await;
    meter
        .paged(
            &format!("{DECISIONS}/ListDecisions"),
            |n| {
                let mut d = d.clone();
                async move {
                    d.list_decisions(as_(
                        EMIL,
                        dpb::ListDecisionsRequest {
                            page_size: n,
                            ..Default::default()
                        },
                    ))
                    .await
                    .unwrap()
                    .into_inner()
                }
            },
            |x| x.decisions.len(),
        )
        .await;

    // Follow-ups and an action plan's activities on the first decision,
    // all falling due.
    let first = decided[0].id.clone();
    let follow_ups = || {
        let (mut d, id) = (d.clone(), first.clone());
        async move {
            d.list_follow_ups(as_(EMIL, dpb::ListFollowUpsRequest { decision_id: id }))
                .await
                .unwrap()
                .into_inner()
        }
    };
    let list_due = || {
        let mut d = d.clone();
        async move {
            d.list_due(as_(
                EMIL,
                dpb::ListDueRequest {
                    within_days: 60,
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner()
        }
    };
    let plan = c
        .create_action_plan(as_(
            SOFIA,
            dpb::CreateActionPlanRequest {
                request_id: String::new(),
                action_plan: Some(dpb::ActionPlan {
                    decision_id: first.clone(),
                    title: "Handlingsplan att mäta".into(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .action_plan
        .unwrap();
    let action_plan = || {
        let (mut d, id) = (d.clone(), plan.id.clone());
        async move {
            d.get_action_plan(as_(EMIL, dpb::GetActionPlanRequest { id }))
                .await
                .unwrap()
                .into_inner()
        }
    };
    for i in 0..30u64 {
        if i == 2 {
            meter
                .before("ListFollowUps", follow_ups, |x| x.follow_ups.len())
                .await;
            meter.before("ListDue", list_due, |x| x.items.len()).await;
            meter
                .before("GetActionPlan", action_plan, |x| {
                    x.action_plan.as_ref().map_or(0, |p| p.activities.len())
                })
                .await;
        }
        c.create_follow_up(as_(
            SOFIA,
            dpb::CreateFollowUpRequest {
                request_id: String::new(),
                follow_up: Some(dpb::FollowUp {
                    decision_id: first.clone(),
                    due_on: due(10 + i),
                    title: format!("Uppföljning {i:02}"),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap();
        c.add_activity(as_(
            SOFIA,
            dpb::AddActivityRequest {
                request_id: String::new(),
                activity: Some(dpb::Activity {
                    action_plan_id: plan.id.clone(),
                    title: format!("Aktivitet {i:02}"),
                    owner_person_id: emil.clone(),
                    due_on: due(10 + i),
                    weight: 1,
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap();
    }
    meter
        .after(
            &format!("{DECISIONS}/ListFollowUps"),
            "ListFollowUps",
            follow_ups,
            |x| x.follow_ups.len(),
        )
        .await;
    meter
        .after(&format!("{DECISIONS}/ListDue"), "ListDue", list_due, |x| {
            x.items.len()
        })
        .await;
    meter
        .after(
            &format!("{DECISIONS}/GetActionPlan"),
            "GetActionPlan",
            action_plan,
            |x| x.action_plan.as_ref().map_or(0, |p| p.activities.len()),
        )
        .await;
}

// ---- costmodel --------------------------------------------------------------

fn frac(numerator: i64, denominator: i64) -> Option<cpb::Fraction> {
    Some(cpb::Fraction {
        numerator,
        denominator,
    })
}

fn demo_prices() -> Vec<cpb::Price> {
    [
        ("konto", 190_000),
        ("dator", 350_000),
        ("bas", 250_000_000),
        ("beredskap", 72_000),
    ]
    .into_iter()
    .map(|(c, ore)| cpb::Price {
        service_code: c.into(),
        amount_ore: ore,
    })
    .collect()
}

fn live(period: &str, list: &str) -> Option<cpb::BillSource> {
    Some(cpb::BillSource {
        period: Some(cpb::Period::of_year(period.parse().unwrap())),
        basis: cpb::BillBasis::Live as i32,
        price_list_id: list.into(),
        ..Default::default()
    })
}

async fn costmodel(ch: &Channel, meter: &mut Meter) {
    let k = CostModelServiceClient::new(ch.clone());
    let mut c = k.clone();
    let create_list = |year: i32, month: i32, prices: Vec<cpb::Price>| {
        let mut c = k.clone();
        async move {
            c.create_price_list(as_(
                PER,
                cpb::CreatePriceListRequest {
                    collaboration_id: collab(),
                    year,
                    effective_date: date(year, month, 1),
                    prices,
                    ..Default::default()
                },
            ))
            .await
            .expect("draft a price list")
            .into_inner()
            .price_list
            .unwrap()
        }
    };
    // 30 per-unit services, and a pool to key.
    for i in 0..30 {
        c.create_catalogue_service(as_(
            PER,
            cpb::CreateCatalogueServiceRequest {
                collaboration_id: collab(),
                service: Some(cpb::CatalogueService {
                    code: format!("tjanst-{i:02}"),
                    name: format!("Tjänst {i:02}"),
                    unit_of_measure: "st/år".into(),
                    charge_type: cpb::ChargeType::PerUnit as i32,
                    ..Default::default()
                }),
                ..Default::default()
            },
        ))
        .await
        .unwrap();
    }
    c.create_catalogue_service(as_(
        PER,
        cpb::CreateCatalogueServiceRequest {
            collaboration_id: collab(),
            service: Some(cpb::CatalogueService {
                code: "matpott".into(),
                name: "Mätpott".into(),
                unit_of_measure: "år".into(),
                charge_type: cpb::ChargeType::Allocated as i32,
                ..Default::default()
            }),
            ..Default::default()
        },
    ))
    .await
    .unwrap();
    meter
        .paged(
            &format!("{COSTMODEL}/ListCatalogueServices"),
            |n| {
                let mut k = k.clone();
                async move {
                    k.list_catalogue_services(as_(
                        SOFIA,
                        cpb::ListCatalogueServicesRequest {
                            collaboration_id: collab(),
                            page_size: n,
                            page_token: String::new(),
                        },
                    ))
                    .await
                    .unwrap()
                    .into_inner()
                }
            },
            |x| x.services.len(),
        )
        .await;

    // A price list of 2041 with the demo's four prices, one of 2042 with
    // those and 30.
    let few = create_list(2041, 1, demo_prices()).await;
    let mut all = demo_prices();
    all.extend((0..30).map(|i| cpb::Price {
        service_code: format!("tjanst-{i:02}"),
        amount_ore: 10_000 + i,
    }));
    let many = create_list(2042, 1, all).await;
    let get_list = |id: String| {
        let k = k.clone();
        move || {
            let (mut k, id) = (k.clone(), id.clone());
            async move {
                k.get_price_list(as_(SOFIA, cpb::GetPriceListRequest { id }))
                    .await
                    .unwrap()
                    .into_inner()
            }
        }
    };
    let prices =
        |x: &cpb::GetPriceListResponse| x.price_list.as_ref().map_or(0, |l| l.prices.len());
    meter
        .before("GetPriceList", get_list(few.id.clone()), prices)
        .await;
    meter
        .after(
            &format!("{COSTMODEL}/GetPriceList"),
            "GetPriceList",
            get_list(many.id.clone()),
            prices,
        )
        .await;

    // Tranemo's bill of 2041 (volumes of two of the demo's services) and
    // of 2042 (and of the 30).
    let volumes = ["konto", "dator"]
        .into_iter()
        .map(|c| ("2041", c.to_owned()))
        .chain(
            ["konto".to_owned(), "dator".to_owned()]
                .into_iter()
                .chain((0..30).map(|i| format!("tjanst-{i:02}")))
                .map(|c| ("2042", c)),
        );
    for (i, (period, code)) in volumes.enumerate() {
        c.record_volume(as_(
            PER,
            cpb::RecordVolumeRequest {
                request_id: String::new(),
                collaboration_id: collab(),
                volume: Some(cpb::Volume {
                    period: Some(cpb::Period::of_year(period.parse().unwrap())),
                    municipality_id: "tranemo".into(),
                    service_code: code,
                    quantity: frac(10 + i as i64, 1),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap();
    }
    let bill = |(period, list): (&'static str, String)| {
        let k = k.clone();
        move || {
            let (mut k, list) = (k.clone(), list.clone());
            async move {
                k.compute_bill(as_(
                    SOFIA,
                    cpb::ComputeBillRequest {
                        collaboration_id: collab(),
                        municipality_id: "tranemo".into(),
                        source: live(period, &list),
                    },
                ))
                .await
                .unwrap()
                .into_inner()
            }
        }
    };
    let lines = |x: &cpb::ComputeBillResponse| x.bill.as_ref().map_or(0, |b| b.lines.len());
    meter
        .before("ComputeBill", bill(("2041", few.id.clone())), lines)
        .await;
    meter
        .after(
            &format!("{COSTMODEL}/ComputeBill"),
            "ComputeBill",
            bill(("2042", many.id.clone())),
            lines,
        )
        .await;
    let explain = |(period, list): (&'static str, String)| {
        let k = k.clone();
        move || {
            let (mut k, list) = (k.clone(), list.clone());
            async move {
                k.explain_change(as_(
                    SOFIA,
                    cpb::ExplainChangeRequest {
                        collaboration_id: collab(),
                        municipality_id: "tranemo".into(),
                        from: live(period, &list),
                        to: live(period, &list),
                    },
                ))
                .await
                .unwrap()
                .into_inner()
            }
        }
    };
    meter
        .before("ExplainChange", explain(("2041", few.id.clone())), |x| {
            x.rows.len()
        })
        .await;
    meter
        .after(
            &format!("{COSTMODEL}/ExplainChange"),
            "ExplainChange",
            explain(("2042", many.id.clone())),
            |x| x.rows.len(),
        )
        .await;
    let csv = |(period, list): (&'static str, String)| {
        let k = k.clone();
        move || {
            let (mut k, list) = (k.clone(), list.clone());
            async move {
                k.export_csv(as_(
                    SOFIA,
                    cpb::ExportCsvRequest {
                        collaboration_id: collab(),
                        municipality_id: "tranemo".into(),
                        table: cpb::CsvTable::Bill as i32,
                        bill: live(period, &list),
                        from: None,
                    },
                ))
                .await
                .unwrap()
                .into_inner()
            }
        }
    };
    let csv_lines = |x: &cpb::ExportCsvResponse| {
        String::from_utf8_lossy(&x.content)
            .lines()
            .count()
            .saturating_sub(1)
    };
    meter
        .before("ExportCsv", csv(("2041", few.id.clone())), csv_lines)
        .await;
    meter
        .after(
            &format!("{COSTMODEL}/ExportCsv"),
            "ExportCsv",
            csv(("2042", many.id.clone())),
            csv_lines,
        )
        .await;

    // 30 drafts of later years; 30 key versions of the pool; 30 driver
    // snapshots.
    for i in 0..30 {
        create_list(2050 + i, 1, demo_prices()).await;
        c.create_allocation_key(as_(
            PER,
            cpb::CreateAllocationKeyRequest {
                collaboration_id: collab(),
                key: Some(cpb::AllocationKey {
                    service_code: "matpott".into(),
                    effective_date: date(2050 + i, 1, 1),
                    components: vec![cpb::KeyComponent {
                        fraction: frac(1, 1),
                        driver: String::new(),
                    }],
                    ..Default::default()
                }),
                ..Default::default()
            },
        ))
        .await
        .unwrap();
        c.record_driver_snapshot(as_(
            PER,
            cpb::RecordDriverSnapshotRequest {
                collaboration_id: collab(),
                snapshot: Some(cpb::DriverSnapshot {
                    driver: "matdrivare".into(),
                    measured_on: date(2050 + i, 1, 15),
                    source: format!("Mätning {i}"),
                    values: vec![
                        cpb::DriverValue {
                            municipality_id: "tranemo".into(),
                            unit: String::new(),
                            value: 40 + i64::from(i),
                        },
                        cpb::DriverValue {
                            municipality_id: "ulricehamn".into(),
                            unit: String::new(),
                            value: 90,
                        },
                    ],
                    ..Default::default()
                }),
                ..Default::default()
            },
        ))
        .await
        .unwrap();
    }
    meter
        .paged(
            &format!("{COSTMODEL}/ListPriceLists"),
            |n| {
                let mut k = k.clone();
                async move {
                    k.list_price_lists(as_(
                        SOFIA,
                        cpb::ListPriceListsRequest {
                            collaboration_id: collab(),
                            year: 0,
                            page_size: n,
                            page_token: String::new(),
                        },
                    ))
                    .await
                    .unwrap()
                    .into_inner()
                }
            },
            |x| x.price_lists.len(),
        )
        .await;
    meter
        .paged(
            &format!("{COSTMODEL}/ListAllocationKeys"),
            |n| {
                let mut k = k.clone();
                async move {
                    k.list_allocation_keys(as_(
                        SOFIA,
                        cpb::ListAllocationKeysRequest {
                            collaboration_id: collab(),
                            service_code: "matpott".into(),
                            page_size: n,
                            page_token: String::new(),
                        },
                    ))
                    .await
                    .unwrap()
                    .into_inner()
                }
            },
            |x| x.keys.len(),
        )
        .await;
    meter
        .paged(
            &format!("{COSTMODEL}/ListDriverSnapshots"),
            |n| {
                let mut k = k.clone();
                async move {
                    k.list_driver_snapshots(as_(
                        SOFIA,
                        cpb::ListDriverSnapshotsRequest {
                            collaboration_id: collab(),
                            driver: "matdrivare".into(),
                            page_size: n,
                            page_token: String::new(),
                        },
                    ))
                    .await
                    .unwrap()
                    .into_inner()
                }
            },
            |x| x.snapshots.len(),
        )
        .await;

    // A scenario's rows are one per member: as many as the collaboration
    // has, whatever the scenario holds.
    let scenario = c
        .create_scenario(as_(
            PER,
            cpb::CreateScenarioRequest {
                collaboration_id: collab(),
                scenario: Some(cpb::Scenario {
                    name: "Mätscenario".into(),
                    period: Some(cpb::Period::of_year(2042)),
                    base_price_list_id: many.id.clone(),
                    ..Default::default()
                }),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .scenario
        .unwrap();
    meter
        .fixed(
            &format!("{COSTMODEL}/RunScenario"),
            || {
                let (mut k, id) = (k.clone(), scenario.id.clone());
                async move {
                    k.run_scenario(as_(SOFIA, cpb::RunScenarioRequest { id }))
                        .await
                        .unwrap()
                        .into_inner()
                }
            },
            |x| x.rows.len(),
        )
        .await;
}

// ---- agreements -------------------------------------------------------------

fn open_request(agreement: &str, year: i32) -> apb::OpenRevisionRequest {
    apb::OpenRevisionRequest {
        request_id: String::new(),
        agreement_id: agreement.into(),
        year,
        phase_ends: [(3, 31), (4, 30), (6, 30), (9, 30), (12, 15)]
            .into_iter()
            .filter_map(|(m, d)| date(year - 1, m, d))
            .collect(),
        effective_from: date(year, 1, 1),
    }
}

async fn agreements(ch: &Channel, meter: &mut Meter) {
    let a = AgreementsServiceClient::new(ch.clone());
    let mut c = a.clone();
    let list_agreements = || {
        let mut a = a.clone();
        async move {
            a.list_agreements(as_(EMIL, apb::ListAgreementsRequest::default()))
                .await
                .unwrap()
                .into_inner()
        }
    };
    let mut agreements = Vec::new();
    for i in 0..30 {
        if i == 2 {
            meter
                .before("ListAgreements", list_agreements, |x| x.agreements.len())
                .await;
        }
        let created = c
            .create_agreement(as_(
                EVA,
                apb::CreateAgreementRequest {
                    request_id: String::new(),
                    kind: apb::AgreementKind::CollaborationAgreement as i32,
                    title: format!("Avtal {i:02}"),
                    version: Some(apb::Version {
                        text:
                            "## 1. Parter\n\nKommunerna i samverkan.\n\n## 2. Syfte\n\nAtt mäta.\n"
                                .into(),
                        effective_from: date(2022, 1, 1),
                        ..Default::default()
                    }),
                },
            ))
            .await
            .unwrap()
            .into_inner();
        agreements.push(created.agreement.unwrap().id);
    }
    meter
        .after(
            &format!("{AGREEMENTS}/ListAgreements"),
            "ListAgreements",
            list_agreements,
            |x| x.agreements.len(),
        )
        .await;

    // One agreement revised 30 times; the first revision gets 30
    // proposals of Tranemo's; every revision is consolidated into a draft
    // version of its own.
    let agreement = agreements[0].clone();
    let mut revisions = Vec::new();
    for year in 2031..2061 {
        revisions.push(
            c.open_revision(as_(EVA, open_request(&agreement, year)))
                .await
                .unwrap()
                .into_inner()
                .revision
                .unwrap(),
        );
    }
    meter
        .paged(
            &format!("{AGREEMENTS}/ListRevisions"),
            |n| {
                let (mut a, id) = (a.clone(), agreement.clone());
                async move {
                    a.list_revisions(as_(
                        EMIL,
                        apb::ListRevisionsRequest {
                            agreement_id: id,
                            page_size: n,
                            page_token: String::new(),
                        },
                    ))
                    .await
                    .unwrap()
                    .into_inner()
                }
            },
            |x| x.revisions.len(),
        )
        .await;
    let proposals = || {
        let (mut a, id) = (a.clone(), revisions[0].id.clone());
        async move {
            a.list_proposals(as_(ERIK, apb::ListProposalsRequest { revision_id: id }))
                .await
                .unwrap()
                .into_inner()
        }
    };
    for i in 0..30 {
        if i == 2 {
            meter
                .before("ListProposals", proposals, |x| x.proposals.len())
                .await;
        }
        c.create_proposal(as_(
            ERIK,
            apb::CreateProposalRequest {
                request_id: String::new(),
                proposal: Some(apb::Proposal {
                    revision_id: revisions[0].id.clone(),
                    section_number: "2".into(),
                    action: apb::ProposalAction::Amend as i32,
                    text: format!("Att mäta, förslag {i}."),
                    rationale: "Behovet har ändrats.".into(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap();
    }
    meter
        .after(
            &format!("{AGREEMENTS}/ListProposals"),
            "ListProposals",
            proposals,
            |x| x.proposals.len(),
        )
        .await;

    let versions = || {
        let (mut a, id) = (a.clone(), agreement.clone());
        async move {
            a.list_versions(as_(EMIL, apb::ListVersionsRequest { agreement_id: id }))
                .await
                .unwrap()
                .into_inner()
        }
    };
    for (i, r) in revisions.iter().enumerate() {
        if i == 1 {
            meter
                .before("ListVersions", versions, |x| x.versions.len())
                .await;
        }
        let current = c
            .get_revision(as_(EVA, apb::GetRevisionRequest { id: r.id.clone() }))
            .await
            .unwrap()
            .into_inner()
            .revision
            .unwrap();
        c.advance_revision(as_(
            EVA,
            apb::AdvanceRevisionRequest {
                id: r.id.clone(),
                etag: current.etag,
            },
        ))
        .await
        .unwrap();
        c.consolidate_revision(as_(
            EVA,
            apb::ConsolidateRevisionRequest { id: r.id.clone() },
        ))
        .await
        .unwrap();
    }
    meter
        .after(
            &format!("{AGREEMENTS}/ListVersions"),
            "ListVersions",
            versions,
            |x| x.versions.len(),
        )
        .await;
}
