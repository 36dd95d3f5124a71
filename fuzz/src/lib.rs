//! The shared harness of the fuzz targets: one migrated SQLite database
//! with the demo organisation and a small story seeded into it, the five
//! service implementations over it, and a request context for every demo
//! person. Each input makes one call. The database is rebuilt from
//! scratch every `SAMVERKAN_FUZZ_RESET_SECS` seconds (default 60): inputs
//! change it (end memberships, lock minutes), and a long run should not
//! drift into a state where every call is refused.
//!
//! An input is `[rpc][who][protobuf…]`: the first byte picks the RPC of
//! the target's service (modulo their number), the second the caller
//! (modulo the number of principals), the rest is decoded as that RPC's
//! request. Inputs that do not decode are skipped: only a panic fails.
//!
//! Any string or bytes field whose whole value is a placeholder is replaced
//! before decoding (see [`refs`]): `@meetings` is the id of the first seeded
//! meeting, `@meetings.1` of the second, `#meetings` its current etag. That
//! lets the committed corpus reach past "not found" although every process
//! seeds new UUIDs. The placeholders are read again after every call that
//! created something, so rows that inputs make become reachable too.

pub mod refs;
pub mod services;
pub mod wire;

use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use samverkan_agreements::AgreementsApi;
use samverkan_core::{Directory, Principal, RequestContext, TenantId};
use samverkan_costmodel::{CostModelApi, CostModelClient};
use samverkan_db::Database;
use samverkan_decisions::{DecisionsApi, DecisionsClient};
use samverkan_forums::{ForumsApi, ForumsClient};
use samverkan_roles::{LocalDirectory, RolesApi, RolesClient};

pub use refs::Refs;

/// A caller outside the demo's people: a person Tranemo registered but gave
/// no role or seat (the authentication layer lets such a person call
/// `WhoAmI` only; the handlers must still answer anything else sanely). It
/// is the last principal.
pub const STRANGER: &str = "okand@tranemo.se";

/// Everything a fuzz input runs against.
pub struct Harness {
    rt: tokio::runtime::Runtime,
    pub db: Database,
    pub roles: RolesApi,
    pub forums: ForumsApi,
    pub decisions: DecisionsApi,
    pub costmodel: CostModelApi,
    pub agreements: AgreementsApi,
    /// One context per demo person (in `samverkan_roles::demo::PEOPLE`
    /// order), then [`STRANGER`].
    contexts: Vec<RequestContext>,
    refs: RwLock<Refs>,
    /// The SQLite file, removed when the harness is dropped.
    path: PathBuf,
}

/// The current harness and when it was built.
static CURRENT: Mutex<Option<(Arc<Harness>, Instant)>> = Mutex::new(None);

