//! The foundation over real gRPC and real databases: health, reflection,
//! authentication, tenant scoping, row-level security and the audit chain,
//! each on SQLite and on PostgreSQL.

use samverkan_core::{RequestContext, TenantId, TenantScope};
use samverkan_db::{Access, Backend};
use samverkan_proto::roles::v1 as roles;
use samverkan_proto::roles::v1::roles_service_client::RolesServiceClient;
use samverkan_server::Svc;
use samverkan_testkit::{Setup, TestDb, TestServer, backend_test, http_get};
use sea_orm::{ConnectionTrait, Statement};
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

const SOFIA: &str = "sofia.lindstrom@tranemo.se";
const MARIA: &str = "maria.sjoberg@ulricehamn.se";

fn tenant(s: &str) -> TenantId {
    TenantId::parse(s).unwrap()
}

async fn reflect(server: &TestServer, req: MessageRequest) -> MessageResponse {
    let mut client = ServerReflectionClient::new(server.channel().await);
    let msg = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(req),
    };
    let mut stream = client
        .server_reflection_info(tokio_stream::iter([msg]))
        .await
        .unwrap()
        .into_inner();
    stream
        .message()
        .await
        .unwrap()
        .unwrap()
        .message_response
        .unwrap()
}

/// A new version started before `samverkan migrate` ran is not ready: its
/// health says NOT_SERVING and its admin port's `/readyz` 503 until the
/// database has every migration it needs, then SERVING and 200 without a
/// restart.
async fn not_ready_before_its_migrations(db: TestDb) {
    use sea_orm::TryGetable as _;
    // The database as an older version left it: forums' last migration
    // not recorded as applied.
    let rows = db
        .owner
        .query_admin(
            "SELECT version, applied_at FROM seaql_migrations_forums ORDER BY version DESC",
        )
        .await
        .unwrap();
    let last = &rows[0];
    let version = String::try_get_by(last, "version").unwrap();
    let applied_at = i64::try_get_by(last, "applied_at").unwrap();
    db.owner
        .execute_admin(&format!(
            "DELETE FROM seaql_migrations_forums WHERE version = '{version}'"
        ))
        .await
        .unwrap();
    let pending = samverkan_server::pending_migrations(&db.app).await.unwrap();
    assert_eq!(pending, [format!("forums/{version}")]);

    let setup = Setup {
        admin: true,
        ..Default::default()
    };
    let server = TestServer::start_set_up(&db, &[Svc::Roles], setup).await;
    let admin = server.admin.unwrap();
    assert_eq!(http_get(admin, "/readyz").await.0, 503);
    assert_eq!(http_get(admin, "/healthz").await.0, 200);
    let health = HealthClient::new(server.channel().await);
    let status = |mut h: HealthClient<tonic::transport::Channel>| async move {
        h.check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .status
    };
    assert_eq!(
        status(health.clone()).await,
        ServingStatus::NotServing as i32
    );

    // `samverkan migrate` runs; the server notices by itself.
    db.owner
        .execute_admin(&format!(
            "INSERT INTO seaql_migrations_forums (version, applied_at) VALUES ('{version}', {applied_at})"
        ))
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if status(health.clone()).await == ServingStatus::Serving as i32 {
            assert_eq!(http_get(admin, "/readyz").await.0, 200);
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still not serving 30 s after the migrations were applied"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    server.stop().await;
}
backend_test!(not_ready_before_its_migrations);

/// The admin port's `/metrics` counts each call by method and status code,
/// times it, and counts calls refused before any handler by reason.
async fn metrics_on_the_admin_port(db: TestDb) {
    let setup = Setup {
        admin: true,
        ..Default::default()
    };
    let server = TestServer::start_set_up(&db, &[Svc::Roles, Svc::Forums], setup).await;
    let admin = server.admin.unwrap();
    let mut roles = RolesServiceClient::new(server.channel().await);
    for _ in 0..3 {
        roles
            .who_am_i(TestServer::as_person(
                "anna.aberg@tranemo.se",
                roles::WhoAmIRequest {},
            ))
            .await
            .unwrap();
    }
    let err = roles
        .get_person(TestServer::as_person(
            "anna.aberg@tranemo.se",
            roles::GetPersonRequest { id: "nej".into() },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let err = roles
        .who_am_i(tonic::Request::new(roles::WhoAmIRequest {}))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);

    let (status, text) = http_get(admin, "/metrics").await;
    assert_eq!(status, 200);
    // The metrics are the process's: other tests in this binary add to them.
    let value = |series: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {series} in\n{text}"))
    };
    let who = r#"rpc="/samverkan.roles.v1.RolesService/WhoAmI""#;
    assert!(value(&format!(r#"samverkan_rpc_calls_total{{code="OK",{who}}}"#)) >= 3.0);
    assert!(
        value(
            r#"samverkan_rpc_calls_total{code="INVALID_ARGUMENT",rpc="/samverkan.roles.v1.RolesService/GetPerson"}"#
        ) >= 1.0
    );
    assert!(
        value(&format!(
            r#"samverkan_rpc_duration_seconds_count{{code="OK",{who}}}"#
        )) >= 3.0
    );
    assert!(value(r#"samverkan_auth_refusals_total{reason="missing_bearer"}"#) >= 1.0);
    // The pools of the process (this server's and the test's own).
    assert!(value(r#"samverkan_db_connections{state="idle"}"#) >= 0.0);
    assert!(
        value(r#"samverkan_db_connections{state="in_use"}"#)
            + value(r#"samverkan_db_connections{state="idle"}"#)
            >= 1.0
    );
    // The outbox backlog, once the first background round has run.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !http_get(admin, "/metrics")
        .await
        .1
        .contains("samverkan_outbox_pending ")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "no outbox backlog 30 s after start"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(http_get(admin, "/nothing").await.0, 404);
    samverkan_testkit::figure(&format!(
        "admin port: /metrics answered {} series lines",
        text.lines().filter(|l| !l.starts_with('#')).count()
    ));
    server.stop().await;
}
backend_test!(metrics_on_the_admin_port);

async fn health_and_reflection(db: TestDb) {
    let server = TestServer::start(&db, &[Svc::Roles]).await;
    let mut health = HealthClient::new(server.channel().await);
    for service in ["", "samverkan.roles.v1.RolesService"] {
        let status = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap_or_else(|e| panic!("health of {service:?}: {e}"))
            .into_inner()
            .status;
        assert_eq!(
            status,
            ServingStatus::Serving as i32,
            "health of {service:?}"
        );
    }
    let unknown = health
        .check(HealthCheckRequest {
            service: "samverkan.forums.v1.ForumsService".into(),
        })
        .await;
    assert_eq!(
        unknown.unwrap_err().code(),
        Code::NotFound,
        "a service not served has no health status"
    );

    let MessageResponse::ListServicesResponse(list) =
        reflect(&server, MessageRequest::ListServices(String::new())).await
    else {
        panic!("expected a service list");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    let ours: Vec<&String> = names
        .iter()
        .filter(|n| n.starts_with("samverkan."))
        .collect();
    assert_eq!(
        ours,
        ["samverkan.roles.v1.RolesService"],
        "reflection lists exactly the served services: {names:?}"
    );
    assert!(
        names.iter().any(|n| n == "grpc.health.v1.Health"),
        "health is reflected: {names:?}"
    );

    // `buf curl` resolves the health method through reflection.
    let resp = reflect(
        &server,
        MessageRequest::FileContainingSymbol("grpc.health.v1.Health".into()),
    )
    .await;
    assert!(
        matches!(resp, MessageResponse::FileDescriptorResponse(f) if !f.file_descriptor_proto.is_empty())
    );
    server.stop().await;
}
backend_test!(health_and_reflection);

async fn authentication_and_who_am_i(db: TestDb) {
    let server = TestServer::start(&db, &[Svc::Roles]).await;
    let mut client = RolesServiceClient::new(server.channel().await);

    let err = client.who_am_i(roles::WhoAmIRequest {}).await.unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    let err = client
        .who_am_i(TestServer::request("not-a-jwt", roles::WhoAmIRequest {}))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);

    let me = client
        .who_am_i(TestServer::as_person(SOFIA, roles::WhoAmIRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(me.subject, SOFIA);
    assert_eq!(
        me.municipality.as_ref().map(|m| m.name.as_str()),
        Some("Tranemo kommun")
    );
    assert_eq!(
        me.person.as_ref().map(|p| p.display_name.as_str()),
        Some("Sofia Lindström")
    );
    assert_eq!(me.memberships.len(), 1);
    let collab = me.memberships[0].collaboration.as_ref().unwrap();
    assert_eq!(collab.name, "IT-samverkan Tranemo–Ulricehamn");
    assert_eq!(
        me.memberships[0].joined_on,
        Some(samverkan_proto::common::v1::Date {
            year: 2022,
            month: 1,
            day: 1
        })
    );

    // Known municipality, person not registered: the token is genuine,
    // but the registry decides who the person is, so nothing is answered.
    let stranger = TestServer::token_for("ny.medarbetare@tranemo.se", "tranemo");
    let err = client
        .who_am_i(TestServer::request(&stranger, roles::WhoAmIRequest {}))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");
    assert!(err.message().contains("not a registered person of tranemo"));

    // A municipality this deployment does not know.
    let foreign = TestServer::token_for("someone@boras.se", "boras");
    let err = client
        .who_am_i(TestServer::request(&foreign, roles::WhoAmIRequest {}))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");
    server.stop().await;
}
backend_test!(authentication_and_who_am_i);

async fn municipalities_of_my_collaboration(db: TestDb) {
    let server = TestServer::start(&db, &[Svc::Roles]).await;
    let mut client = RolesServiceClient::new(server.channel().await);
    let list = |page_size, page_token: String| {
        TestServer::as_person(
            MARIA,
            roles::ListMunicipalitiesRequest {
                collaboration_id: String::new(),
                page_size,
                page_token,
            },
        )
    };
    let all = client
        .list_municipalities(list(0, String::new()))
        .await
        .unwrap()
        .into_inner();
    let names: Vec<_> = all.municipalities.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["Tranemo kommun", "Ulricehamns kommun"]);
    assert!(all.next_page_token.is_empty());

    let first = client
        .list_municipalities(list(1, String::new()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.municipalities.len(), 1);
    assert!(!first.next_page_token.is_empty());
    let second = client
        .list_municipalities(list(1, first.next_page_token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(second.municipalities[0].id, "ulricehamn");
    assert!(second.next_page_token.is_empty());

    let err = client
        .list_municipalities(TestServer::as_person(
            MARIA,
            roles::ListMunicipalitiesRequest {
                collaboration_id: "nope".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(
        err.message().contains("collaboration_id"),
        "{}",
        err.message()
    );
    let err = client
        .list_municipalities(TestServer::as_person(
            MARIA,
            roles::ListMunicipalitiesRequest {
                collaboration_id: samverkan_core::new_uuid().to_string(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Code::NotFound,
        "someone else's collaboration does not exist for the caller"
    );
    server.stop().await;
}
backend_test!(municipalities_of_my_collaboration);

/// A municipality registered in the deployment but in no collaboration: its
/// registered person learns who she is, and is refused everything else (she
/// can hold no role); the application filter, on both backends.
async fn outsider_sees_only_itself(db: TestDb) {
    let server = TestServer::start(&db, &[Svc::Roles]).await;
    let boras = tenant("boras");
    let ctx = RequestContext::system(TenantScope::private(boras.clone()), "test");
    let tx = db.app.begin(&ctx, "roles", Access::Write).await.unwrap();
    samverkan_roles::store::insert_municipality(&tx, &boras, "Borås Stad", "")
        .await
        .unwrap();
    samverkan_roles::store::insert_person(&tx, "Anna Ek", "anna@boras.se", "anna@boras.se", None)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut client = RolesServiceClient::new(server.channel().await);
    let token = TestServer::token_for("anna@boras.se", "boras");
    let me = client
        .who_am_i(TestServer::request(&token, roles::WhoAmIRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(me.municipality.unwrap().id, "boras");
    assert!(me.memberships.is_empty() && me.assignments.is_empty());
    let err = client
        .list_municipalities(TestServer::request(
            &token,
            roles::ListMunicipalitiesRequest::default(),
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");
    server.stop().await;
}
backend_test!(outsider_sees_only_itself);

async fn demo_load_is_idempotent(db: TestDb) {
    let first = samverkan_roles::demo::load(&db.app).await.unwrap();
    assert_eq!(first.municipalities, 2);
    assert_eq!(first.memberships, 2);
    assert_eq!(first.people, samverkan_roles::demo::PEOPLE.len());
    // Everyone's own role, and the collaboration administrator's second.
    assert_eq!(first.assignments, samverkan_roles::demo::PEOPLE.len() + 1);
    assert_eq!((first.catalogues, first.seats), (1, 1));
    let second = samverkan_roles::demo::load(&db.app).await.unwrap();
    assert_eq!(second, samverkan_roles::demo::Loaded::default());
}
backend_test!(demo_load_is_idempotent);

async fn audit_chain_detects_tampering(db: TestDb) {
    samverkan_roles::demo::load(&db.app).await.unwrap();
    let tenants = [tenant("tranemo"), tenant("ulricehamn")];
    let report = samverkan_db::audit::verify(&db.app, &tenants)
        .await
        .unwrap();
    assert!(report.broken.is_empty(), "{:?}", report.broken);
    // Each municipality's chain in the roles service: its registration,
    // membership and people; the host's also the collaboration, the
    // catalogue, every assignment (everyone's own role and the
    // collaboration administrator's second) and the chair's seat.
    let people = samverkan_roles::demo::PEOPLE.len();
    assert_eq!(report.chains, 2);
    assert_eq!(report.entries, 2 + 2 + people + 1 + 1 + (people + 1) + 1);

    // Alter entry #3 of Tranemo's chain by hand, as the owner would.
    db.owner
        .execute_admin(
            "UPDATE audit_log SET actor = 'mallory' WHERE chain = 'roles/tranemo' AND seq = 3",
        )
        .await
        .unwrap();
    let report = samverkan_db::audit::verify(&db.app, &tenants)
        .await
        .unwrap();
    assert_eq!(report.broken.len(), 1, "{:?}", report.broken);
    assert_eq!(report.broken[0].chain, "roles/tranemo");
    assert_eq!(report.broken[0].seq, 3);
}
backend_test!(audit_chain_detects_tampering);

async fn pg_count(tx: &samverkan_db::Tx, sql: &str) -> i64 {
    let row = tx
        .conn()
        .query_one_raw(Statement::from_string(
            sea_orm::DbBackend::Postgres,
            sql.to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

/// Row-level security on PostgreSQL, as the non-owner service role.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_row_level_security() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    assert_eq!(db.backend, Backend::Postgres);
    samverkan_roles::demo::load(&db.app).await.unwrap();

    // Catalog: every table with a tenant or collaboration column has RLS
    // enabled and forced; the service role owns nothing and bypasses nothing.
    let rows = db
        .owner
        .query_admin(
            "SELECT c.relname::text AS name, c.relrowsecurity AS rls, c.relforcerowsecurity AS forced
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
               AND EXISTS (SELECT 1 FROM information_schema.columns col
                           WHERE col.table_schema = 'public' AND col.table_name = c.relname
                             AND col.column_name IN ('owner_tenant', 'collaboration_id', 'municipality_id'))
             ORDER BY 1",
        )
        .await
        .unwrap();
    let mut tables = Vec::new();
    for r in &rows {
        let name: String = r.try_get("", "name").unwrap();
        let rls: bool = r.try_get("", "rls").unwrap();
        let forced: bool = r.try_get("", "forced").unwrap();
        assert!(
            rls && forced,
            "table {name} lacks enabled+forced row-level security"
        );
        tables.push(name);
    }
    for t in ["audit_head", "audit_log", "memberships", "people"] {
        assert!(tables.iter().any(|n| n == t), "{t} not checked: {tables:?}");
    }
    let views = db
        .owner
        .query_admin(
            "SELECT c.relname::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind = 'v'
               AND NOT coalesce('security_invoker=true' = ANY (c.reloptions), false)",
        )
        .await
        .unwrap();
    assert!(views.is_empty(), "views without security_invoker");
    let owned = db
        .owner
        .query_admin(&format!(
            "SELECT count(*)::bigint AS n FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner
             WHERE r.rolname = '{}'",
            samverkan_testkit::APP_ROLE
        ))
        .await
        .unwrap();
    assert_eq!(
        owned[0].try_get::<i64>("", "n").unwrap(),
        0,
        "the service role owns a relation"
    );
    let role = db
        .owner
        .query_admin(&format!(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = '{}'",
            samverkan_testkit::APP_ROLE
        ))
        .await
        .unwrap();
    assert!(!role[0].try_get::<bool>("", "rolsuper").unwrap());
    assert!(!role[0].try_get::<bool>("", "rolbypassrls").unwrap());

    // No tenant set: the service role sees no tenant rows at all.
    let none = db
        .app
        .query_admin("SELECT count(*)::bigint AS n FROM people")
        .await
        .unwrap();
    assert_eq!(none[0].try_get::<i64>("", "n").unwrap(), 0);
    let none = db
        .app
        .query_admin("SELECT count(*)::bigint AS n FROM audit_log")
        .await
        .unwrap();
    assert_eq!(none[0].try_get::<i64>("", "n").unwrap(), 0);

    // Ulricehamn alone (no collaborations, no peers) cannot see Tranemo's people …
    let ctx = RequestContext::system(TenantScope::private(tenant("ulricehamn")), "test");
    let tx = db.app.begin(&ctx, "roles", Access::Write).await.unwrap();
    assert_eq!(
        pg_count(
            &tx,
            "SELECT count(*)::bigint FROM people WHERE owner_tenant = 'tranemo'"
        )
        .await,
        0
    );
    assert!(
        pg_count(
            &tx,
            "SELECT count(*)::bigint FROM people WHERE owner_tenant = 'ulricehamn'"
        )
        .await
            > 0
    );
    assert_eq!(
        pg_count(
            &tx,
            "SELECT count(*)::bigint FROM audit_log WHERE owner_tenant = 'tranemo'"
        )
        .await,
        0
    );
    // … nor write a row for Tranemo.
    let insert = tx
        .conn()
        .execute_unprepared(
            "INSERT INTO people (id, owner_tenant, display_name, email, subject, create_time, update_time, etag)
             VALUES (gen_random_uuid(), 'tranemo', 'Inkräktare', 'x@tranemo.se', 'x', now(), now(), 'e')",
        )
        .await;
    let err = insert.unwrap_err().to_string();
    assert!(err.contains("row-level security"), "{err}");
    drop(tx);

    // With the collaboration's peers resolved, Tranemo's people are readable.
    let directory = samverkan_roles::LocalDirectory::new(db.app.clone());
    let scope = samverkan_core::Directory::resolve_scope(
        &directory,
        &tenant("ulricehamn"),
        samverkan_core::dates::today(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(scope.peers, [tenant("tranemo")]);
    let ctx = RequestContext::system(scope, "test");
    let tx = db.app.begin(&ctx, "roles", Access::Read).await.unwrap();
    assert!(
        pg_count(
            &tx,
            "SELECT count(*)::bigint FROM people WHERE owner_tenant = 'tranemo'"
        )
        .await
            > 0
    );
    // The setting is transaction-local: it is gone once the transaction ends.
    tx.commit().await.unwrap();
    let after = db
        .app
        .query_admin("SELECT coalesce(current_setting('samverkan.tenant', true), '') AS t")
        .await
        .unwrap();
    assert_eq!(after[0].try_get::<String>("", "t").unwrap(), "");
    db.cleanup().await;
}
