//! The server's limits, over real gRPC on SQLite and PostgreSQL: the largest
//! request, the page-size cap, deadlines (the caller's and the server's
//! own) that stop the work and write nothing, and the per-person rate limit.

use std::time::{Duration, Instant};

use futures::StreamExt as _;
use prost::Message as _;
use samverkan_core::{RequestContext, TenantId, TenantScope};
use samverkan_db::{Access, Backend, PoolOptions};
use samverkan_proto::forums::v1 as pb;
use samverkan_proto::forums::v1::forums_service_client::ForumsServiceClient;
use samverkan_proto::roles::v1 as roles;
use samverkan_proto::roles::v1::roles_service_client::RolesServiceClient;
use samverkan_server::{Limits, RateLimit, Svc};
use samverkan_testkit::{TestDb, TestServer, backend_test};
use sea_orm::ConnectionTrait as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tonic::Code;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;
use tonic_types::StatusExt as _;

/// The `ErrorInfo` reason a refusal carries (docs/errors.md).
fn reason(status: &tonic::Status) -> String {
    let info = status
        .get_details_error_info()
        .unwrap_or_else(|| panic!("no ErrorInfo in {status:?}"));
    assert_eq!(info.domain, samverkan_core::reasons::DOMAIN);
    assert!(samverkan_server::reasons::listed(&info.reason), "{info:?}");
    info.reason
}

const SOFIA: &str = "sofia.lindstrom@tranemo.se";
const MARIA: &str = "maria.sjoberg@ulricehamn.se";
const MIB: usize = 1024 * 1024;

fn forums(ch: &Channel) -> ForumsServiceClient<Channel> {
    // Large enough for the document uploads below; the server decides.
    ForumsServiceClient::new(ch.clone())
        .max_encoding_message_size(64 * MIB)
        .max_decoding_message_size(64 * MIB)
}

fn draft(request_id: &str, title: &str) -> pb::CreateMatterRequest {
    pb::CreateMatterRequest {
        request_id: request_id.into(),
        matter: Some(pb::Matter {
            kind: pb::MatterKind::DevelopmentNeed as i32,
            title: title.into(),
            description: "Underlag följer.".into(),
            priority: pb::Priority::Normal as i32,
            ..Default::default()
        }),
    }
}

fn document(matter_id: &str, request_id: &str, bytes: usize) -> pb::CreateDocumentRequest {
    pb::CreateDocumentRequest {
        request_id: request_id.into(),
        document: Some(pb::Document {
            matter_id: matter_id.into(),
            title: format!("Bilaga om {bytes} byte"),
            classification: pb::Classification::Public as i32,
            media_type: "application/pdf".into(),
            content: vec![0x25; bytes],
            ..Default::default()
        }),
    }
}

async fn get_person(ch: &Channel, id_len: usize) -> Result<(), tonic::Status> {
    RolesServiceClient::new(ch.clone())
        .max_encoding_message_size(64 * MIB)
        .get_person(TestServer::as_person(
            SOFIA,
            roles::GetPersonRequest {
                id: "x".repeat(id_len),
            },
        ))
        .await
        .map(drop)
}

