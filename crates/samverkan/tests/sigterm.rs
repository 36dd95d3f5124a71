//! The binary as an operator runs it: serve on the SQLite default in an
//! empty directory, answer health, and exit 0 within 10 s of SIGTERM.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[tokio::test]
async fn sigterm_drains_and_exits_zero() {
    let dir = std::env::temp_dir().join(format!("samverkan-sigterm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_samverkan"))
        .args([
            "serve",
            "--demo",
            "--dev-auth",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .current_dir(&dir)
        .env_remove("DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();

    // Serving on the embedded default: health answers SERVING.
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Ok(channel) =
            tonic::transport::Endpoint::from_shared(format!("http://127.0.0.1:{port}"))
                .unwrap()
                .connect()
                .await
            && let Ok(resp) = HealthClient::new(channel)
                .check(HealthCheckRequest {
                    service: String::new(),
                })
                .await
        {
            break resp.into_inner().status;
        }
        assert!(Instant::now() < deadline, "server did not come up");
        assert!(child.try_wait().unwrap().is_none(), "server exited early");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(status, ServingStatus::Serving as i32);
    assert!(
        dir.join("data/samverkan.db").exists(),
        "the SQLite file is created under ./data"
    );

    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let started = Instant::now();
    let exit = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "still running 10 s after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(exit.success(), "exit status after SIGTERM: {exit:?}");
    std::fs::remove_dir_all(&dir).ok();
}
