//! Crashes and shutdowns lose nothing (issue #17, part 5), on SQLite and on
//! PostgreSQL, with `samverkan serve` as a separate process:
//!
//! - **SIGKILL, again and again.** Concurrent `CreateMatter` calls, each
//!   with its own `request_id`; the server is killed with SIGKILL after
//!   some acknowledgements, a fresh server is started on the same database,
//!   and every call not acknowledged is retried with the same `request_id`
//!   and body, until every create is acknowledged. Then: every acknowledged
//!   matter exists exactly once, each `request_id` made exactly one matter,
//!   and there are as many new matters as creates.
//! - **SIGTERM under load.** The server exits 0 within 30 s while creates
//!   are in flight; everything it acknowledged exists; the calls it refused
//!   are retried on a fresh server, and each `request_id` made one matter.
//!
//! A call that is not answered OK must fail in a way a client retries
//! (`UNAVAILABLE`, `UNKNOWN`, `CANCELLED`, `ABORTED`, or `INTERNAL` from the
//! transport when the connection is cut); the server's own `INTERNAL`
//! ("internal error; it has been logged") is a bug and fails the test.
//!
//! Sizes: `SAMVERKAN_KILLS` (default 3) and `SAMVERKAN_KILL_CREATES`
//! (default 300). The full run:
//!
//! ```text
//! SAMVERKAN_KILLS=20 SAMVERKAN_KILL_CREATES=5000 \
//! SAMVERKAN_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!   cargo test -p samverkan --test crash -- --nocapture
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use samverkan_proto::forums::v1 as pb;
use samverkan_proto::forums::v1::forums_service_client::ForumsServiceClient;
use samverkan_testkit::process::Instance;
use samverkan_testkit::story::as_;
use samverkan_testkit::{TestDb, figure};
use tonic::Code;
use tonic::transport::Channel;

const SOFIA: &str = "sofia.lindstrom@tranemo.se"; // e-samordnare, creates matters

/// What the server answers for a real bug (samverkan_core's ApiError).
const OUR_INTERNAL: &str = "internal error; it has been logged";
/// Calls in flight at once.
const CONCURRENCY: usize = 16;
/// No single call may take longer while its server lives.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// Rounds of retries against one live server before giving up.
const MAX_WAVES: usize = 50;