/// Requests over the limit are refused before any handler runs; requests
/// under it reach the handler; the forums service still takes documents
/// up to its own, larger limit.
async fn request_size_is_limited(db: TestDb) {
    let server = TestServer::start(&db, &[Svc::Roles, Svc::Forums]).await;
    let ch = server.channel().await;

    let err = get_person(&ch, 5 * MIB).await.unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted, "{err:?}");
    assert_eq!(reason(&err), "MESSAGE_TOO_LARGE");
    assert!(
        err.message().contains("too large") && err.message().contains("4194304"),
        "the message says what the limit is: {}",
        err.message()
    );
    // Just under the limit the handler runs and judges the id itself.
    let under = get_person(&ch, 4 * MIB - 64).await.unwrap_err();
    assert_ne!(under.code(), Code::ResourceExhausted, "{under:?}");

    // Documents: the default limit takes a 9 MiB attachment.
    let mut f = forums(&ch);
    let matter = f
        .create_matter(TestServer::as_person(SOFIA, draft("size-1", "Med bilaga")))
        .await
        .unwrap()
        .into_inner()
        .matter
        .unwrap();
    let stored = f
        .create_document(TestServer::as_person(
            SOFIA,
            document(&matter.id, "doc-9", 9 * MIB),
        ))
        .await
        .expect("a 9 MiB document is accepted")
        .into_inner()
        .document
        .unwrap();
    assert_eq!(stored.size_bytes, i64::try_from(9 * MIB).unwrap());
    // Over the document limit but within the request limit: the handler
    // names the field.
    let err = f
        .create_document(TestServer::as_person(
            SOFIA,
            document(&matter.id, "doc-10.5", 10 * MIB + MIB / 2),
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    assert!(err.message().contains("document.content"), "{err:?}");
    // Over the forums' request limit.
    let err = f
        .create_document(TestServer::as_person(
            SOFIA,
            document(&matter.id, "doc-12", 12 * MIB),
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted, "{err:?}");
    server.stop().await;

    // The limit is configuration.
    let limits = Limits {
        max_request_bytes: 64 * 1024,
        rate_limit: RateLimit::OFF,
        ..Limits::default()
    };
    let server = TestServer::start_with(&db, &[Svc::Roles], limits).await;
    let ch = server.channel().await;
    let err = get_person(&ch, 100 * 1024).await.unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted, "{err:?}");
    assert_ne!(
        get_person(&ch, 60 * 1024).await.unwrap_err().code(),
        Code::ResourceExhausted
    );
    samverkan_testkit::figure(&format!(
        "limits: {:?}: 5 MiB request refused at 4 MiB, 9 MiB document stored, 12 MiB refused at 11 MiB, 100 KiB refused at 64 KiB",
        db.backend
    ));
    server.stop().await;
}
backend_test!(request_size_is_limited);

/// No list returns more than 200 items, however many are asked for; a
/// negative page size is the caller's mistake, named.
async fn page_size_is_capped(db: TestDb) {
    let limits = Limits {
        rate_limit: RateLimit::OFF,
        ..Limits::default()
    };
    let server = TestServer::start_with(&db, &[Svc::Roles, Svc::Forums], limits).await;
    let ch = server.channel().await;
    let created = futures::stream::iter(0..205)
        .map(|i| {
            let mut f = forums(&ch);
            async move {
                f.create_matter(TestServer::as_person(
                    SOFIA,
                    draft(&format!("page-{i}"), &format!("Behov {i}")),
                ))
                .await
                .map(|r| r.into_inner().matter.unwrap().id)
            }
        })
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await;
    let mut created: Vec<String> = created.into_iter().map(Result::unwrap).collect();
    created.sort();

    let mut f = forums(&ch);
    let list = |page_size: i32, page_token: String| pb::ListMattersRequest {
        page_size,
        page_token,
        ..Default::default()
    };
    let first = f
        .list_matters(TestServer::as_person(SOFIA, list(10_000, String::new())))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.matters.len(), 200, "page_size 10000 is capped at 200");
    assert!(!first.next_page_token.is_empty());
    let second = f
        .list_matters(TestServer::as_person(
            SOFIA,
            list(10_000, first.next_page_token.clone()),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(second.matters.len(), 5);
    assert!(second.next_page_token.is_empty());
    let mut seen: Vec<String> = first
        .matters
        .iter()
        .chain(&second.matters)
        .map(|m| m.id.clone())
        .collect();
    seen.sort();
    assert_eq!(seen, created, "the two pages hold every matter once");

    let err = f
        .list_matters(TestServer::as_person(SOFIA, list(-1, String::new())))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.message().contains("page_size"), "{err:?}");
    let err = RolesServiceClient::new(ch.clone())
        .list_people(TestServer::as_person(
            SOFIA,
            roles::ListPeopleRequest {
                page_size: -5,
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.message().contains("page_size"), "{err:?}");
    samverkan_testkit::figure(&format!(
        "limits: {:?}: page_size 10000 over 205 matters returned 200 + 5",
        db.backend
    ));
    server.stop().await;
}
backend_test!(page_size_is_capped);

/// Holds the lock a matter insert needs, from another connection, until
/// dropped or committed: on PostgreSQL an exclusive lock on the table, on
/// SQLite the database's write lock.
async fn hold_matters_lock(db: &TestDb) -> samverkan_db::Tx {
    let ctx = RequestContext::system(
        TenantScope::private(TenantId::parse("tranemo").unwrap()),
        "test",
    );
    let tx = db.owner.begin(&ctx, "test", Access::Write).await.unwrap();
    if db.backend == Backend::Postgres {
        tx.conn()
            .execute_unprepared("LOCK TABLE matters IN ACCESS EXCLUSIVE MODE")
            .await
            .unwrap();
    }
    tx
}

async fn count_titled(db: &TestDb, prefix: &str) -> i64 {
    let rows = db
        .owner
        .query_admin(&format!(
            "SELECT count(*) FROM matters WHERE title LIKE '{prefix}%'"
        ))
        .await
        .unwrap();
    rows[0].try_get_by_index::<i64>(0).unwrap()
}

/// A gRPC-Web call over plain HTTP/1.1 with a `grpc-timeout` header and no
/// timer of its own, so only the server can end it. Returns the
/// `grpc-status` and when it arrived.
async fn grpc_web_create(
    server: &TestServer,
    req: &pb::CreateMatterRequest,
    grpc_timeout: &str,
) -> (u32, Duration) {
    let msg = req.encode_to_vec();
    let mut body = vec![0u8];
    body.extend_from_slice(&u32::try_from(msg.len()).unwrap().to_be_bytes());
    body.extend_from_slice(&msg);
    let head = format!(
        "POST /samverkan.forums.v1.ForumsService/CreateMatter HTTP/1.1\r\n\
         host: {}\r\n\
         content-type: application/grpc-web+proto\r\n\
         x-grpc-web: 1\r\n\
         grpc-timeout: {grpc_timeout}\r\n\
         authorization: Bearer {}\r\n\
         content-length: {}\r\n\r\n",
        server.addr,
        TestServer::token(SOFIA),
        body.len()
    );
    let mut tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let started = Instant::now();
    tcp.write_all(head.as_bytes()).await.unwrap();
    tcp.write_all(&body).await.unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(20), tcp.read(&mut buf))
            .await
            .expect("the server answers within 20 s")
            .unwrap();
        assert!(n > 0, "connection closed without a grpc-status");
        seen.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&seen).to_ascii_lowercase();
        if let Some(at) = text.find("grpc-status:") {
            let digits: String = text[at + "grpc-status:".len()..]
                .trim_start()
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if !digits.is_empty() && text[at..].contains('\n') {
                return (digits.parse().unwrap(), started.elapsed());
            }
        }
    }
}