fn reset_after() -> Duration {
    let secs = std::env::var("SAMVERKAN_FUZZ_RESET_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    Duration::from_secs(secs)
}

/// The process's harness: built on first use, and again (on a fresh
/// database) once the current one is older than the reset interval.
pub fn harness() -> Arc<Harness> {
    let mut current = CURRENT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((h, born)) = current.as_ref()
        && born.elapsed() < reset_after()
    {
        return h.clone();
    }
    // Drop the old one first: it closes its pool and removes its file.
    *current = None;
    let h = Arc::new(Harness::new());
    *current = Some((h.clone(), Instant::now()));
    h
}

impl Drop for Harness {
    fn drop(&mut self) {
        let _ = self.rt.block_on(self.db.clone().close());
        remove_database(&self.path);
    }
}

impl Harness {
    fn new() -> Self {
        // One thread: a panic in a handler surfaces in `block_on`, where
        // libFuzzer's panic hook sees it.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        let (db, path) = rt.block_on(database());
        let roles_client = || RolesClient::local(db.clone());
        let forums_client = || ForumsClient::local(db.clone(), roles_client());
        let roles = RolesApi::new(db.clone());
        let forums = ForumsApi::new(db.clone(), roles_client());
        let decisions = DecisionsApi::new(db.clone(), roles_client(), forums_client());
        let costmodel = CostModelApi::new(db.clone(), roles_client());
        let agreements = AgreementsApi::new(
            db.clone(),
            roles_client(),
            DecisionsClient::local(db.clone(), roles_client(), forums_client()),
            CostModelClient::local(db.clone(), roles_client()),
        );
        let contexts = rt.block_on(contexts(&db));
        let h = Self {
            rt,
            db,
            roles,
            forums,
            decisions,
            costmodel,
            agreements,
            contexts,
            refs: RwLock::default(),
            path,
        };
        h.rescan();
        h.story();
        h
    }

    /// Runs every service's story seeds in order (roles, cost model,
    /// forums, decisions, agreements: each builds on the ones before),
    /// re-reading the placeholders after every call that made something.
    fn story(&self) {
        type Inputs = fn() -> Vec<Vec<u8>>;
        type Call = fn(&Harness, &[u8]) -> bool;
        let services: [(&str, Inputs, Call); 5] = [
            (
                "roles",
                services::roles::story_inputs,
                services::roles::call,
            ),
            (
                "costmodel",
                services::costmodel::story_inputs,
                services::costmodel::call,
            ),
            (
                "forums",
                services::forums::story_inputs,
                services::forums::call,
            ),
            (
                "decisions",
                services::decisions::story_inputs,
                services::decisions::call,
            ),
            (
                "agreements",
                services::agreements::story_inputs,
                services::agreements::call,
            ),
        ];
        let (mut ok, mut all, mut failed) = (0, 0, Vec::new());
        for (name, inputs, call) in services {
            for (i, input) in inputs().into_iter().enumerate() {
                all += 1;
                // `call` re-reads the placeholders after a create; an
                // update or state change needs no new ones.
                if call(self, &input) {
                    ok += 1;
                } else {
                    failed.push(format!("{name} #{i}"));
                }
            }
        }
        eprintln!(
            "samverkan-fuzz: {ok} of {all} story calls succeeded{}; {} placeholders",
            if failed.is_empty() {
                String::new()
            } else {
                format!(" (failed: {})", failed.join(", "))
            },
            self.refs().names().len()
        );
    }

    /// The placeholders as they are now.
    pub fn refs(&self) -> std::sync::RwLockReadGuard<'_, Refs> {
        self.refs.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Reads the placeholders again.
    pub fn rescan(&self) {
        let refs = self.block_on(Refs::scan(&self.db));
        *self.refs.write().unwrap_or_else(|e| e.into_inner()) = refs;
    }

    /// Runs a future to completion on the harness's runtime.
    pub fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    /// How many principals an input can choose from.
    pub fn principals(&self) -> usize {
        self.contexts.len()
    }

    /// `msg` as a request of principal `who` (modulo the number of
    /// principals) to the RPC `path`, as the authentication layer would
    /// hand it to the service.
    pub fn request<T>(&self, who: u8, path: &str, msg: T) -> tonic::Request<T> {
        let mut ctx = self.contexts[usize::from(who) % self.contexts.len()].clone();
        ctx.rpc = path.to_owned();
        let mut req = tonic::Request::new(msg);
        req.extensions_mut().insert(ctx);
        req
    }
}

/// The index of a demo person (or [`STRANGER`]) as the `who` byte.
pub fn who(email: &str) -> u8 {
    let people = samverkan_roles::demo::PEOPLE;
    let i = people
        .iter()
        .position(|p| p.email == email)
        .unwrap_or_else(|| {
            assert_eq!(email, STRANGER, "not a demo person: {email}");
            people.len()
        });
    u8::try_from(i).expect("fewer than 256 principals")
}

/// A fresh SQLite database, migrated, with the demo loaded. It lives in
/// `SAMVERKAN_FUZZ_DB_DIR`, else `/dev/shm` (memory) where there is one,
/// else the temp directory; files of processes that are gone are removed.
async fn database() -> (Database, PathBuf) {
    static GENERATION: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::var_os("SAMVERKAN_FUZZ_DB_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            let shm = std::path::Path::new("/dev/shm");
            if shm.is_dir() {
                shm.to_owned()
            } else {
                std::env::temp_dir()
            }
        })
        .join("samverkan-fuzz");
    std::fs::create_dir_all(&dir).expect("create fuzz database directory");
    remove_stale(&dir);
    let path = dir.join(format!(
        "{}-{}.db",
        std::process::id(),
        GENERATION.fetch_add(1, Ordering::Relaxed)
    ));
    remove_database(&path);
    let url = samverkan_db::SqliteFile::url(&path).expect("sqlite url");
    let db = Database::connect(&url).await.expect("open sqlite");
    samverkan_server::migrate_all(&db).await.expect("migrate");
    samverkan_roles::demo::load(&db)
        .await
        .expect("load the demo organisation");
    samverkan_costmodel::demo::load(&db)
        .await
        .expect("load the demo cost model");
    register_stranger(&db).await;
    (db, path)
}

