//! The isolation matrix's machinery: raw gRPC calls by method path, the
//! principals every RPC is tried as, the rows that say what each principal
//! may do, and the check that a response carries no byte of data the
//! caller may not see.

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use prost::Message;
use samverkan_testkit::{DEV_AUDIENCE, DEV_ISSUER, DEV_SECRET, TestDb, TestServer};
use tonic::Code;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::transport::Channel;

/// The owning municipality's principals (Tranemo) and the attackers.
pub const OWNER_TENANT: &str = "tranemo";
/// The other member municipality's default principal: Ulricehamn's
/// utvecklingschef, who may write notes and proposals in her own
/// municipality — the strongest colleague to try Tranemo's data with.
pub const OTHER_MEMBER: &str = "maria.sjoberg@ulricehamn.se";
/// A municipality of another collaboration: the IT-strateg of the example
/// spec's Sjuhärad collaboration, who holds an IT role there.
pub const OTHER_COLLABORATION: &str = "olle.strom@herrljunga.se";
pub const OTHER_COLLABORATION_TENANT: &str = "herrljunga";
/// The second collaboration (docs/collaboration-spec.example.json).
pub const OTHER_SPEC: &str = include_str!("../../docs/collaboration-spec.example.json");

pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;
pub type Builder = Box<dyn FnOnce() -> BoxFuture<Vec<u8>> + Send>;

/// A codec that moves encoded messages as they are, so that any RPC can be
/// called by its path and its answer searched byte by byte.
#[derive(Default, Clone, Copy)]
pub struct RawCodec;

pub struct RawEncoder;
pub struct RawDecoder;

impl Encoder for RawEncoder {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
        use bytes::BufMut;
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawDecoder {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, tonic::Status> {
        use bytes::Buf;
        let n = src.remaining();
        Ok(Some(src.copy_to_bytes(n).to_vec()))
    }
}

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawEncoder;
    type Decoder = RawDecoder;
    fn encoder(&mut self) -> RawEncoder {
        RawEncoder
    }
    fn decoder(&mut self) -> RawDecoder {
        RawDecoder
    }
}

/// Who calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Who {
    /// An allowed principal of the owning municipality.
    Control,
    /// A person of the same municipality without the needed role.
    NoRole,
    /// A person of another member municipality of the same collaboration.
    OtherMember,
    /// A person of a municipality in another collaboration.
    OtherCollaboration,
    NoToken,
    ExpiredToken,
    WrongSignature,
}

impl Who {
    pub const ALL: [Who; 7] = [
        Who::NoToken,
        Who::ExpiredToken,
        Who::WrongSignature,
        Who::OtherCollaboration,
        Who::OtherMember,
        Who::NoRole,
        // Last: the control may change the resource (submit, publish …).
        Who::Control,
    ];
}

/// What a principal must get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// `NOT_FOUND` or `PERMISSION_DENIED`, and no byte of hidden data.
    Denied,
    /// `OK`, and still no byte of data hidden from this principal (lists
    /// and shared resources answer with what the caller may see).
    Allowed,
    /// Not applicable: no person of the municipality lacks what the RPC
    /// needs (it needs none); the reason is in the row's note.
    AnyPerson,
}

/// One RPC's row of the matrix.
pub struct Row {
    pub service: &'static str,
    pub method: &'static str,
    pub control: &'static str,
    pub no_role: Option<&'static str>,
    pub no_role_expect: Expect,
    pub other_member: &'static str,
    pub other_member_expect: Expect,
    pub other_collaboration_expect: Expect,
    pub streaming: bool,
    /// Markers the control's answer must contain (so that what the others
    /// are denied is really there).
    pub reveals: Vec<String>,
    pub build: Option<Builder>,
    pub note: &'static str,
}