/// A call whose deadline passes while it waits for a lock is ended at the
/// deadline by the server itself, and its work is dropped: once the lock
/// is released nothing it would have written appears, and the pool serves
/// on. The same for the server's own ceiling on calls without a deadline.
async fn deadlines_stop_the_work(db: TestDb) {
    const CEILING: Duration = Duration::from_secs(3);
    let limits = Limits {
        max_call_duration: Some(CEILING),
        rate_limit: RateLimit::OFF,
        db_pool: PoolOptions {
            max_connections: 4,
            ..PoolOptions::default()
        },
        ..Limits::default()
    };
    let server = TestServer::start_with(&db, &[Svc::Roles, Svc::Forums], limits).await;
    let ch = server.channel().await;
    let mut f = forums(&ch);
    // Warm up: the path works, and the connections are open.
    f.create_matter(TestServer::as_person(SOFIA, draft("warm", "Uppvärmning")))
        .await
        .unwrap();

    let lock = hold_matters_lock(&db).await;

    // 1. A tonic client with a 300 ms deadline.
    let mut req = TestServer::as_person(SOFIA, draft("late-1", "late-tonic"));
    req.set_timeout(Duration::from_millis(300));
    let started = Instant::now();
    let err = f.create_matter(req).await.unwrap_err();
    let tonic_elapsed = started.elapsed();
    assert!(
        matches!(err.code(), Code::DeadlineExceeded | Code::Cancelled),
        "{err:?}"
    );
    assert!(tonic_elapsed < Duration::from_secs(2), "{tonic_elapsed:?}");

    // 2. A caller that only sends the deadline: the server ends the call
    // (tonic answers CANCELLED), well before the server's own ceiling.
    let (status, web_elapsed) =
        grpc_web_create(&server, &draft("late-2", "late-web"), "300m").await;
    assert_eq!(
        status,
        Code::Cancelled as u32,
        "tonic's answer at the deadline"
    );
    assert!(
        web_elapsed >= Duration::from_millis(280) && web_elapsed < CEILING,
        "answered by the caller's deadline, not the ceiling: {web_elapsed:?}"
    );

    // 3. No deadline at all: the server's ceiling ends it.
    let started = Instant::now();
    let err = f
        .create_matter(TestServer::as_person(
            SOFIA,
            draft("late-3", "late-ceiling"),
        ))
        .await
        .unwrap_err();
    let ceiling_elapsed = started.elapsed();
    assert_eq!(err.code(), Code::DeadlineExceeded, "{err:?}");
    assert!(err.message().contains("server's limit"), "{err:?}");
    assert_eq!(reason(&err), "DEADLINE_EXCEEDED");
    assert!(
        ceiling_elapsed >= CEILING - Duration::from_millis(50)
            && ceiling_elapsed < CEILING + Duration::from_secs(2),
        "{ceiling_elapsed:?}"
    );

    // Release the lock. Had any of the three calls kept working, its
    // matter would be written now.
    lock.commit().await.unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        count_titled(&db, "late-").await,
        0,
        "no call past its deadline wrote anything"
    );

    // The pool serves on: more concurrent creates than it has connections.
    let after = futures::stream::iter(0..8)
        .map(|i| {
            let mut f = forums(&ch);
            async move {
                let mut req = TestServer::as_person(
                    SOFIA,
                    draft(&format!("after-{i}"), &format!("after-{i}")),
                );
                req.set_timeout(Duration::from_secs(20));
                f.create_matter(req).await
            }
        })
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await;
    for r in after {
        r.expect("the pool serves after abandoned calls");
    }
    assert_eq!(count_titled(&db, "after-").await, 8);
    // The abandoned requests' ids were never claimed: a retry creates.
    f.create_matter(TestServer::as_person(SOFIA, draft("late-1", "late-retry")))
        .await
        .unwrap();
    assert_eq!(count_titled(&db, "late-retry").await, 1);
    samverkan_testkit::figure(&format!(
        "limits: {:?}: deadline 300 ms answered after {} ms (tonic client) and {} ms (deadline header only); ceiling {} ms answered after {} ms; 0 rows written by abandoned calls",
        db.backend,
        tonic_elapsed.as_millis(),
        web_elapsed.as_millis(),
        CEILING.as_millis(),
        ceiling_elapsed.as_millis()
    ));
    server.stop().await;
}
backend_test!(deadlines_stop_the_work);

