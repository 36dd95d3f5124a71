//! Pooled connections keep no tenant state: thousands of interleaved
//! requests of Tranemo's and Ulricehamn's people, over a server whose pool
//! has two connections (on PostgreSQL as the non-owner service role, so
//! row-level security is in force), never return a row of the other
//! municipality. Every draft matter is private to its municipality, so
//! every row a caller sees must be its own.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use samverkan_db::PoolOptions;
use samverkan_proto::forums::v1 as pb;
use samverkan_proto::forums::v1::forums_service_client::ForumsServiceClient;
use samverkan_server::{Limits, RateLimit, Svc};
use samverkan_testkit::{TestDb, TestServer, backend_test};
use tonic::Code;
use tonic::transport::Channel;

/// Total requests after seeding.
const REQUESTS: usize = 3000;
/// Requests in flight at once: eight times the pool.
const CONCURRENCY: usize = 16;
const POOL: u32 = 2;
/// Drafts each person creates before the interleaving starts.
const SEED_PER_PERSON: usize = 4;

const TRANEMO: &[&str] = &[
    "sofia.lindstrom@tranemo.se",
    "ida.nyqvist@tranemo.se",
    "emil.sandstrom@tranemo.se",
];
const ULRICEHAMN: &[&str] = &[
    "maria.sjoberg@ulricehamn.se",
    "eva.dahlgren@ulricehamn.se",
    "nils.ekstrom@ulricehamn.se",
];

fn people(tenant: usize) -> &'static [&'static str] {
    if tenant == 0 { TRANEMO } else { ULRICEHAMN }
}

fn tenant_id(tenant: usize) -> &'static str {
    if tenant == 0 { "tranemo" } else { "ulricehamn" }
}

fn draft(request_id: String, title: String) -> pb::CreateMatterRequest {
    pb::CreateMatterRequest {
        request_id,
        matter: Some(pb::Matter {
            kind: pb::MatterKind::ImprovementNeed as i32,
            title,
            description: "Internt utkast.".into(),
            priority: pb::Priority::Normal as i32,
            ..Default::default()
        }),
    }
}

#[derive(Default)]
struct Tally {
    requests: AtomicU64,
    rows: AtomicU64,
    foreign: AtomicU64,
    refused_foreign: AtomicU64,
    stale: AtomicU64,
}

impl Tally {
    fn add(n: &AtomicU64, k: u64) {
        n.fetch_add(k, Ordering::Relaxed);
    }
}

/// Checks one returned matter: a draft of the caller's municipality, or a
/// foreign row.
fn check(t: &Tally, tenant: usize, m: &pb::Matter, what: &str) {
    Tally::add(&t.rows, 1);
    if m.raising_municipality_id != tenant_id(tenant) || !m.collaboration_id.is_empty() {
        Tally::add(&t.foreign, 1);
        eprintln!(
            "FOREIGN ROW for {}: {what} returned matter {} of {:?}",
            tenant_id(tenant),
            m.id,
            m.raising_municipality_id
        );
    }
}

/// Request `i`: tenants alternate, people rotate, and five kinds of call
/// rotate: a full list, a list filtered to the other municipality, a get
/// of an own draft, a get of a foreign draft, and a write (a new draft, or
/// an update with a stale etag that rolls back).
async fn one(
    ch: Channel,
    i: usize,
    ids: &[Vec<String>; 2],
    t: &Tally,
) -> Result<(), tonic::Status> {
    let tenant = i % 2;
    let other = 1 - tenant;
    let who = people(tenant)[(i / 2) % 3];
    let mut c = ForumsServiceClient::new(ch);
    let pick = |v: &Vec<String>| v[(i * 7) % v.len()].clone();
    Tally::add(&t.requests, 1);
    match (i / 2) % 6 {
        0 => {
            let list = c
                .list_matters(TestServer::as_person(
                    who,
                    pb::ListMattersRequest {
                        page_size: 200,
                        ..Default::default()
                    },
                ))
                .await?
                .into_inner();
            for m in &list.matters {
                check(t, tenant, m, "ListMatters");
            }
        }
        1 => {
            let list = c
                .list_matters(TestServer::as_person(
                    who,
                    pb::ListMattersRequest {
                        raising_municipality_id: tenant_id(other).into(),
                        page_size: 200,
                        ..Default::default()
                    },
                ))
                .await?
                .into_inner();
            for m in &list.matters {
                check(t, tenant, m, "ListMatters(other municipality)");
            }
        }
        2 => {
            let m = c
                .get_matter(TestServer::as_person(
                    who,
                    pb::GetMatterRequest {
                        id: pick(&ids[tenant]),
                    },
                ))
                .await?
                .into_inner()
                .matter
                .unwrap_or_default();
            check(t, tenant, &m, "GetMatter(own)");
        }
        3 => {
            match c
                .get_matter(TestServer::as_person(
                    who,
                    pb::GetMatterRequest {
                        id: pick(&ids[other]),
                    },
                ))
                .await
            {
                Ok(r) => check(
                    t,
                    tenant,
                    &r.into_inner().matter.unwrap_or_default(),
                    "GetMatter(foreign)",
                ),
                Err(e) if e.code() == Code::NotFound => Tally::add(&t.refused_foreign, 1),
                Err(e) => return Err(e),
            }
        }
        4 => {
            let m = c
                .create_matter(TestServer::as_person(
                    who,
                    draft(format!("leak-{i}"), format!("Utkast {i}")),
                ))
                .await?
                .into_inner()
                .matter
                .unwrap_or_default();
            check(t, tenant, &m, "CreateMatter");
        }
        _ => {
            // An update inside a transaction that fails and rolls back;
            // its connection goes back to the pool all the same.
            let err = c
                .update_matter(TestServer::as_person(
                    people(tenant)[0],
                    pb::UpdateMatterRequest {
                        matter: Some(pb::Matter {
                            id: pick(&ids[tenant]),
                            ..draft(String::new(), "Ändrad".into()).matter.unwrap()
                        }),
                        etag: "stale".into(),
                    },
                ))
                .await
                .unwrap_err();
            if err.code() != Code::Aborted {
                return Err(err);
            }
            Tally::add(&t.stale, 1);
        }
    }
    Ok(())
}