impl Row {
    /// A row for `service`'s `method`, allowed to `control`. By default the
    /// other member and the other collaboration are denied; the same
    /// municipality's principal without the role must be given.
    pub fn new(service: &'static str, method: &'static str, control: &'static str) -> Self {
        Self {
            service,
            method,
            control,
            no_role: None,
            no_role_expect: Expect::AnyPerson,
            other_member: OTHER_MEMBER,
            other_member_expect: Expect::Denied,
            other_collaboration_expect: Expect::Denied,
            streaming: false,
            reveals: Vec::new(),
            build: None,
            note: "",
        }
    }

    /// A person of the control's municipality who lacks the permission.
    pub fn no_role(mut self, who: &'static str) -> Self {
        self.no_role = Some(who);
        self.no_role_expect = Expect::Denied;
        self
    }

    /// Every person of a member municipality may call this; `why` says so.
    pub fn any_person(mut self, why: &'static str) -> Self {
        self.no_role = None;
        self.no_role_expect = Expect::AnyPerson;
        self.note = why;
        self
    }

    /// The other member may call this and must see only what is shared.
    pub fn other_member_allowed(mut self) -> Self {
        self.other_member_expect = Expect::Allowed;
        self
    }

    /// The other member is tried as `who` instead of the default.
    pub fn other_member_as(mut self, who: &'static str) -> Self {
        self.other_member = who;
        self
    }

    /// The other collaboration's principal gets an answer about its own
    /// collaboration (e.g. `WhoAmI`), with nothing of ours in it.
    pub fn other_collaboration_allowed(mut self) -> Self {
        self.other_collaboration_expect = Expect::Allowed;
        self
    }

    pub fn streaming(mut self) -> Self {
        self.streaming = true;
        self
    }

    pub fn reveals(mut self, marker: &str) -> Self {
        self.reveals.push(marker.to_owned());
        self
    }

    /// The request, already known.
    pub fn request(mut self, msg: impl Message) -> Self {
        let bytes = msg.encode_to_vec();
        self.build = Some(Box::new(move || Box::pin(async move { bytes })));
        self
    }

    /// The request, made when the row runs (it may create a fresh resource
    /// first, so that the control's success does not disturb other rows).
    pub fn request_with<F, Fut, M>(mut self, f: F) -> Self
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = M> + Send + 'static,
        M: Message,
    {
        self.build = Some(Box::new(move || {
            Box::pin(async move { f().await.encode_to_vec() })
        }));
        self
    }

    pub fn full_method(&self) -> String {
        format!("{}/{}", self.service, self.method)
    }
}

/// Secrets planted in seeded data: text only the owning municipality may
/// read, and text only the collaboration's members may read.
#[derive(Default)]
pub struct Secrets {
    private: Mutex<Vec<String>>,
    shared: Mutex<Vec<String>>,
}

impl Secrets {
    /// A marker for text private to the owning municipality.
    pub fn private(&self, what: &str) -> String {
        let mut v = self.private.lock().unwrap();
        let s = format!("HEMLIGT-{}-{what}-{}", v.len(), OWNER_TENANT);
        v.push(s.clone());
        s
    }

    /// A marker for text shared within the collaboration.
    pub fn shared(&self, what: &str) -> String {
        let mut v = self.shared.lock().unwrap();
        let s = format!("SAMVERKAN-{}-{what}-Tranemo-Ulricehamn", v.len());
        v.push(s.clone());
        s
    }

    /// What a caller of `municipality` (none: no valid token) must never
    /// receive — whatever row it calls, as control or not.
    fn hidden_from(&self, municipality: Option<&str>) -> Vec<String> {
        let mut out = Vec::new();
        if municipality != Some(OWNER_TENANT) {
            out.extend(self.private.lock().unwrap().iter().cloned());
        }
        if !matches!(municipality, Some(OWNER_TENANT | "ulricehamn")) {
            out.extend(self.shared.lock().unwrap().iter().cloned());
        }
        out
    }
}

/// The server under test and the planted secrets.
pub struct Fixture {
    pub server: TestServer,
    pub channel: Channel,
    pub secrets: Arc<Secrets>,
}

