//! gRPC-Web over HTTP/1.1, as a browser client sends it, against the
//! in-process server: a health check answered with a data frame and a
//! trailer frame carrying grpc-status 0.

use samverkan_server::Svc;
use samverkan_testkit::{TestDb, TestServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_web_over_http1() {
    let db = TestDb::sqlite().await;
    let server = TestServer::start(&db, &[Svc::Roles]).await;
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    // An empty HealthCheckRequest: one uncompressed frame of length 0.
    let request = format!(
        "POST /grpc.health.v1.Health/Check HTTP/1.1\r\nHost: {}\r\ncontent-type: application/grpc-web+proto\r\n\
         x-grpc-web: 1\r\ncontent-length: 5\r\nconnection: close\r\n\r\n",
        server.addr
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.write_all(&[0, 0, 0, 0, 0]).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(
        text.to_ascii_lowercase()
            .contains("content-type: application/grpc-web+proto"),
        "{text}"
    );
    // Data frame: flag 0, length 2, HealthCheckResponse { status: SERVING (1) } = 08 01.
    let body_start = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let body = &response[body_start..];
    let frame = body
        .windows(7)
        .position(|w| w == [0, 0, 0, 0, 2, 0x08, 0x01]);
    assert!(frame.is_some(), "no SERVING data frame in {body:?}");
    // Trailer frame (flag 0x80) with grpc-status 0.
    assert!(body.contains(&0x80), "no trailer frame");
    assert!(
        String::from_utf8_lossy(body).contains("grpc-status:0"),
        "{text}"
    );
    server.stop().await;
    db.cleanup().await;
}

/// Sends one raw HTTP/1.1 request and returns the response head, lower-cased.
async fn http1(addr: std::net::SocketAddr, request: &str, body: &[u8]) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response).to_ascii_lowercase();
    let end = text.find("\r\n\r\n").unwrap_or(text.len());
    text[..end].to_owned()
}

fn preflight(addr: std::net::SocketAddr, origin: &str) -> String {
    format!(
        "OPTIONS /samverkan.roles.v1.RolesService/WhoAmI HTTP/1.1\r\nHost: {addr}\r\n\
         origin: {origin}\r\naccess-control-request-method: POST\r\n\
         access-control-request-headers: authorization,content-type,x-grpc-web,x-user-agent\r\n\
         connection: close\r\n\r\n"
    )
}

const APP: &str = "https://samverkan.tranemo.se";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browsers_of_allowed_origins_may_call() {
    let db = TestDb::sqlite().await;
    let setup = samverkan_testkit::Setup {
        cors: samverkan_server::Cors::origins([APP]).unwrap(),
        ..Default::default()
    };
    let server = TestServer::start_set_up(&db, &[Svc::Roles], setup).await;

    // The preflight is answered without a token.
    let head = http1(server.addr, &preflight(server.addr, APP), b"").await;
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(
        head.contains(&format!("access-control-allow-origin: {APP}")),
        "{head}"
    );
    for h in [
        "authorization",
        "content-type",
        "x-grpc-web",
        "x-user-agent",
    ] {
        let allowed = head
            .lines()
            .find(|l| l.starts_with("access-control-allow-headers:"))
            .unwrap_or_default();
        assert!(allowed.contains(h), "{h} not allowed: {head}");
    }
    assert!(head.contains("access-control-allow-methods:"), "{head}");

    // Another origin is not told it may call.
    let head = http1(
        server.addr,
        &preflight(server.addr, "https://evil.example"),
        b"",
    )
    .await;
    assert!(!head.contains("access-control-allow-origin"), "{head}");

    // The call itself, refused for want of a token, still lets the page's
    // script read why.
    let call = format!(
        "POST /samverkan.roles.v1.RolesService/WhoAmI HTTP/1.1\r\nHost: {}\r\n\
         origin: {APP}\r\ncontent-type: application/grpc-web+proto\r\nx-grpc-web: 1\r\n\
         content-length: 5\r\nconnection: close\r\n\r\n",
        server.addr
    );
    let head = http1(server.addr, &call, &[0, 0, 0, 0, 0]).await;
    assert!(head.contains("grpc-status: 16"), "{head}");
    assert!(
        head.contains(&format!("access-control-allow-origin: {APP}")),
        "{head}"
    );
    let exposed = head
        .lines()
        .find(|l| l.starts_with("access-control-expose-headers:"))
        .unwrap_or_default();
    for h in ["grpc-status", "grpc-message", "grpc-status-details-bin"] {
        assert!(exposed.contains(h), "{h} not exposed: {head}");
    }
    server.stop().await;

    // Without configured origins no browser origin is allowed.
    let server = TestServer::start(&db, &[Svc::Roles]).await;
    let head = http1(server.addr, &preflight(server.addr, APP), b"").await;
    assert!(!head.contains("access-control-allow-origin"), "{head}");
    server.stop().await;
    db.cleanup().await;
}