/// Registers [`STRANGER`] in Tranemo, without a role: only a registered
/// person gets past authentication.
async fn register_stranger(db: &Database) {
    let tenant = TenantId::parse("tranemo").expect("demo municipality id");
    let ctx = RequestContext::system(
        samverkan_core::TenantScope::private(tenant),
        "fuzz: register the stranger",
    );
    let tx = db
        .begin(&ctx, samverkan_roles::SERVICE, samverkan_db::Access::Write)
        .await
        .expect("begin");
    samverkan_roles::store::insert_person(&tx, "Okänd Person", STRANGER, STRANGER, None)
        .await
        .expect("register the stranger");
    tx.commit().await.expect("commit");
}

/// Removes an SQLite file and its WAL files.
fn remove_database(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

/// Removes the databases of fuzz processes that no longer run (Linux: a
/// process is alive while `/proc/<pid>` exists).
fn remove_stale(dir: &std::path::Path) {
    if !std::path::Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.split(['-', '.']).next()) else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !std::path::Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// A context for every demo person and the stranger, resolved through the
/// roles service's directory as the authentication layer does.
async fn contexts(db: &Database) -> Vec<RequestContext> {
    let directory = LocalDirectory::new(db.clone());
    let today = samverkan_core::dates::today();
    let subjects = samverkan_roles::demo::PEOPLE
        .iter()
        .map(|p| (p.email, p.municipality))
        .chain([(STRANGER, "tranemo")]);
    let mut out = Vec::new();
    for (subject, municipality) in subjects {
        let tenant = TenantId::parse(municipality).expect("demo municipality id");
        let scope = directory
            .resolve_scope(&tenant, today)
            .await
            .expect("resolve scope")
            .expect("demo municipality is a member");
        out.push(RequestContext {
            principal: Principal {
                subject: subject.to_owned(),
                tenant,
            },
            scope,
            today,
            rpc: String::new(),
            credentials: Default::default(),
        });
    }
    out
}

/// Splits an input into its RPC selector, principal selector and body.
pub fn split(data: &[u8]) -> Option<(u8, u8, &[u8])> {
    match data {
        [rpc, who, body @ ..] => Some((*rpc, *who, body)),
        _ => None,
    }
}

/// A seed as a fuzz input of a service with these RPCs.
pub fn input(rpcs: &[&str], s: &services::Seed) -> Vec<u8> {
    let i = rpcs
        .iter()
        .position(|r| *r == s.rpc)
        .unwrap_or_else(|| panic!("seed for unknown rpc {}", s.rpc));
    let mut bytes = vec![u8::try_from(i).expect("fewer than 256 rpcs"), s.who];
    bytes.extend_from_slice(&s.body);
    bytes
}

/// Writes the seed corpus of a service into `dir`, one file per seed,
/// named after its RPC.
pub fn write_seeds(dir: &std::path::Path, rpcs: &[&str], seeds: &[services::Seed]) {
    std::fs::create_dir_all(dir).expect("create corpus directory");
    let mut counts = std::collections::HashMap::<&str, usize>::new();
    for s in seeds {
        let n = counts.entry(s.rpc).or_default();
        *n += 1;
        let file = dir.join(format!("seed-{}-{}", s.rpc, n));
        std::fs::write(&file, input(rpcs, s)).expect("write seed");
    }
}

/// The body of every fuzz target: `init` writes the seed corpus when
/// `SAMVERKAN_FUZZ_WRITE_SEEDS` names a directory (and exits), else sets up
/// the harness; each input is then run through `$module::run`.
#[macro_export]
macro_rules! fuzz_service {
    ($module:ident) => {
        libfuzzer_sys::fuzz_target!(
            init: {
                if let Some(dir) = std::env::var_os("SAMVERKAN_FUZZ_WRITE_SEEDS") {
                    $crate::write_seeds(
                        std::path::Path::new(&dir),
                        $crate::services::$module::RPCS,
                        &$crate::services::$module::seeds(),
                    );
                    std::process::exit(0);
                }
                $crate::services::$module::check();
                $crate::harness();
            },
            |data: &[u8]| $crate::services::$module::run(data)
        );
    };
}