impl Fixture {
    /// Every service in one server, the demo organisation, and a second
    /// collaboration with municipalities of its own.
    pub async fn start(db: &TestDb) -> Self {
        let server = TestServer::start(db, samverkan_server::Svc::ALL).await;
        let spec: samverkan_roles::bootstrap::Spec =
            serde_json::from_str(OTHER_SPEC).expect("example spec parses");
        samverkan_roles::bootstrap::bootstrap(&db.app, &spec)
            .await
            .expect("load the second collaboration");
        let channel = server.channel().await;
        Self {
            server,
            channel,
            secrets: Arc::new(Secrets::default()),
        }
    }
}

/// A token signed with the right key but expired an hour ago.
fn expired_token(subject: &str, municipality: &str) -> String {
    let now = jsonwebtoken::get_current_timestamp();
    let claims = serde_json::json!({
        "sub": subject, "email": subject, "municipality": municipality,
        "iss": DEV_ISSUER, "aud": DEV_AUDIENCE,
        "iat": now - 7200, "nbf": now - 7200, "exp": now - 3600,
    });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(DEV_SECRET.as_bytes()),
    )
    .expect("sign expired token")
}

/// A token for the control's subject signed with a key the server does not
/// know.
fn wrongly_signed_token(subject: &str, municipality: &str) -> String {
    samverkan_auth::mint_dev_token(
        "not-the-servers-secret",
        DEV_ISSUER,
        DEV_AUDIENCE,
        subject,
        municipality,
        Duration::from_secs(600),
    )
    .expect("mint")
}

fn municipality_of(email: &str) -> &'static str {
    if email.ends_with("@herrljunga.se") {
        return "herrljunga";
    }
    if email.ends_with("@svenljunga.se") {
        return "svenljunga";
    }
    samverkan_roles::demo::person(email)
        .unwrap_or_else(|| panic!("{email} is not a demo person"))
        .municipality
}

/// The answer to one call: the encoded messages, or the status.
pub type Answer = Result<Vec<Vec<u8>>, tonic::Status>;

