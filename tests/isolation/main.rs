//! The isolation matrix (issue #8): every RPC of every service, enumerated
//! from the descriptor set, called as the owning municipality's allowed
//! principal, a colleague without the role, another member municipality,
//! a municipality of another collaboration, and with no, expired and
//! wrongly signed tokens — over seeded private and shared data whose text
//! carries markers, so that any byte of hidden data in any answer fails.
//! On PostgreSQL the same data is probed under each attacker's scope
//! directly in the database, table by table, so a weakened row-level
//! security policy fails the matrix even where the application filter
//! still holds.

mod agreements;
mod costmodel;
mod decisions;
mod forums;
mod harness;
mod roles;
mod undecodable;

use std::collections::{BTreeMap, BTreeSet};

use harness::{Expect, Fixture, Row, Tally};
use samverkan_core::{CollaborationId, RequestContext, TenantId, TenantScope};
use samverkan_db::{Access, Backend};
use samverkan_roles::domain::permissions::{self, Needs};
use samverkan_testkit::{TestDb, backend_test};
use sea_orm::{ConnectionTrait, Statement};

/// The demo collaboration (Tranemo and Ulricehamn).
pub const DEMO_COLLABORATION: &str = "01900000-0000-7000-8000-000000000001";
/// The example spec's collaboration (Svenljunga and Herrljunga).
const OTHER_COLLABORATION_ID: &str = "01900000-0000-7000-8000-00000000beef";

async fn all_rows(fx: &Fixture, only: Option<&str>) -> Vec<Row> {
    let want = |s: &str| only.is_none_or(|o| s.contains(o));
    let mut rows = Vec::new();
    if want("roles") {
        rows.extend(roles::rows(fx).await);
    }
    if want("forums") {
        rows.extend(forums::rows(fx).await);
    }
    if want("decisions") {
        rows.extend(decisions::rows(fx).await);
    }
    if want("costmodel") {
        rows.extend(costmodel::rows(fx).await);
    }
    if want("agreements") {
        rows.extend(agreements::rows(fx).await);
    }
    rows
}

/// Every RPC in the descriptor set has exactly one row, and every row names
/// an RPC that exists.
fn check_coverage(rows: &[Row], only: Option<&str>) {
    let expected: BTreeSet<String> = harness::rpcs_in_descriptor_set()
        .into_iter()
        .filter(|m| only.is_none_or(|o| m.contains(o)))
        .collect();
    let mut seen = BTreeMap::<String, usize>::new();
    for r in rows {
        *seen.entry(r.full_method()).or_default() += 1;
    }
    let missing: Vec<_> = expected.iter().filter(|m| !seen.contains_key(*m)).collect();
    let unknown: Vec<_> = seen.keys().filter(|m| !expected.contains(*m)).collect();
    let doubled: Vec<_> = seen
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(m, _)| m)
        .collect();
    assert!(
        missing.is_empty() && unknown.is_empty() && doubled.is_empty(),
        "isolation matrix out of step with the descriptor set:\n  RPCs without a row: {missing:#?}\n  rows for no RPC: {unknown:#?}\n  RPCs with two rows: {doubled:#?}"
    );
}

