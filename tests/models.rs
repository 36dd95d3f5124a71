//! Model-based property tests (issue #8, point 5): random sequences of
//! creates, updates and state changes per service, run against a real
//! server on SQLite and PostgreSQL and compared after every step with a
//! small model of what the store must hold — states, texts, who sees what,
//! whether the etag changed, and the status code of every call (including
//! stale etags, retried request ids and calls by the wrong municipality).
//!
//! The cost model's rules have their own property tests
//! (services/costmodel/tests/properties.rs); here: roles (people and
//! assignments), forums (matters), decisions (decisions, statuses, action
//! plans) and agreements (proposals in a revision).
//!
//! Each case runs in the same database as the ones before it, on resources
//! it creates itself; a failing case is shrunk to a minimal sequence.
//! `PROPTEST_CASES` and `PROPTEST_RNG_SEED` apply.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use samverkan_core::dates;
use samverkan_proto::agreements::v1 as apb;
use samverkan_proto::agreements::v1::agreements_service_client::AgreementsServiceClient;
use samverkan_proto::common::v1::Date;
use samverkan_proto::decisions::v1 as dpb;
use samverkan_proto::decisions::v1::decisions_service_client::DecisionsServiceClient;
use samverkan_proto::forums::v1 as fpb;
use samverkan_proto::forums::v1::forums_service_client::ForumsServiceClient;
use samverkan_proto::roles::v1 as rpb;
use samverkan_proto::roles::v1::roles_service_client::RolesServiceClient;
use samverkan_server::Svc;
use samverkan_testkit::story::{add_item, as_, forum_ids, hold, meeting, paragraph, publish};
use samverkan_testkit::{TestDb, TestServer, backend_test};
use tonic::transport::Channel;
use tonic::{Code, Response, Status};

const EVA: &str = "eva.dahlgren@ulricehamn.se"; // IT-strateg, IT-styrgruppen's secretary
const SOFIA: &str = "sofia.lindstrom@tranemo.se"; // Tranemo e-samordnare
const ERIK: &str = "erik.ohman@tranemo.se"; // Tranemo utvecklingschef
const MARIA: &str = "maria.sjoberg@ulricehamn.se"; // Ulricehamn utvecklingschef
const ANNA: &str = "anna.aberg@tranemo.se"; // Tranemo kommunchef
const LARS: &str = "lars.angstrom@ulricehamn.se"; // Ulricehamn kommunchef
const PER: &str = "per.hakansson@ulricehamn.se"; // IT-chef

/// Sequences per service and backend.
const CASES: u32 = 20;

fn ops<T: Debug>(op: impl Strategy<Value = T>) -> impl Strategy<Value = Vec<T>> {
    prop::collection::vec(op, 5..=15)
}

/// The status code of a call's outcome.
fn code<T>(r: &Result<Response<T>, Status>) -> Code {
    r.as_ref().map_or_else(Status::code, |_| Code::Ok)
}

fn date(year: i32, month: i32, day: i32) -> Option<Date> {
    Some(Date { year, month, day })
}

/// How a create chooses its request id.
#[derive(Debug, Clone)]
enum Rid {
    Fresh,
    /// The id of an earlier create of the case, with the same body or not.
    Again {
        of: Index,
        same: bool,
    },
}

fn rid() -> impl Strategy<Value = Rid> {
    prop_oneof![
        4 => Just(Rid::Fresh),
        1 => (any::<Index>(), any::<bool>()).prop_map(|(of, same)| Rid::Again { of, same }),
    ]
}

/// What the model knows of a resource's etag.
#[derive(Debug, Clone, Default)]
struct Etag {
    current: String,
    old: Vec<String>,
    /// Changed by the last step as a side effect; the next read learns it.
    changed: bool,
}

impl Etag {
    fn new(e: &str) -> Self {
        Self {
            current: e.to_owned(),
            ..Self::default()
        }
    }

    /// The etag a call sends: the current one, or one read before.
    fn send(&self, stale: bool) -> String {
        if stale {
            self.old.last().cloned().unwrap_or_else(|| "0".repeat(32))
        } else {
            self.current.clone()
        }
    }

    /// A successful change answered `e`.
    fn changed_to(&mut self, e: &str) -> Result<(), TestCaseError> {
        prop_assert_ne!(&self.current, e, "a change kept the etag");
        self.old
            .push(std::mem::replace(&mut self.current, e.to_owned()));
        Ok(())
    }

    /// Compares with what the store says now.
    fn check(&mut self, stored: &str, what: &str) -> Result<(), TestCaseError> {
        if self.changed {
            prop_assert_ne!(&self.current, stored, "{}: the etag did not change", what);
            self.old
                .push(std::mem::replace(&mut self.current, stored.to_owned()));
            self.changed = false;
        } else {
            prop_assert_eq!(&self.current, stored, "{}: the etag changed", what);
        }
        Ok(())
    }
}

