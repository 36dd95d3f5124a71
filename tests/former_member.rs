//! A member that leaves keeps what it took part in (issue #18): after its
//! leave date its people read the collaboration's history recorded up to
//! that day (matters, meetings, decisions, agreements, price lists,
//! forums, the members and their people) and nothing recorded later, and
//! they change nothing. On both backends, in one server and with the
//! services apart (the scope then comes from the roles server's `WhoAmI`);
//! on PostgreSQL the row-level-security policies are probed on their own.

use chrono::{Days, Timelike as _, Utc};
use samverkan_core::{CollaborationId, Former, RequestContext, TenantId, TenantScope, dates};
use samverkan_db::{Access, Backend};
use samverkan_proto::agreements::v1 as apb;
use samverkan_proto::agreements::v1::agreements_service_client::AgreementsServiceClient;
use samverkan_proto::costmodel::v1 as cpb;
use samverkan_proto::costmodel::v1::cost_model_service_client::CostModelServiceClient;
use samverkan_proto::decisions::v1 as dpb;
use samverkan_proto::decisions::v1::decisions_service_client::DecisionsServiceClient;
use samverkan_proto::forums::v1 as fpb;
use samverkan_proto::forums::v1::forums_service_client::ForumsServiceClient;
use samverkan_proto::roles::v1 as rpb;
use samverkan_proto::roles::v1::roles_service_client::RolesServiceClient;
use samverkan_server::Svc;
use samverkan_testkit::story::{add_item, as_, forum_ids_via, meeting};
use samverkan_testkit::{TestDb, TestDeployment, backend_test, figure};
use sea_orm::{ConnectionTrait, Statement};
use tonic::Code;
use tonic::transport::Channel;

const COLLABORATION: CollaborationId = samverkan_roles::demo::COLLABORATION_ID;
/// The samverkansadministratör (members.manage).
const IDA: &str = "ida.nyqvist@tranemo.se";
/// Secretary of IT-forum utveckling.
const SOFIA: &str = "sofia.lindstrom@tranemo.se";
/// IT-strateg in Ulricehamn (agreements.revise).
const EVA: &str = "eva.dahlgren@ulricehamn.se";
/// Ulricehamn's utvecklingschef: the former member's official.
const MARIA: &str = "maria.sjoberg@ulricehamn.se";

struct Clients {
    roles: RolesServiceClient<Channel>,
    forums: ForumsServiceClient<Channel>,
    decisions: DecisionsServiceClient<Channel>,
    agreements: AgreementsServiceClient<Channel>,
    costmodel: CostModelServiceClient<Channel>,
}

impl Clients {
    async fn of(d: &TestDeployment) -> Self {
        Self {
            roles: RolesServiceClient::new(d.channel(Svc::Roles).await),
            forums: ForumsServiceClient::new(d.channel(Svc::Forums).await),
            decisions: DecisionsServiceClient::new(d.channel(Svc::Decisions).await),
            agreements: AgreementsServiceClient::new(d.channel(Svc::Agreements).await),
            costmodel: CostModelServiceClient::new(d.channel(Svc::CostModel).await),
        }
    }
}

