//! One module per service: the RPCs an input can call, in a fixed order
//! (the first input byte indexes it: append new RPCs, never reorder, or
//! the committed corpus changes meaning), and the seed corpus.

pub mod agreements;
pub mod costmodel;
pub mod decisions;
pub mod forums;
pub mod roles;

use samverkan_proto::Timestamp;
use samverkan_proto::common::v1::Date;

/// One seed input: an RPC, a caller and an encoded request.
pub struct Seed {
    pub rpc: &'static str,
    pub who: u8,
    pub body: Vec<u8>,
}

/// A seed of `msg` to `rpc` as the demo person `email`.
pub fn seed(rpc: &'static str, email: &str, msg: impl prost::Message) -> Seed {
    Seed {
        rpc,
        who: crate::who(email),
        body: msg.encode_to_vec(),
    }
}

/// A proto date.
pub fn date(year: i32, month: i32, day: i32) -> Option<Date> {
    Some(Date { year, month, day })
}

/// A UTC instant on a day at an hour.
pub fn at(year: i32, month: u32, day: u32, hour: u32) -> Option<Timestamp> {
    let t = chrono::NaiveDate::from_ymd_opt(year, month, day)?
        .and_hms_opt(hour, 0, 0)?
        .and_utc();
    Some(Timestamp {
        seconds: t.timestamp(),
        nanos: 0,
    })
}

/// Defines `RPCS`, `run` (one input) and `empty_seeds` (every RPC with
/// an empty request) for a service whose implementation is the harness
/// field `$api`. The service trait must be in scope.
macro_rules! service {
    ($api:ident, $service:expr, $pb:ident, [$($rpc:ident => $method:ident($req:ident),)*]) => {
        /// The RPCs, in input order.
        pub const RPCS: &[&str] = &[$(stringify!($rpc)),*];

        /// Runs one fuzz input.
        pub fn run(data: &[u8]) {
            call(&crate::harness(), data);
        }

        /// Runs one input against `h`; true if the RPC answered OK.
        pub fn call(h: &crate::Harness, data: &[u8]) -> bool {
            let Some((rpc, who, body)) = crate::split(data) else {
                return false;
            };
            let substituted = h.refs().substitute(h, body);
            let body = substituted.as_deref().unwrap_or(body);
            let wanted = usize::from(rpc) % RPCS.len();
            let mut i = 0usize;
            $(
                if i == wanted {
                    let Ok(msg) = <$pb::$req as prost::Message>::decode(body) else {
                        return false;
                    };
                    let path = concat!("/", $service, "/", stringify!($rpc));
                    let req = h.request(who, path, msg);
                    let answer = h.block_on(h.$api.$method(req));
                    let ok = crate::services::debug(path, who, answer.err());
                    if ok && crate::services::creates(stringify!($rpc)) {
                        h.rescan();
                    }
                    return ok;
                }
                i += 1;
            )*
            let _ = i;
            false
        }

        /// Panics unless `RPCS` lists every unary RPC of the service.
        pub fn check() {
            crate::services::check_covers($service, RPCS);
        }

        /// The story as fuzz inputs.
        pub fn story_inputs() -> Vec<Vec<u8>> {
            story().iter().map(|s| crate::input(RPCS, s)).collect()
        }

        /// Every RPC with an empty request, as the first demo person.
        fn empty_seeds() -> Vec<crate::services::Seed> {
            vec![$(crate::services::Seed {
                rpc: stringify!($rpc),
                who: 0,
                body: Vec::new(),
            }),*]
        }
    };
}
pub(crate) use service;

/// Whether an RPC (when it succeeds) adds rows that may get placeholders.
pub fn creates(rpc: &str) -> bool {
    const VERBS: &[&str] = &[
        "Create",
        "Register",
        "Open",
        "Add",
        "Record",
        "Issue",
        "Reconcile",
        "Consolidate",
    ];
    VERBS.iter().any(|v| rpc.starts_with(v))
}

/// Panics unless `rpcs` lists every unary RPC that the descriptor set
/// gives `service`: a new RPC must be added to its target.
pub fn check_covers(service: &str, rpcs: &[&str]) {
    use prost::Message as _;
    let set = prost_types::FileDescriptorSet::decode(samverkan_proto::FILE_DESCRIPTOR_SET)
        .expect("descriptor set");
    let mut found = false;
    for file in &set.file {
        for s in &file.service {
            if format!("{}.{}", file.package(), s.name()) != service {
                continue;
            }
            found = true;
            for m in &s.method {
                let streaming = m.client_streaming() || m.server_streaming();
                assert!(
                    streaming || rpcs.contains(&m.name()),
                    "{service}/{} is not fuzzed: add it to RPCS in fuzz/src/services/",
                    m.name()
                );
            }
        }
    }
    assert!(found, "{service} is not in the descriptor set");
}

/// With `SAMVERKAN_FUZZ_DEBUG` set, prints how each call ended: for seeing
/// which seeds get past validation.
/// Returns whether the call succeeded.
pub fn debug(path: &str, who: u8, error: Option<tonic::Status>) -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if *ON.get_or_init(|| std::env::var_os("SAMVERKAN_FUZZ_DEBUG").is_some()) {
        match &error {
            None => eprintln!("fuzz: {path} as {who}: ok"),
            Some(s) => eprintln!("fuzz: {path} as {who}: {:?} {}", s.code(), s.message()),
        }
    }
    error.is_none()
}
