//! Keys from a JWKS URL: startup fetch, refresh, outage, rotation.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use jsonwebtoken::Algorithm;
use samverkan_auth::{AuthConfig, AuthError, KeySource, SetupError, Verifier};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A tiny HTTP/1.1 server answering every request with `reply` (status,
/// body), counting requests.
struct JwksServer {
    url: String,
    reply: Arc<Mutex<(u16, String)>>,
    hits: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl JwksServer {
    async fn start(body: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/keys", listener.local_addr().unwrap());
        let reply = Arc::new(Mutex::new((200, body)));
        let hits = Arc::new(AtomicUsize::new(0));
        let (r, h) = (reply.clone(), hits.clone());
        let task = tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                h.fetch_add(1, Ordering::SeqCst);
                let (status, body) = r.lock().unwrap().clone();
                tokio::spawn(async move {
                    // Read the request head; its content does not matter.
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 1024];
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        match sock.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let head = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = sock.write_all(head.as_bytes()).await;
                    let _ = sock.write_all(body.as_bytes()).await;
                    let _ = sock.shutdown().await;
                });
            }
        });
        Self {
            url,
            reply,
            hits,
            task,
        }
    }

    fn set(&self, status: u16, body: &str) {
        *self.reply.lock().unwrap() = (status, body.to_owned());
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    /// Stops accepting and closes the port.
    async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

fn full_jwks() -> String {
    String::from_utf8(read_fixture("test-only-jwks.json")).unwrap()
}

/// The fixture set with only the RSA key: before a rotation added the EC key.
fn rsa_only_jwks() -> String {
    let mut set: Value = serde_json::from_str(&full_jwks()).unwrap();
    set["keys"]
        .as_array_mut()
        .unwrap()
        .retain(|k| k["kid"] == RSA_KID);
    set.to_string()
}

fn url_config(url: &str, refresh: Duration) -> AuthConfig {
    config(KeySource::JwksUrl {
        url: url.to_owned(),
        refresh,
    })
}

#[tokio::test]
async fn keys_from_url_verify_and_survive_an_outage() {
    let server = JwksServer::start(full_jwks()).await;
    let v = Verifier::new(url_config(&server.url, Duration::from_secs(1)))
        .await
        .expect("verifier");
    v.verify(&rs256(&claims())).await.expect("rs256 via url");
    v.verify(&es256(&claims())).await.expect("es256 via url");

    // The identity provider answers nonsense: the cache stays.
    server.set(200, "{\"oops\":true}");
    assert!(matches!(
        v.refresh_keys().await,
        Err(SetupError::InvalidJwks(_))
    ));
    server.set(503, "down for maintenance");
    assert!(matches!(
        v.refresh_keys().await,
        Err(SetupError::FetchJwks { .. })
    ));
    v.verify(&rs256(&claims()))
        .await
        .expect("cached after bad refresh");

    // The identity provider is gone altogether.
    server.stop().await;
    assert!(matches!(
        v.refresh_keys().await,
        Err(SetupError::FetchJwks { .. })
    ));
    // Wait until the background refresh (every second) has failed, too.
    let failed = v.failed_key_refreshes();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while v.failed_key_refreshes() == failed {
        assert!(
            std::time::Instant::now() < deadline,
            "the background refresh never failed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    v.verify(&rs256(&claims()))
        .await
        .expect("cached after failed refreshes");
    v.verify(&es256(&claims()))
        .await
        .expect("cached after failed refreshes");
}

#[tokio::test]
async fn background_refresh_picks_up_new_keys() {
    let server = JwksServer::start(rsa_only_jwks()).await;
    let v = Verifier::new(url_config(&server.url, Duration::from_secs(1)))
        .await
        .expect("verifier");
    server.set(200, &full_jwks());
    // Use up the one immediate refresh an unknown kid may trigger, so only
    // the background task can bring the EC key in.
    let junk = sign(Algorithm::RS256, Some("junk"), &rsa_key(), &claims());
    assert!(matches!(
        v.verify(&junk).await,
        Err(AuthError::UnknownKey(_))
    ));
    // Wait for the background refresh itself, not for a guessed time.
    let hits = server.hits();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while server.hits() == hits {
        assert!(
            std::time::Instant::now() < deadline,
            "the background refresh never ran"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    v.verify(&es256(&claims()))
        .await
        .expect("rotated-in key via background refresh");
}

#[tokio::test]
async fn unknown_kid_triggers_at_most_one_immediate_refresh() {
    let server = JwksServer::start(rsa_only_jwks()).await;
    // An hour between background refreshes: any fetch below is on demand.
    let v = Verifier::new(url_config(&server.url, Duration::from_secs(3600)))
        .await
        .expect("verifier");
    assert_eq!(server.hits(), 1);

    // The identity provider rotates in the EC key; a token signed with it
    // arrives before the next scheduled refresh.
    server.set(200, &full_jwks());
    v.verify(&es256(&claims()))
        .await
        .expect("new kid fetched on demand");
    assert_eq!(server.hits(), 2);

    // Junk kids right after do not hammer the identity provider.
    for kid in ["junk-1", "junk-2", "junk-3"] {
        let token = sign(Algorithm::RS256, Some(kid), &rsa_key(), &claims());
        assert_eq!(
            v.verify(&token).await.unwrap_err(),
            AuthError::UnknownKey(kid.into())
        );
    }
    assert_eq!(server.hits(), 2, "no refresh within the cooldown");
}

#[tokio::test]
async fn startup_fails_when_the_url_gives_no_keys() {
    // Nothing listens on a port that was just released.
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/keys");
    assert!(matches!(
        Verifier::new(url_config(&url, Duration::from_secs(60))).await,
        Err(SetupError::FetchJwks { .. })
    ));

    let server = JwksServer::start("not found".into()).await;
    server.set(404, "not found");
    assert!(matches!(
        Verifier::new(url_config(&server.url, Duration::from_secs(60))).await,
        Err(SetupError::FetchJwks { .. })
    ));
    server.set(200, r#"{"keys":[{"kty":"oct","kid":"h","k":"c2VjcmV0"}]}"#);
    assert!(matches!(
        Verifier::new(url_config(&server.url, Duration::from_secs(60))).await,
        Err(SetupError::NoUsableKeys)
    ));
    server.stop().await;
}