/// What `who` reads of the collaboration: each list by name, its ids.
async fn history(c: &mut Clients, who: &str) -> Vec<(&'static str, Vec<String>)> {
    let collaboration = COLLABORATION.to_string();
    let matters = c
        .forums
        .list_matters(as_(
            who,
            fpb::ListMattersRequest {
                page_size: 500,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .matters;
    let meetings = c
        .forums
        .list_meetings(as_(
            who,
            fpb::ListMeetingsRequest {
                page_size: 500,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .meetings;
    let decisions = c
        .decisions
        .list_decisions(as_(
            who,
            dpb::ListDecisionsRequest {
                page_size: 500,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .decisions;
    let agreements = c
        .agreements
        .list_agreements(as_(
            who,
            apb::ListAgreementsRequest {
                collaboration_id: collaboration.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .agreements;
    let price_lists = c
        .costmodel
        .list_price_lists(as_(
            who,
            cpb::ListPriceListsRequest {
                collaboration_id: collaboration.clone(),
                page_size: 500,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .price_lists;
    let forums = c
        .roles
        .list_forums(as_(
            who,
            rpb::ListForumsRequest {
                collaboration_id: collaboration.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .forums;
    let members = c
        .roles
        .list_members(as_(
            who,
            rpb::ListMembersRequest {
                collaboration_id: collaboration.clone(),
                include_history: true,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .memberships;
    let people = c
        .roles
        .list_people(as_(
            who,
            rpb::ListPeopleRequest {
                page_size: 500,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .people;
    let ids = |it: Vec<String>| {
        let mut v = it;
        v.sort();
        v
    };
    vec![
        ("matters", ids(matters.into_iter().map(|m| m.id).collect())),
        (
            "meetings",
            ids(meetings.into_iter().map(|m| m.id).collect()),
        ),
        (
            "decisions",
            ids(decisions.into_iter().map(|d| d.id).collect()),
        ),
        (
            "agreements",
            ids(agreements.into_iter().map(|a| a.id).collect()),
        ),
        (
            "price lists",
            ids(price_lists.into_iter().map(|p| p.id).collect()),
        ),
        ("forums", ids(forums.into_iter().map(|f| f.id).collect())),
        (
            "members",
            ids(members.into_iter().map(|m| m.municipality_id).collect()),
        ),
        ("people", ids(people.into_iter().map(|p| p.id).collect())),
    ]
}

/// The shared tables that keep when a row was recorded.
async fn dated_shared_tables(db: &TestDb) -> Vec<String> {
    let sql = match db.backend {
        Backend::Postgres => {
            "SELECT table_name::text AS t FROM information_schema.columns
             WHERE table_schema = 'public' AND column_name IN ('create_time', 'collaboration_id')
             GROUP BY table_name HAVING count(*) = 2 ORDER BY 1"
        }
        Backend::Sqlite => {
            "SELECT m.name AS t FROM sqlite_master m, pragma_table_info(m.name) p
             WHERE m.type = 'table' AND p.name IN ('create_time', 'collaboration_id')
             GROUP BY m.name HAVING count(*) = 2 ORDER BY 1"
        }
    };
    db.owner
        .query_admin(sql)
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String>("", "t").unwrap())
        .collect()
}

/// Moves every shared row's `create_time` two months back, written as the
/// application writes it (the same encoding, so SQLite compares the text
/// as it compares instants): the history the test leaves from.
async fn backdate(db: &TestDb) -> u64 {
    let then = (Utc::now() - Days::new(60)).with_nanosecond(0).unwrap();
    let mut rows = 0;
    let ctx = RequestContext::system(
        TenantScope::private(TenantId::parse("tranemo").unwrap()),
        "backdate",
    );
    for table in dated_shared_tables(db).await {
        // As the owner: the application role may not rewrite history.
        let tx = db.owner.begin(&ctx, "test", Access::Write).await.unwrap();
        let sql = match db.backend {
            Backend::Postgres => format!("UPDATE {table} SET create_time = $1"),
            Backend::Sqlite => format!("UPDATE {table} SET create_time = ?"),
        };
        let backend = tx.conn().get_database_backend();
        rows += tx
            .conn()
            .execute_raw(Statement::from_sql_and_values(backend, sql, [then.into()]))
            .await
            .unwrap()
            .rows_affected();
        tx.commit().await.unwrap();
    }
    rows
}

async fn former_member(db: TestDb, split: bool) {
    let d = if split {
        TestDeployment::split(&db).await
    } else {
        TestDeployment::single(&db).await
    };
    let mut c = Clients::of(&d).await;
    let (utveckling, _) = forum_ids_via(d.channel(Svc::Roles).await).await;
    // A draft Tranemo keeps to itself, from before the leave.
    let draft = c
        .forums
        .create_matter(as_(
            SOFIA,
            fpb::CreateMatterRequest {
                request_id: "former-draft".into(),
                matter: Some(fpb::Matter {
                    kind: fpb::MatterKind::DevelopmentNeed as i32,
                    priority: fpb::Priority::Normal as i32,
                    title: "Tranemos utkast om e-arkiv".into(),
                    description: "Privat tills det lämnas in.".into(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .matter
        .unwrap();
    // What the two did together: a need submitted to IT-forum utveckling,
    // a meeting with it on the agenda, an agreement.
    let need = c
        .forums
        .create_matter(as_(
            SOFIA,
            fpb::CreateMatterRequest {
                request_id: "former-need".into(),
                matter: Some(fpb::Matter {
                    kind: fpb::MatterKind::DevelopmentNeed as i32,
                    priority: fpb::Priority::High as i32,
                    title: "Gemensam e-tjänsteplattform".into(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .matter
        .unwrap();
    c.forums
        .submit_matter(as_(
            SOFIA,
            fpb::SubmitMatterRequest {
                id: need.id.clone(),
                forum_id: utveckling.clone(),
                etag: need.etag.clone(),
            },
        ))
        .await
        .unwrap();
    let together = meeting(
        &mut c.forums,
        SOFIA,
        &utveckling,
        "IT-forum utveckling 3/2026",
        (2026, 10, 8),
    )
    .await;
    add_item(
        &mut c.forums,
        SOFIA,
        &together.id,
        fpb::AgendaItemKind::Decision,
        "Gemensam e-tjänsteplattform",
        &need.id,
    )
    .await;
    c.agreements
        .create_agreement(as_(
            EVA,
            apb::CreateAgreementRequest {
                request_id: "former-agreement".into(),
                kind: apb::AgreementKind::CollaborationAgreement as i32,
                title: "Samverkansavtal IT".into(),
                version: Some(apb::Version {
                    text: "Avtal om gemensam IT-verksamhet.".into(),
                    effective_from: Some(dates::to_proto(
                        chrono::NaiveDate::from_ymd_opt(2022, 1, 1).unwrap(),
                    )),
                    next_review_on: Some(dates::to_proto(
                        chrono::NaiveDate::from_ymd_opt(2027, 12, 31).unwrap(),
                    )),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap();
    let recorded = backdate(&db).await;
    assert!(recorded > 50, "only {recorded} rows to backdate");
    let before = history(&mut c, MARIA).await;
    // The register holds decisions only from adjusted minutes; its
    // policy is probed below, with the other tables.
    for (list, ids) in before.iter().filter(|(l, _)| *l != "decisions") {
        assert!(!ids.is_empty(), "Ulricehamn reads no {list} as a member");
    }

    // Ulricehamn's last day was yesterday.
    let today = dates::today();
    let yesterday = today.pred_opt().unwrap();
    c.roles
        .end_membership(as_(
            IDA,
            rpb::EndMembershipRequest {
                collaboration_id: COLLABORATION.to_string(),
                municipality_id: "ulricehamn".into(),
                left_on: Some(dates::to_proto(yesterday)),
                decision_ref: "IT-styrgruppen § 41".into(),
            },
        ))
        .await
        .unwrap();
    // Tranemo goes on: a meeting planned after Ulricehamn left.
    let later = meeting(
        &mut c.forums,
        SOFIA,
        &utveckling,
        "IT-forum utveckling efter utträdet",
        (2027, 2, 10),
    )
    .await;

    // With the services apart the other servers learn of the leave from
    // the roles server within the time they reuse a caller's scope.
    if split {
        let deadline = std::time::Instant::now()
            + samverkan_roles::directory::REMOTE_SCOPE_TTL
            + std::time::Duration::from_secs(5);
        while c
            .forums
            .get_meeting(as_(
                MARIA,
                fpb::GetMeetingRequest {
                    id: later.id.clone(),
                },
            ))
            .await
            .is_ok()
        {
            assert!(
                std::time::Instant::now() < deadline,
                "the forums server never learnt that Ulricehamn left"
            );
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
    }

    // Ulricehamn reads exactly what it read as a member.
    let after = history(&mut c, MARIA).await;
    assert_eq!(before, after, "a former member's history changed");
    let err = c
        .forums
        .get_meeting(as_(
            MARIA,
            fpb::GetMeetingRequest {
                id: later.id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound, "{err:?}");
    let err = c
        .forums
        .get_matter(as_(
            MARIA,
            fpb::GetMatterRequest {
                id: draft.id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound, "{err:?}");
    // Tranemo sees its new meeting.
    let tranemo = history(&mut c, SOFIA).await;
    assert!(tranemo[1].1.contains(&later.id));

    // Who it is: no membership today, one it left, with its last day.
    let me = c
        .roles
        .who_am_i(as_(MARIA, rpb::WhoAmIRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert!(me.memberships.is_empty() && me.assignments.is_empty());
    assert_eq!(me.former_memberships.len(), 1, "{me:?}");
    let left = &me.former_memberships[0];
    assert_eq!(
        left.collaboration.as_ref().unwrap().id,
        COLLABORATION.to_string()
    );
    assert_eq!(left.left_on, Some(dates::to_proto(yesterday)));

    // It changes nothing: a draft of its own is refused at the gate.
    let err = c
        .forums
        .create_matter(as_(
            MARIA,
            fpb::CreateMatterRequest {
                request_id: "after-leaving".into(),
                matter: Some(fpb::Matter {
                    kind: fpb::MatterKind::DevelopmentNeed as i32,
                    priority: fpb::Priority::Normal as i32,
                    title: "Ett ärende efter utträdet".into(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");
    assert!(err.message().contains("has left"), "{err:?}");

    if db.backend == Backend::Postgres {
        let leaks = policies_alone(&db, today).await;
        assert!(leaks.is_empty(), "{leaks:#?}");
    }
    figure(&format!(
        "former member ({}): {} backdated rows; {} lists read the same after leaving",
        if split {
            "services apart"
        } else {
            "one server"
        },
        recorded,
        after.len()
    ));
    d.stop().await;
}

/// On PostgreSQL, the policies without the application's filter: in every
/// dated shared table a former member's transaction sees the rows recorded
/// before it left, none after, and may write none.
async fn policies_alone(db: &TestDb, today: chrono::NaiveDate) -> Vec<String> {
    let scope = TenantScope {
        tenant: TenantId::parse("ulricehamn").unwrap(),
        collaborations: Vec::new(),
        peers: Vec::new(),
        former: vec![Former {
            collaboration: COLLABORATION,
            until: dates::end_of_day(today.pred_opt().unwrap()),
        }],
    };
    let until = scope.former[0].until;
    let ctx = RequestContext::system(scope, "former-probe");
    let mut leaks = Vec::new();
    let mut seen = 0;
    for table in dated_shared_tables(db).await {
        let count = |when: &str| {
            format!(
                "SELECT count(*)::bigint FROM {table} WHERE create_time {when} '{}'::timestamptz",
                until.to_rfc3339()
            )
        };
        let tx = db.app.begin(&ctx, "test", Access::Read).await.unwrap();
        let mut n = Vec::new();
        for sql in [count("<"), count(">=")] {
            let row = tx
                .conn()
                .query_one_raw(Statement::from_string(sea_orm::DbBackend::Postgres, sql))
                .await
                .unwrap()
                .unwrap();
            n.push(row.try_get_by_index::<i64>(0).unwrap());
        }
        drop(tx);
        seen += n[0];
        if n[1] > 0 {
            leaks.push(format!("{table}: {} rows recorded after leaving", n[1]));
        }
        let tx = db.app.begin(&ctx, "test", Access::Write).await.unwrap();
        let wrote = tx
            .conn()
            .execute_raw(Statement::from_string(
                sea_orm::DbBackend::Postgres,
                format!("UPDATE {table} SET create_time = create_time"),
            ))
            .await;
        drop(tx);
        if let Ok(r) = wrote
            && r.rows_affected() > 0
        {
            leaks.push(format!("{table}: {} rows rewritten", r.rows_affected()));
        }
    }
    assert!(seen > 0, "the probe saw no history at all");
    leaks
}

async fn in_one_server(db: TestDb) {
    former_member(db, false).await;
}
backend_test!(in_one_server);

async fn services_apart(db: TestDb) {
    former_member(db, true).await;
}
backend_test!(services_apart);
