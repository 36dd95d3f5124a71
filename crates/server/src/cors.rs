//! CORS for browser clients: which origins may call the gRPC-Web endpoint,
//! and what a browser lets their scripts send and read.

use std::time::Duration;

use http::{HeaderName, HeaderValue, Method};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// The origins a local web client is served from in development (Vite,
/// and the usual static servers), allowed with `--dev-auth` unless the
/// origins are given.
pub const DEV_ORIGINS: &[&str] = &[
    "http://localhost:5173",
    "http://127.0.0.1:5173",
    "http://localhost:3000",
    "http://127.0.0.1:3000",
    "http://localhost:8080",
    "http://127.0.0.1:8080",
];

/// Request headers a gRPC-Web (or Connect) client sends.
const ALLOW_HEADERS: &[&str] = &[
    "authorization",
    "content-type",
    "x-grpc-web",
    "x-user-agent",
    "grpc-timeout",
    "connect-protocol-version",
    "connect-timeout-ms",
    "traceparent",
];

/// Response headers a client must read: the status and its details
/// (`google.rpc.Status`), and when to retry.
const EXPOSE_HEADERS: &[&str] = &[
    "grpc-status",
    "grpc-message",
    "grpc-status-details-bin",
    "retry-after",
];

/// How long a browser may cache a preflight answer.
const MAX_AGE: Duration = Duration::from_secs(600);

/// Why an origin is not accepted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("CORS origin {origin:?}: {problem}")]
pub struct OriginError {
    origin: String,
    problem: &'static str,
}

/// Origins allowed to call from a browser: exact `scheme://host[:port]`,
/// never a wildcard (the calls carry a bearer token).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cors {
    origins: Vec<HeaderValue>,
}

impl Cors {
    /// No browser origin: the production default.
    pub fn none() -> Self {
        Self::default()
    }

    /// Parses origins such as `https://samverkan.tranemo.se`.
    pub fn origins<I, S>(origins: I) -> Result<Self, OriginError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut out = Vec::new();
        for o in origins {
            let o = o.as_ref().trim();
            if o.is_empty() {
                continue;
            }
            let err = |problem| OriginError {
                origin: o.to_owned(),
                problem,
            };
            if o == "*" || o == "null" {
                return Err(err(
                    "name each origin; a wildcard would let any page use a token",
                ));
            }
            let uri: http::Uri = o.parse().map_err(|_| err("not a URL"))?;
            let scheme_ok = matches!(uri.scheme_str(), Some("http" | "https"));
            let bare = uri.path_and_query().is_none_or(|p| p.as_str() == "/") && !o.ends_with('/');
            if !scheme_ok || uri.host().is_none() || !bare {
                return Err(err(
                    "must be scheme://host[:port], e.g. https://samverkan.tranemo.se",
                ));
            }
            let value = HeaderValue::from_str(o).map_err(|_| err("not a header value"))?;
            if !out.contains(&value) {
                out.push(value);
            }
        }
        Ok(Self { origins: out })
    }

    /// The development origins of [`DEV_ORIGINS`].
    pub fn dev() -> Self {
        Self::origins(DEV_ORIGINS).expect("development origins are valid")
    }

    pub fn is_empty(&self) -> bool {
        self.origins.is_empty()
    }

    /// The allowed origins, as configured.
    pub fn allowed(&self) -> impl Iterator<Item = &str> {
        self.origins.iter().filter_map(|o| o.to_str().ok())
    }

    /// The layer, or none when no origin is allowed (a browser then refuses
    /// every cross-origin call itself).
    pub fn layer(&self) -> Option<CorsLayer> {
        if self.origins.is_empty() {
            return None;
        }
        let names = |list: &[&'static str]| -> Vec<HeaderName> {
            list.iter().map(|h| HeaderName::from_static(h)).collect()
        };
        Some(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(self.origins.clone()))
                .allow_methods([Method::POST, Method::OPTIONS])
                .allow_headers(names(ALLOW_HEADERS))
                .expose_headers(names(EXPOSE_HEADERS))
                .max_age(MAX_AGE),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_exact() {
        let c = Cors::origins([
            "https://samverkan.tranemo.se",
            " http://localhost:5173 ",
            "",
        ])
        .unwrap();
        assert_eq!(
            c.allowed().collect::<Vec<_>>(),
            ["https://samverkan.tranemo.se", "http://localhost:5173"]
        );
        for bad in [
            "*",
            "null",
            "samverkan.tranemo.se",
            "ftp://tranemo.se",
            "https://tranemo.se/app",
            "https://tranemo.se/",
        ] {
            assert!(Cors::origins([bad]).is_err(), "{bad}");
        }
        assert!(Cors::none().layer().is_none());
        assert!(Cors::dev().layer().is_some());
    }
}
