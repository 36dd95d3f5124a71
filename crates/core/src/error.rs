//! The one error type of the API and its one mapping to `tonic::Status`.
//!
//! Domain and store errors of every service end here. The mapping decides
//! the gRPC code and attaches `google.rpc` details: on every error an
//! `ErrorInfo` with a stable reason ([`ApiError::reason`], listed in
//! `docs/errors.md`, see [`crate::reasons`]); `BadRequest` field violations
//! for invalid input, `PreconditionFailure` for wrong states, `ResourceInfo`
//! for what was not found.
//! Internal errors are logged with their chain and answered generically, so
//! nothing about the server's insides reaches the caller.

use std::borrow::Cow;
use std::collections::HashMap;
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
    NotFound {
        resource: Cow<'static, str>,
        id: String,
    },
    /// The resource is in a state that does not allow the action.
    FailedPrecondition {
        /// Machine-readable kind, e.g. `MINUTES_ADJUSTED`.
        kind: Cow<'static, str>,
        /// The subject the precondition concerns, e.g. `minutes/0192…`.
        subject: String,
        /// Why, for a person to read.
        description: String,
    },
    /// Optimistic concurrency: the etag sent is stale.
    Aborted(String),
    /// A concurrent caller won a race the database detected (serialization
    /// failure, deadlock, SQLite busy). Answered `ABORTED`; the unit-of-work
    /// runner reruns the whole request a few times before it gives up.
    Conflict(String),
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
    /// The request's deadline passed before the work was done.
    DeadlineExceeded(String),
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
            resource: Cow::Borrowed(resource),
            id: id.into(),
        }
    }

    /// The error a service in another process answered, as if it had
    /// happened here: the same code, message and details, so a caller two
    /// hops away sees what a caller of `service` itself would see.
    /// Failures of the call itself (unreachable, too slow) are
    /// `UNAVAILABLE`; answers no Samverkan service gives on purpose
    /// (`UNKNOWN`, `UNIMPLEMENTED`: e.g. a URL that points at the wrong
    /// service) are internal faults of the deployment.
    pub fn from_status(service: &str, status: Status) -> Self {
        let msg = status.message().to_owned();
        match status.code() {
            Code::InvalidArgument => {
                let violations: Vec<FieldViolation> = status
                    .get_details_bad_request()
                    .map(|br| {
                        br.field_violations
                            .into_iter()
                            .map(|v| FieldViolation::new(v.field, v.description))
                            .collect()
                    })
                    .unwrap_or_default();
                if violations.is_empty() {
                    Self::InvalidArgument(vec![FieldViolation::new("", msg)])
                } else {
                    Self::InvalidArgument(violations)
                }
            }
            Code::NotFound => match status.get_details_resource_info() {
                Some(info) => Self::NotFound {
                    resource: Cow::Owned(info.resource_type),
                    id: info.resource_name,
                },
                None => parse_not_found(&msg).unwrap_or(Self::NotFound {
                    resource: Cow::Owned(format!("{service} resource")),
                    id: msg,
                }),
            },
            Code::FailedPrecondition => {
                let first = status
                    .get_details_precondition_failure()
                    .and_then(|pf| pf.violations.into_iter().next());
                match first {
                    Some(v) => Self::FailedPrecondition {
                        kind: Cow::Owned(v.r#type),
                        subject: v.subject,
                        description: msg,
                    },
                    None => Self::FailedPrecondition {
                        kind: Cow::Borrowed("FAILED_PRECONDITION"),
                        subject: service.to_owned(),
                        description: msg,
                    },
                }
            }
            Code::Aborted => match status.get_details_error_info() {
                Some(info) if info.reason == "CONCURRENT_UPDATE" => Self::Conflict(msg),
                _ => Self::Aborted(msg),
            },
            Code::AlreadyExists => Self::AlreadyExists(msg),
            Code::PermissionDenied => Self::PermissionDenied(msg),
            Code::Unauthenticated => Self::Unauthenticated(msg),
            Code::ResourceExhausted => Self::ResourceExhausted(msg),
            Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled => {
                Self::Unavailable(format!("the {service} service did not answer: {msg}"))
            }
            code => Self::internal(format!("the {service} service answered {code:?}: {msg}")),
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

    /// Whether rerunning the whole unit of work may succeed: a concurrent
    /// caller won a race that the database detected.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Conflict(_))
    }

    /// The stable reason a program acts on (`ErrorInfo.reason`, AIP-193):
    /// a precondition's kind, else one per kind of error. Every reason is
    /// in [`crate::reasons`] and `docs/errors.md`.
    pub fn reason(&self) -> &str {
        match self {
            Self::InvalidArgument(_) => "INVALID_ARGUMENT",
            Self::NotFound { .. } => "NOT_FOUND",
            Self::FailedPrecondition { kind, .. } => kind,
            Self::Aborted(_) => "ETAG_MISMATCH",
            Self::Conflict(_) => "CONCURRENT_UPDATE",
            Self::AlreadyExists(_) => "ALREADY_EXISTS",
            Self::PermissionDenied(_) => "PERMISSION_DENIED",
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::ResourceExhausted(_) => "RESOURCE_EXHAUSTED",
            Self::Unavailable(_) => "UNAVAILABLE",
            Self::DeadlineExceeded(_) => "DEADLINE_EXCEEDED",
            Self::Internal(_) => "INTERNAL",
        }
    }

    /// The gRPC code this error answers with.
    pub fn code(&self) -> Code {
        match self {
            Self::InvalidArgument(_) => Code::InvalidArgument,
            Self::NotFound { .. } => Code::NotFound,
            Self::FailedPrecondition { .. } => Code::FailedPrecondition,
            Self::Aborted(_) | Self::Conflict(_) => Code::Aborted,
            Self::AlreadyExists(_) => Code::AlreadyExists,
            Self::PermissionDenied(_) => Code::PermissionDenied,
            Self::Unauthenticated(_) => Code::Unauthenticated,
            Self::ResourceExhausted(_) => Code::ResourceExhausted,
            Self::Unavailable(_) => Code::Unavailable,
            Self::DeadlineExceeded(_) => Code::DeadlineExceeded,
            Self::Internal(_) => Code::Internal,
        }
    }
}

impl crate::Refusal {
    /// This refusal as the API answers it: `FAILED_PRECONDITION` about
    /// `subject` (e.g. `meetings/0192…`), with the rule's reason.
    pub fn on(self, subject: impl Into<String>) -> ApiError {
        ApiError::FailedPrecondition {
            kind: Cow::Borrowed(self.rule.reason),
            subject: subject.into(),
            description: self.message.into_owned(),
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
            | Self::Conflict(m)
            | Self::DeadlineExceeded(m)
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

/// Reads `resource "id" not found` (the message [`ApiError::NotFound`]
/// answers with) back, for a status without `ResourceInfo` details.
fn parse_not_found(msg: &str) -> Option<ApiError> {
    let rest = msg.strip_suffix(" not found")?;
    let (resource, quoted) = rest.split_once(' ')?;
    let inner = quoted.strip_prefix('"')?.strip_suffix('"')?;
    Some(ApiError::NotFound {
        resource: Cow::Owned(resource.to_owned()),
        id: inner.replace("\\\"", "\"").replace("\\\\", "\\"),
    })
}

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
        let reason = e.reason().to_owned();
        let mut metadata = HashMap::new();
        let mut details = ErrorDetails::new();
        let message =
            match e {
                ApiError::InvalidArgument(violations) => {
                    let msg = ApiError::InvalidArgument(violations.clone()).to_string();
                    let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
                    metadata.insert("fields".to_owned(), fields.join(","));
                    for v in violations {
                        details.add_bad_request_violation(v.field, v.description);
                    }
                    msg
                }
                ApiError::FailedPrecondition {
                    kind,
                    subject,
                    description,
                } => {
                    metadata.insert("resource".to_owned(), subject.clone());
                    details.set_precondition_failure(vec![
                        tonic_types::PreconditionViolation::new(kind, subject, description.clone()),
                    ]);
                    description
                }
                // The resource named in details too, so that a service calling
                // this one over the network can answer exactly the same.
                ApiError::NotFound { resource, id } => {
                    let msg = ApiError::NotFound {
                        resource: resource.clone(),
                        id: id.clone(),
                    }
                    .to_string();
                    metadata.insert("resource_type".to_owned(), resource.to_string());
                    metadata.insert("resource".to_owned(), id.clone());
                    details.set_resource_info(resource, id, "", "");
                    msg
                }
                ApiError::Internal(source) => {
                    tracing::error!(error = %error_chain(source.as_ref()), "internal error");
                    "internal error; it has been logged".to_owned()
                }
                other => other.to_string(),
            };
        details.set_error_info(reason, crate::reasons::DOMAIN, metadata);
        Status::with_error_details(code, message, details)
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

    static ADJUSTED: crate::Rule = crate::Rule::new("MINUTES_ADJUSTED", "locked");

    #[test]
    fn failed_precondition_carries_violation() {
        let status: Status = ADJUSTED
            .refuse("the minutes are adjusted and locked")
            .on("minutes/1")
            .into();
        assert_eq!(status.code(), Code::FailedPrecondition);
        let pf = status.get_details_precondition_failure().unwrap();
        assert_eq!(pf.violations[0].r#type, "MINUTES_ADJUSTED");
        assert_eq!(pf.violations[0].subject, "minutes/1");
        let info = status.get_details_error_info().unwrap();
        assert_eq!(info.reason, "MINUTES_ADJUSTED");
        assert_eq!(info.metadata["resource"], "minutes/1");
    }

    #[test]
    fn every_error_carries_a_listed_reason() {
        let errors = [
            ApiError::invalid_field("matter.title", "must not be empty"),
            ApiError::not_found("matter", "0192"),
            crate::rule::NO_COLLABORATION
                .refuse("none")
                .on("municipalities/x"),
            ApiError::Aborted("stale etag".into()),
            ApiError::Conflict("lost a race".into()),
            ApiError::AlreadyExists("exists".into()),
            ApiError::PermissionDenied("no".into()),
            ApiError::Unauthenticated("no token".into()),
            ApiError::ResourceExhausted("disk full".into()),
            ApiError::Unavailable("down".into()),
            ApiError::DeadlineExceeded("slow".into()),
            ApiError::internal("bug"),
        ];
        for e in errors {
            let reason = e.reason().to_owned();
            let status: Status = e.into();
            let info = status
                .get_details_error_info()
                .unwrap_or_else(|| panic!("{reason}: no ErrorInfo"));
            assert_eq!(info.reason, reason);
            assert_eq!(info.domain, crate::reasons::DOMAIN);
            let listed = crate::reasons::GENERAL.iter().any(|r| r.reason == reason)
                || crate::rule::RULES.iter().any(|r| r.reason == reason);
            assert!(listed, "{reason} is not listed");
            // A caller two hops away sees the same reason, except that a
            // peer too slow to answer is UNAVAILABLE to it.
            let again: Status = ApiError::from_status("forums", status).into();
            let expected = if reason == "DEADLINE_EXCEEDED" {
                "UNAVAILABLE"
            } else {
                reason.as_str()
            };
            assert_eq!(again.get_details_error_info().unwrap().reason, expected);
        }
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

    /// An error crossing a process boundary and answered again: the same
    /// code, message and details as if it had happened in the caller.
    fn round_trip(e: ApiError) -> Status {
        let first: Status = e.into();
        let again: Status = ApiError::from_status("roles", first.clone()).into();
        assert_eq!(again.code(), first.code());
        again
    }

    #[test]
    fn remote_errors_keep_their_code_message_and_details() {
        let s = round_trip(ApiError::not_found("forum", "0192-x"));
        assert_eq!(s.message(), "forum \"0192-x\" not found");
        assert_eq!(
            s.get_details_resource_info().unwrap().resource_type,
            "forum"
        );

        let s = round_trip(ApiError::InvalidArgument(vec![
            FieldViolation::new("forum_id", "must be a UUID"),
            FieldViolation::new("page_size", "too large"),
        ]));
        let fields: Vec<_> = s
            .get_details_bad_request()
            .unwrap()
            .field_violations
            .into_iter()
            .map(|v| v.field)
            .collect();
        assert_eq!(fields, ["forum_id", "page_size"]);

        let s = round_trip(ADJUSTED.refuse("the minutes are locked").on("minutes/1"));
        assert_eq!(s.message(), "the minutes are locked");
        let v = &s.get_details_precondition_failure().unwrap().violations[0];
        assert_eq!(
            (v.r#type.as_str(), v.subject.as_str()),
            ("MINUTES_ADJUSTED", "minutes/1")
        );

        for e in [
            ApiError::PermissionDenied("not a member of the forum".into()),
            ApiError::Aborted("stale etag".into()),
            ApiError::AlreadyExists("exists".into()),
            ApiError::Unauthenticated("token expired".into()),
            ApiError::ResourceExhausted("slow down".into()),
        ] {
            let msg = e.to_string();
            assert_eq!(round_trip(e).message(), msg);
        }
    }

    #[test]
    fn remote_faults_stay_faults() {
        let e = ApiError::from_status("forums", Status::unavailable("tcp connect error"));
        assert_eq!(e.code(), Code::Unavailable);
        assert!(e.to_string().contains("forums"), "{e}");
        let e = ApiError::from_status("forums", Status::unimplemented("no such service"));
        assert_eq!(e.code(), Code::Internal);
        let e = ApiError::from_status("forums", Status::deadline_exceeded("too slow"));
        assert_eq!(e.code(), Code::Unavailable);
        // A foreign server's NOT_FOUND without details still reads right.
        let e = ApiError::from_status("roles", Status::not_found("forum \"x\" not found"));
        assert_eq!(e.to_string(), "forum \"x\" not found");
    }
}
