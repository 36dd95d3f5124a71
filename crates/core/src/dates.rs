//! Calendar dates live in Europe/Stockholm; timestamps are UTC.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Europe::Stockholm;
use samverkan_proto::common::v1::Date;

use crate::error::{ApiError, FieldViolation};

/// The names of the months in Swedish, January first, as a date is
/// written in running text ("3 mars 2026").
pub const MONTHS_SV: [&str; 12] = [
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
];

/// The calendar date in Stockholm at instant `now`.
pub fn stockholm_date(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&Stockholm).date_naive()
}

/// Today in Stockholm.
pub fn today() -> NaiveDate {
    stockholm_date(Utc::now())
}

/// The first instant after day `d` in Stockholm: midnight starting the
/// next day, in UTC (midnight always exists in Stockholm: summer time
/// changes at 02:00 and 03:00).
pub fn end_of_day(d: NaiveDate) -> DateTime<Utc> {
    use chrono::TimeZone;
    let next = d.succ_opt().unwrap_or(NaiveDate::MAX);
    Stockholm
        .from_local_datetime(&next.and_time(chrono::NaiveTime::MIN))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| next.and_time(chrono::NaiveTime::MIN).and_utc())
}

/// A date as its proto message.
pub fn to_proto(d: NaiveDate) -> Date {
    use chrono::Datelike;
    Date {
        year: d.year(),
        month: d.month() as i32,
        day: d.day() as i32,
    }
}

/// A proto date, validated; `field` names the field in the error.
pub fn from_proto(d: &Date, field: &str) -> Result<NaiveDate, ApiError> {
    let invalid = || {
        ApiError::invalid(FieldViolation::new(
            field,
            "not a valid calendar date (year 1-9999, month 1-12, day in month)",
        ))
    };
    if !(1..=9999).contains(&d.year) {
        return Err(invalid());
    }
    let (Ok(m), Ok(day)) = (u32::try_from(d.month), u32::try_from(d.day)) else {
        return Err(invalid());
    };
    NaiveDate::from_ymd_opt(d.year, m, day).ok_or_else(invalid)
}

/// A UTC instant as a protobuf timestamp.
pub fn timestamp(t: DateTime<Utc>) -> samverkan_proto::Timestamp {
    // Sub-second nanos are always < 1e9, so the cast cannot truncate.
    samverkan_proto::Timestamp {
        seconds: t.timestamp(),
        nanos: t.timestamp_subsec_nanos() as i32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn end_of_a_day_in_stockholm() {
        // Winter (+1): 15 January ends at 23:00 UTC.
        let d = NaiveDate::from_ymd_opt(2026, 1, 15).unwrap();
        assert_eq!(
            end_of_day(d),
            Utc.with_ymd_and_hms(2026, 1, 15, 23, 0, 0).unwrap()
        );
        // Summer (+2): 15 June ends at 22:00 UTC.
        let d = NaiveDate::from_ymd_opt(2026, 6, 15).unwrap();
        assert_eq!(
            end_of_day(d),
            Utc.with_ymd_and_hms(2026, 6, 15, 22, 0, 0).unwrap()
        );
    }

    #[test]
    fn stockholm_midnight_is_the_next_day_before_utc_midnight() {
        // 2025-12-31 23:30 UTC is already 2026-01-01 00:30 in Stockholm (CET, +1).
        let t = Utc
            .with_ymd_and_hms(2025, 12, 31, 23, 30, 0)
            .single()
            .unwrap();
        assert_eq!(
            stockholm_date(t),
            NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
        );
        // Summer time (+2): 2025-06-30 22:30 UTC is 2025-07-01 in Stockholm.
        let t = Utc
            .with_ymd_and_hms(2025, 6, 30, 22, 30, 0)
            .single()
            .unwrap();
        assert_eq!(
            stockholm_date(t),
            NaiveDate::from_ymd_opt(2025, 7, 1).unwrap()
        );
    }

    #[test]
    fn proto_dates_are_validated() {
        assert!(
            from_proto(
                &Date {
                    year: 2024,
                    month: 2,
                    day: 29
                },
                "d"
            )
            .is_ok()
        );
        assert!(
            from_proto(
                &Date {
                    year: 2025,
                    month: 2,
                    day: 29
                },
                "d"
            )
            .is_err()
        );
        assert!(
            from_proto(
                &Date {
                    year: 0,
                    month: 1,
                    day: 1
                },
                "d"
            )
            .is_err()
        );
        assert!(
            from_proto(
                &Date {
                    year: 2025,
                    month: -1,
                    day: 1
                },
                "d"
            )
            .is_err()
        );
        let d = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        assert_eq!(from_proto(&to_proto(d), "d").ok(), Some(d));
    }
}