fn env_size(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn spawn(url: &str) -> Instance {
    Instance::spawn(env!("CARGO_BIN_EXE_samverkan"), url)
}

fn title(i: usize) -> String {
    format!("Behov {i:05}")
}

/// Create number `i`: the same request_id and body on every attempt.
fn request(prefix: &str, i: usize) -> pb::CreateMatterRequest {
    pb::CreateMatterRequest {
        request_id: format!("{prefix}-{i:05}"),
        matter: Some(pb::Matter {
            kind: pb::MatterKind::DevelopmentNeed as i32,
            title: title(i),
            description: "Skapat medan servern dödas.".into(),
            priority: pb::Priority::Normal as i32,
            ..Default::default()
        }),
    }
}

enum Attempt {
    Acked(String),
    Refused(tonic::Status),
    /// The server was already dead when the call's turn came.
    NotSent,
}

/// One attempt of every create in `todo` against `channel`, `CONCURRENCY`
/// at a time; calls whose turn comes after `dead` is set are not sent.
async fn wave(
    channel: &Channel,
    prefix: &'static str,
    todo: &BTreeSet<usize>,
    concurrency: usize,
    dead: &Arc<AtomicBool>,
    acks: &Arc<AtomicUsize>,
) -> Vec<(usize, Attempt)> {
    let gate = Arc::new(tokio::sync::Semaphore::new(concurrency));
    let mut calls = tokio::task::JoinSet::new();
    for &i in todo {
        let (channel, gate, dead, acks) =
            (channel.clone(), gate.clone(), dead.clone(), acks.clone());
        calls.spawn(async move {
            let _permit = gate.acquire_owned().await.unwrap();
            if dead.load(Ordering::SeqCst) {
                return (i, Attempt::NotSent);
            }
            let mut client = ForumsServiceClient::new(channel);
            let call = client.create_matter(as_(SOFIA, request(prefix, i)));
            let attempt = match tokio::time::timeout(CALL_TIMEOUT, call).await {
                Ok(Ok(r)) => {
                    acks.fetch_add(1, Ordering::SeqCst);
                    Attempt::Acked(r.into_inner().matter.expect("the created matter").id)
                }
                Ok(Err(s)) => Attempt::Refused(s),
                Err(_) => Attempt::Refused(tonic::Status::deadline_exceeded(
                    "no answer within CALL_TIMEOUT",
                )),
            };
            (i, attempt)
        });
    }
    calls.join_all().await
}

/// What the client knows: which creates are acknowledged, with which id.
struct Ledger {
    pending: BTreeSet<usize>,
    acknowledged: BTreeMap<usize, String>,
    /// Creates that were sent and not acknowledged at least once.
    retried: BTreeSet<usize>,
    /// Every refusal, by code.
    codes: BTreeMap<String, usize>,
    /// The distinct messages of refusals other than UNAVAILABLE.
    messages: BTreeSet<String>,
}

impl Ledger {
    fn new(creates: usize) -> Self {
        Self {
            pending: (0..creates).collect(),
            acknowledged: BTreeMap::new(),
            retried: BTreeSet::new(),
            codes: BTreeMap::new(),
            messages: BTreeSet::new(),
        }
    }

    /// Records one attempt. `dead`: the server had been killed (or had
    /// exited) when the answer was looked at.
    fn record(&mut self, i: usize, attempt: Attempt, dead: bool) {
        match attempt {
            Attempt::Acked(id) => {
                if let Some(first) = self.acknowledged.get(&i) {
                    assert_eq!(first, &id, "create {i} acknowledged with two ids");
                }
                self.acknowledged.insert(i, id);
                self.pending.remove(&i);
            }
            Attempt::NotSent => {}
            Attempt::Refused(s) => {
                *self.codes.entry(format!("{:?}", s.code())).or_default() += 1;
                if s.code() != Code::Unavailable {
                    self.messages
                        .insert(format!("{:?}: {}", s.code(), s.message()));
                }
                assert!(
                    !(s.code() == Code::Internal && s.message().contains(OUR_INTERNAL)),
                    "create {i} answered INTERNAL from the server (a bug): {s:?}"
                );
                let retryable = match s.code() {
                    Code::Unavailable
                    | Code::Unknown
                    | Code::Cancelled
                    | Code::Aborted
                    | Code::Internal => true,
                    // Only a killed server may leave a call unanswered.
                    Code::DeadlineExceeded => dead,
                    _ => false,
                };
                assert!(
                    retryable,
                    "create {i} answered {:?} (server {}): {}",
                    s.code(),
                    if dead { "dead" } else { "alive" },
                    s.message()
                );
                self.retried.insert(i);
            }
        }
    }
}

/// Every matter in the database: (id, title).
async fn matters(db: &TestDb) -> Vec<(uuid::Uuid, String)> {
    db.owner
        .query_admin("SELECT id, title FROM matters")
        .await
        .expect("read matters")
        .iter()
        .map(|r| {
            (
                r.try_get::<uuid::Uuid>("", "id").expect("id"),
                r.try_get::<String>("", "title").expect("title"),
            )
        })
        .collect()
}

/// How many of the creates not yet acknowledged have a matter already:
/// committed, but the answer never reached the client.
async fn committed_unacknowledged(db: &TestDb, ledger: &Ledger) -> usize {
    let titles: BTreeSet<String> = matters(db).await.into_iter().map(|(_, t)| t).collect();
    ledger
        .pending
        .iter()
        .filter(|&&i| titles.contains(&title(i)))
        .count()
}

/// Every acknowledged id is stored, under its create's title, exactly once.
async fn acknowledged_exist(db: &TestDb, ledger: &Ledger) {
    let stored: BTreeMap<uuid::Uuid, String> = matters(db).await.into_iter().collect();
    for (i, id) in &ledger.acknowledged {
        let id = uuid::Uuid::parse_str(id).expect("a matter id is a UUID");
        assert_eq!(
            stored.get(&id),
            Some(&title(*i)),
            "acknowledged create {i} ({id}) is stored"
        );
    }
}

/// The final judgement: returns (lost, duplicated), both asserted 0.
async fn verify(db: &TestDb, ledger: &Ledger, creates: usize, before: usize) -> (usize, usize) {
    assert!(ledger.pending.is_empty());
    assert_eq!(
        ledger.acknowledged.len(),
        creates,
        "every create acknowledged"
    );
    let all = matters(db).await;
    let mut per_title: BTreeMap<String, Vec<uuid::Uuid>> = BTreeMap::new();
    for (id, t) in &all {
        per_title.entry(t.clone()).or_default().push(*id);
    }
    let lost: Vec<usize> = (0..creates)
        .filter(|&i| !per_title.contains_key(&title(i)))
        .collect();
    let duplicated: Vec<(usize, usize)> = (0..creates)
        .filter_map(|i| {
            let n = per_title.get(&title(i)).map_or(0, Vec::len);
            (n > 1).then_some((i, n))
        })
        .collect();
    assert!(lost.is_empty(), "creates with no matter: {lost:?}");
    assert!(
        duplicated.is_empty(),
        "request_ids that made more than one matter (create, count): {duplicated:?}"
    );
    for (i, id) in &ledger.acknowledged {
        let id = uuid::Uuid::parse_str(id).expect("a matter id is a UUID");
        assert_eq!(
            per_title[&title(*i)],
            vec![id],
            "create {i}: the acknowledged id is the stored one"
        );
    }
    assert_eq!(
        all.len(),
        before + creates,
        "as many new matters as creates"
    );
    (lost.len(), duplicated.len())
}

async fn kill_and_restart(db: TestDb, backend: &str) {
    let started = Instant::now();
    let kills = env_size("SAMVERKAN_KILLS", 3);
    let creates = env_size("SAMVERKAN_KILL_CREATES", 300);
    let deadline = started + Duration::from_secs(1200);
    samverkan_roles::demo::load(&db.app).await.expect("demo");
    let before = matters(&db).await.len();

    let mut ledger = Ledger::new(creates);
    let (mut kills_done, mut starts, mut replayed) = (0, 0, 0);
    while !ledger.pending.is_empty() {
        assert!(
            Instant::now() < deadline,
            "{} creates still unacknowledged after {kills_done} kills",
            ledger.pending.len()
        );
        starts += 1;
        // Kill after an even share of what is left, while something is left.
        let kills_left = kills - kills_done;
        let kill_at = (kills_left > 0 && ledger.pending.len() >= 2)
            .then(|| (ledger.pending.len() / (kills_left + 1)).clamp(1, ledger.pending.len() - 1));
        let mut server = spawn(&db.app_url);
        server.ready().await;
        let channel = server.channel().await;
        let dead = Arc::new(AtomicBool::new(false));
        let acks = Arc::new(AtomicUsize::new(0));
        let finished = AtomicBool::new(false);

        let waves = async {
            for w in 0..MAX_WAVES {
                if w > 0 {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                let todo = ledger.pending.clone();
                for (i, a) in wave(&channel, "krasch", &todo, CONCURRENCY, &dead, &acks).await {
                    ledger.record(i, a, dead.load(Ordering::SeqCst));
                }
                if ledger.pending.is_empty() || dead.load(Ordering::SeqCst) {
                    break;
                }
            }
            finished.store(true, Ordering::SeqCst);
        };
        let killer = async {
            let at = kill_at?;
            loop {
                if acks.load(Ordering::SeqCst) >= at {
                    dead.store(true, Ordering::SeqCst);
                    server.child.kill().expect("SIGKILL the server");
                    server.child.wait().expect("reap the server");
                    return Some(());
                }
                if finished.load(Ordering::SeqCst) {
                    return None;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        };
        let ((), killed) = tokio::join!(waves, killer);
        if killed.is_some() {
            kills_done += 1;
            acknowledged_exist(&db, &ledger).await;
            replayed += committed_unacknowledged(&db, &ledger).await;
        } else {
            assert!(
                ledger.pending.is_empty(),
                "{} creates unanswered by a live server after {MAX_WAVES} rounds",
                ledger.pending.len()
            );
        }
        drop(server);
    }
    let (lost, duplicated) = verify(&db, &ledger, creates, before).await;
    eprintln!("crash ({backend}) SIGKILL refusals: {:#?}", ledger.messages);
    if creates > 4 * kills {
        assert_eq!(kills_done, kills, "every kill landed during the burst");
    }
    figure(&format!(
        "crash ({backend}): {kills_done} SIGKILLs over {starts} server starts, {creates} creates ({CONCURRENCY} in flight), {} acknowledged, {} retried with the same request_id ({replayed} had committed before the kill and replayed their matter), lost {lost}, duplicated {duplicated}; refusals {:?}; {:.1} s",
        ledger.acknowledged.len(),
        ledger.retried.len(),
        ledger.codes,
        started.elapsed().as_secs_f64()
    ));
    db.cleanup().await;
}

async fn sigterm_under_load(db: TestDb, backend: &str) {
    const CREATES: usize = 200;
    const TERM_AFTER: usize = 20;
    const IN_FLIGHT: usize = 32;
    let started = Instant::now();
    samverkan_roles::demo::load(&db.app).await.expect("demo");
    let before = matters(&db).await.len();
    let mut ledger = Ledger::new(CREATES);

    let mut server = spawn(&db.app_url);
    server.ready().await;
    let channel = server.channel().await;
    let dead = Arc::new(AtomicBool::new(false));
    let acks = Arc::new(AtomicUsize::new(0));
    let all = ledger.pending.clone();
    let calls = wave(&channel, "sigterm", &all, IN_FLIGHT, &dead, &acks);
    let terminator = async {
        let deadline = Instant::now() + Duration::from_secs(60);
        while acks.load(Ordering::SeqCst) < TERM_AFTER {
            assert!(
                Instant::now() < deadline,
                "no {TERM_AFTER} acknowledgements in 60 s"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let acks_at_term = acks.load(Ordering::SeqCst);
        let term = std::process::Command::new("kill")
            .args(["-TERM", &server.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(term.success(), "kill -TERM");
        let termed = Instant::now();
        let status = loop {
            if let Some(status) = server.child.try_wait().expect("poll the server") {
                break status;
            }
            assert!(
                termed.elapsed() < Duration::from_secs(30),
                "still running 30 s after SIGTERM"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        dead.store(true, Ordering::SeqCst);
        (acks_at_term, status, termed.elapsed())
    };
    let (results, (acks_at_term, status, exit_after)) = tokio::join!(calls, terminator);
    assert!(status.success(), "exit status after SIGTERM: {status:?}");
    let mut not_sent = 0;
    for (i, a) in results {
        not_sent += usize::from(matches!(a, Attempt::NotSent));
        // A refusal during the drain comes from a live (draining) server.
        ledger.record(i, a, false);
    }
    let acked_by_first = ledger.acknowledged.len();
    let refused = ledger.retried.len();
    assert!(
        acked_by_first < CREATES,
        "SIGTERM must land while creates are in flight"
    );
    acknowledged_exist(&db, &ledger).await;
    let committed_refused = committed_unacknowledged(&db, &ledger).await;
    drop(server);

    // A fresh server; every call not acknowledged again, same request_id.
    let mut fresh = spawn(&db.app_url);
    fresh.ready().await;
    let channel = fresh.channel().await;
    let alive = Arc::new(AtomicBool::new(false));
    for w in 0..MAX_WAVES {
        if ledger.pending.is_empty() {
            break;
        }
        if w > 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let todo = ledger.pending.clone();
        for (i, a) in wave(&channel, "sigterm", &todo, CONCURRENCY, &alive, &acks).await {
            ledger.record(i, a, false);
        }
    }
    let (lost, duplicated) = verify(&db, &ledger, CREATES, before).await;
    eprintln!("crash ({backend}) SIGTERM refusals: {:#?}", ledger.messages);
    figure(&format!(
        "crash ({backend}): SIGTERM under load: {CREATES} creates ({IN_FLIGHT} in flight), SIGTERM after {acks_at_term} acks, exit 0 in {:.2} s; {acked_by_first} acknowledged by the draining server and stored, {refused} refused ({committed_refused} of them had committed) and {not_sent} not sent, all retried on a fresh server with the same request_id; lost {lost}, duplicated {duplicated}; refusals {:?}; {:.1} s",
        exit_after.as_secs_f64(),
        ledger.codes,
        started.elapsed().as_secs_f64()
    ));
    drop(fresh);
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_loses_nothing_sqlite() {
    kill_and_restart(TestDb::sqlite().await, "SQLite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_loses_nothing_postgres() {
    if let Some(db) = TestDb::postgres().await {
        kill_and_restart(db, "PostgreSQL").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_under_load_loses_nothing_sqlite() {
    sigterm_under_load(TestDb::sqlite().await, "SQLite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_under_load_loses_nothing_postgres() {
    if let Some(db) = TestDb::postgres().await {
        sigterm_under_load(db, "PostgreSQL").await;
    }
}
