//! `samverkan demo --scale N` on both backends: what a scale contains, that
//! the same scale gives the same content, that a second run changes
//! nothing, and that the generated people can work. The layers are
//! [`Shape::SMALL`] to keep the tests fast; the code path is the one of
//! [`Shape::STANDARD`].

use samverkan_db::Backend;
use samverkan_demo::{Shape, Summary, collaboration_id, load_scaled_with, principals};
use samverkan_proto::costmodel::v1 as cpb;
use samverkan_proto::costmodel::v1::cost_model_service_client::CostModelServiceClient;
use samverkan_proto::forums::v1 as fpb;
use samverkan_proto::forums::v1::forums_service_client::ForumsServiceClient;
use samverkan_proto::roles::v1 as rpb;
use samverkan_proto::roles::v1::roles_service_client::RolesServiceClient;
use samverkan_server::Svc;
use samverkan_testkit::{TestDb, TestServer, backend_test};

const SHAPE: Shape = Shape::SMALL;

/// Every table the services own (and the shared ones).
const TABLES: &[&str] = &[
    "municipalities",
    "collaborations",
    "memberships",
    "people",
    "roles",
    "assignments",
    "forums",
    "forum_role_seats",
    "seats",
    "mandates",
    "matters",
    "meetings",
    "agenda_items",
    "notes",
    "documents",
    "paragraphs",
    "paragraph_counters",
    "timeline_entries",
    "decisions",
    "follow_ups",
    "action_plans",
    "activities",
    "cm_services",
    "cm_price_lists",
    "cm_allocation_keys",
    "cm_driver_snapshots",
    "cm_volumes",
    "audit_log",
    "audit_head",
    "idempotency_keys",
    "outbox",
    "inbox",
];

async fn rows(db: &TestDb, sql: &str) -> Vec<Vec<String>> {
    db.owner
        .query_admin(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .into_iter()
        .map(|r| {
            (0..)
                .map_while(|i| r.try_get_by_index::<Option<String>>(i).ok())
                .map(Option::unwrap_or_default)
                .collect()
        })
        .collect()
}

async fn count(db: &TestDb, table: &str, filter: &str) -> u64 {
    let sql = format!("SELECT CAST(COUNT(*) AS TEXT) FROM {table} {filter}");
    rows(db, &sql).await[0][0].parse().unwrap()
}

async fn counts(db: &TestDb) -> Vec<(&'static str, u64)> {
    let mut out = Vec::new();
    for t in TABLES {
        out.push((*t, count(db, t, "").await));
    }
    out
}

/// What the database holds, in the terms of [`Summary`].
async fn held(db: &TestDb) -> Summary {
    Summary {
        scale: 0,
        collaborations: count(db, "collaborations", "").await,
        municipalities: count(db, "municipalities", "").await,
        people: count(db, "people", "").await,
        layers: 0,
        meetings: count(db, "meetings", "").await,
        matters: count(db, "matters", "").await,
        agenda_items: count(db, "agenda_items", "").await,
        paragraphs: count(db, "paragraphs", "").await,
        decisions: count(db, "decisions", "").await,
        follow_ups: count(db, "follow_ups", "").await,
        price_lists: count(db, "cm_price_lists", "WHERE state = 'published'").await,
        units_added: 0,
        units_present: 0,
    }
}

fn comparable(s: &Summary) -> Summary {
    Summary {
        scale: 0,
        layers: 0,
        units_added: 0,
        units_present: 0,
        ..s.clone()
    }
}

/// Names, titles, dates, states and § numbers: everything but ids.
async fn dump(db: &TestDb) -> Vec<Vec<String>> {
    let queries = [
        "SELECT id, name FROM municipalities ORDER BY 1, 2",
        "SELECT name FROM collaborations ORDER BY 1",
        "SELECT subject, display_name FROM people ORDER BY 1, 2",
        "SELECT title, CAST(start_time AS TEXT), state, location FROM meetings ORDER BY 1, 2, 3, 4",
        "SELECT title, CAST(number AS TEXT), kind FROM agenda_items ORDER BY 1, 2, 3",
        "SELECT title, state, raising_municipality FROM matters ORDER BY 1, 2, 3",
        "SELECT CAST(year AS TEXT), CAST(number AS TEXT), title, outcome, decision FROM paragraphs ORDER BY 1, 2, 3, 4, 5",
        "SELECT title, paragraph_ref, CAST(decision_date AS TEXT), status FROM decisions ORDER BY 1, 2, 3, 4",
        "SELECT title, CAST(due_on AS TEXT), status, paragraph_ref FROM follow_ups ORDER BY 1, 2, 3, 4",
        "SELECT state, prices FROM cm_price_lists ORDER BY 1, 2",
    ];
    let mut out = Vec::new();
    for q in queries {
        let r = rows(db, q).await;
        assert!(!r.is_empty(), "{q}: nothing");
        out.push(vec![q.to_owned(), r.len().to_string()]);
        out.extend(r);
    }
    out
}

async fn another(db: &TestDb) -> TestDb {
    match db.backend {
        Backend::Sqlite => TestDb::sqlite().await,
        Backend::Postgres => TestDb::postgres().await.expect("postgres"),
    }
}

async fn grows_by_scale_and_a_second_run_changes_nothing(db: TestDb) {
    let one = load_scaled_with(&db.app, 1, SHAPE).await.unwrap();
    assert_eq!(
        one,
        Summary {
            units_added: 5,
            ..Summary::planned(1, &SHAPE)
        }
    );
    assert_eq!(comparable(&held(&db).await), comparable(&one), "scale 1");

    // Scale 2 after scale 1 adds what is missing: a second layer of the
    // demo's history and a generated collaboration with one layer.
    let two = load_scaled_with(&db.app, 2, SHAPE).await.unwrap();
    assert_eq!((two.units_added, two.units_present), (10, 5));
    assert_eq!(comparable(&held(&db).await), comparable(&two), "scale 2");
    assert_eq!(two.layers, 3 * one.layers);
    assert_eq!(two.collaborations, 2);
    let history = |s: &Summary| s.meetings - s.collaborations * 10;
    assert_eq!(
        history(&two),
        3 * history(&one),
        "history grows with the layers"
    );
    assert_eq!(two.decisions, 3 * one.decisions);
    assert!(two.municipalities >= 4 && two.people > one.people);
    // 2 meetings a year × 1 year in each forum, held and adjusted.
    assert_eq!(
        count(&db, "meetings", "WHERE state = 'adjusted'").await,
        3 * 5 * 2
    );
    assert_eq!(
        count(&db, "matters", "WHERE state = 'submitted'").await,
        3 * 5 * 2
    );

    let before = counts(&db).await;
    println!("scale 2: {two}");
    let again = load_scaled_with(&db.app, 2, SHAPE).await.unwrap();
    assert_eq!((again.units_added, again.units_present), (0, 15));
    assert_eq!(counts(&db).await, before, "a second run changed rows");
    let report = samverkan_db::audit::verify(
        &db.app,
        &rows(&db, "SELECT id FROM municipalities")
            .await
            .into_iter()
            .map(|r| samverkan_core::TenantId::parse(&r[0]).unwrap())
            .collect::<Vec<_>>(),
    )
    .await
    .unwrap();
    assert!(report.broken.is_empty(), "{:?}", report.broken);
}
backend_test!(grows_by_scale_and_a_second_run_changes_nothing);

async fn the_same_scale_gives_the_same_content(db: TestDb) {
    let other = another(&db).await;
    load_scaled_with(&db.app, 2, SHAPE).await.unwrap();
    load_scaled_with(&other.app, 2, SHAPE).await.unwrap();
    let (a, b) = (dump(&db).await, dump(&other).await);
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x, y);
    }
    other.cleanup().await;
}
backend_test!(the_same_scale_gives_the_same_content);

