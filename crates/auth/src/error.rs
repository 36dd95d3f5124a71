//! Why a token was refused, and why a verifier could not be built.

use samverkan_core::ApiError;

/// Why a request was not authenticated. Each variant says which check
/// failed, so a caller (or whoever configures the identity provider) can
/// tell a clock problem from a wrong audience. None of them reveals key
/// material or anything beyond what the caller sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("missing bearer token: send the header `authorization: Bearer <jwt>`")]
    MissingBearer,
    #[error("token malformed")]
    Malformed,
    #[error("unsigned token (alg none) not accepted")]
    AlgNone,
    #[error("token algorithm {0} not accepted")]
    AlgorithmNotAccepted(String),
    #[error("token has no key id (kid)")]
    MissingKeyId,
    #[error("token signed by an unknown key (kid {0:?})")]
    UnknownKey(String),
    #[error("token algorithm does not match its key")]
    KeyAlgorithmMismatch,
    #[error("token signature invalid")]
    BadSignature,
    #[error("token expired")]
    Expired,
    #[error("token not yet valid")]
    NotYetValid,
    #[error("token issuer not accepted")]
    WrongIssuer,
    #[error("token audience not accepted")]
    WrongAudience,
    #[error("token lacks the required claim {0:?}")]
    MissingClaim(String),
    #[error("token lacks the person claim {0:?}")]
    MissingPersonClaim(String),
    #[error("token lacks the municipality claim {0:?}")]
    MissingMunicipalityClaim(String),
    #[error("token municipality {0:?} is not a valid municipality id")]
    InvalidMunicipality(String),
    #[error("token issuer may not vouch for municipality {0:?}")]
    IssuerNotBound(String),
    #[error("token names more than one municipality ({0}): one sign-in acts for one")]
    AmbiguousMunicipality(String),
}

impl AuthError {
    /// A stable code for logs and metrics: which check refused the token.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::MissingBearer => "missing_bearer",
            Self::Malformed => "malformed",
            Self::AlgNone => "alg_none",
            Self::AlgorithmNotAccepted(_) => "algorithm_not_accepted",
            Self::MissingKeyId => "missing_kid",
            Self::UnknownKey(_) => "unknown_kid",
            Self::KeyAlgorithmMismatch => "key_algorithm_mismatch",
            Self::BadSignature => "bad_signature",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::WrongIssuer => "wrong_issuer",
            Self::WrongAudience => "wrong_audience",
            Self::MissingClaim(_) => "missing_claim",
            Self::MissingPersonClaim(_) => "missing_person_claim",
            Self::MissingMunicipalityClaim(_) => "missing_municipality_claim",
            Self::InvalidMunicipality(_) => "invalid_municipality",
            Self::IssuerNotBound(_) => "issuer_not_bound",
            Self::AmbiguousMunicipality(_) => "ambiguous_municipality",
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        ApiError::Unauthenticated(e.to_string())
    }
}

impl From<AuthError> for tonic::Status {
    fn from(e: AuthError) -> Self {
        ApiError::from(e).into()
    }
}

/// Why a [`crate::Verifier`] could not be built or its keys refreshed.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("auth setting {0} must not be empty")]
    EmptySetting(&'static str),
    #[error("issuer {0:?} is configured twice")]
    DuplicateIssuer(String),
    #[error("issuer {issuer:?}: {problem}")]
    Binding { issuer: String, problem: String },
    #[error("read jwks file {path}")]
    ReadJwksFile {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("fetch jwks from {url}")]
    FetchJwks {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("jwks is not valid json with a \"keys\" array")]
    InvalidJwks(#[source] serde_json::Error),
    #[error("jwks has no usable key (needs kid, and RS256 or ES256 on P-256)")]
    NoUsableKeys,
    #[error("build http client for jwks")]
    HttpClient(#[source] reqwest::Error),
}