async fn who_am_i(ch: &Channel, email: &str) -> Result<(), tonic::Status> {
    RolesServiceClient::new(ch.clone())
        .who_am_i(TestServer::as_person(email, roles::WhoAmIRequest {}))
        .await
        .map(drop)
}

/// One person over the rate is refused with RESOURCE_EXHAUSTED and told
/// when to retry; another person, and health checks, are served meanwhile;
/// after the wait the first person is served again.
async fn rate_limit_per_person(db: TestDb) {
    // One token a second and bursts of five: six calls in a row cannot all
    // fit, however slow the machine.
    let limits = Limits {
        rate_limit: RateLimit {
            per_second: 1.0,
            burst: 5,
        },
        ..Limits::default()
    };
    let server = TestServer::start_with(&db, &[Svc::Roles], limits).await;
    let ch = server.channel().await;
    let started = Instant::now();
    let mut served = 0usize;
    let err = loop {
        match who_am_i(&ch, SOFIA).await {
            Ok(()) => served += 1,
            Err(e) => break e,
        }
        assert!(served < 50, "fifty calls in a row and none refused");
    };
    let burst_elapsed = started.elapsed();
    // The burst, plus whatever refilled while the calls ran (one a
    // second): exact, so a slow machine cannot make this flaky.
    let refilled = usize::try_from(burst_elapsed.as_secs()).unwrap();
    assert!(
        (5..=5 + refilled).contains(&served),
        "{served} calls served in {burst_elapsed:?} before the refusal"
    );
    assert_eq!(err.code(), Code::ResourceExhausted, "{err:?}");
    assert!(err.message().contains("rate limit"), "{err:?}");
    assert_eq!(reason(&err), "RATE_LIMITED");
    let wait = samverkan_server::limits::retry_delay(&err).expect("a RetryInfo detail");
    assert!(
        wait > Duration::ZERO && wait <= Duration::from_secs(1),
        "{wait:?}"
    );

    // Another person of the other municipality, and health, are served.
    for _ in 0..5 {
        who_am_i(&ch, MARIA)
            .await
            .expect("Maria has her own bucket");
    }
    let mut health = HealthClient::new(ch.clone());
    for _ in 0..20 {
        health
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .expect("health is not rate limited");
    }
    // Unauthenticated calls are refused as such, not counted.
    let err = RolesServiceClient::new(ch.clone())
        .who_am_i(roles::WhoAmIRequest {})
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);

    tokio::time::sleep(wait).await;
    who_am_i(&ch, SOFIA)
        .await
        .expect("served again after the wait the server named");
    samverkan_testkit::figure(&format!(
        "limits: {:?}: 1/s burst 5: call {} refused after {} ms with retry in {} ms; other person and health served; served again after the wait",
        db.backend,
        served + 1,
        burst_elapsed.as_millis(),
        wait.as_millis()
    ));
    server.stop().await;
}
backend_test!(rate_limit_per_person);
