//! Onboarding a member municipality through the API (issue 18), on SQLite
//! and PostgreSQL: the collaboration administrator adds Svenljunga from a
//! 1 January, registers its first administrator and gives her the
//! kommunchef role; she registers the rest of Svenljunga's people and
//! roles herself. Fields a caller may not set are refused, naming the
//! field. Leaving ends the leaver's role assignments and seats with the
//! membership.

use chrono::Datelike;
use samverkan_proto::common::v1::Date;
use samverkan_proto::roles::v1 as pb;
use samverkan_proto::roles::v1::roles_service_client::RolesServiceClient;
use samverkan_roles::demo;
use samverkan_server::Svc;
use samverkan_testkit::{TestDb, TestServer, backend_test};
use tonic::transport::Channel;
use tonic::{Code, Status};

/// Tranemo's IT-koordinator, the demo's samverkansadministratör.
const IDA: &str = "ida.nyqvist@tranemo.se";
/// Tranemo's kommunchef: administers Tranemo, not the collaboration.
const ANNA: &str = "anna.aberg@tranemo.se";
/// IT-strateg, IT-styrgruppen's secretary (members.manage, forums.manage).
const EVA: &str = "eva.dahlgren@ulricehamn.se";
/// Svenljunga's first administrator, registered by Ida.
const GRETA: &str = "greta.lind@svenljunga.se";
/// Svenljunga's utvecklingschef, registered by Greta.
const HUGO: &str = "hugo.berg@svenljunga.se";

type Client = RolesServiceClient<Channel>;

fn as_<T>(email: &str, msg: T) -> tonic::Request<T> {
    TestServer::as_person(email, msg)
}

fn as_greta<T>(msg: T) -> tonic::Request<T> {
    TestServer::request(&TestServer::token_for(GRETA, "svenljunga"), msg)
}

fn pb_date(d: chrono::NaiveDate) -> Option<Date> {
    Some(samverkan_core::dates::to_proto(d))
}

fn collab() -> String {
    demo::COLLABORATION_ID.to_string()
}

fn today() -> chrono::NaiveDate {
    samverkan_core::dates::today()
}

/// This year's 1 January: the join date, so that Svenljunga is a member today.
fn new_year() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(today().year(), 1, 1).unwrap()
}

fn refused(r: Result<impl std::fmt::Debug, Status>, code: Code, needle: &str) {
    let s = r.expect_err("the call must be refused");
    assert_eq!(s.code(), code, "{s:?}");
    assert!(s.message().contains(needle), "{needle:?} not in {s:?}");
}

fn add_member(id: &str, name: &str, joined_on: chrono::NaiveDate) -> pb::CreateMunicipalityRequest {
    pb::CreateMunicipalityRequest {
        request_id: format!("join-{id}"),
        municipality: Some(pb::Municipality {
            id: id.into(),
            name: name.into(),
            ..Default::default()
        }),
        collaboration_id: collab(),
        joined_on: pb_date(joined_on),
        decision_ref: "IT-styrgruppen 2026-11-20 § 41".into(),
    }
}

fn new_person(name: &str, email: &str, municipality: &str) -> pb::CreatePersonRequest {
    pb::CreatePersonRequest {
        request_id: format!("person-{email}"),
        person: Some(pb::Person {
            display_name: name.into(),
            email: email.into(),
            municipality_id: municipality.into(),
            ..Default::default()
        }),
    }
}

fn assign(person: &str, role: &str, municipality: &str) -> pb::CreateAssignmentRequest {
    pb::CreateAssignmentRequest {
        request_id: format!("assign-{person}-{role}"),
        assignment: Some(pb::Assignment {
            person_id: person.into(),
            role_id: role.into(),
            municipality_id: municipality.into(),
            valid_from: pb_date(new_year()),
            decision_ref: "KS Svenljunga 2026-12-01 § 200".into(),
            ..Default::default()
        }),
    }
}

async fn role_id(c: &mut Client, code: &str) -> String {
    c.list_roles(as_(
        ANNA,
        pb::ListRolesRequest {
            collaboration_id: collab(),
        },
    ))
    .await
    .unwrap()
    .into_inner()
    .roles
    .into_iter()
    .find(|r| r.code == code)
    .unwrap_or_else(|| panic!("no role {code}"))
    .id
}

