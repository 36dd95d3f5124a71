//! The roles service over real gRPC, on SQLite and PostgreSQL: who holds
//! which role where and when, forum composition, authorization, and the
//! API conventions (request_id, etag, audit).

use samverkan_proto::common::v1::Date;
use samverkan_proto::roles::v1 as pb;
use samverkan_proto::roles::v1::roles_service_client::RolesServiceClient;
use samverkan_roles::demo;
use samverkan_server::Svc;
use samverkan_testkit::{TestDb, TestServer, backend_test};
use tonic::Code;
use tonic::transport::Channel;

const ANNA: &str = "anna.aberg@tranemo.se"; // Tranemo kommunchef, chair of IT-styrgruppen
const KARIN: &str = "karin.strom@tranemo.se"; // Tranemo informationssäkerhetssamordnare
const LARS: &str = "lars.angstrom@ulricehamn.se"; // Ulricehamn kommunchef
const EVA: &str = "eva.dahlgren@ulricehamn.se"; // IT-strateg, IT-styrgruppen's secretary
const PER: &str = "per.hakansson@ulricehamn.se"; // IT-chef

type Client = RolesServiceClient<Channel>;

fn date(year: i32, month: i32, day: i32) -> Option<Date> {
    Some(Date { year, month, day })
}

fn collab() -> String {
    demo::COLLABORATION_ID.to_string()
}

fn as_<T>(email: &str, msg: T) -> tonic::Request<T> {
    TestServer::as_person(email, msg)
}

async fn start(db: &TestDb) -> (TestServer, Client) {
    let server = TestServer::start(db, &[Svc::Roles]).await;
    let client = RolesServiceClient::new(server.channel().await);
    (server, client)
}