/// Calls `path` with `body` as-is, with `token` as bearer if any. A server
/// stream yields its first message (within a second).
pub async fn call(
    channel: &Channel,
    path: &str,
    streaming: bool,
    token: Option<&str>,
    body: Vec<u8>,
) -> Answer {
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready()
        .await
        .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
    let mut req = tonic::Request::new(body);
    if let Some(t) = token {
        req.metadata_mut().insert(
            "authorization",
            format!("Bearer {t}").parse().expect("ascii token"),
        );
    }
    let path = http::uri::PathAndQuery::try_from(format!("/{path}")).expect("path");
    if !streaming {
        return grpc
            .unary(req, path, RawCodec)
            .await
            .map(|r| vec![r.into_inner()]);
    }
    let mut stream = grpc
        .server_streaming(req, path, RawCodec)
        .await?
        .into_inner();
    match tokio::time::timeout(Duration::from_secs(1), stream.message()).await {
        Ok(Ok(Some(first))) => Ok(vec![first]),
        Ok(Ok(None)) => Ok(Vec::new()),
        Ok(Err(status)) => Err(status),
        Err(_) => Ok(Vec::new()),
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Bytes the caller receives: messages, or the status message and details.
fn received(answer: &Answer) -> Vec<u8> {
    match answer {
        Ok(msgs) => msgs.concat(),
        Err(s) => {
            let mut b = s.message().as_bytes().to_vec();
            b.extend_from_slice(s.details());
            b
        }
    }
}

/// The tally the test prints.
#[derive(Debug, Default)]
pub struct Tally {
    pub rpcs: usize,
    pub calls: usize,
    pub denied: usize,
    pub allowed: usize,
    pub unauthenticated: usize,
    pub failures: Vec<String>,
}

/// Runs one row as every principal.
pub async fn run_row(fx: &Fixture, mut row: Row, tally: &mut Tally) {
    let method = row.full_method();
    let build = row
        .build
        .take()
        .unwrap_or_else(|| panic!("{method}: the row has no request"));
    let body = build().await;
    tally.rpcs += 1;
    let control_tenant = municipality_of(row.control);
    for who in Who::ALL {
        let (token, expect, as_whom) = match who {
            Who::Control => (
                Some(TestServer::token(row.control)),
                Expect::Allowed,
                row.control,
            ),
            Who::NoRole => match row.no_role {
                Some(p) => (Some(TestServer::token(p)), row.no_role_expect, p),
                None => continue,
            },
            Who::OtherMember => (
                Some(TestServer::token(row.other_member)),
                row.other_member_expect,
                row.other_member,
            ),
            Who::OtherCollaboration => (
                Some(TestServer::token_for(
                    OTHER_COLLABORATION,
                    OTHER_COLLABORATION_TENANT,
                )),
                row.other_collaboration_expect,
                OTHER_COLLABORATION,
            ),
            Who::NoToken => (None, Expect::Denied, "-"),
            Who::ExpiredToken => (
                Some(expired_token(row.control, control_tenant)),
                Expect::Denied,
                row.control,
            ),
            Who::WrongSignature => (
                Some(wrongly_signed_token(row.control, control_tenant)),
                Expect::Denied,
                row.control,
            ),
        };
        let answer = call(
            &fx.channel,
            &method,
            row.streaming,
            token.as_deref(),
            body.clone(),
        )
        .await;
        tally.calls += 1;
        let mut fail = |why: String| {
            tally
                .failures
                .push(format!("{method} as {who:?} ({as_whom}): {why}"))
        };
        // Hidden data must not reach the caller in any form.
        let bytes = received(&answer);
        let caller = match who {
            Who::NoToken | Who::ExpiredToken | Who::WrongSignature => None,
            _ => Some(municipality_of(as_whom)),
        };
        // What the caller sent itself is not hidden from it.
        let hidden = fx.secrets.hidden_from(caller);
        for secret in hidden
            .iter()
            .filter(|s| contains(&bytes, s.as_bytes()) && !contains(&body, s.as_bytes()))
        {
            fail(format!("answer contains hidden data {secret:?}"));
        }
        match (who, expect, &answer) {
            (Who::NoToken | Who::ExpiredToken | Who::WrongSignature, _, Err(s))
                if s.code() == Code::Unauthenticated =>
            {
                tally.unauthenticated += 1;
            }
            (Who::NoToken | Who::ExpiredToken | Who::WrongSignature, _, other) => {
                fail(format!("expected UNAUTHENTICATED, got {}", describe(other)))
            }
            (_, Expect::Denied, Err(s))
                if matches!(s.code(), Code::NotFound | Code::PermissionDenied) =>
            {
                tally.denied += 1;
            }
            (_, Expect::Denied, other) => fail(format!(
                "expected NOT_FOUND or PERMISSION_DENIED, got {}",
                describe(other)
            )),
            (_, Expect::Allowed, Ok(msgs)) => {
                tally.allowed += 1;
                if who == Who::Control {
                    let all = msgs.concat();
                    for m in row.reveals.iter().filter(|m| !contains(&all, m.as_bytes())) {
                        fail(format!("the control's answer lacks {m:?}"));
                    }
                }
            }
            (_, Expect::Allowed, Err(s)) => fail(format!("expected OK, got {s:?}")),
            (_, Expect::AnyPerson, _) => unreachable!("skipped above"),
        }
    }
}

fn describe(answer: &Answer) -> String {
    match answer {
        Ok(_) => "OK".into(),
        Err(s) => format!("{:?}: {}", s.code(), s.message()),
    }
}

/// Every RPC of the `samverkan.*` services in the descriptor set, as
/// `package.Service/Method`.
pub fn rpcs_in_descriptor_set() -> BTreeSet<String> {
    let set = prost_types::FileDescriptorSet::decode(samverkan_proto::FILE_DESCRIPTOR_SET)
        .expect("descriptor set decodes");
    let mut out = BTreeSet::new();
    for file in set.file {
        let package = file.package().to_owned();
        if !package.starts_with("samverkan.") {
            continue;
        }
        for svc in &file.service {
            for m in &svc.method {
                out.insert(format!("{package}.{}/{}", svc.name(), m.name()));
            }
        }
    }
    out
}