/// Runs `CASES` sequences from `strategy` through `case` (given the
/// sequence and the case number; answering the number of operations run)
/// on a blocking thread, shrinking a failure, and prints the figures.
async fn run_model<Op, S, F, Fut>(service: &str, db: &TestDb, strategy: S, case: F)
where
    Op: Debug + Clone + Send + 'static,
    S: Strategy<Value = Vec<Op>> + Send + 'static,
    F: Fn(Vec<Op>, usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<usize, TestCaseError>>,
{
    let handle = tokio::runtime::Handle::current();
    let runs = Arc::new(AtomicUsize::new(0));
    let operations = Arc::new(AtomicUsize::new(0));
    let (r, o) = (runs.clone(), operations.clone());
    let outcome = tokio::task::spawn_blocking(move || {
        let mut runner = TestRunner::new(Config {
            cases: CASES,
            failure_persistence: None,
            max_shrink_iters: 256,
            ..Config::default()
        });
        let cases = runner.config().cases;
        let result = runner.run(&strategy, |seq| {
            let n = r.fetch_add(1, Ordering::SeqCst);
            let done = handle.block_on(case(seq, n))?;
            o.fetch_add(done, Ordering::SeqCst);
            Ok(())
        });
        (cases, result)
    })
    .await
    .unwrap();
    let cases = match outcome {
        (cases, Ok(())) => cases,
        (_, Err(TestError::Fail(why, seq))) => {
            panic!("{service}: {why}\nminimal sequence: {seq:#?}")
        }
        (_, Err(e)) => panic!("{service}: {e}"),
    };
    // Every change went through the audit trail, which still verifies.
    let tenants = samverkan_roles::store::all_municipality_ids(&db.app)
        .await
        .unwrap();
    let audit = samverkan_db::audit::verify(&db.app, &tenants)
        .await
        .unwrap();
    assert!(audit.broken.is_empty(), "{:?}", audit.broken);
    samverkan_testkit::figure(&format!(
        "models: {service}: {:?}: {cases} sequences, {} operations",
        db.backend,
        operations.load(Ordering::SeqCst)
    ));
}

// ───────────────────────────── forums: matters ─────────────────────────────

mod matters {
    use super::*;

    #[derive(Debug, Clone, Copy)]
    pub enum Who {
        /// The author (Tranemo's e-samordnare).
        Author,
        /// Someone else of the author's municipality.
        Colleague,
        /// Someone of the other municipality.
        Other,
    }

    impl Who {
        fn email(self) -> &'static str {
            match self {
                Who::Author => SOFIA,
                Who::Colleague => ERIK,
                Who::Other => MARIA,
            }
        }
    }

    #[derive(Debug, Clone)]
    pub enum Op {
        Create {
            title: u8,
            rid: Rid,
        },
        Update {
            m: Index,
            title: u8,
            stale: bool,
            who: Who,
        },
        Submit {
            m: Index,
            stale: bool,
        },
        Withdraw {
            m: Index,
            stale: bool,
            who: Who,
        },
    }

    fn who() -> impl Strategy<Value = Who> {
        prop_oneof![4 => Just(Who::Author), 1 => Just(Who::Colleague), 1 => Just(Who::Other)]
    }

    pub fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (0..8u8, rid()).prop_map(|(title, rid)| Op::Create { title, rid }),
            2 => (any::<Index>(), 0..8u8, any::<bool>(), who())
                .prop_map(|(m, title, stale, who)| Op::Update { m, title, stale, who }),
            2 => (any::<Index>(), any::<bool>()).prop_map(|(m, stale)| Op::Submit { m, stale }),
            1 => (any::<Index>(), any::<bool>(), who())
                .prop_map(|(m, stale, who)| Op::Withdraw { m, stale, who }),
        ]
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum State {
        Draft,
        Submitted,
        Withdrawn,
    }

    #[derive(Debug)]
    struct Matter {
        id: String,
        title: String,
        state: State,
        /// Submitted once: shared with the collaboration for good.
        shared: bool,
        etag: Etag,
    }

    fn pb_state(s: State) -> i32 {
        match s {
            State::Draft => fpb::MatterState::Draft as i32,
            State::Submitted => fpb::MatterState::Submitted as i32,
            State::Withdrawn => fpb::MatterState::Withdrawn as i32,
        }
    }

    /// An operation on a matter before there is one creates one instead.
    fn effective(op: &Op, matters: usize) -> Op {
        match op {
            Op::Create { .. } => op.clone(),
            _ if matters == 0 => Op::Create {
                title: 0,
                rid: Rid::Fresh,
            },
            _ => op.clone(),
        }
    }

    fn create(rid: &str, title: &str) -> fpb::CreateMatterRequest {
        fpb::CreateMatterRequest {
            request_id: rid.into(),
            matter: Some(fpb::Matter {
                kind: fpb::MatterKind::DevelopmentNeed as i32,
                title: title.into(),
                ..Default::default()
            }),
        }
    }

    pub async fn case(
        ch: Channel,
        utveckling: String,
        ops: Vec<Op>,
        n: usize,
    ) -> Result<usize, TestCaseError> {
        let mut c = ForumsServiceClient::new(ch);
        let tag = format!("{n}-{}", samverkan_core::new_uuid().simple());
        let started = chrono::Utc::now();
        let since = Some(prost_types::Timestamp {
            seconds: started.timestamp(),
            nanos: i32::try_from(started.timestamp_subsec_nanos()).unwrap_or(0),
        });
        let mut model: Vec<Matter> = Vec::new();
        // (request id, title, matter index) of each create that succeeded.
        let mut creates: Vec<(String, String, usize)> = Vec::new();
        let mut done = 0;
        for op in &ops {
            let op = &effective(op, model.len());
            match op {
                Op::Create { title, rid } => {
                    let title = format!("Behov {title}");
                    let again = match rid {
                        Rid::Again { of, same } if !creates.is_empty() => {
                            Some((of.get(&creates).clone(), *same))
                        }
                        _ => None,
                    };
                    match again {
                        None => {
                            let id = format!("{tag}-{}", creates.len());
                            let r = c.create_matter(as_(SOFIA, create(&id, &title))).await;
                            let m = r.map_err(|e| TestCaseError::fail(format!("create: {e:?}")))?;
                            let m = m.into_inner().matter.unwrap();
                            prop_assert_eq!(m.state, fpb::MatterState::Draft as i32);
                            prop_assert_eq!(&m.title, &title);
                            model.push(Matter {
                                id: m.id.clone(),
                                title,
                                state: State::Draft,
                                shared: false,
                                etag: Etag::new(&m.etag),
                            });
                            creates.push((id, m.title, model.len() - 1));
                        }
                        Some(((id, first_title, k), same)) => {
                            let body = if same {
                                first_title.clone()
                            } else {
                                format!("{first_title} (ändrad)")
                            };
                            let r = c.create_matter(as_(SOFIA, create(&id, &body))).await;
                            if same {
                                // The retry answers the matter as it is now.
                                let m = r
                                    .map_err(|e| TestCaseError::fail(format!("retry: {e:?}")))?
                                    .into_inner()
                                    .matter
                                    .unwrap();
                                prop_assert_eq!(&m.id, &model[k].id);
                                prop_assert_eq!(&m.title, &model[k].title);
                                prop_assert_eq!(&m.etag, &model[k].etag.current);
                            } else {
                                let e = r.expect_err("a reused request id with another body");
                                prop_assert_eq!(e.code(), Code::InvalidArgument);
                                prop_assert!(e.message().contains("request_id"));
                            }
                        }
                    }
                }
                Op::Update {
                    m,
                    title,
                    stale,
                    who,
                } => {
                    if model.is_empty() {
                        continue;
                    }
                    let k = m.index(model.len());
                    let mm = &mut model[k];
                    let title = format!("Behov {title}, omskrivet");
                    let expected = match who {
                        Who::Other if !mm.shared => Code::NotFound,
                        Who::Other | Who::Colleague => Code::PermissionDenied,
                        Who::Author if mm.state != State::Draft => Code::FailedPrecondition,
                        Who::Author if *stale => Code::Aborted,
                        Who::Author => Code::Ok,
                    };
                    let r = c
                        .update_matter(as_(
                            who.email(),
                            fpb::UpdateMatterRequest {
                                matter: Some(fpb::Matter {
                                    id: mm.id.clone(),
                                    kind: fpb::MatterKind::DevelopmentNeed as i32,
                                    title: title.clone(),
                                    ..Default::default()
                                }),
                                etag: mm.etag.send(*stale),
                            },
                        ))
                        .await;
                    prop_assert_eq!(code(&r), expected, "{:?}: {:?}", op, r.as_ref().err());
                    if let Ok(r) = r {
                        let got = r.into_inner().matter.unwrap();
                        mm.title = title;
                        mm.etag.changed_to(&got.etag)?;
                    }
                }
                Op::Submit { m, stale } => {
                    if model.is_empty() {
                        continue;
                    }
                    let k = m.index(model.len());
                    let mm = &mut model[k];
                    let expected = if mm.state != State::Draft {
                        Code::FailedPrecondition
                    } else if *stale {
                        Code::Aborted
                    } else {
                        Code::Ok
                    };
                    let r = c
                        .submit_matter(as_(
                            SOFIA,
                            fpb::SubmitMatterRequest {
                                id: mm.id.clone(),
                                forum_id: utveckling.clone(),
                                etag: mm.etag.send(*stale),
                            },
                        ))
                        .await;
                    prop_assert_eq!(code(&r), expected, "{:?}: {:?}", op, r.as_ref().err());
                    if let Ok(r) = r {
                        let got = r.into_inner().matter.unwrap();
                        mm.state = State::Submitted;
                        mm.shared = true;
                        mm.etag.changed_to(&got.etag)?;
                    }
                }
                Op::Withdraw { m, stale, who } => {
                    if model.is_empty() {
                        continue;
                    }
                    let k = m.index(model.len());
                    let mm = &mut model[k];
                    let expected = match who {
                        Who::Other if !mm.shared => Code::NotFound,
                        Who::Other | Who::Colleague => Code::PermissionDenied,
                        Who::Author if mm.state == State::Withdrawn => Code::FailedPrecondition,
                        Who::Author if *stale => Code::Aborted,
                        Who::Author => Code::Ok,
                    };
                    let r = c
                        .withdraw_matter(as_(
                            who.email(),
                            fpb::WithdrawMatterRequest {
                                id: mm.id.clone(),
                                etag: mm.etag.send(*stale),
                            },
                        ))
                        .await;
                    prop_assert_eq!(code(&r), expected, "{:?}: {:?}", op, r.as_ref().err());
                    if let Ok(r) = r {
                        let got = r.into_inner().matter.unwrap();
                        mm.state = State::Withdrawn;
                        mm.etag.changed_to(&got.etag)?;
                    }
                }
            }
            done += 1;
            compare(&mut c, &mut model, since).await?;
        }
        Ok(done)
    }

    /// The store against the model: each matter as its author and as the
    /// other municipality sees it, and both lists of the case's matters.
    async fn compare(
        c: &mut ForumsServiceClient<Channel>,
        model: &mut [Matter],
        since: Option<prost_types::Timestamp>,
    ) -> Result<(), TestCaseError> {
        for m in model.iter_mut() {
            let got = c
                .get_matter(as_(SOFIA, fpb::GetMatterRequest { id: m.id.clone() }))
                .await
                .map_err(|e| TestCaseError::fail(format!("get: {e:?}")))?
                .into_inner()
                .matter
                .unwrap();
            prop_assert_eq!(&got.title, &m.title);
            prop_assert_eq!(got.state, pb_state(m.state));
            prop_assert_eq!(got.collaboration_id.is_empty(), !m.shared);
            m.etag.check(&got.etag, "matter")?;
            let theirs = c
                .get_matter(as_(MARIA, fpb::GetMatterRequest { id: m.id.clone() }))
                .await;
            if m.shared {
                let theirs = theirs
                    .map_err(|e| TestCaseError::fail(format!("shared matter unseen: {e:?}")))?
                    .into_inner()
                    .matter;
                prop_assert_eq!(theirs.as_ref(), Some(&got));
            } else {
                prop_assert_eq!(
                    code(&theirs),
                    Code::NotFound,
                    "another municipality saw a draft"
                );
            }
        }
        for (who, expected) in [
            (
                SOFIA,
                model.iter().map(|m| m.id.clone()).collect::<BTreeSet<_>>(),
            ),
            (
                MARIA,
                model
                    .iter()
                    .filter(|m| m.shared)
                    .map(|m| m.id.clone())
                    .collect(),
            ),
        ] {
            let listed: BTreeSet<String> = c
                .list_matters(as_(
                    who,
                    fpb::ListMattersRequest {
                        created_after: since,
                        page_size: 200,
                        ..Default::default()
                    },
                ))
                .await
                .map_err(|e| TestCaseError::fail(format!("list: {e:?}")))?
                .into_inner()
                .matters
                .into_iter()
                .map(|m| m.id)
                .collect();
            prop_assert_eq!(&listed, &expected, "ListMatters as {}", who);
        }
        Ok(())
    }
}