async fn two_municipalities_over_two_connections(db: TestDb) {
    let limits = Limits {
        // The people here call far faster than anyone would.
        rate_limit: RateLimit::OFF,
        db_pool: PoolOptions {
            max_connections: POOL,
            acquire_timeout: Duration::from_secs(60),
        },
        ..Limits::default()
    };
    let server = TestServer::start_with(&db, &[Svc::Forums], limits).await;
    let ch = server.channel().await;

    // Seed private drafts; only the first person of each municipality's
    // are updated below (only the author may).
    let mut ids: [Vec<String>; 2] = [Vec::new(), Vec::new()];
    for (tenant, list) in ids.iter_mut().enumerate() {
        for n in 0..SEED_PER_PERSON {
            let m = ForumsServiceClient::new(ch.clone())
                .create_matter(TestServer::as_person(
                    people(tenant)[0],
                    draft(format!("seed-{tenant}-{n}"), format!("Frö {n}")),
                ))
                .await
                .unwrap()
                .into_inner()
                .matter
                .unwrap();
            list.push(m.id);
        }
    }

    let tally = Tally::default();
    let started = Instant::now();
    let results = futures::stream::iter(0..REQUESTS)
        .map(|i| {
            let (ch, ids, t) = (ch.clone(), &ids, &tally);
            async move { (i, one(ch, i, ids, t).await) }
        })
        .buffer_unordered(CONCURRENCY)
        .collect::<Vec<_>>()
        .await;
    let elapsed = started.elapsed();
    let failures: Vec<_> = results
        .iter()
        .filter_map(|(i, r)| r.as_ref().err().map(|e| (i, e)))
        .collect();
    assert!(
        failures.is_empty(),
        "{} requests failed, e.g. {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );

    // Each municipality sees exactly its own drafts, no more, no fewer.
    for tenant in 0..2 {
        let mut seen = 0u64;
        let mut token = String::new();
        loop {
            let page = ForumsServiceClient::new(ch.clone())
                .list_matters(TestServer::as_person(
                    people(tenant)[1],
                    pb::ListMattersRequest {
                        page_size: 200,
                        page_token: token.clone(),
                        ..Default::default()
                    },
                ))
                .await
                .unwrap()
                .into_inner();
            for m in &page.matters {
                check(&tally, tenant, m, "final ListMatters");
            }
            seen += page.matters.len() as u64;
            token = page.next_page_token;
            if token.is_empty() {
                break;
            }
        }
        let expected = SEED_PER_PERSON as u64 + count_creates(tenant);
        assert_eq!(
            seen,
            expected,
            "{} sees its drafts and only them",
            tenant_id(tenant)
        );
    }

    let foreign = tally.foreign.load(Ordering::Relaxed);
    let line = format!(
        "pool leak: {:?}: {} requests ({} in flight, {} connections) in {} ms returned {} rows, {} foreign gets refused, {} rolled-back updates; {} foreign rows",
        db.backend,
        tally.requests.load(Ordering::Relaxed),
        CONCURRENCY,
        POOL,
        elapsed.as_millis(),
        tally.rows.load(Ordering::Relaxed),
        tally.refused_foreign.load(Ordering::Relaxed),
        tally.stale.load(Ordering::Relaxed),
        foreign
    );
    assert_eq!(
        foreign, 0,
        "a municipality saw another's private rows: {line}"
    );
    assert!(tally.refused_foreign.load(Ordering::Relaxed) > 0, "{line}");
    samverkan_testkit::figure(&line);
    server.stop().await;
}
backend_test!(two_municipalities_over_two_connections);

/// How many drafts the interleaving creates for `tenant`.
fn count_creates(tenant: usize) -> u64 {
    (0..REQUESTS)
        .filter(|i| i % 2 == tenant && (i / 2) % 6 == 4)
        .count() as u64
}