async fn forum_id(c: &mut Client, code: &str) -> String {
    c.list_forums(as_(
        ANNA,
        pb::ListForumsRequest {
            collaboration_id: collab(),
        },
    ))
    .await
    .unwrap()
    .into_inner()
    .forums
    .into_iter()
    .find(|f| f.code == code)
    .unwrap()
    .id
}

async fn names_in(c: &mut Client, forum: &str) -> Vec<String> {
    c.get_forum_composition(as_(
        ANNA,
        pb::GetForumCompositionRequest {
            forum_id: forum.into(),
            on: pb_date(today()),
        },
    ))
    .await
    .unwrap()
    .into_inner()
    .seats
    .into_iter()
    .filter_map(|s| s.person.map(|p| p.display_name))
    .collect()
}

async fn people_of(c: &mut Client, who: &str, municipality: &str) -> Vec<String> {
    let req = pb::ListPeopleRequest {
        municipality_id: municipality.into(),
        page_size: 200,
        ..Default::default()
    };
    let req = if who == GRETA {
        as_greta(req)
    } else {
        as_(who, req)
    };
    let mut names: Vec<String> = c
        .list_people(req)
        .await
        .unwrap()
        .into_inner()
        .people
        .into_iter()
        .map(|p| p.email)
        .collect();
    names.sort();
    names
}

