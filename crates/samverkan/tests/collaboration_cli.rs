//! `samverkan collaboration create` as an operator runs it, on both
//! backends: a second collaboration beside the demo, created from the
//! example spec, idempotent, and walled off from the demo's people.

use std::process::Command;

use samverkan_proto::roles::v1 as pb;
use samverkan_proto::roles::v1::roles_service_client::RolesServiceClient;
use samverkan_server::Svc;
use samverkan_testkit::{TestDb, TestServer, backend_test};

fn create(url: &str) -> (i32, String) {
    let spec = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/collaboration-spec.example.json"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_samverkan"))
        .args([
            "collaboration",
            "create",
            "--file",
            spec,
            "--database-url",
            url,
        ])
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

async fn a_second_collaboration_from_a_spec(db: TestDb) {
    let (code, out) = create(&db.app_url);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("IT-samverkan Sjuhärad: 2 municipalities, 2 memberships, 4 people, 4 role assignments added"), "{out}");
    let (code, out) = create(&db.app_url);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("0 municipalities, 0 memberships, 0 people, 0 role assignments added"),
        "{out}"
    );

    let server = TestServer::start(&db, &[Svc::Roles]).await;
    let mut c = RolesServiceClient::new(server.channel().await);
    let olle = TestServer::token_for("olle.strom@herrljunga.se", "herrljunga");
    let forums = c
        .list_forums(TestServer::request(&olle, pb::ListForumsRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .forums;
    assert_eq!(forums.len(), 5);
    let styr = forums.iter().find(|f| f.code == "styrgruppen").unwrap();
    let comp = c
        .get_forum_composition(TestServer::request(
            &olle,
            pb::GetForumCompositionRequest {
                forum_id: styr.id.clone(),
                on: None,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let names: Vec<_> = comp
        .seats
        .iter()
        .filter_map(|s| s.person.as_ref().map(|p| p.display_name.as_str()))
        .collect();
    assert!(
        names.contains(&"Åsa Lind") && names.contains(&"Göran Ek") && names.contains(&"Olle Ström"),
        "{names:?}"
    );
    // The two collaborations do not see each other's people.
    let people = c
        .list_people(TestServer::request(
            &olle,
            pb::ListPeopleRequest {
                page_size: 200,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .people;
    assert!(
        people
            .iter()
            .all(|p| p.municipality_id == "svenljunga" || p.municipality_id == "herrljunga")
    );

    // Its secretary (the IT-strateg) renames it; a stale etag changes nothing.
    let me = c
        .who_am_i(TestServer::request(&olle, pb::WhoAmIRequest {}))
        .await
        .unwrap()
        .into_inner();
    let collab = me.memberships[0].collaboration.clone().unwrap();
    let renamed = c
        .update_collaboration(TestServer::request(
            &olle,
            pb::UpdateCollaborationRequest {
                collaboration: Some(pb::Collaboration {
                    name: "IT-samverkan Sjuhärad Syd".into(),
                    ..collab.clone()
                }),
                etag: collab.etag.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .collaboration
        .unwrap();
    assert_eq!(renamed.name, "IT-samverkan Sjuhärad Syd");
    let err = c
        .update_collaboration(TestServer::request(
            &olle,
            pb::UpdateCollaborationRequest {
                collaboration: Some(pb::Collaboration {
                    name: "Annat".into(),
                    ..collab.clone()
                }),
                etag: collab.etag.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::Aborted);
    let asa = TestServer::token_for("asa.lind@svenljunga.se", "svenljunga");
    let err = c
        .update_collaboration(TestServer::request(
            &asa,
            pb::UpdateCollaborationRequest {
                collaboration: Some(pb::Collaboration {
                    name: "Annat".into(),
                    ..renamed.clone()
                }),
                etag: renamed.etag.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        tonic::Code::PermissionDenied,
        "only IT-styrgruppen's secretary renames it"
    );
    server.stop().await;
}
backend_test!(a_second_collaboration_from_a_spec);
