//! gRPC errors as sentences: what went wrong and what to do about it.

use tonic::Code;
use tonic_types::StatusExt as _;

/// `status` from the call that tried to `what` (e.g. "submit the matter"),
/// as an error for a person to read.
pub fn explain(status: tonic::Status, what: &str) -> anyhow::Error {
    let msg = status.message().trim();
    let detail = if msg.is_empty() {
        String::new()
    } else {
        format!(": {msg}")
    };
    let text = match status.code() {
        Code::Unauthenticated => format!(
            "could not {what}: the token is expired or invalid{detail} (token ogiltig): run `samverkan login` again"
        ),
        Code::PermissionDenied => format!(
            "could not {what}: you may not do this{detail} (behörighet saknas): sign in as someone whose role allows it, e.g. the forum's secretary"
        ),
        Code::NotFound => format!(
            "could not {what}: not found, or not visible to your municipality{detail} (finns inte): check the id or name with a list command"
        ),
        Code::InvalidArgument => {
            let fields = status
                .get_details_bad_request()
                .map(|b| {
                    b.field_violations
                        .iter()
                        .map(|v| format!("{} — {}", v.field, v.description))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default();
            if fields.is_empty() {
                format!(
                    "could not {what}: invalid input{detail} (ogiltig uppgift): correct it and try again"
                )
            } else {
                format!(
                    "could not {what}: invalid input (ogiltig uppgift) in {}: correct it and try again",
                    fields.join("; ")
                )
            }
        }
        Code::FailedPrecondition => {
            let why = status
                .get_details_precondition_failure()
                .map(|p| {
                    p.violations
                        .iter()
                        .map(|v| v.description.clone())
                        .filter(|d| !d.is_empty())
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .filter(|s| !s.is_empty() && !msg.contains(s.as_str()))
                .map(|s| format!(" ({s})"))
                .unwrap_or_default();
            format!(
                "could not {what}: not possible in its current state{detail}{why} (fel läge): check its state with a show command"
            )
        }
        Code::Aborted => format!(
            "could not {what}: someone changed it meanwhile{detail} (ändrat av någon annan): run the command again"
        ),
        Code::AlreadyExists => format!("could not {what}: it exists already{detail}"),
        Code::ResourceExhausted => format!(
            "could not {what}: too many requests or too large{detail}: wait a moment and try again"
        ),
        Code::Unavailable => format!(
            "could not {what}: the server is unavailable{detail}: is `samverkan serve` running? Try again shortly"
        ),
        Code::DeadlineExceeded => {
            format!("could not {what}: the server took too long{detail}: try again")
        }
        Code::Unimplemented => format!(
            "could not {what}: the server does not serve this{detail}: is the service enabled (`serve --services`)?"
        ),
        other => format!(
            "could not {what}: the server failed ({other:?}){detail}: try again, and report it if it persists"
        ),
    };
    anyhow::anyhow!(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic_types::ErrorDetails;

    #[test]
    fn invalid_argument_names_the_field() {
        let status = tonic::Status::with_error_details(
            Code::InvalidArgument,
            "bad request",
            ErrorDetails::with_bad_request_violation("matter.title", "must not be empty"),
        );
        let text = explain(status, "draft the matter").to_string();
        assert!(text.contains("matter.title — must not be empty"), "{text}");
    }

    #[test]
    fn unauthenticated_says_to_sign_in_again() {
        let text = explain(tonic::Status::unauthenticated("expired"), "list matters").to_string();
        assert!(text.contains("run `samverkan login` again"), "{text}");
    }
}
