//! The one error type of the API and its one mapping to `tonic::Status`.
//!
//! Domain and store errors of every service end here. The mapping decides
//! the gRPC code and attaches `google.rpc` details: `BadRequest` field
//! violations for invalid input, `PreconditionFailure` for wrong states.
//! Internal errors are logged with their chain and answered generically, so
//! nothing about the server's insides reaches the caller.

use std::fmt;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// The field's path in the request, e.g. `matter.title`.
    pub field: String,
    /// What is wrong, for a person to read.
    pub description: String,
}

impl FieldViolation {
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            description: description.into(),
        }
    }
}

/// Every way a Samverkan RPC can fail.
#[derive(Debug)]
pub enum ApiError {
    /// The caller sent something invalid. Nothing was changed.
    InvalidArgument(Vec<FieldViolation>),
    /// The resource does not exist, or the caller may not see it: the two
    /// are indistinguishable on purpose (no existence leaks).
    NotFound { resource: &'static str, id: String },
    /// The resource is in a state that does not allow the action.
    FailedPrecondition {
        /// Machine-readable kind, e.g. `MINUTES_ADJUSTED`.
        kind: &'static str,
        /// The subject the precondition concerns, e.g. `minutes/0192…`.
        subject: String,
        /// Why, for a person to read.
        description: String,
    },
    /// Optimistic concurrency: the etag sent is stale.
    Aborted(String),
    /// A create with the same natural key exists already.
    AlreadyExists(String),
    /// Authenticated, but not allowed to do this.
    PermissionDenied(String),
    /// No valid credentials.
    Unauthenticated(String),
    /// A limit was hit (rate, size).
    ResourceExhausted(String),
    /// The server cannot serve right now (e.g. database unreachable).
    Unavailable(String),
    /// A fault of the server. Logged with its chain, answered generically.
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    /// One invalid field.
    pub fn invalid(v: FieldViolation) -> Self {
        Self::InvalidArgument(vec![v])
    }

    /// One invalid field, from its name and description.
    pub fn invalid_field(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self::invalid(FieldViolation::new(field, description))
    }

    pub fn not_found(resource: &'static str, id: impl Into<String>) -> Self {
        Self::NotFound {
            resource,
            id: id.into(),
        }
    }

    pub fn precondition(
        kind: &'static str,
        subject: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        Self::FailedPrecondition {
            kind,
            subject: subject.into(),
            description: description.into(),
        }
    }

    /// A server fault with a message (no source error).
    pub fn internal(msg: impl Into<String>) -> Self {
        Self::Internal(msg.into().into())
    }

    /// A server fault caused by `e`.
    pub fn internal_from(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Internal(Box::new(e))
    }

    /// The gRPC code this error answers with.
    pub fn code(&self) -> Code {
        match self {
            Self::InvalidArgument(_) => Code::InvalidArgument,
            Self::NotFound { .. } => Code::NotFound,
            Self::FailedPrecondition { .. } => Code::FailedPrecondition,
            Self::Aborted(_) => Code::Aborted,
            Self::AlreadyExists(_) => Code::AlreadyExists,
            Self::PermissionDenied(_) => Code::PermissionDenied,
            Self::Unauthenticated(_) => Code::Unauthenticated,
            Self::ResourceExhausted(_) => Code::ResourceExhausted,
            Self::Unavailable(_) => Code::Unavailable,
            Self::Internal(_) => Code::Internal,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidArgument(vs) => {
                f.write_str("invalid argument: ")?;
                for (i, v) in vs.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{}: {}", v.field, v.description)?;
                }
                Ok(())
            }
            Self::NotFound { resource, id } => write!(f, "{resource} {id:?} not found"),
            Self::FailedPrecondition { description, .. } => f.write_str(description),
            Self::Aborted(m)
            | Self::AlreadyExists(m)
            | Self::PermissionDenied(m)
            | Self::Unauthenticated(m)
            | Self::ResourceExhausted(m)
            | Self::Unavailable(m) => f.write_str(m),
            Self::Internal(e) => write!(f, "internal error: {e}"),
        }
    }
}

impl std::error::Error for ApiError {}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

impl From<ApiError> for Status {
    fn from(e: ApiError) -> Status {
        let code = e.code();
        match e {
            ApiError::InvalidArgument(violations) => {
                let msg = ApiError::InvalidArgument(violations.clone()).to_string();
                let mut details = ErrorDetails::new();
                for v in violations {
                    details.add_bad_request_violation(v.field, v.description);
                }
                Status::with_error_details(code, msg, details)
            }
            ApiError::FailedPrecondition {
                kind,
                subject,
                description,
            } => {
                let details = ErrorDetails::with_precondition_failure(vec![
                    tonic_types::PreconditionViolation::new(kind, subject, description.clone()),
                ]);
                Status::with_error_details(code, description, details)
            }
            ApiError::Internal(source) => {
                tracing::error!(error = %error_chain(source.as_ref()), "internal error");
                Status::internal("internal error; it has been logged")
            }
            other => Status::new(code, other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_argument_carries_field_violations() {
        let status: Status = ApiError::InvalidArgument(vec![
            FieldViolation::new("matter.title", "must not be empty"),
            FieldViolation::new("page_size", "must be between 0 and 200"),
        ])
        .into();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(status.message().contains("matter.title: must not be empty"));
        let br = status.get_details_bad_request().unwrap();
        let fields: Vec<_> = br
            .field_violations
            .iter()
            .map(|v| v.field.as_str())
            .collect();
        assert_eq!(fields, ["matter.title", "page_size"]);
    }

    #[test]
    fn failed_precondition_carries_violation() {
        let status: Status = ApiError::precondition(
            "MINUTES_ADJUSTED",
            "minutes/1",
            "the minutes are adjusted and locked",
        )
        .into();
        assert_eq!(status.code(), Code::FailedPrecondition);
        let pf = status.get_details_precondition_failure().unwrap();
        assert_eq!(pf.violations[0].r#type, "MINUTES_ADJUSTED");
        assert_eq!(pf.violations[0].subject, "minutes/1");
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let status: Status = ApiError::internal("password=hunter2 in connection string").into();
        assert_eq!(status.code(), Code::Internal);
        assert!(!status.message().contains("hunter2"));
    }

    #[test]
    fn not_found_names_the_resource() {
        let status: Status = ApiError::not_found("matter", "0192").into();
        assert_eq!(status.code(), Code::NotFound);
        assert_eq!(status.message(), "matter \"0192\" not found");
    }
}