async fn person_id(c: &mut Client, email: &str) -> String {
    let people = c
        .list_people(as_(
            ANNA,
            pb::ListPeopleRequest {
                page_size: 200,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    people
        .people
        .into_iter()
        .find(|p| p.email == email)
        .unwrap_or_else(|| panic!("{email} not listed"))
        .id
}

async fn role_id(c: &mut Client, code: &str) -> String {
    let roles = c
        .list_roles(as_(
            ANNA,
            pb::ListRolesRequest {
                collaboration_id: collab(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    roles.roles.into_iter().find(|r| r.code == code).unwrap().id
}

async fn forum_id(c: &mut Client, code: &str) -> String {
    let forums = c
        .list_forums(as_(
            ANNA,
            pb::ListForumsRequest {
                collaboration_id: collab(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    forums
        .forums
        .into_iter()
        .find(|f| f.code == code)
        .unwrap()
        .id
}

/// (kind, name) pairs of a forum's composition on a date.
async fn composition(c: &mut Client, forum: &str, on: Option<Date>) -> Vec<(i32, String)> {
    let resp = c
        .get_forum_composition(as_(
            ANNA,
            pb::GetForumCompositionRequest {
                forum_id: forum.into(),
                on,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    resp.seats
        .into_iter()
        .map(|s| (s.kind, s.person.map(|p| p.display_name).unwrap_or_default()))
        .collect()
}

async fn styrgruppen_composition_follows_roles(db: TestDb) {
    let (server, mut c) = start(&db).await;
    let styr = forum_id(&mut c, "styrgruppen").await;
    use pb::SeatKind::{Chair, Member, Secretary};
    let expected = vec![
        (Chair as i32, "Anna Åberg".to_string()),
        (Secretary as i32, "Eva Dahlgren".to_string()),
        (Member as i32, "Anna Åberg".to_string()),
        (Member as i32, "Erik Öhman".to_string()),
        (Member as i32, "Lars Ängström".to_string()),
        (Member as i32, "Maria Sjöberg".to_string()),
        (Member as i32, "Per Håkansson".to_string()),
    ];
    assert_eq!(composition(&mut c, &styr, date(2026, 6, 1)).await, expected);

    // Where each seat comes from.
    let full = c
        .get_forum_composition(as_(
            LARS,
            pb::GetForumCompositionRequest {
                forum_id: styr.clone(),
                on: date(2026, 6, 1),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let lars = full
        .seats
        .iter()
        .find(|s| s.person.as_ref().unwrap().email == LARS)
        .unwrap();
    assert_eq!(
        (
            lars.source.as_str(),
            lars.role_code.as_str(),
            lars.municipality_id.as_str()
        ),
        ("role", "kommunchef", "ulricehamn")
    );
    assert!(lars.may_adjust);
    let chair = full.seats.iter().find(|s| s.kind == Chair as i32).unwrap();
    assert_eq!(chair.source, "seat");
    assert_eq!(full.forum.unwrap().name, "IT-styrgruppen");

    // Ulricehamn gets a new kommunchef from 2027-01-01: Lars ends 2026-12-31.
    let lars_assignment = c
        .list_assignments(as_(
            LARS,
            pb::ListAssignmentsRequest {
                collaboration_id: collab(),
                role_code: "kommunchef".into(),
                municipality_id: "ulricehamn".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .assignments
        .remove(0);
    c.end_assignment(as_(
        LARS,
        pb::EndAssignmentRequest {
            id: lars_assignment.id.clone(),
            valid_to: date(2026, 12, 31),
            etag: lars_assignment.etag.clone(),
        },
    ))
    .await
    .unwrap();
    let newcomer = c
        .create_person(as_(
            LARS,
            pb::CreatePersonRequest {
                request_id: "ny-kommunchef".into(),
                person: Some(pb::Person {
                    display_name: "Örjan Ågren".into(),
                    email: "orjan.agren@ulricehamn.se".into(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .person
        .unwrap();
    let kommunchef = role_id(&mut c, "kommunchef").await;
    c.create_assignment(as_(
        LARS,
        pb::CreateAssignmentRequest {
            request_id: "ny-kommunchef-uppdrag".into(),
            assignment: Some(pb::Assignment {
                person_id: newcomer.id.clone(),
                role_id: kommunchef,
                municipality_id: "ulricehamn".into(),
                valid_from: date(2027, 1, 1),
                decision_ref: "KS Ulricehamn 2026-11-20 § 210".into(),
                ..Default::default()
            }),
        },
    ))
    .await
    .unwrap();
    let before: Vec<String> = composition(&mut c, &styr, date(2026, 12, 31))
        .await
        .into_iter()
        .map(|(_, n)| n)
        .collect();
    let after: Vec<String> = composition(&mut c, &styr, date(2027, 1, 1))
        .await
        .into_iter()
        .map(|(_, n)| n)
        .collect();
    assert!(
        before.contains(&"Lars Ängström".to_string())
            && !before.contains(&"Örjan Ågren".to_string())
    );
    assert!(
        after.contains(&"Örjan Ågren".to_string()) && !after.contains(&"Lars Ängström".to_string())
    );
    assert_eq!(before.len(), after.len());
    server.stop().await;
}
backend_test!(styrgruppen_composition_follows_roles);

async fn assignment_date_boundaries(db: TestDb) {
    let (server, mut c) = start(&db).await;
    let karin = person_id(&mut c, KARIN).await;
    let kommunchef = role_id(&mut c, "kommunchef").await;
    let styr = forum_id(&mut c, "styrgruppen").await;
    // Karin deputises as kommunchef for 2025 only.
    c.create_assignment(as_(
        ANNA,
        pb::CreateAssignmentRequest {
            request_id: String::new(),
            assignment: Some(pb::Assignment {
                person_id: karin.clone(),
                role_id: kommunchef.clone(),
                municipality_id: "tranemo".into(),
                valid_from: date(2025, 1, 1),
                valid_to: date(2025, 12, 31),
                decision_ref: "KS Tranemo 2024-12-10 § 180".into(),
                ..Default::default()
            }),
        },
    ))
    .await
    .unwrap();
    let names = |v: Vec<(i32, String)>| v.into_iter().map(|(_, n)| n).collect::<Vec<_>>();
    assert!(
        !names(composition(&mut c, &styr, date(2024, 12, 31)).await)
            .contains(&"Karin Ström".into())
    );
    assert!(
        names(composition(&mut c, &styr, date(2025, 1, 1)).await).contains(&"Karin Ström".into())
    );
    assert!(
        names(composition(&mut c, &styr, date(2025, 12, 31)).await).contains(&"Karin Ström".into())
    );
    assert!(
        !names(composition(&mut c, &styr, date(2026, 1, 1)).await).contains(&"Karin Ström".into())
    );

    // The same person in the same role and place twice at once is refused …
    let err = c
        .create_assignment(as_(
            ANNA,
            pb::CreateAssignmentRequest {
                request_id: String::new(),
                assignment: Some(pb::Assignment {
                    person_id: karin.clone(),
                    role_id: kommunchef.clone(),
                    municipality_id: "tranemo".into(),
                    valid_from: date(2025, 12, 31),
                    decision_ref: "KS Tranemo 2025-01-15 § 3".into(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    // … the day after is fine.
    c.create_assignment(as_(
        ANNA,
        pb::CreateAssignmentRequest {
            request_id: String::new(),
            assignment: Some(pb::Assignment {
                person_id: karin.clone(),
                role_id: kommunchef.clone(),
                municipality_id: "tranemo".into(),
                valid_from: date(2026, 1, 1),
                valid_to: date(2026, 1, 31),
                decision_ref: "KS Tranemo 2025-12-15 § 201".into(),
                ..Default::default()
            }),
        },
    ))
    .await
    .unwrap();

    // A future assignment does not grant yet: Karin as kommunchef from 2099.
    let allowed = |c: &mut Client| {
        let mut c = c.clone();
        async move {
            c.check_permission(as_(
                KARIN,
                pb::CheckPermissionRequest {
                    action: "roles.assign_municipal".into(),
                    municipality_id: "tranemo".into(),
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner()
        }
    };
    c.create_assignment(as_(
        ANNA,
        pb::CreateAssignmentRequest {
            request_id: String::new(),
            assignment: Some(pb::Assignment {
                person_id: karin.clone(),
                role_id: kommunchef.clone(),
                municipality_id: "tranemo".into(),
                valid_from: date(2099, 1, 1),
                decision_ref: "KS Tranemo 2098-12-01 § 1".into(),
                ..Default::default()
            }),
        },
    ))
    .await
    .unwrap();
    let d = allowed(&mut c).await;
    assert!(!d.allowed, "a future assignment granted: {}", d.reason);
    assert!(d.reason.contains("kommunchef"), "{}", d.reason);

    // History of one person: every assignment, newest first.
    let history = c
        .list_assignments(as_(
            KARIN,
            pb::ListAssignmentsRequest {
                collaboration_id: collab(),
                person_id: karin.clone(),
                include_history: true,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .assignments;
    let froms: Vec<_> = history.iter().map(|a| a.valid_from.unwrap().year).collect();
    assert_eq!(froms, [2099, 2026, 2025, 2022]);
    server.stop().await;
}
backend_test!(assignment_date_boundaries);

async fn roles_are_assigned_within_ones_own_municipality(db: TestDb) {
    let (server, mut c) = start(&db).await;
    let lars = person_id(&mut c, LARS).await;
    let utvecklingschef = role_id(&mut c, "utvecklingschef").await;
    let it_tekniker = role_id(&mut c, "it-tekniker").await;
    let assign = |person: &str, role: &str, municipality: &str| pb::CreateAssignmentRequest {
        request_id: String::new(),
        assignment: Some(pb::Assignment {
            person_id: person.into(),
            role_id: role.into(),
            municipality_id: municipality.into(),
            valid_from: date(2026, 2, 1),
            decision_ref: "Delegationsbeslut 2026-01-20".into(),
            ..Default::default()
        }),
    };
    // Tranemo's informationssäkerhetssamordnare cannot assign in Ulricehamn …
    let err = c
        .create_assignment(as_(KARIN, assign(&lars, &utvecklingschef, "ulricehamn")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");
    // … nor may Tranemo's kommunchef.
    let err = c
        .create_assignment(as_(ANNA, assign(&lars, &utvecklingschef, "ulricehamn")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    // … nor end an Ulricehamn assignment.
    let a = c
        .list_assignments(as_(
            KARIN,
            pb::ListAssignmentsRequest {
                collaboration_id: collab(),
                person_id: lars.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .assignments
        .remove(0);
    let err = c
        .end_assignment(as_(
            KARIN,
            pb::EndAssignmentRequest {
                id: a.id.clone(),
                valid_to: date(2026, 12, 31),
                etag: a.etag.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    // Ulricehamn's kommunchef may; IT roles are the IT-chef's.
    c.create_assignment(as_(LARS, assign(&lars, &utvecklingschef, "ulricehamn")))
        .await
        .unwrap();
    let err = c
        .create_assignment(as_(LARS, assign(&lars, &it_tekniker, "")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    c.create_assignment(as_(PER, assign(&lars, &it_tekniker, "")))
        .await
        .unwrap();
    // A municipal role needs its municipality; the holder must be employed there.
    let err = c
        .create_assignment(as_(LARS, assign(&lars, &utvecklingschef, "")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.message().contains("assignment.municipality_id"));
    let karin = person_id(&mut c, KARIN).await;
    let err = c
        .create_assignment(as_(LARS, assign(&karin, &utvecklingschef, "ulricehamn")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.message().contains("assignment.person_id"));
    server.stop().await;
}
backend_test!(roles_are_assigned_within_ones_own_municipality);

/// The collaboration administrator (Ida, samverkansadministratör) registers
/// a new member's first person and makes her its kommunchef from `from`.
async fn onboard(c: &mut Client, name: &str, email: &str, municipality: &str, from: Date) {
    const IDA: &str = "ida.nyqvist@tranemo.se";
    let person = c
        .create_person(as_(
            IDA,
            pb::CreatePersonRequest {
                request_id: format!("person-{email}"),
                person: Some(pb::Person {
                    display_name: name.into(),
                    email: email.into(),
                    municipality_id: municipality.into(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .person
        .unwrap();
    let kommunchef = role_id(c, "kommunchef").await;
    c.create_assignment(as_(
        IDA,
        pb::CreateAssignmentRequest {
            request_id: format!("assign-{email}"),
            assignment: Some(pb::Assignment {
                person_id: person.id,
                role_id: kommunchef,
                municipality_id: municipality.into(),
                valid_from: Some(from),
                decision_ref: "KS 2026-11-01 § 101".into(),
                ..Default::default()
            }),
        },
    ))
    .await
    .unwrap();
}

async fn third_municipality_joins(db: TestDb) {
    let (server, mut c) = start(&db).await;
    let boras = TestServer::token_for("anna.andersson@boras.se", "boras");
    let join = |joined_on, request_id: &str| pb::CreateMunicipalityRequest {
        request_id: request_id.into(),
        municipality: Some(pb::Municipality {
            id: "boras".into(),
            name: "Borås Stad".into(),
            organisation_number: "212000-1561".into(),
            ..Default::default()
        }),
        collaboration_id: collab(),
        joined_on,
        decision_ref: "IT-styrgruppen 2026-10-01 § 12".into(),
    };
    // Only IT-styrgruppen's secretary adds members.
    let err = c
        .create_municipality(as_(ANNA, join(date(2026, 1, 1), "boras-1")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let today = samverkan_core::dates::to_proto(samverkan_core::dates::today());
    let created = c
        .create_municipality(as_(EVA, join(Some(today), "boras-1")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(created.municipality.unwrap().name, "Borås Stad");
    // A retry with the same request_id creates nothing new.
    let again = c
        .create_municipality(as_(EVA, join(Some(today), "boras-1")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.membership, created.membership);
    // Its first administrator, registered by the collaboration's
    // administrator: before, the token of Borås is refused.
    let err = c
        .list_forums(TestServer::request(
            &boras,
            pb::ListForumsRequest {
                collaboration_id: collab(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");
    onboard(
        &mut c,
        "Anna Andersson",
        "anna.andersson@boras.se",
        "boras",
        today,
    )
    .await;

    // From its join date it sees what is shared with the collaboration …
    let forums = c
        .list_forums(TestServer::request(
            &boras,
            pb::ListForumsRequest {
                collaboration_id: collab(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(forums.forums.len(), 5);
    let members = c
        .list_members(TestServer::request(
            &boras,
            pb::ListMembersRequest {
                collaboration_id: collab(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<_> = members
        .memberships
        .iter()
        .map(|m| m.municipality_id.as_str())
        .collect();
    assert_eq!(ids, ["tranemo", "ulricehamn", "boras"]);
    // … and history (dated membership: it is not a member yesterday, but
    // still sees the organisation's past, since that is shared).
    let yesterday =
        samverkan_core::dates::to_proto(samverkan_core::dates::today().pred_opt().unwrap());
    let before = c
        .list_members(TestServer::request(
            &boras,
            pb::ListMembersRequest {
                collaboration_id: collab(),
                on: Some(yesterday),
                include_history: false,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(
        before
            .memberships
            .iter()
            .all(|m| m.municipality_id != "boras")
    );
    // Its kommunchef sits in IT-styrgruppen from the join date, as every
    // member's does; nothing of the others changes.
    let styr = forum_id(&mut c, "styrgruppen").await;
    assert_eq!(composition(&mut c, &styr, None).await.len(), 8);
    assert_eq!(composition(&mut c, &styr, Some(yesterday)).await.len(), 7);
    // It cannot change another member's data.
    let tranemo = c
        .get_municipality(as_(
            ANNA,
            pb::GetMunicipalityRequest {
                id: "tranemo".into(),
            },
        ))
        .await
        .unwrap();
    let err = c
        .update_municipality(TestServer::request(
            &boras,
            pb::UpdateMunicipalityRequest {
                municipality: Some(pb::Municipality {
                    name: "Kapad".into(),
                    ..tranemo.into_inner().municipality.unwrap()
                }),
                etag: "x".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);

    // A member joining in the future sees nothing shared until then: its
    // people hold no role before the join date, so they are refused.
    let future = pb::CreateMunicipalityRequest {
        municipality: Some(pb::Municipality {
            id: "svenljunga".into(),
            name: "Svenljunga kommun".into(),
            ..Default::default()
        }),
        ..join(date(2099, 1, 1), "svenljunga-1")
    };
    c.create_municipality(as_(EVA, future)).await.unwrap();
    let svenljunga = TestServer::token_for("kim@svenljunga.se", "svenljunga");
    let err = c
        .list_forums(TestServer::request(
            &svenljunga,
            pb::ListForumsRequest {
                collaboration_id: collab(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");
    server.stop().await;
}
backend_test!(third_municipality_joins);

async fn outsiders_cannot_list_the_collaborations_people(db: TestDb) {
    let (server, mut c) = start(&db).await;
    let ctx = samverkan_core::RequestContext::system(
        samverkan_core::TenantScope::private(samverkan_core::TenantId::parse("boras").unwrap()),
        "test",
    );
    let tx = db
        .app
        .begin(&ctx, "roles", samverkan_db::Access::Write)
        .await
        .unwrap();
    samverkan_roles::store::insert_municipality(&tx, &ctx.principal.tenant, "Borås Stad", "")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let anna = person_id(&mut c, ANNA).await;
    let boras = TestServer::token_for("anna.andersson@boras.se", "boras");
    let tries = |c: &Client, token: &str| {
        let (mut c, token, anna) = (c.clone(), token.to_owned(), anna.clone());
        async move {
            let mut codes = Vec::new();
            let r = c
                .list_people(TestServer::request(
                    &token,
                    pb::ListPeopleRequest::default(),
                ))
                .await;
            codes.push(r.map(drop));
            let r = c
                .list_people(TestServer::request(
                    &token,
                    pb::ListPeopleRequest {
                        municipality_id: "tranemo".into(),
                        ..Default::default()
                    },
                ))
                .await;
            codes.push(r.map(drop));
            let r = c
                .list_roles(TestServer::request(
                    &token,
                    pb::ListRolesRequest {
                        collaboration_id: collab(),
                    },
                ))
                .await;
            codes.push(r.map(drop));
            let r = c
                .get_person(TestServer::request(
                    &token,
                    pb::GetPersonRequest { id: anna },
                ))
                .await;
            codes.push(r.map(drop));
            codes
        }
    };
    // A person Borås has not registered: refused, whatever they ask.
    for r in tries(&c, &boras).await {
        let err = r.unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");
        assert!(
            err.message()
                .contains("is not a registered person of boras"),
            "{err:?}"
        );
    }
    // Registered, but in no collaboration and so with no role: only who
    // she is.
    let ctx = samverkan_core::RequestContext::system(
        samverkan_core::TenantScope::private(samverkan_core::TenantId::parse("boras").unwrap()),
        "test",
    );
    let tx = db
        .app
        .begin(&ctx, "roles", samverkan_db::Access::Write)
        .await
        .unwrap();
    samverkan_roles::store::insert_person(
        &tx,
        "Anna Andersson",
        "anna.andersson@boras.se",
        "anna.andersson@boras.se",
        None,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let me = c
        .who_am_i(TestServer::request(&boras, pb::WhoAmIRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(me.person.unwrap().display_name, "Anna Andersson");
    assert!(me.memberships.is_empty() && me.assignments.is_empty() && me.seats.is_empty());
    for r in tries(&c, &boras).await {
        let err = r.unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");
        assert!(
            err.message().contains("holds no role or seat in boras"),
            "{err:?}"
        );
    }
    server.stop().await;
}
backend_test!(outsiders_cannot_list_the_collaborations_people);

async fn creates_are_idempotent_updates_need_the_current_etag(db: TestDb) {
    let (server, mut c) = start(&db).await;
    let before = samverkan_db::audit::verify(
        &db.app,
        &[samverkan_core::TenantId::parse("tranemo").unwrap()],
    )
    .await
    .unwrap();
    let create = |name: &str| pb::CreatePersonRequest {
        request_id: "9f1c2d1e-anställning".into(),
        person: Some(pb::Person {
            display_name: name.into(),
            email: "ny.person@tranemo.se".into(),
            ..Default::default()
        }),
    };
    let first = c
        .create_person(as_(ANNA, create("Märta Ölund")))
        .await
        .unwrap()
        .into_inner()
        .person
        .unwrap();
    let second = c
        .create_person(as_(ANNA, create("Märta Ölund")))
        .await
        .unwrap()
        .into_inner()
        .person
        .unwrap();
    assert_eq!(first, second);
    let err = c
        .create_person(as_(ANNA, create("Någon Annan")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.message().contains("request_id"));

    let updated = c
        .update_person(as_(
            ANNA,
            pb::UpdatePersonRequest {
                person: Some(pb::Person {
                    display_name: "Märta Öhlund".into(),
                    ..first.clone()
                }),
                etag: first.etag.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .person
        .unwrap();
    assert_eq!(updated.display_name, "Märta Öhlund");
    assert_ne!(updated.etag, first.etag);
    let err = c
        .update_person(as_(
            ANNA,
            pb::UpdatePersonRequest {
                person: Some(pb::Person {
                    display_name: "Märta Ö.".into(),
                    ..first.clone()
                }),
                etag: first.etag.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Aborted);
    let now = c
        .get_person(as_(
            LARS,
            pb::GetPersonRequest {
                id: first.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        now.person.unwrap().display_name,
        "Märta Öhlund",
        "the stale update changed nothing"
    );
    // Ulricehamn may read but not change Tranemo's people.
    let err = c
        .update_person(as_(
            LARS,
            pb::UpdatePersonRequest {
                person: Some(pb::Person {
                    display_name: "X".into(),
                    ..updated.clone()
                }),
                etag: updated.etag.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);

    // Bad input names the field and writes nothing.
    let err = c
        .create_person(as_(
            ANNA,
            pb::CreatePersonRequest {
                request_id: String::new(),
                person: Some(pb::Person {
                    display_name: " ".into(),
                    email: "ingen-adress".into(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.message().contains("person.display_name"));

    // Two mutations (create, update), each audited in Tranemo's chain.
    let after = samverkan_db::audit::verify(
        &db.app,
        &[samverkan_core::TenantId::parse("tranemo").unwrap()],
    )
    .await
    .unwrap();
    assert!(after.broken.is_empty());
    assert_eq!(after.entries, before.entries + 2);
    server.stop().await;
}
backend_test!(creates_are_idempotent_updates_need_the_current_etag);

async fn mandates_are_versioned(db: TestDb) {
    let (server, mut c) = start(&db).await;
    let styr = forum_id(&mut c, "styrgruppen").await;
    let add = |text: &str, y| pb::CreateMandateRequest {
        request_id: String::new(),
        mandate: Some(pb::Mandate {
            forum_id: styr.clone(),
            text: text.into(),
            effective_from: date(y, 1, 1),
            decision_ref: format!("IT-styrgruppen {y}-01-01 § 1"),
            ..Default::default()
        }),
    };
    let err = c
        .create_mandate(as_(ANNA, add("Nytt uppdrag", 2030)))
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Code::PermissionDenied,
        "only IT-styrgruppen's secretary changes a forum's mandate"
    );
    let v2 = c
        .create_mandate(as_(
            EVA,
            add(
                "Uppdrag två: strategiska beslut om IT och digitalisering.",
                2030,
            ),
        ))
        .await
        .unwrap();
    assert_eq!(v2.into_inner().mandate.unwrap().version, 2);
    let all = c
        .list_mandates(as_(
            LARS,
            pb::ListMandatesRequest {
                forum_id: styr.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .mandates;
    assert_eq!(all.iter().map(|m| m.version).collect::<Vec<_>>(), [2, 1]);
    // Today the first version is in force; the second from 2030.
    let forum = c
        .get_forum(as_(LARS, pb::GetForumRequest { id: styr.clone() }))
        .await
        .unwrap()
        .into_inner()
        .forum
        .unwrap();
    assert_eq!(forum.mandate.unwrap().version, 1);
    let later = c
        .get_forum_composition(as_(
            LARS,
            pb::GetForumCompositionRequest {
                forum_id: styr.clone(),
                on: date(2030, 1, 1),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(later.forum.unwrap().mandate.unwrap().version, 2);
    server.stop().await;
}
backend_test!(mandates_are_versioned);

async fn permissions_answer_with_reasons(db: TestDb) {
    let (server, mut c) = start(&db).await;
    let styr = forum_id(&mut c, "styrgruppen").await;
    let check = |action: &str, forum: &str| pb::CheckPermissionRequest {
        action: action.into(),
        forum_id: forum.into(),
        ..Default::default()
    };
    let d = c
        .check_permission(as_(EVA, check("minutes.record", &styr)))
        .await
        .unwrap()
        .into_inner();
    assert!(d.allowed, "{}", d.reason);
    let d = c
        .check_permission(as_(ANNA, check("minutes.record", &styr)))
        .await
        .unwrap()
        .into_inner();
    assert!(!d.allowed);
    assert!(d.reason.contains("sekreterare"), "{}", d.reason);
    let d = c
        .check_permission(as_(ANNA, check("matters.escalate", &styr)))
        .await
        .unwrap()
        .into_inner();
    assert!(d.allowed, "the chair escalates: {}", d.reason);
    let err = c
        .check_permission(as_(ANNA, check("no.such.action", "")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    server.stop().await;
}
backend_test!(permissions_answer_with_reasons);

/// A roles server over a pool of its own (so with caches of its own), as
/// a second process on the same database would be.
async fn instance(db: &TestDb) -> (TestServer, Client) {
    let limits = samverkan_server::Limits {
        rate_limit: samverkan_server::RateLimit::OFF,
        ..Default::default()
    };
    let server = TestServer::start_with(db, &[Svc::Roles], limits).await;
    let client = RolesServiceClient::new(server.channel().await);
    (server, client)
}

/// Two instances on one database, each keeping the callers it resolved:
/// an assignment ended through instance B is refused on instance A's very
/// next call, although A resolved the same person a moment before. A
/// directory that kept callers without checking the registry's change
/// version would let the call through.
async fn an_assignment_ended_on_one_instance_binds_the_other_at_once(db: TestDb) {
    let ((a, mut on_a), (b, mut on_b)) = (instance(&db).await, instance(&db).await);
    let forums = |who: &str| {
        as_(
            who,
            pb::ListForumsRequest {
                collaboration_id: collab(),
            },
        )
    };

    // Karin works on A: A keeps her as a caller with her role.
    let me = on_a
        .who_am_i(as_(KARIN, pb::WhoAmIRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert!(!me.assignments.is_empty(), "Karin holds a role in the demo");
    assert!(
        me.seats.is_empty(),
        "Karin holds no explicit seat in the demo"
    );
    for _ in 0..2 {
        on_a.list_forums(forums(KARIN)).await.unwrap();
    }

    // Anna ends each of Karin's assignments through B, as of yesterday.
    let yesterday = samverkan_core::dates::today().pred_opt().unwrap();
    for held in &me.assignments {
        on_b.end_assignment(as_(
            ANNA,
            pb::EndAssignmentRequest {
                id: held.id.clone(),
                valid_to: Some(samverkan_core::dates::to_proto(yesterday)),
                etag: held.etag.clone(),
            },
        ))
        .await
        .unwrap();
    }

    // A's next call for Karin is refused; she may still ask who she is.
    let err = on_a.list_forums(forums(KARIN)).await.unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");
    assert!(err.message().contains("holds no role or seat"), "{err:?}");
    let me = on_a
        .who_am_i(as_(KARIN, pb::WhoAmIRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert!(me.assignments.is_empty());
    // Others A kept are resolved afresh, and still answered.
    on_a.list_forums(forums(ANNA)).await.unwrap();
    a.stop().await;
    b.stop().await;
}
backend_test!(an_assignment_ended_on_one_instance_binds_the_other_at_once);

/// A caller kept by the local directory costs one statement — the read of
/// the registry's change version — until a write of the registry advances
/// it; then the caller is resolved afresh, and kept again.
async fn a_kept_caller_costs_one_statement_until_the_registry_changes(db: TestDb) {
    use samverkan_core::{Directory as _, Principal, RequestContext, TenantId, TenantScope};

    demo::load(&db.app).await.unwrap();
    let directory = samverkan_roles::LocalDirectory::new(db.app.clone());
    let tranemo = TenantId::parse("tranemo").unwrap();
    let ctx = RequestContext {
        principal: Principal {
            subject: KARIN.into(),
            tenant: tranemo.clone(),
        },
        scope: TenantScope::private(tranemo.clone()),
        today: samverkan_core::dates::today(),
        rpc: "/samverkan.roles.v1.RolesService/ListForums".into(),
        credentials: Default::default(),
    };
    let resolve = async || {
        db.app.statements().start();
        let caller = directory.resolve_caller(&ctx).await.unwrap();
        (caller, db.app.statements().stop())
    };

    let (first, cold) = resolve().await;
    assert!(first.assigned);
    let (kept, warm) = resolve().await;
    assert_eq!(kept, first);
    assert_eq!(
        warm.len(),
        1,
        "a kept caller costs the version read alone: {warm:#?}"
    );
    assert!(warm[0].sql.contains("change_versions"), "{warm:#?}");
    assert!(cold.len() > warm.len(), "{cold:#?}");
    samverkan_testkit::figure(&format!(
        "statements to resolve a caller ({:?}): {} when resolved, {} when kept",
        db.backend,
        cold.len(),
        warm.len()
    ));

    // A registry write that changes nothing Karin holds still advances
    // the version: she is resolved afresh, once.
    let system = RequestContext::system(TenantScope::private(tranemo), "test");
    let tx = samverkan_roles::store::begin_write(&db.app, &system)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let (after, again) = resolve().await;
    assert_eq!(after, first);
    assert_eq!(again.len(), cold.len(), "{again:#?}");
    let (_, warm) = resolve().await;
    assert_eq!(warm.len(), 1, "{warm:#?}");
}
backend_test!(a_kept_caller_costs_one_statement_until_the_registry_changes);

/// Permission answers are kept too (by person, date and collaboration),
/// and bound by the same change version: a role assigned through instance
/// B is honoured by instance A's very next permission check, although A
/// answered the same question a moment before.
async fn a_role_assigned_on_one_instance_is_honoured_by_the_other_at_once(db: TestDb) {
    let ((a, mut on_a), (b, mut on_b)) = (instance(&db).await, instance(&db).await);
    let may_rename_tranemo = || {
        as_(
            KARIN,
            pb::CheckPermissionRequest {
                action: "municipalities.update".into(),
                municipality_id: "tranemo".into(),
                collaboration_id: collab(),
                ..Default::default()
            },
        )
    };
    for _ in 0..2 {
        let d = on_a
            .check_permission(may_rename_tranemo())
            .await
            .unwrap()
            .into_inner();
        assert!(!d.allowed, "only a kommunchef may: {d:?}");
    }

    // Anna makes Karin kommunchef too, through B, from yesterday on.
    let karin = person_id(&mut on_b, KARIN).await;
    let kommunchef = role_id(&mut on_b, "kommunchef").await;
    let yesterday = samverkan_core::dates::today().pred_opt().unwrap();
    on_b.create_assignment(as_(
        ANNA,
        pb::CreateAssignmentRequest {
            request_id: String::new(),
            assignment: Some(pb::Assignment {
                person_id: karin,
                role_id: kommunchef,
                municipality_id: "tranemo".into(),
                valid_from: Some(samverkan_core::dates::to_proto(yesterday)),
                decision_ref: "KS Tranemo § 12".into(),
                ..Default::default()
            }),
        },
    ))
    .await
    .unwrap();

    let d = on_a
        .check_permission(may_rename_tranemo())
        .await
        .unwrap()
        .into_inner();
    assert!(d.allowed, "{d:?}");
    a.stop().await;
    b.stop().await;
}
backend_test!(a_role_assigned_on_one_instance_is_honoured_by_the_other_at_once);

/// A permission check of a caller already resolved, whose facts are kept,
/// costs at most three statements besides BEGIN and COMMIT: the version
/// read of the authentication layer, on PostgreSQL the tenant settings,
/// and the version read before the kept facts are trusted.
async fn a_kept_permission_check_costs_three_statements_at_most(db: TestDb) {
    let server = TestServer::start_quiet(&db, &[Svc::Roles]).await;
    let mut c = RolesServiceClient::new(server.channel().await);
    let check = || {
        as_(
            KARIN,
            pb::CheckPermissionRequest {
                action: "notes.write".into(),
                municipality_id: "tranemo".into(),
                collaboration_id: collab(),
                ..Default::default()
            },
        )
    };
    db.app.statements().start();
    c.check_permission(check()).await.unwrap();
    let cold = db.app.statements().stop();
    db.app.statements().start();
    c.check_permission(check()).await.unwrap();
    let warm: Vec<_> = db
        .app
        .statements()
        .stop()
        .into_iter()
        .filter(|s| !matches!(s.sql.trim(), "BEGIN" | "COMMIT"))
        .collect();
    assert!(warm.len() <= 3, "{warm:#?}");
    samverkan_testkit::figure(&format!(
        "statements of CheckPermission ({:?}): {} when resolved, {} when kept",
        db.backend,
        cold.len(),
        warm.len()
    ));
    server.stop().await;
}
backend_test!(a_kept_permission_check_costs_three_statements_at_most);

/// Forums are kept as well (every service checks a forum through the
/// roles service before reading it), bound by the same change version: a
/// mandate recorded through instance B is in instance A's very next answer.
async fn a_mandate_recorded_on_one_instance_shows_on_the_other_at_once(db: TestDb) {
    let ((a, mut on_a), (b, mut on_b)) = (instance(&db).await, instance(&db).await);
    let styr = forum_id(&mut on_a, "styrgruppen").await;
    let mandate = async |c: &mut Client| {
        c.get_forum(as_(LARS, pb::GetForumRequest { id: styr.clone() }))
            .await
            .unwrap()
            .into_inner()
            .forum
            .unwrap()
            .mandate
            .unwrap()
            .version
    };
    assert_eq!(mandate(&mut on_a).await, 1);
    assert_eq!(mandate(&mut on_a).await, 1);

    let today = samverkan_core::dates::today();
    on_b.create_mandate(as_(
        EVA,
        pb::CreateMandateRequest {
            request_id: String::new(),
            mandate: Some(pb::Mandate {
                forum_id: styr.clone(),
                text: "Uppdrag två: strategiska beslut om IT och digitalisering.".into(),
                effective_from: Some(samverkan_core::dates::to_proto(today)),
                decision_ref: "IT-styrgruppen § 4".into(),
                ..Default::default()
            }),
        },
    ))
    .await
    .unwrap();

    assert_eq!(mandate(&mut on_a).await, 2);
    a.stop().await;
    b.stop().await;
}
backend_test!(a_mandate_recorded_on_one_instance_shows_on_the_other_at_once);

/// Split as `samverkan serve --services forums --roles-url …` runs it: the
/// forums server keeps callers it resolved through the roles server, and
/// reads the registry's change version from the database they share, so
/// an assignment ended through the roles server is refused on the forums
/// server's very next call (not after the remote directory's time to live).
async fn apart_an_ended_assignment_is_refused_by_the_other_service_at_once(db: TestDb) {
    use samverkan_proto::forums::v1 as fpb;
    use samverkan_proto::forums::v1::forums_service_client::ForumsServiceClient;

    let deployment = samverkan_testkit::TestDeployment::split(&db).await;
    assert!(deployment.is_split());
    let mut roles = RolesServiceClient::new(deployment.channel(Svc::Roles).await);
    let mut forums = ForumsServiceClient::new(deployment.channel(Svc::Forums).await);
    let list = || as_(KARIN, fpb::ListMattersRequest::default());
    for _ in 0..2 {
        forums.list_matters(list()).await.unwrap();
    }

    let me = roles
        .who_am_i(as_(KARIN, pb::WhoAmIRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert!(
        me.seats.is_empty(),
        "Karin holds no explicit seat in the demo"
    );
    let yesterday = samverkan_core::dates::today().pred_opt().unwrap();
    for held in &me.assignments {
        roles
            .end_assignment(as_(
                ANNA,
                pb::EndAssignmentRequest {
                    id: held.id.clone(),
                    valid_to: Some(samverkan_core::dates::to_proto(yesterday)),
                    etag: held.etag.clone(),
                },
            ))
            .await
            .unwrap();
    }

    let err = forums.list_matters(list()).await.unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");
    deployment.stop().await;
}
backend_test!(apart_an_ended_assignment_is_refused_by_the_other_service_at_once);
