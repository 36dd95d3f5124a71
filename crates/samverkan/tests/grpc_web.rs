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
