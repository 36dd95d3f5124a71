//! Request fields every service parses the same way, each error naming the
//! field: ids, optional ids, dates and optional dates, and the fields a
//! caller may not set.

use chrono::NaiveDate;
use samverkan_proto::common::v1::Date;
use uuid::Uuid;

use crate::context::RequestContext;
use crate::dates;
use crate::error::ApiError;
use crate::ids::CollaborationId;

/// The collaboration a request concerns: the one named in `field`, which
/// the caller's municipality must belong to or have left (a former member
/// reads its history) — else NOT_FOUND; unnamed, the caller's only one.
pub fn collaboration(
    ctx: &RequestContext,
    field: &str,
    s: &str,
) -> Result<CollaborationId, ApiError> {
    let scope = &ctx.scope;
    if s.is_empty() {
        let former: Vec<CollaborationId> = scope.former.iter().map(|f| f.collaboration).collect();
        let candidates = if scope.only_former() {
            former.as_slice()
        } else {
            scope.collaborations.as_slice()
        };
        return match candidates {
            [only] => Ok(*only),
            [] => Err(crate::rule::NO_COLLABORATION
                .refuse("the caller's municipality is not a member of any collaboration today")
                .on(format!("municipalities/{}", ctx.principal.tenant))),
            _ => Err(ApiError::invalid_field(
                field,
                "required: the caller's municipality is in several collaborations",
            )),
        };
    }
    let id: CollaborationId = s
        .parse()
        .map_err(|_| ApiError::invalid_field(field, "must be a collaboration id (UUID)"))?;
    if !scope.reads(&id) {
        return Err(ApiError::not_found("collaboration", s));
    }
    Ok(id)
}

/// Refuses a field the server sets (an id, a create time, an etag, a
/// version) when a create request carries it: such a field is never
/// silently ignored.
pub fn server_set(field: &str, is_set: bool) -> Result<(), ApiError> {
    if is_set {
        Err(ApiError::invalid_field(
            field,
            "is set by the server; leave it empty",
        ))
    } else {
        Ok(())
    }
}

/// Refuses an owner field of a new resource (its municipality, its
/// author) that names anyone but the caller: the server sets it to the
/// caller, so only empty or the caller's own is accepted, never ignored.
pub fn caller_set(field: &str, sent: &str, caller: &str) -> Result<(), ApiError> {
    if sent.is_empty() || sent == caller {
        Ok(())
    } else {
        Err(ApiError::invalid_field(
            field,
            format!("is set by the server to the caller's own ({caller}); leave it empty"),
        ))
    }
}

/// A required UUID field.
pub fn uuid(field: &str, s: &str) -> Result<Uuid, ApiError> {
    if s.is_empty() {
        return Err(ApiError::invalid_field(field, "required"));
    }
    Uuid::parse_str(s).map_err(|_| ApiError::invalid_field(field, "must be a UUID"))
}

/// An optional UUID field (empty: none).
pub fn opt_uuid(field: &str, s: &str) -> Result<Option<Uuid>, ApiError> {
    if s.is_empty() {
        Ok(None)
    } else {
        uuid(field, s).map(Some)
    }
}

/// A required calendar date.
pub fn date(field: &str, d: Option<&Date>) -> Result<NaiveDate, ApiError> {
    dates::from_proto(
        d.ok_or_else(|| ApiError::invalid_field(field, "required"))?,
        field,
    )
}

/// An optional calendar date.
pub fn opt_date(field: &str, d: Option<&Date>) -> Result<Option<NaiveDate>, ApiError> {
    d.map(|d| dates::from_proto(d, field)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_name_themselves_in_errors() {
        let e = uuid("matter.id", "").unwrap_err().to_string();
        assert!(e.contains("matter.id: required"), "{e}");
        let e = uuid("matter.id", "x").unwrap_err().to_string();
        assert!(e.contains("must be a UUID"), "{e}");
        assert_eq!(opt_uuid("f", "").unwrap(), None);
        assert!(date("due_on", None).is_err());
        assert_eq!(opt_date("on", None).unwrap(), None);
        let d = Date {
            year: 2028,
            month: 2,
            day: 29,
        };
        assert_eq!(
            date("d", Some(&d)).unwrap(),
            NaiveDate::from_ymd_opt(2028, 2, 29).unwrap()
        );
    }
}