async fn onboarding_story(db: TestDb) {
    let server = TestServer::start(&db, &[Svc::Roles]).await;
    let mut c = RolesServiceClient::new(server.channel().await);
    let kommunchef = role_id(&mut c, "kommunchef").await;
    let utvecklingschef = role_id(&mut c, "utvecklingschef").await;

    // Adding a member: the collaboration administrator may, Tranemo's
    // kommunchef may not; the request may not carry server-set fields.
    refused(
        c.create_municipality(as_(
            ANNA,
            add_member("svenljunga", "Svenljunga kommun", new_year()),
        ))
        .await,
        Code::PermissionDenied,
        "members.manage",
    );
    let mut with_etag = add_member("svenljunga", "Svenljunga kommun", new_year());
    with_etag.municipality.as_mut().unwrap().etag = "x".into();
    refused(
        c.create_municipality(as_(IDA, with_etag)).await,
        Code::InvalidArgument,
        "municipality.etag",
    );
    let added = c
        .create_municipality(as_(
            IDA,
            add_member("svenljunga", "Svenljunga kommun", new_year()),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(added.membership.unwrap().joined_on, pb_date(new_year()));

    // Naming another municipality: refused unless onboarding, never ignored.
    refused(
        c.create_person(as_(ANNA, new_person("Greta Lind", GRETA, "svenljunga")))
            .await,
        Code::PermissionDenied,
        "person.municipality_id",
    );
    refused(
        c.create_person(as_(EVA, new_person("Greta Lind", GRETA, "svenljunga")))
            .await,
        Code::PermissionDenied,
        "person.municipality_id",
    );
    refused(
        c.create_person(as_(IDA, new_person("Greta Lind", GRETA, "gnosjo")))
            .await,
        Code::InvalidArgument,
        "person.municipality_id",
    );
    refused(
        c.create_person(as_(IDA, new_person("Greta Lind", GRETA, "Svenljunga!")))
            .await,
        Code::InvalidArgument,
        "person.municipality_id",
    );
    let mut with_id = new_person("Greta Lind", GRETA, "svenljunga");
    with_id.person.as_mut().unwrap().id = "0190c0de-0000-7000-8000-000000000001".into();
    refused(
        c.create_person(as_(IDA, with_id)).await,
        Code::InvalidArgument,
        "person.id",
    );
    assert!(
        people_of(&mut c, ANNA, "svenljunga").await.is_empty(),
        "nothing was registered by the refused calls"
    );

    // The first administrator: registered by Ida, employed by Svenljunga.
    let greta = c
        .create_person(as_(IDA, new_person("Greta Lind", GRETA, "svenljunga")))
        .await
        .unwrap()
        .into_inner()
        .person
        .unwrap();
    assert_eq!(greta.municipality_id, "svenljunga");
    // A retry answers the same person.
    let again = c
        .create_person(as_(IDA, new_person("Greta Lind", GRETA, "svenljunga")))
        .await
        .unwrap()
        .into_inner()
        .person
        .unwrap();
    assert_eq!(again.id, greta.id);
    // Only an administrator role, not any municipal role.
    refused(
        c.create_assignment(as_(IDA, assign(&greta.id, &utvecklingschef, "svenljunga")))
            .await,
        Code::PermissionDenied,
        "roles.assign_municipal",
    );
    refused(
        c.create_assignment(as_(ANNA, assign(&greta.id, &kommunchef, "svenljunga")))
            .await,
        Code::PermissionDenied,
        "samverkansadministrator",
    );
    c.create_assignment(as_(IDA, assign(&greta.id, &kommunchef, "svenljunga")))
        .await
        .unwrap();

    // Now Svenljunga has an administrator: Ida's part is done.
    refused(
        c.create_person(as_(IDA, new_person("Hugo Berg", HUGO, "svenljunga")))
            .await,
        Code::PermissionDenied,
        "already has an administrator (kommunchef)",
    );
    let check = c
        .check_permission(as_(
            IDA,
            pb::CheckPermissionRequest {
                action: "members.onboard".into(),
                collaboration_id: collab(),
                municipality_id: "svenljunga".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(!check.allowed, "{check:?}");

    // Greta registers Svenljunga's utvecklingschef, who thereby holds seats.
    let hugo = c
        .create_person(as_greta(new_person("Hugo Berg", HUGO, "")))
        .await
        .unwrap()
        .into_inner()
        .person
        .unwrap();
    assert_eq!(hugo.municipality_id, "svenljunga");
    c.create_assignment(as_greta(assign(&hugo.id, &utvecklingschef, "svenljunga")))
        .await
        .unwrap();
    // She may not register people elsewhere.
    refused(
        c.create_person(as_greta(new_person(
            "Åke Ek",
            "ake.ek@tranemo.se",
            "tranemo",
        )))
        .await,
        Code::PermissionDenied,
        "person.municipality_id",
    );
    let styrgruppen = forum_id(&mut c, "styrgruppen").await;
    let seated = names_in(&mut c, &styrgruppen).await;
    assert!(
        seated.contains(&"Greta Lind".to_string()) && seated.contains(&"Hugo Berg".to_string()),
        "{seated:?}"
    );
    // IT-styrgruppen's secretary gives Hugo an explicit seat as well.
    let drift = forum_id(&mut c, "drift").await;
    c.create_seat(as_(
        EVA,
        pb::CreateSeatRequest {
            request_id: "seat-hugo".into(),
            seat: Some(pb::Seat {
                forum_id: drift.clone(),
                person_id: hugo.id.clone(),
                kind: pb::SeatKind::Member as i32,
                valid_from: pb_date(new_year()),
                decision_ref: "IT-styrgruppen 2026-11-20 § 43".into(),
                ..Default::default()
            }),
        },
    ))
    .await
    .unwrap();
    assert!(
        names_in(&mut c, &drift)
            .await
            .contains(&"Hugo Berg".to_string())
    );

    // Tenancy: Svenljunga's people are seen by the members from its join
    // date, and it sees theirs; before the join date it was no member.
    assert_eq!(
        people_of(&mut c, ANNA, "svenljunga").await,
        vec![GRETA, HUGO]
    );
    assert!(
        people_of(&mut c, GRETA, "tranemo")
            .await
            .contains(&ANNA.to_string())
    );
    let before = c
        .list_members(as_(
            ANNA,
            pb::ListMembersRequest {
                collaboration_id: collab(),
                on: pb_date(new_year().pred_opt().unwrap()),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(
        before
            .memberships
            .iter()
            .all(|m| m.municipality_id != "svenljunga"),
        "{before:?}"
    );

    // Onboarding is dated: a member from next year cannot be onboarded yet.
    let next_year = chrono::NaiveDate::from_ymd_opt(today().year() + 1, 1, 1).unwrap();
    c.create_municipality(as_(IDA, add_member("mark", "Marks kommun", next_year)))
        .await
        .unwrap();
    refused(
        c.create_person(as_(IDA, new_person("Mia Mark", "mia@mark.se", "mark")))
            .await,
        Code::PermissionDenied,
        &format!("not a member of the collaboration until {next_year}"),
    );

    // Leaving: the collaboration administrator ends the membership; the
    // leaver's role assignments and seats end on the same day.
    let leave = pb::EndMembershipRequest {
        collaboration_id: collab(),
        municipality_id: "svenljunga".into(),
        left_on: pb_date(today()),
        decision_ref: "IT-styrgruppen 2026-12-01 § 50".into(),
    };
    refused(
        c.end_membership(as_(ANNA, leave.clone())).await,
        Code::PermissionDenied,
        "members.manage",
    );
    let ended = c
        .end_membership(as_(IDA, leave))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ended.membership.unwrap().left_on, pb_date(today()));
    let mut ended_roles: Vec<(String, String)> = ended
        .ended_assignments
        .iter()
        .map(|a| (a.person_id.clone(), a.role_code.clone()))
        .collect();
    ended_roles.sort();
    let mut expected = vec![
        (greta.id.clone(), "kommunchef".to_string()),
        (hugo.id.clone(), "utvecklingschef".to_string()),
    ];
    expected.sort();
    assert_eq!(ended_roles, expected);
    assert!(
        ended
            .ended_assignments
            .iter()
            .all(|a| a.valid_to == pb_date(today()))
    );
    assert_eq!(ended.ended_seats.len(), 1);
    assert_eq!(ended.ended_seats[0].person_id, hugo.id);
    assert_eq!(ended.ended_seats[0].valid_to, pb_date(today()));
    // Nothing of Svenljunga's is in force after the leave date.
    let tomorrow = today().succ_opt().unwrap();
    let after = c
        .list_assignments(as_(
            ANNA,
            pb::ListAssignmentsRequest {
                collaboration_id: collab(),
                municipality_id: "svenljunga".into(),
                on: pb_date(tomorrow),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(after.assignments.is_empty(), "{after:?}");
    // Tranemo's own assignments are untouched.
    let tranemo = c
        .list_assignments(as_(
            ANNA,
            pb::ListAssignmentsRequest {
                collaboration_id: collab(),
                municipality_id: "tranemo".into(),
                on: pb_date(tomorrow),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(!tranemo.assignments.is_empty());
    server.stop().await;
}

backend_test!(onboarding_story);

/// A person stays with their municipality, and no two people of it sign in
/// as the same identity: either change is refused. (Linking a person to a
/// new identity is in tests/security.rs.)
async fn update_person_refuses_what_it_cannot_change(db: TestDb) {
    let server = TestServer::start(&db, &[Svc::Roles]).await;
    let mut c = RolesServiceClient::new(server.channel().await);
    let me = c
        .who_am_i(as_(ANNA, pb::WhoAmIRequest {}))
        .await
        .unwrap()
        .into_inner()
        .person
        .unwrap();
    let moved = pb::UpdatePersonRequest {
        etag: me.etag.clone(),
        person: Some(pb::Person {
            municipality_id: "ulricehamn".into(),
            ..me.clone()
        }),
    };
    refused(
        c.update_person(as_(ANNA, moved)).await,
        Code::InvalidArgument,
        "person.municipality_id",
    );
    let renamed = pb::UpdatePersonRequest {
        etag: me.etag.clone(),
        person: Some(pb::Person {
            subject: "karin.strom@tranemo.se".into(),
            ..me.clone()
        }),
    };
    refused(
        c.update_person(as_(ANNA, renamed)).await,
        Code::AlreadyExists,
        "signs in as karin.strom@tranemo.se",
    );
    // Sent back as read, the update goes through.
    let same = pb::UpdatePersonRequest {
        etag: me.etag.clone(),
        person: Some(pb::Person {
            display_name: "Anna Åberg Lind".into(),
            ..me
        }),
    };
    c.update_person(as_(ANNA, same)).await.unwrap();
    server.stop().await;
}

backend_test!(update_person_refuses_what_it_cannot_change);