async fn forums_matters_follow_the_model(db: TestDb) {
    let server = TestServer::start(&db, &[Svc::Roles, Svc::Forums]).await;
    let (utveckling, _) = forum_ids(&server).await;
    let ch = server.channel().await;
    run_model("forums", &db, ops(matters::op()), move |seq, n| {
        matters::case(ch.clone(), utveckling.clone(), seq, n)
    })
    .await;
    server.stop().await;
}
backend_test!(forums_matters_follow_the_model);

// ──────────────────────── roles: people and assignments ────────────────────────

mod roles {
    use super::*;

    /// Municipal roles a test person may be given (in Tranemo).
    pub const ROLES: [&str; 2] = ["utvecklingschef", "informationssakerhetshandlaggare"];

    #[derive(Debug, Clone)]
    pub enum Op {
        CreatePerson {
            email: u8,
            name: u8,
            rid: Rid,
        },
        UpdatePerson {
            p: Index,
            name: u8,
            email: u8,
            stale: bool,
            /// Asked by the other municipality's kommunchef.
            peer: bool,
        },
        Assign {
            p: Index,
            role: usize,
            /// First year, from 2030.
            from: u8,
            /// Years it lasts beyond the first; none: open-ended.
            years: Option<u8>,
            rid: Rid,
        },
        End {
            a: Index,
            /// New last year, from 2030 (before the first: refused).
            to: u8,
            stale: bool,
        },
    }