/// Each row agrees with what `CALLS` (services/roles/src/domain/permissions.rs,
/// rendered into docs/permissions.md) says the RPC needs:
///
/// - a row that denies a person of the municipality without the role
///   (`Row::no_role`) is an RPC that needs an action (`Needs::Any`). If
///   every one of its actions is held without a role (`matters.draft`), the
///   denial comes from the resource (own drafts), and the entry's note must
///   say so;
/// - a row open to any person (`Row::any_person`) is an RPC that needs no
///   action (`Needs::Member`, `Needs::Registered`), or only actions every
///   person of the resource's municipality holds, role or not
///   (`held_without_role`: `matters.draft` to any member's person,
///   `costdetail.read` to the municipality's own).
///
/// Every disagreement is listed.
fn check_needs(rows: &[Row]) {
    let mut wrong = Vec::new();
    // What the docs say a registered person without a role may call is
    // what the authentication layer lets through.
    let registered: Vec<String> = permissions::CALLS
        .iter()
        .filter(|c| c.needs == Needs::Registered)
        .map(|c| format!("/{}", c.full_method()))
        .collect();
    if registered != samverkan_auth::OPEN_WITHOUT_ASSIGNMENT {
        wrong.push(format!(
            "CALLS lets a registered person without a role call {registered:?}, the auth layer {:?}",
            samverkan_auth::OPEN_WITHOUT_ASSIGNMENT
        ));
    }
    for r in rows {
        let method = r.full_method();
        let Some(call) = permissions::call_for(&method) else {
            wrong.push(format!("{method}: not in CALLS"));
            continue;
        };
        let open = |actions: &[&str]| actions.iter().all(|a| permissions::held_without_role(a));
        match (r.no_role_expect, call.needs) {
            (Expect::Denied, Needs::Any(actions)) if open(actions) && call.note.is_empty() => {
                wrong.push(format!(
                    "{method}: the matrix denies a person without the role, but CALLS needs only {actions:?}, \
                     which every person holds, and its note does not say what narrows it"
                ))
            }
            (Expect::Denied, Needs::Any(_)) => {}
            (Expect::Denied, needs) => wrong.push(format!(
                "{method}: the matrix denies a person of the municipality without the role, \
                 but CALLS says {needs:?}; it must name the action (Needs::Any)"
            )),
            (Expect::AnyPerson | Expect::Allowed, Needs::Member | Needs::Registered) => {}
            (Expect::AnyPerson | Expect::Allowed, Needs::Any(actions)) if open(actions) => {}
            (Expect::AnyPerson | Expect::Allowed, needs) => wrong.push(format!(
                "{method}: the matrix lets any person of the municipality call it ({:?}), \
                 but CALLS says {needs:?}, which a person without a role does not hold",
                r.note
            )),
        }
    }
    assert!(
        wrong.is_empty(),
        "{} isolation rows disagree with CALLS in services/roles/src/domain/permissions.rs:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

async fn isolation_matrix(db: TestDb) {
    let fx = Fixture::start(&db).await;
    // While working on one service: ISOLATION_ONLY=forums runs its rows.
    let only = std::env::var("ISOLATION_ONLY").ok();
    let rows: Vec<Row> = all_rows(&fx, only.as_deref())
        .await
        .into_iter()
        .filter(|r| only.as_deref().is_none_or(|o| r.service.contains(o)))
        .collect();
    check_coverage(&rows, only.as_deref());
    check_needs(&rows);
    let mut tally = Tally::default();
    for row in rows {
        harness::run_row(&fx, row, &mut tally).await;
    }
    let leaks = if db.backend == Backend::Postgres {
        database_probe(&db).await
    } else {
        Vec::new()
    };
    if only.as_deref().is_none_or(|o| "roles".contains(o)) {
        tally.failures.extend(roles::refusals(&fx).await);
        if db.backend == Backend::Postgres {
            tally
                .failures
                .extend(person_written_only_by_its_municipality(&db).await);
        }
    }
    samverkan_testkit::figure(&format!(
        "isolation matrix ({:?}): {} RPCs, {} calls ({} denied, {} unauthenticated, {} allowed), {} database probes",
        db.backend,
        tally.rpcs,
        tally.calls,
        tally.denied,
        tally.unauthenticated,
        tally.allowed,
        if db.backend == Backend::Postgres {
            "with"
        } else {
            "no"
        },
    ));
    assert!(
        tally.failures.is_empty() && leaks.is_empty(),
        "{} isolation failures:\n{}\n{} database leaks:\n{}",
        tally.failures.len(),
        tally.failures.join("\n"),
        leaks.len(),
        leaks.join("\n")
    );
}

backend_test!(isolation_matrix);

fn scope(tenant: &str, collaboration: &str, peer: &str) -> TenantScope {
    TenantScope {
        tenant: TenantId::parse(tenant).unwrap(),
        collaborations: vec![CollaborationId(collaboration.parse().unwrap())],
        peers: vec![TenantId::parse(peer).unwrap()],
        former: Vec::new(),
    }
}

/// On PostgreSQL a person row is written only in a transaction scoped to
/// its own municipality: the caller's scope, with its collaboration and
/// peers, cannot write one of a peer's (so onboarding a new member writes
/// in the new member's scope, and nothing else does).
async fn person_written_only_by_its_municipality(db: &TestDb) -> Vec<String> {
    let insert = |owner: &str| {
        format!(
            "INSERT INTO people (id, owner_tenant, display_name, email, subject, create_time, update_time, etag) \
             VALUES ('{}', '{owner}', 'RLS-prov', 'rls@{owner}.se', 'rls@{owner}.se', now(), now(), 'x')",
            uuid::Uuid::now_v7()
        )
    };
    let mut failures = Vec::new();
    for (tenant, owner, allowed) in [
        ("tranemo", "ulricehamn", false),
        ("ulricehamn", "ulricehamn", true),
    ] {
        let ctx = RequestContext::system(
            scope(tenant, DEMO_COLLABORATION, "tranemo"),
            "isolation-probe",
        );
        let tx = db.app.begin(&ctx, "roles", Access::Write).await.unwrap();
        let wrote = tx
            .conn()
            .execute_raw(Statement::from_string(
                sea_orm::DbBackend::Postgres,
                insert(owner),
            ))
            .await
            .is_ok();
        // Rolled back either way: this only asks whether the policy admits it.
        drop(tx);
        if wrote != allowed {
            failures.push(format!(
                "people: a transaction of {tenant} {} write a person of {owner}",
                if wrote { "could" } else { "could not" }
            ));
        }
    }
    failures
}

/// Tables with tenant or collaboration rows, their tenancy columns, and
/// whether their policy lets peers read (people).
async fn tenant_tables(db: &TestDb) -> Vec<(String, BTreeSet<String>, bool)> {
    let rows = db
        .owner
        .query_admin(
            "SELECT c.table_name::text AS t, c.column_name::text AS col,
                    EXISTS (SELECT 1 FROM pg_policies p WHERE p.tablename = c.table_name
                            AND p.qual LIKE '%samverkan.peers%') AS peers
             FROM information_schema.columns c
             WHERE c.table_schema = 'public'
               AND c.column_name IN ('owner_tenant', 'collaboration_id', 'municipality_id')
             ORDER BY 1, 2",
        )
        .await
        .unwrap();
    let mut out: BTreeMap<String, (BTreeSet<String>, bool)> = BTreeMap::new();
    for r in rows {
        let t: String = r.try_get("", "t").unwrap();
        let col: String = r.try_get("", "col").unwrap();
        let peers: bool = r.try_get("", "peers").unwrap();
        let e = out.entry(t).or_default();
        e.0.insert(col);
        e.1 = peers;
    }
    out.into_iter().map(|(t, (c, p))| (t, c, p)).collect()
}

async fn count_as(db: &TestDb, scope: TenantScope, sql: &str) -> i64 {
    let ctx = RequestContext::system(scope, "isolation-probe");
    let tx = db.app.begin(&ctx, "roles", Access::Read).await.unwrap();
    let row = tx
        .conn()
        .query_one_raw(Statement::from_string(
            sea_orm::DbBackend::Postgres,
            sql.to_owned(),
        ))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

/// Reads every tenant table directly as the service role under each
/// attacker's scope and reports rows the tenancy rule forbids. Also checks
/// that the probe is not vacuous: the owner sees the rows it looks for.
async fn database_probe(db: &TestDb) -> Vec<String> {
    let mut leaks = Vec::new();
    let herrljunga = || scope("herrljunga", OTHER_COLLABORATION_ID, "svenljunga");
    let ulricehamn = || scope("ulricehamn", DEMO_COLLABORATION, "tranemo");
    let mut planted = 0;
    for (table, cols, peers_may_read) in tenant_tables(db).await {
        // Nothing of the demo collaboration or its members, whatever the rule.
        let mut ours = Vec::new();
        if cols.contains("owner_tenant") {
            ours.push("owner_tenant IN ('tranemo', 'ulricehamn')".to_owned());
        }
        if cols.contains("municipality_id") {
            ours.push("municipality_id IN ('tranemo', 'ulricehamn')".to_owned());
        }
        if cols.contains("collaboration_id") {
            ours.push(format!("collaboration_id = '{DEMO_COLLABORATION}'"));
        }
        let sql = format!(
            "SELECT count(*)::bigint FROM {table} WHERE {}",
            ours.join(" OR ")
        );
        let n = count_as(db, herrljunga(), &sql).await;
        if n > 0 {
            leaks.push(format!(
                "{table}: herrljunga (another collaboration) sees {n} rows of ours"
            ));
        }
        // Tranemo's private rows, from Ulricehamn.
        if cols.contains("owner_tenant") && !peers_may_read {
            let private = if cols.contains("collaboration_id") {
                format!(
                    "SELECT count(*)::bigint FROM {table} WHERE owner_tenant = 'tranemo' AND collaboration_id IS NULL"
                )
            } else {
                format!("SELECT count(*)::bigint FROM {table} WHERE owner_tenant = 'tranemo'")
            };
            let n = count_as(db, ulricehamn(), &private).await;
            if n > 0 {
                leaks.push(format!(
                    "{table}: ulricehamn sees {n} of tranemo's private rows"
                ));
            }
            planted += count_as(
                db,
                scope("tranemo", DEMO_COLLABORATION, "ulricehamn"),
                &private,
            )
            .await;
        }
    }
    assert!(
        planted > 0,
        "the probe found no private rows of tranemo to look for"
    );
    leaks
}

/// A policy dropped in a scratch database (and row-level security turned
/// off with it, as a careless migration would) is caught by the matrix's
/// database probe on exactly that table, and by the catalog gate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_policy_is_caught() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let fx = Fixture::start(&db).await;
    // Plant Tranemo's private drafts and notes.
    let _rows = forums::rows(&fx).await;
    assert_eq!(database_probe(&db).await, Vec::<String>::new());
    db.owner
        .execute_admin(
            "DROP POLICY matters_tenancy ON matters;
             ALTER TABLE matters NO FORCE ROW LEVEL SECURITY;
             ALTER TABLE matters DISABLE ROW LEVEL SECURITY",
        )
        .await
        .unwrap();
    let leaks = database_probe(&db).await;
    assert!(!leaks.is_empty(), "the probe missed the dropped policy");
    assert!(
        leaks.iter().all(|l| l.starts_with("matters:")),
        "leaks reported beyond the weakened table: {leaks:?}"
    );
    samverkan_testkit::figure(&format!("dropped policy caught: {leaks:?}"));
    fx.server.stop().await;
    db.cleanup().await;
}