fn request<T>(p: &samverkan_demo::Principal, msg: T) -> tonic::Request<T> {
    TestServer::request(&TestServer::token_for(&p.email, &p.municipality), msg)
}

async fn generated_people_list_forums_and_get_bills(db: TestDb) {
    load_scaled_with(&db.app, 2, SHAPE).await.unwrap();
    let server = TestServer::start(&db, Svc::ALL).await;
    let people = principals(2);
    assert_eq!(people.len() as u64, Summary::planned(2, &SHAPE).people);
    let chef = people
        .iter()
        .find(|p| p.collaboration == collaboration_id(2) && p.role == "utvecklingschef")
        .expect("a generated utvecklingschef");
    assert_eq!(
        chef.email,
        format!("utvecklingschef@{}.se", chef.municipality)
    );

    let forums = RolesServiceClient::new(server.channel().await)
        .list_forums(request(chef, rpb::ListForumsRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .forums;
    assert_eq!(forums.len(), 5);
    let styrgruppen = forums.iter().find(|f| f.code == "styrgruppen").unwrap();
    let meetings = ForumsServiceClient::new(server.channel().await)
        .list_meetings(request(
            chef,
            fpb::ListMeetingsRequest {
                forum_id: styrgruppen.id.clone(),
                page_size: 200,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .meetings;
    assert_eq!(meetings.len(), 2 + 2, "two held, two planned for 2027");
    assert!(
        meetings[0]
            .title
            .starts_with("IT-styrgruppen, sammanträde 1/2025")
    );

    let bill = CostModelServiceClient::new(server.channel().await)
        .compute_bill(request(
            chef,
            cpb::ComputeBillRequest {
                municipality_id: chef.municipality.clone(),
                source: Some(cpb::BillSource {
                    period: Some(cpb::Period::of_year(2025)),
                    basis: cpb::BillBasis::Live as i32,
                    ..Default::default()
                }),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .bill
        .unwrap();
    assert!(bill.total_ore > 0);
    assert_eq!(
        bill.lines.iter().map(|l| l.amount_ore).sum::<i64>(),
        bill.total_ore
    );
    server.stop().await;
}
backend_test!(generated_people_list_forums_and_get_bills);