    pub fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (0..4u8, 0..8u8, rid())
                .prop_map(|(email, name, rid)| Op::CreatePerson { email, name, rid }),
            2 => (any::<Index>(), 0..8u8, 0..4u8, any::<bool>(), prop::bool::weighted(0.2))
                .prop_map(|(p, name, email, stale, peer)| Op::UpdatePerson { p, name, email, stale, peer }),
            3 => (any::<Index>(), 0..ROLES.len(), 0..6u8, prop::option::of(0..3u8), rid())
                .prop_map(|(p, role, from, years, rid)| Op::Assign { p, role, from, years, rid }),
            2 => (any::<Index>(), 0..8u8, any::<bool>())
                .prop_map(|(a, to, stale)| Op::End { a, to, stale }),
        ]
    }

    #[derive(Debug)]
    struct Person {
        id: String,
        name: String,
        email: String,
        etag: Etag,
    }

    #[derive(Debug)]
    struct Assignment {
        id: String,
        person: usize,
        role: usize,
        from: i32,
        to: Option<i32>,
        etag: Etag,
    }

    impl Assignment {
        fn overlaps(&self, person: usize, role: usize, from: i32, to: Option<i32>) -> bool {
            self.person == person
                && self.role == role
                && self.from <= to.unwrap_or(i32::MAX)
                && from <= self.to.unwrap_or(i32::MAX)
        }
    }

    fn year_of(d: Option<&Date>) -> Option<i32> {
        d.map(|d| d.year)
    }

    /// An operation on a person or an assignment before there is one
    /// creates what it needs instead.
    fn effective(op: &Op, people: usize, assignments: usize) -> Op {
        let person = Op::CreatePerson {
            email: 0,
            name: 0,
            rid: Rid::Fresh,
        };
        match op {
            Op::UpdatePerson { .. } | Op::Assign { .. } if people == 0 => person,
            Op::End { a, .. } if assignments == 0 => {
                if people == 0 {
                    person
                } else {
                    Op::Assign {
                        p: *a,
                        role: 0,
                        from: 0,
                        years: None,
                        rid: Rid::Fresh,
                    }
                }
            }
            _ => op.clone(),
        }
    }

    pub struct Fixture {
        pub ch: Channel,
        pub collab: String,
        pub role_ids: Vec<String>,
    }

    pub async fn case(f: Arc<Fixture>, ops: Vec<Op>, n: usize) -> Result<usize, TestCaseError> {
        let mut c = RolesServiceClient::new(f.ch.clone());
        let tag = format!(
            "{n}x{}",
            &samverkan_core::new_uuid().simple().to_string()[20..]
        );
        let email = |e: u8| format!("p{e}.{tag}@tranemo.se");
        let mut people: Vec<Person> = Vec::new();
        let mut assignments: Vec<Assignment> = Vec::new();
        let mut subjects: BTreeSet<String> = BTreeSet::new();
        // (request id, request, index) of creates that succeeded.
        let mut person_creates: Vec<(rpb::CreatePersonRequest, usize)> = Vec::new();
        let mut assign_creates: Vec<(rpb::CreateAssignmentRequest, usize)> = Vec::new();
        let mut done = 0;
        for (i, op) in ops.iter().enumerate() {
            let op = &effective(op, people.len(), assignments.len());
            match op {
                Op::CreatePerson {
                    email: e,
                    name,
                    rid,
                } => {
                    let again = match rid {
                        Rid::Again { of, same } if !person_creates.is_empty() => {
                            Some((of.get(&person_creates).clone(), *same))
                        }
                        _ => None,
                    };
                    match again {
                        None => {
                            let req = rpb::CreatePersonRequest {
                                request_id: format!("{tag}-p{i}"),
                                person: Some(rpb::Person {
                                    display_name: format!("Person {name}"),
                                    email: email(*e),
                                    ..Default::default()
                                }),
                            };
                            let r = c.create_person(as_(ANNA, req.clone())).await;
                            if subjects.contains(&email(*e)) {
                                prop_assert_eq!(code(&r), Code::AlreadyExists, "{:?}", op);
                            } else {
                                let p = r
                                    .map_err(|e| TestCaseError::fail(format!("{op:?}: {e:?}")))?
                                    .into_inner()
                                    .person
                                    .unwrap();
                                prop_assert_eq!(&p.subject, &email(*e));
                                subjects.insert(email(*e));
                                people.push(Person {
                                    id: p.id,
                                    name: format!("Person {name}"),
                                    email: email(*e),
                                    etag: Etag::new(&p.etag),
                                });
                                person_creates.push((req, people.len() - 1));
                            }
                        }
                        Some(((mut req, k), same)) => {
                            if !same {
                                req.person
                                    .as_mut()
                                    .unwrap()
                                    .display_name
                                    .push_str(" (ändrad)");
                            }
                            let r = c.create_person(as_(ANNA, req)).await;
                            if same {
                                let p = r
                                    .map_err(|e| TestCaseError::fail(format!("{op:?}: {e:?}")))?
                                    .into_inner()
                                    .person
                                    .unwrap();
                                prop_assert_eq!(&p.id, &people[k].id);
                                prop_assert_eq!(&p.display_name, &people[k].name);
                                prop_assert_eq!(&p.etag, &people[k].etag.current);
                            } else {
                                let e = r.expect_err("a reused request id with another body");
                                prop_assert_eq!(e.code(), Code::InvalidArgument);
                                prop_assert!(e.message().contains("request_id"));
                            }
                        }
                    }
                }
                Op::UpdatePerson {
                    p,
                    name,
                    email: e,
                    stale,
                    peer,
                } => {
                    if people.is_empty() {
                        continue;
                    }
                    let k = p.index(people.len());
                    let pp = &mut people[k];
                    let expected = if *peer {
                        Code::PermissionDenied
                    } else if *stale {
                        Code::Aborted
                    } else {
                        Code::Ok
                    };
                    let r = c
                        .update_person(as_(
                            if *peer { LARS } else { ANNA },
                            rpb::UpdatePersonRequest {
                                person: Some(rpb::Person {
                                    id: pp.id.clone(),
                                    display_name: format!("Person {name} B"),
                                    email: email(*e),
                                    ..Default::default()
                                }),
                                etag: pp.etag.send(*stale),
                            },
                        ))
                        .await;
                    prop_assert_eq!(code(&r), expected, "{:?}: {:?}", op, r.as_ref().err());
                    if let Ok(r) = r {
                        let got = r.into_inner().person.unwrap();
                        pp.name = format!("Person {name} B");
                        pp.email = email(*e);
                        pp.etag.changed_to(&got.etag)?;
                    }
                }
                Op::Assign {
                    p,
                    role,
                    from,
                    years,
                    rid,
                } => {
                    let again = match rid {
                        Rid::Again { of, same } if !assign_creates.is_empty() => {
                            Some((of.get(&assign_creates).clone(), *same))
                        }
                        _ => None,
                    };
                    if let Some(((mut req, k), same)) = again {
                        if !same {
                            req.assignment
                                .as_mut()
                                .unwrap()
                                .decision_ref
                                .push_str(" (ändrad)");
                        }
                        let r = c.create_assignment(as_(ANNA, req)).await;
                        if same {
                            let a = r
                                .map_err(|e| TestCaseError::fail(format!("{op:?}: {e:?}")))?
                                .into_inner()
                                .assignment
                                .unwrap();
                            prop_assert_eq!(&a.id, &assignments[k].id);
                            prop_assert_eq!(year_of(a.valid_to.as_ref()), assignments[k].to);
                            prop_assert_eq!(&a.etag, &assignments[k].etag.current);
                        } else {
                            let e = r.expect_err("a reused request id with another body");
                            prop_assert_eq!(e.code(), Code::InvalidArgument);
                            prop_assert!(e.message().contains("request_id"));
                        }
                        done += 1;
                        compare(&mut c, &f, &mut people, &mut assignments).await?;
                        continue;
                    }
                    if people.is_empty() {
                        continue;
                    }
                    let k = p.index(people.len());
                    let first = 2030 + i32::from(*from);
                    let last = years.map(|y| first + i32::from(y));
                    let req = rpb::CreateAssignmentRequest {
                        request_id: format!("{tag}-a{i}"),
                        assignment: Some(rpb::Assignment {
                            person_id: people[k].id.clone(),
                            role_id: f.role_ids[*role].clone(),
                            municipality_id: "tranemo".into(),
                            valid_from: date(first, 1, 1),
                            valid_to: last.and_then(|y| date(y, 12, 31)),
                            decision_ref: format!("KS Tranemo {first} § {i}"),
                            ..Default::default()
                        }),
                    };
                    let r = c.create_assignment(as_(ANNA, req.clone())).await;
                    if assignments
                        .iter()
                        .any(|a| a.overlaps(k, *role, first, last))
                    {
                        prop_assert_eq!(
                            code(&r),
                            Code::FailedPrecondition,
                            "{:?}: {:?}",
                            op,
                            r.as_ref().err()
                        );
                    } else {
                        let a = r
                            .map_err(|e| TestCaseError::fail(format!("{op:?}: {e:?}")))?
                            .into_inner()
                            .assignment
                            .unwrap();
                        assignments.push(Assignment {
                            id: a.id,
                            person: k,
                            role: *role,
                            from: first,
                            to: last,
                            etag: Etag::new(&a.etag),
                        });
                        assign_creates.push((req, assignments.len() - 1));
                    }
                }
                Op::End { a, to, stale } => {
                    if assignments.is_empty() {
                        continue;
                    }
                    let k = a.index(assignments.len());
                    let last = 2030 + i32::from(*to);
                    let (person, role, from) = (
                        assignments[k].person,
                        assignments[k].role,
                        assignments[k].from,
                    );
                    // The same person may not hold the same role twice at once,
                    // by ending an assignment later either.
                    let clash = assignments
                        .iter()
                        .enumerate()
                        .any(|(j, o)| j != k && o.overlaps(person, role, from, Some(last)));
                    let expected = if last < from {
                        Code::InvalidArgument
                    } else if clash {
                        Code::FailedPrecondition
                    } else if *stale {
                        Code::Aborted
                    } else {
                        Code::Ok
                    };
                    let aa = &mut assignments[k];
                    let r = c
                        .end_assignment(as_(
                            ANNA,
                            rpb::EndAssignmentRequest {
                                id: aa.id.clone(),
                                valid_to: date(last, 12, 31),
                                etag: aa.etag.send(*stale),
                            },
                        ))
                        .await;
                    prop_assert_eq!(code(&r), expected, "{:?}: {:?}", op, r.as_ref().err());
                    if let Ok(r) = r {
                        let got = r.into_inner().assignment.unwrap();
                        aa.to = Some(last);
                        aa.etag.changed_to(&got.etag)?;
                    }
                }
            }
            done += 1;
            compare(&mut c, &f, &mut people, &mut assignments).await?;
        }
        Ok(done)
    }

    /// Each person as the other municipality reads them; each person's
    /// assignments, with history, as their kommunchef lists them.
    async fn compare(
        c: &mut RolesServiceClient<Channel>,
        f: &Fixture,
        people: &mut [Person],
        assignments: &mut [Assignment],
    ) -> Result<(), TestCaseError> {
        for (k, p) in people.iter_mut().enumerate() {
            let got = c
                .get_person(as_(LARS, rpb::GetPersonRequest { id: p.id.clone() }))
                .await
                .map_err(|e| TestCaseError::fail(format!("get person: {e:?}")))?
                .into_inner()
                .person
                .unwrap();
            prop_assert_eq!(&got.display_name, &p.name);
            prop_assert_eq!(&got.email, &p.email);
            p.etag.check(&got.etag, "person")?;
            let listed = c
                .list_assignments(as_(
                    ANNA,
                    rpb::ListAssignmentsRequest {
                        collaboration_id: f.collab.clone(),
                        person_id: p.id.clone(),
                        include_history: true,
                        page_size: 200,
                        ..Default::default()
                    },
                ))
                .await
                .map_err(|e| TestCaseError::fail(format!("list assignments: {e:?}")))?
                .into_inner()
                .assignments;
            let got: BTreeMap<String, (String, Option<i32>, Option<i32>, String)> = listed
                .into_iter()
                .map(|a| {
                    (
                        a.id,
                        (
                            a.role_code,
                            year_of(a.valid_from.as_ref()),
                            year_of(a.valid_to.as_ref()),
                            a.etag,
                        ),
                    )
                })
                .collect();
            let expected: BTreeMap<String, (String, Option<i32>, Option<i32>, String)> =
                assignments
                    .iter()
                    .filter(|a| a.person == k)
                    .map(|a| {
                        (
                            a.id.clone(),
                            (
                                ROLES[a.role].to_owned(),
                                Some(a.from),
                                a.to,
                                a.etag.current.clone(),
                            ),
                        )
                    })
                    .collect();
            prop_assert_eq!(got, expected, "assignments of person {}", k);
        }
        Ok(())
    }
}

