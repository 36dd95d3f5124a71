//! `samverkan serve` with the services apart, as the split manifests run
//! it: a process that needs a service it does not serve says which flag is
//! missing, and a forums process given `--roles-url` answers on behalf of
//! the caller by asking the roles process.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use samverkan_proto::forums::v1 as fpb;
use samverkan_proto::forums::v1::forums_service_client::ForumsServiceClient;
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

const SECRET: &str = "serve-apart-test-secret";

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// `samverkan serve` with the URL variables of the environment cleared, so
/// that only the flags given count.
fn serve(dir: &std::path::Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_samverkan"));
    cmd.arg("serve")
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env("SAMVERKAN_DEV_SECRET", SECRET);
    for var in [
        "SAMVERKAN_ROLES_URL",
        "SAMVERKAN_FORUMS_URL",
        "SAMVERKAN_DECISIONS_URL",
        "SAMVERKAN_COSTMODEL_URL",
        "SAMVERKAN_SERVICES",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("samverkan-{name}-{}", samverkan_core::new_uuid()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn wait_serving(port: u16, service: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(channel) =
            tonic::transport::Endpoint::from_shared(format!("http://127.0.0.1:{port}"))
                .unwrap()
                .connect()
                .await
            && let Ok(resp) = HealthClient::new(channel)
                .check(HealthCheckRequest {
                    service: service.into(),
                })
                .await
            && resp.into_inner().status == ServingStatus::Serving as i32
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{service} never served on {port}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn as_person<T>(email: &str, municipality: &str, msg: T) -> tonic::Request<T> {
    let token = samverkan_auth::mint_dev_token(
        SECRET,
        "samverkan-dev",
        "samverkan",
        email,
        municipality,
        Duration::from_secs(600),
    )
    .unwrap();
    let mut req = tonic::Request::new(msg);
    req.metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    req
}

#[test]
fn a_needed_service_neither_served_nor_addressed_is_a_startup_error() {
    let dir = scratch("apart-missing");
    let out = serve(&dir, &["--services", "decisions", "--dev-auth"])
        .arg("--roles-url")
        .arg("http://127.0.0.1:1")
        .stdout(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--forums-url") && err.contains("decisions calls it"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn forums_apart_from_roles() {
    let dir = scratch("apart");
    let (roles_port, forums_port) = (free_port(), free_port());
    let roles = Killed(
        serve(
            &dir,
            &[
                "--services",
                "roles",
                "--demo",
                "--dev-auth",
                "--listen",
                &format!("127.0.0.1:{roles_port}"),
            ],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap(),
    );
    wait_serving(roles_port, "samverkan.roles.v1.RolesService").await;
    let roles_url = format!("http://127.0.0.1:{roles_port}");
    let forums = Killed(
        serve(
            &dir,
            &[
                "--services",
                "forums",
                "--dev-auth",
                "--listen",
                &format!("127.0.0.1:{forums_port}"),
                "--roles-url",
                &roles_url,
            ],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap(),
    );
    wait_serving(forums_port, "samverkan.forums.v1.ForumsService").await;

    let channel =
        tonic::transport::Endpoint::from_shared(format!("http://127.0.0.1:{forums_port}"))
            .unwrap()
            .connect()
            .await
            .unwrap();
    let mut c = ForumsServiceClient::new(channel);
    // Drafting asks the roles process whether Sofia may, with her token.
    let draft = c
        .create_matter(as_person(
            "sofia.lindstrom@tranemo.se",
            "tranemo",
            fpb::CreateMatterRequest {
                request_id: String::new(),
                matter: Some(fpb::Matter {
                    kind: fpb::MatterKind::DevelopmentNeed as i32,
                    title: "E-underskrift".into(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .matter
        .unwrap();
    // Ulricehamn's scope, resolved through the roles process, hides it.
    let err = c
        .get_matter(as_person(
            "maria.sjoberg@ulricehamn.se",
            "ulricehamn",
            fpb::GetMatterRequest { id: draft.id },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    // A municipality the deployment does not know is refused as by roles.
    let err = c
        .list_matters(as_person(
            "x@example.se",
            "boras",
            fpb::ListMattersRequest::default(),
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");
    drop(forums);
    drop(roles);
    std::fs::remove_dir_all(&dir).ok();
}
