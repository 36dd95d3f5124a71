//! The benchmark's parts work against a real server on both backends: the
//! generated people can make every call of the mix, a load run counts
//! calls and no errors, and the statements captured from the service for
//! each read replay through pgbench on PostgreSQL without a failure. No
//! figure here depends on the machine's speed.

use std::sync::Arc;
use std::time::Duration;

use samverkan_bench::floor;
use samverkan_bench::load::{self, Load};
use samverkan_bench::ops::{self, Clients, Mix, Op, World};
use samverkan_db::Backend;
use samverkan_demo::{Shape, load_scaled_with};
use samverkan_server::Svc;
use samverkan_testkit::{DEV_SECRET, TestDb, TestServer, backend_test};

const SCALE: u32 = 2;

async fn the_benchmark_runs_end_to_end(db: TestDb) {
    load_scaled_with(&db.app, SCALE, Shape::SMALL)
        .await
        .expect("scaled data");
    let server = TestServer::start_quiet(&db, Svc::ALL).await;
    let url = format!("http://{}", server.addr);
    let channels = load::connect(&url, 2).await.expect("connect");
    let mut clients = Clients::new(channels[0].clone());
    let world = World::discover(&mut clients, SCALE, DEV_SECRET, Duration::from_secs(600))
        .await
        .expect("discover the collaborations");
    assert_eq!(
        world.places.len(),
        SCALE as usize,
        "one place per collaboration"
    );
    assert!(world.municipalities() >= 4, "{}", world.municipalities());

    // Every operation, as several of its people, answers OK.
    for op in Op::ALL.iter().copied() {
        for i in 0..3 {
            ops::call(&mut clients, &world, op, i, i as u64)
                .await
                .unwrap_or_else(|s| panic!("{} as person {i}: {s}", op.name()));
        }
    }

    // A short run of the realistic mix: calls counted, none failed.
    let world = Arc::new(world);
    let outcome = load::run(
        &channels,
        world.clone(),
        &Load {
            concurrency: 4,
            duration: Duration::from_millis(500),
            rate: None,
            mix: Mix::realistic(),
            callers_per_connection: 2,
        },
    )
    .await;
    assert_eq!(outcome.total_errors(), 0, "{}", outcome.table());
    assert!(outcome.overall().ok() > 0, "{}", outcome.table());

    // The database floor: each read's statements, captured from the service.
    let captured = floor::capture(&db.app_url, DEV_SECRET, &world, Op::READS)
        .await
        .expect("capture");
    assert_eq!(captured.len(), Op::READS.len());
    if db.backend == Backend::Postgres {
        let target = floor::PgTarget::from_url(&db.app_url).expect("pg url");
        let work = std::env::temp_dir().join(format!("sv-bench-{}", db.name));
        std::fs::create_dir_all(&work).expect("work dir");
        for (op, statements) in &captured {
            let path = work.join(format!("{}.sql", op.name()));
            std::fs::write(&path, floor::script(statements)).expect("script");
            let r = floor::pgbench(&target, &path, 2, Duration::from_secs(1), &work)
                .unwrap_or_else(|e| panic!("pgbench {}: {e:#}", op.name()));
            assert_eq!(r.failed, 0, "{}", op.name());
            assert!(r.tps > 0.0 && !r.latency.is_empty(), "{}", op.name());
        }
        let _ = std::fs::remove_dir_all(&work);
    }
    server.stop().await;
}

backend_test!(the_benchmark_runs_end_to_end);