async fn roles_follow_the_model(db: TestDb) {
    let server = TestServer::start(&db, &[Svc::Roles]).await;
    let ch = server.channel().await;
    let collab = samverkan_roles::demo::COLLABORATION_ID.to_string();
    let catalogue = RolesServiceClient::new(ch.clone())
        .list_roles(as_(
            ANNA,
            rpb::ListRolesRequest {
                collaboration_id: collab.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .roles;
    let role_ids = roles::ROLES
        .iter()
        .map(|code| {
            catalogue
                .iter()
                .find(|r| r.code == *code)
                .unwrap()
                .id
                .clone()
        })
        .collect();
    let fixture = Arc::new(roles::Fixture {
        ch,
        collab,
        role_ids,
    });
    run_model("roles", &db, ops(roles::op()), move |seq, n| {
        roles::case(fixture.clone(), seq, n)
    })
    .await;
    server.stop().await;
}
backend_test!(roles_follow_the_model);

// ─────────────────── decisions: statuses and action plans ───────────────────

mod decisions {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Standing {
        Decided,
        InProgress,
        CarriedOut,
        FollowedUp,
        Revoked,
        Superseded,
    }

    impl Standing {
        fn pb(self) -> i32 {
            (match self {
                Standing::Decided => dpb::DecisionStatus::Decided,
                Standing::InProgress => dpb::DecisionStatus::InProgress,
                Standing::CarriedOut => dpb::DecisionStatus::CarriedOut,
                Standing::FollowedUp => dpb::DecisionStatus::FollowedUp,
                Standing::Revoked => dpb::DecisionStatus::Revoked,
                Standing::Superseded => dpb::DecisionStatus::Superseded,
            }) as i32
        }

        /// Where a decision may go from here (docs/domain.md: decided, in
        /// progress, carried out, followed up; revoked while in force).
        fn may_become(self, to: Standing) -> bool {
            use Standing::*;
            matches!(
                (self, to),
                (Decided, InProgress | CarriedOut | Revoked)
                    | (InProgress, CarriedOut | Revoked)
                    | (CarriedOut, FollowedUp | Revoked)
            )
        }

        fn in_force(self) -> bool {
            !matches!(self, Standing::Revoked | Standing::Superseded)
        }
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Activity {
        NotStarted,
        InProgress,
        Done,
        Cancelled,
    }

    impl Activity {
        fn pb(self) -> i32 {
            (match self {
                Activity::NotStarted => dpb::ActivityStatus::NotStarted,
                Activity::InProgress => dpb::ActivityStatus::InProgress,
                Activity::Done => dpb::ActivityStatus::Done,
                Activity::Cancelled => dpb::ActivityStatus::Cancelled,
            }) as i32
        }
    }

    #[derive(Debug, Clone)]
    pub enum Op {
        Register {
            paragraph: usize,
            supersedes: Option<Index>,
            rid: Rid,
        },
        Update {
            d: Index,
            text: u8,
            stale: bool,
        },
        SetStatus {
            d: Index,
            to: Standing,
            stale: bool,
        },
        Plan {
            d: Index,
        },
        AddActivity {
            plan: Index,
            weight: i32,
        },
        UpdateActivity {
            a: Index,
            status: Activity,
            progress: i32,
            stale: bool,
        },
    }

    /// Paragraphs of the case's meeting.
    pub const PARAGRAPHS: usize = 3;

    pub fn op() -> impl Strategy<Value = Op> {
        let status = prop_oneof![
            Just(Standing::InProgress),
            Just(Standing::CarriedOut),
            Just(Standing::FollowedUp),
            Just(Standing::Revoked),
        ];
        let activity = prop_oneof![
            Just(Activity::NotStarted),
            Just(Activity::InProgress),
            Just(Activity::Done),
            Just(Activity::Cancelled),
        ];
        prop_oneof![
            3 => (0..PARAGRAPHS, prop::option::weighted(0.3, any::<Index>()), rid())
                .prop_map(|(paragraph, supersedes, rid)| Op::Register { paragraph, supersedes, rid }),
            2 => (any::<Index>(), 0..8u8, any::<bool>())
                .prop_map(|(d, text, stale)| Op::Update { d, text, stale }),
            3 => (any::<Index>(), status, any::<bool>())
                .prop_map(|(d, to, stale)| Op::SetStatus { d, to, stale }),
            1 => any::<Index>().prop_map(|d| Op::Plan { d }),
            2 => (any::<Index>(), 1..5i32).prop_map(|(plan, weight)| Op::AddActivity { plan, weight }),
            3 => (any::<Index>(), activity, 0..=100i32, any::<bool>())
                .prop_map(|(a, status, progress, stale)| Op::UpdateActivity { a, status, progress, stale }),
        ]
    }

    #[derive(Debug)]
    struct Decision {
        id: String,
        paragraph: usize,
        text: String,
        status: Standing,
        supersedes: Option<usize>,
        superseded_by: Option<usize>,
        etag: Etag,
    }

    #[derive(Debug)]
    struct Act {
        id: String,
        plan: usize,
        weight: i32,
        status: Activity,
        progress: i32,
        timeline: usize,
        etag: Etag,
    }

    /// A plan's progress: the activities' progress weighted, cancelled
    /// ones left out, in tenths of a percent rounded half up.
    fn permille(acts: &[&Act]) -> i32 {
        let live: Vec<&&Act> = acts
            .iter()
            .filter(|a| a.status != Activity::Cancelled)
            .collect();
        let weight: i64 = live.iter().map(|a| i64::from(a.weight)).sum();
        if weight == 0 {
            return 0;
        }
        let tenths: i64 = live
            .iter()
            .map(|a| i64::from(a.progress) * 10 * i64::from(a.weight))
            .sum();
        i32::try_from((tenths * 2 + weight) / (weight * 2)).unwrap()
    }

    /// An operation on something that does not exist yet creates it
    /// instead: a decision, a plan, an activity.
    fn effective(op: &Op, decisions: usize, plans: usize, acts: usize) -> Op {
        let register = Op::Register {
            paragraph: decisions % PARAGRAPHS,
            supersedes: None,
            rid: Rid::Fresh,
        };
        match op {
            Op::Update { d, .. } | Op::SetStatus { d, .. } | Op::Plan { d } if decisions == 0 => {
                let _ = d;
                register
            }
            Op::AddActivity { plan, .. } if plans == 0 => {
                if decisions == 0 {
                    register
                } else {
                    Op::Plan { d: *plan }
                }
            }
            Op::UpdateActivity { a, .. } if acts == 0 => {
                if plans > 0 {
                    Op::AddActivity {
                        plan: *a,
                        weight: 1,
                    }
                } else if decisions > 0 {
                    Op::Plan { d: *a }
                } else {
                    register
                }
            }
            _ => op.clone(),
        }
    }

    pub struct Fixture {
        pub ch: Channel,
        pub styrgruppen: String,
        pub per: String,
    }

    pub async fn case(f: Arc<Fixture>, ops: Vec<Op>, n: usize) -> Result<usize, TestCaseError> {
        let mut fc = ForumsServiceClient::new(f.ch.clone());
        let mut c = DecisionsServiceClient::new(f.ch.clone());
        let tag = format!("{n}-{}", samverkan_core::new_uuid().simple());
        // A held meeting with a § per item, not adjusted: its decisions may change.
        let title = format!("Sammanträde {tag}");
        let mut m = meeting(&mut fc, EVA, &f.styrgruppen, &title, (2026, 12, 10)).await;
        for p in 0..PARAGRAPHS {
            m = add_item(
                &mut fc,
                EVA,
                &m.id,
                fpb::AgendaItemKind::Decision,
                &format!("Punkt {p}"),
                "",
            )
            .await;
        }
        publish(&mut fc, EVA, &m).await;
        hold(&mut fc, EVA, &m).await;
        let mut paragraphs = Vec::new();
        for item in &m.agenda {
            paragraphs.push(
                paragraph(
                    &mut fc,
                    EVA,
                    &m.id,
                    &item.id,
                    fpb::ParagraphOutcome::Decided,
                    "Beslutas enligt förslaget.",
                )
                .await,
            );
        }

        let mut decisions: Vec<Decision> = Vec::new();
        let mut plans: Vec<String> = Vec::new();
        let mut acts: Vec<Act> = Vec::new();
        let mut registered: Vec<(dpb::RegisterDecisionRequest, usize)> = Vec::new();
        let mut done = 0;
        for (i, op) in ops.iter().enumerate() {
            let op = &effective(op, decisions.len(), plans.len(), acts.len());
            match op {
                Op::Register {
                    paragraph: p,
                    supersedes,
                    rid,
                } => {
                    let again = match rid {
                        Rid::Again { of, same } if !registered.is_empty() => {
                            Some((of.get(&registered).clone(), *same))
                        }
                        _ => None,
                    };
                    if let Some(((mut req, k), same)) = again {
                        if !same {
                            req.decision.as_mut().unwrap().title = "Ändrad titel".into();
                        }
                        let r = c.register_decision(as_(EVA, req)).await;
                        if same {
                            let d = r
                                .map_err(|e| TestCaseError::fail(format!("{op:?}: {e:?}")))?
                                .into_inner()
                                .decision
                                .unwrap();
                            prop_assert_eq!(&d.id, &decisions[k].id);
                            prop_assert_eq!(d.status, decisions[k].status.pb());
                        } else {
                            let e = r.expect_err("a reused request id with another body");
                            prop_assert_eq!(e.code(), Code::InvalidArgument);
                            prop_assert!(e.message().contains("request_id"));
                        }
                    } else {
                        let old = supersedes
                            .filter(|_| !decisions.is_empty())
                            .map(|s| s.index(decisions.len()));
                        let req = dpb::RegisterDecisionRequest {
                            request_id: format!("{tag}-{i}"),
                            decision: Some(dpb::Decision {
                                meeting_id: m.id.clone(),
                                paragraph_id: paragraphs[*p].id.clone(),
                                responsible_role_code: "it-chef".into(),
                                responsible_person_id: f.per.clone(),
                                supersedes_id: old
                                    .map(|o| decisions[o].id.clone())
                                    .unwrap_or_default(),
                                ..Default::default()
                            }),
                        };
                        let expected = if decisions.iter().any(|d| d.paragraph == *p) {
                            Code::AlreadyExists
                        } else if old.is_some_and(|o| !decisions[o].status.in_force()) {
                            Code::FailedPrecondition
                        } else {
                            Code::Ok
                        };
                        let r = c.register_decision(as_(EVA, req.clone())).await;
                        prop_assert_eq!(code(&r), expected, "{:?}: {:?}", op, r.as_ref().err());
                        if let Ok(r) = r {
                            let d = r.into_inner().decision.unwrap();
                            prop_assert_eq!(d.status, Standing::Decided.pb());
                            decisions.push(Decision {
                                id: d.id,
                                paragraph: *p,
                                text: d.text,
                                status: Standing::Decided,
                                supersedes: old,
                                superseded_by: None,
                                etag: Etag::new(&d.etag),
                            });
                            let new = decisions.len() - 1;
                            if let Some(o) = old {
                                decisions[o].status = Standing::Superseded;
                                decisions[o].superseded_by = Some(new);
                                decisions[o].etag.changed = true;
                            }
                            registered.push((req, new));
                        }
                    }
                }
                Op::Update { d, text, stale } => {
                    if decisions.is_empty() {
                        continue;
                    }
                    let k = d.index(decisions.len());
                    let dd = &mut decisions[k];
                    let text = format!("Beslutstext {text}.");
                    let r = c
                        .update_decision(as_(
                            EVA,
                            dpb::UpdateDecisionRequest {
                                decision: Some(dpb::Decision {
                                    id: dd.id.clone(),
                                    title: format!("Punkt {}", dd.paragraph),
                                    text: text.clone(),
                                    responsible_role_code: "it-chef".into(),
                                    responsible_person_id: f.per.clone(),
                                    ..Default::default()
                                }),
                                etag: dd.etag.send(*stale),
                            },
                        ))
                        .await;
                    let expected = if *stale { Code::Aborted } else { Code::Ok };
                    prop_assert_eq!(code(&r), expected, "{:?}: {:?}", op, r.as_ref().err());
                    if let Ok(r) = r {
                        dd.text = text;
                        dd.etag.changed_to(&r.into_inner().decision.unwrap().etag)?;
                    }
                }
                Op::SetStatus { d, to, stale } => {
                    if decisions.is_empty() {
                        continue;
                    }
                    let k = d.index(decisions.len());
                    let dd = &mut decisions[k];
                    let expected = if !dd.status.may_become(*to) {
                        Code::FailedPrecondition
                    } else if *stale {
                        Code::Aborted
                    } else {
                        Code::Ok
                    };
                    let r = c
                        .set_decision_status(as_(
                            EVA,
                            dpb::SetDecisionStatusRequest {
                                id: dd.id.clone(),
                                status: to.pb(),
                                reason: "Enligt styrgruppens beslut.".into(),
                                etag: dd.etag.send(*stale),
                            },
                        ))
                        .await;
                    prop_assert_eq!(
                        code(&r),
                        expected,
                        "{:?} from {:?}: {:?}",
                        op,
                        dd.status,
                        r.as_ref().err()
                    );
                    if let Ok(r) = r {
                        dd.status = *to;
                        dd.etag.changed_to(&r.into_inner().decision.unwrap().etag)?;
                    }
                }
                Op::Plan { d } => {
                    if decisions.is_empty() {
                        continue;
                    }
                    let k = d.index(decisions.len());
                    let plan = c
                        .create_action_plan(as_(
                            EVA,
                            dpb::CreateActionPlanRequest {
                                request_id: format!("{tag}-{i}"),
                                action_plan: Some(dpb::ActionPlan {
                                    decision_id: decisions[k].id.clone(),
                                    title: format!("Handlingsplan {i}"),
                                    ..Default::default()
                                }),
                            },
                        ))
                        .await
                        .map_err(|e| TestCaseError::fail(format!("{op:?}: {e:?}")))?
                        .into_inner()
                        .action_plan
                        .unwrap();
                    prop_assert!(plan.activities.is_empty());
                    plans.push(plan.id);
                }
                Op::AddActivity { plan, weight } => {
                    if plans.is_empty() {
                        continue;
                    }
                    let k = plan.index(plans.len());
                    let got = c
                        .add_activity(as_(
                            EVA,
                            dpb::AddActivityRequest {
                                request_id: format!("{tag}-{i}"),
                                activity: Some(dpb::Activity {
                                    action_plan_id: plans[k].clone(),
                                    title: format!("Aktivitet {i}"),
                                    owner_person_id: f.per.clone(),
                                    due_on: Some(dates::to_proto(
                                        dates::today() + chrono::Days::new(30),
                                    )),
                                    weight: *weight,
                                    ..Default::default()
                                }),
                            },
                        ))
                        .await
                        .map_err(|e| TestCaseError::fail(format!("{op:?}: {e:?}")))?
                        .into_inner()
                        .action_plan
                        .unwrap();
                    let known: BTreeSet<&str> = acts.iter().map(|a| a.id.as_str()).collect();
                    let new: Vec<&dpb::Activity> = got
                        .activities
                        .iter()
                        .filter(|a| !known.contains(a.id.as_str()))
                        .collect();
                    prop_assert_eq!(new.len(), 1);
                    acts.push(Act {
                        id: new[0].id.clone(),
                        plan: k,
                        weight: *weight,
                        status: Activity::NotStarted,
                        progress: 0,
                        timeline: 0,
                        etag: Etag::new(&new[0].etag),
                    });
                }
                Op::UpdateActivity {
                    a,
                    status,
                    progress,
                    stale,
                } => {
                    if acts.is_empty() {
                        continue;
                    }
                    let k = a.index(acts.len());
                    let aa = &mut acts[k];
                    let r = c
                        .update_activity(as_(
                            PER,
                            dpb::UpdateActivityRequest {
                                id: aa.id.clone(),
                                status: status.pb(),
                                progress_percent: *progress,
                                note: String::new(),
                                etag: aa.etag.send(*stale),
                            },
                        ))
                        .await;
                    let expected = if *stale { Code::Aborted } else { Code::Ok };
                    prop_assert_eq!(code(&r), expected, "{:?}: {:?}", op, r.as_ref().err());
                    if let Ok(r) = r {
                        let plan = r.into_inner().action_plan.unwrap();
                        let got = plan.activities.iter().find(|x| x.id == aa.id).unwrap();
                        aa.status = *status;
                        aa.progress = if *status == Activity::Done {
                            100
                        } else {
                            *progress
                        };
                        aa.timeline += 1;
                        aa.etag.changed_to(&got.etag)?;
                    }
                }
            }
            done += 1;
            compare(&mut c, &mut decisions, &plans, &mut acts).await?;
        }
        Ok(done)
    }

    async fn compare(
        c: &mut DecisionsServiceClient<Channel>,
        decisions: &mut [Decision],
        plans: &[String],
        acts: &mut [Act],
    ) -> Result<(), TestCaseError> {
        let ids: Vec<String> = decisions.iter().map(|d| d.id.clone()).collect();
        for d in decisions.iter_mut() {
            let got = c
                .get_decision(as_(LARS, dpb::GetDecisionRequest { id: d.id.clone() }))
                .await
                .map_err(|e| TestCaseError::fail(format!("get decision: {e:?}")))?
                .into_inner()
                .decision
                .unwrap();
            prop_assert_eq!(got.status, d.status.pb(), "decision {}", d.id);
            prop_assert_eq!(&got.text, &d.text);
            prop_assert_eq!(
                &got.supersedes_id,
                &d.supersedes.map(|k| ids[k].clone()).unwrap_or_default()
            );
            prop_assert_eq!(
                &got.superseded_by_id,
                &d.superseded_by.map(|k| ids[k].clone()).unwrap_or_default()
            );
            d.etag.check(&got.etag, "decision")?;
        }
        for (k, plan) in plans.iter().enumerate() {
            let got = c
                .get_action_plan(as_(PER, dpb::GetActionPlanRequest { id: plan.clone() }))
                .await
                .map_err(|e| TestCaseError::fail(format!("get plan: {e:?}")))?
                .into_inner()
                .action_plan
                .unwrap();
            let ours: Vec<&Act> = acts.iter().filter(|a| a.plan == k).collect();
            prop_assert_eq!(got.activities.len(), ours.len());
            prop_assert_eq!(got.progress_permille, permille(&ours), "plan {}", k);
            for a in &ours {
                let g = got.activities.iter().find(|x| x.id == a.id).unwrap();
                prop_assert_eq!(g.status, a.status.pb());
                prop_assert_eq!(g.progress_percent, a.progress);
                prop_assert_eq!(g.weight, a.weight);
                prop_assert_eq!(g.timeline.len(), a.timeline);
                prop_assert_eq!(&g.etag, &a.etag.current);
            }
        }
        Ok(())
    }
}

async fn decisions_follow_the_model(db: TestDb) {
    let server = TestServer::start(&db, &[Svc::Roles, Svc::Forums, Svc::Decisions]).await;
    let ch = server.channel().await;
    let (_, styrgruppen) = forum_ids(&server).await;
    let per = RolesServiceClient::new(ch.clone())
        .who_am_i(as_(PER, rpb::WhoAmIRequest {}))
        .await
        .unwrap()
        .into_inner()
        .person
        .unwrap()
        .id;
    let fixture = Arc::new(decisions::Fixture {
        ch,
        styrgruppen,
        per,
    });
    run_model("decisions", &db, ops(decisions::op()), move |seq, n| {
        decisions::case(fixture.clone(), seq, n)
    })
    .await;
    server.stop().await;
}
backend_test!(decisions_follow_the_model);

// ──────────────────────── agreements: proposals ────────────────────────

mod agreements {
    use super::*;

    const TEXT: &str = "Avtal om gemensam IT-verksamhet.\n\n\
## 1. Parter\n\nTranemo kommun och Ulricehamns kommun.\n\n\
## 2. Syfte\n\nAtt bedriva IT-verksamhet gemensamt.\n\n\
## 3. Kostnader\n\nKostnaderna fördelas enligt prislistan.\n";

    /// Sections proposals anchor to; the last is not in the text.
    const SECTIONS: [&str; 4] = ["1", "2", "3", "7"];

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Muni {
        Tranemo,
        Ulricehamn,
    }

    impl Muni {
        /// A utvecklingschef of the municipality: drafts and submits.
        fn person(self) -> &'static str {
            match self {
                Muni::Tranemo => ERIK,
                Muni::Ulricehamn => MARIA,
            }
        }
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Action {
        Amend,
        Add,
        Delete,
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum State {
        Draft,
        Submitted,
        Accepted,
        AcceptedWithChanges,
        Rejected,
    }

    impl State {
        fn pb(self) -> i32 {
            (match self {
                State::Draft => apb::ProposalState::Draft,
                State::Submitted => apb::ProposalState::Submitted,
                State::Accepted => apb::ProposalState::Accepted,
                State::AcceptedWithChanges => apb::ProposalState::AcceptedWithChanges,
                State::Rejected => apb::ProposalState::Rejected,
            }) as i32
        }
    }

    #[derive(Debug, Clone)]
    pub enum Op {
        Create {
            by: Muni,
            section: usize,
            action: Action,
            rid: Rid,
        },
        Submit {
            p: Index,
            by: Muni,
            stale: bool,
        },
        Resolve {
            p: Index,
            outcome: State,
            stale: bool,
        },
        Advance {
            stale: bool,
        },
    }

    pub fn op() -> impl Strategy<Value = Op> {
        let muni = prop_oneof![Just(Muni::Tranemo), Just(Muni::Ulricehamn)];
        let action = prop_oneof![
            3 => Just(Action::Amend),
            1 => Just(Action::Add),
            1 => Just(Action::Delete),
        ];
        let outcome = prop_oneof![
            Just(State::Accepted),
            Just(State::AcceptedWithChanges),
            Just(State::Rejected),
        ];
        prop_oneof![
            4 => (muni.clone(), 0..SECTIONS.len(), action, rid())
                .prop_map(|(by, section, action, rid)| Op::Create { by, section, action, rid }),
            3 => (any::<Index>(), muni, any::<bool>())
                .prop_map(|(p, by, stale)| Op::Submit { p, by, stale }),
            2 => (any::<Index>(), outcome, any::<bool>())
                .prop_map(|(p, outcome, stale)| Op::Resolve { p, outcome, stale }),
            1 => any::<bool>().prop_map(|stale| Op::Advance { stale }),
        ]
    }

    /// An operation on a proposal before there is one drafts one instead.
    fn effective(op: &Op, proposals: usize) -> Op {
        match op {
            Op::Submit { by, .. } if proposals == 0 => Op::Create {
                by: *by,
                section: 0,
                action: Action::Amend,
                rid: Rid::Fresh,
            },
            Op::Resolve { .. } if proposals == 0 => Op::Create {
                by: Muni::Tranemo,
                section: 0,
                action: Action::Amend,
                rid: Rid::Fresh,
            },
            _ => op.clone(),
        }
    }

    #[derive(Debug)]
    struct Proposal {
        id: String,
        by: Muni,
        state: State,
        etag: Etag,
    }

    fn create(
        rid: String,
        revision: &str,
        section: usize,
        action: Action,
    ) -> apb::CreateProposalRequest {
        let (action, title, text) = match action {
            Action::Amend => (apb::ProposalAction::Amend, "", "Ny lydelse av avsnittet."),
            Action::Add => (
                apb::ProposalAction::Add,
                "Nytt avsnitt",
                "Ett avsnitt som saknas.",
            ),
            Action::Delete => (apb::ProposalAction::Delete, "", ""),
        };
        apb::CreateProposalRequest {
            request_id: rid,
            proposal: Some(apb::Proposal {
                revision_id: revision.into(),
                section_number: SECTIONS[section].into(),
                action: action as i32,
                title: title.into(),
                text: text.into(),
                rationale: "Behovet har ändrats.".into(),
                ..Default::default()
            }),
        }
    }

    pub async fn case(ch: Channel, ops: Vec<Op>, n: usize) -> Result<usize, TestCaseError> {
        let mut c = AgreementsServiceClient::new(ch);
        let tag = format!("{n}-{}", samverkan_core::new_uuid().simple());
        let agreement = c
            .create_agreement(as_(
                EVA,
                apb::CreateAgreementRequest {
                    request_id: format!("{tag}-avtal"),
                    kind: apb::AgreementKind::CollaborationAgreement as i32,
                    title: format!("Samverkansavtal IT {tag}"),
                    version: Some(apb::Version {
                        text: TEXT.into(),
                        effective_from: date(2022, 1, 1),
                        next_review_on: date(2026, 12, 31),
                        ..Default::default()
                    }),
                },
            ))
            .await
            .map_err(|e| TestCaseError::fail(format!("agreement: {e:?}")))?
            .into_inner()
            .agreement
            .unwrap();
        let today = dates::today();
        let revision = c
            .open_revision(as_(
                EVA,
                apb::OpenRevisionRequest {
                    request_id: format!("{tag}-revision"),
                    agreement_id: agreement.id.clone(),
                    year: 2027,
                    phase_ends: [10u64, 20, 30, 40, 50]
                        .into_iter()
                        .map(|d| dates::to_proto(today + chrono::Days::new(d)))
                        .collect(),
                    effective_from: Some(dates::to_proto(today + chrono::Days::new(60))),
                },
            ))
            .await
            .map_err(|e| TestCaseError::fail(format!("revision: {e:?}")))?
            .into_inner()
            .revision
            .unwrap();
        let mut consolidating = false;
        let mut revision_etag = Etag::new(&revision.etag);
        let mut model: Vec<Proposal> = Vec::new();
        let mut creates: Vec<(apb::CreateProposalRequest, Muni, usize)> = Vec::new();
        let mut done = 0;
        for (i, op) in ops.iter().enumerate() {
            let op = &effective(op, model.len());
            match op {
                Op::Create {
                    by,
                    section,
                    action,
                    rid,
                } => {
                    let again = match rid {
                        Rid::Again { of, same } if !creates.is_empty() => {
                            Some((of.get(&creates).clone(), *same))
                        }
                        _ => None,
                    };
                    if let Some(((mut req, by, k), same)) = again {
                        if !same {
                            req.proposal.as_mut().unwrap().rationale = "Annat skäl.".into();
                        }
                        let r = c.create_proposal(as_(by.person(), req)).await;
                        if consolidating {
                            prop_assert_eq!(code(&r), Code::FailedPrecondition, "{:?}", op);
                        } else if same {
                            let p = r
                                .map_err(|e| TestCaseError::fail(format!("{op:?}: {e:?}")))?
                                .into_inner()
                                .proposal
                                .unwrap();
                            prop_assert_eq!(&p.id, &model[k].id);
                            prop_assert_eq!(p.state, model[k].state.pb());
                            prop_assert_eq!(&p.etag, &model[k].etag.current);
                        } else {
                            let e = r.expect_err("a reused request id with another body");
                            prop_assert_eq!(e.code(), Code::InvalidArgument);
                            prop_assert!(e.message().contains("request_id"));
                        }
                    } else {
                        let req = create(format!("{tag}-{i}"), &revision.id, *section, *action);
                        let r = c.create_proposal(as_(by.person(), req.clone())).await;
                        let expected = if consolidating {
                            Code::FailedPrecondition
                        } else if SECTIONS[*section] == "7" {
                            Code::InvalidArgument
                        } else {
                            Code::Ok
                        };
                        prop_assert_eq!(code(&r), expected, "{:?}: {:?}", op, r.as_ref().err());
                        if let Ok(r) = r {
                            let p = r.into_inner().proposal.unwrap();
                            prop_assert_eq!(p.state, State::Draft.pb());
                            model.push(Proposal {
                                id: p.id,
                                by: *by,
                                state: State::Draft,
                                etag: Etag::new(&p.etag),
                            });
                            creates.push((req, *by, model.len() - 1));
                        }
                    }
                }
                Op::Submit { p, by, stale } => {
                    let k = p.index(model.len());
                    let pp = &mut model[k];
                    let expected = if *by != pp.by {
                        if pp.state == State::Draft {
                            Code::NotFound
                        } else {
                            Code::PermissionDenied
                        }
                    } else if consolidating || pp.state != State::Draft {
                        Code::FailedPrecondition
                    } else if *stale {
                        Code::Aborted
                    } else {
                        Code::Ok
                    };
                    let r = c
                        .submit_proposal(as_(
                            by.person(),
                            apb::SubmitProposalRequest {
                                id: pp.id.clone(),
                                etag: pp.etag.send(*stale),
                            },
                        ))
                        .await;
                    prop_assert_eq!(
                        code(&r),
                        expected,
                        "{:?} of {:?}: {:?}",
                        op,
                        pp,
                        r.as_ref().err()
                    );
                    if let Ok(r) = r {
                        pp.state = State::Submitted;
                        pp.etag.changed_to(&r.into_inner().proposal.unwrap().etag)?;
                    }
                }
                Op::Resolve { p, outcome, stale } => {
                    let k = p.index(model.len());
                    let pp = &mut model[k];
                    // The IT-strateg works for Ulricehamn: Tranemo's drafts
                    // do not exist for her.
                    let expected = if pp.state == State::Draft && pp.by == Muni::Tranemo {
                        Code::NotFound
                    } else if pp.state != State::Submitted {
                        Code::FailedPrecondition
                    } else if *stale {
                        Code::Aborted
                    } else {
                        Code::Ok
                    };
                    let r = c
                        .resolve_proposal(as_(
                            EVA,
                            apb::ResolveProposalRequest {
                                id: pp.id.clone(),
                                outcome: outcome.pb(),
                                reason: "Bedömt av IT-avdelningen.".into(),
                                accepted_text: if *outcome == State::AcceptedWithChanges {
                                    "Justerad lydelse.".into()
                                } else {
                                    String::new()
                                },
                                etag: pp.etag.send(*stale),
                            },
                        ))
                        .await;
                    prop_assert_eq!(
                        code(&r),
                        expected,
                        "{:?} of {:?}: {:?}",
                        op,
                        pp,
                        r.as_ref().err()
                    );
                    if let Ok(r) = r {
                        pp.state = *outcome;
                        pp.etag.changed_to(&r.into_inner().proposal.unwrap().etag)?;
                    }
                }
                Op::Advance { stale } => {
                    // Past the proposals, the draft must be consolidated first.
                    let expected = if consolidating {
                        Code::FailedPrecondition
                    } else if *stale {
                        Code::Aborted
                    } else {
                        Code::Ok
                    };
                    let r = c
                        .advance_revision(as_(
                            EVA,
                            apb::AdvanceRevisionRequest {
                                id: revision.id.clone(),
                                etag: revision_etag.send(*stale),
                            },
                        ))
                        .await;
                    prop_assert_eq!(code(&r), expected, "{:?}: {:?}", op, r.as_ref().err());
                    if let Ok(r) = r {
                        let r = r.into_inner().revision.unwrap();
                        prop_assert_eq!(r.phase, apb::Phase::Consolidation as i32);
                        consolidating = true;
                        revision_etag.changed_to(&r.etag)?;
                    }
                }
            }
            done += 1;
            // The store against the model: the revision, and the proposals
            // each municipality sees (its own drafts and everything submitted).
            let r = c
                .get_revision(as_(
                    LARS,
                    apb::GetRevisionRequest {
                        id: revision.id.clone(),
                    },
                ))
                .await
                .map_err(|e| TestCaseError::fail(format!("get revision: {e:?}")))?
                .into_inner()
                .revision
                .unwrap();
            let phase = if consolidating {
                apb::Phase::Consolidation
            } else {
                apb::Phase::Proposals
            };
            prop_assert_eq!(r.phase, phase as i32);
            revision_etag.check(&r.etag, "revision")?;
            for muni in [Muni::Tranemo, Muni::Ulricehamn] {
                let got: BTreeMap<String, (i32, String)> = c
                    .list_proposals(as_(
                        muni.person(),
                        apb::ListProposalsRequest {
                            revision_id: revision.id.clone(),
                        },
                    ))
                    .await
                    .map_err(|e| TestCaseError::fail(format!("list: {e:?}")))?
                    .into_inner()
                    .proposals
                    .into_iter()
                    .map(|p| (p.id, (p.state, p.etag)))
                    .collect();
                let expected: BTreeMap<String, (i32, String)> = model
                    .iter()
                    .filter(|p| p.by == muni || p.state != State::Draft)
                    .map(|p| (p.id.clone(), (p.state.pb(), p.etag.current.clone())))
                    .collect();
                prop_assert_eq!(got, expected, "proposals as {:?} sees them", muni);
            }
        }
        Ok(done)
    }
}

async fn agreements_follow_the_model(db: TestDb) {
    let all = [Svc::Roles, Svc::Forums, Svc::Decisions, Svc::Agreements];
    let server = TestServer::start(&db, &all).await;
    let ch = server.channel().await;
    run_model("agreements", &db, ops(agreements::op()), move |seq, n| {
        agreements::case(ch.clone(), seq, n)
    })
    .await;
    server.stop().await;
}
backend_test!(agreements_follow_the_model);
