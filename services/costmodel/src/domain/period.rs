//! A billing period: a calendar year, or one month of it.
//!
//! A period is a set of months (12 for a year, 1 for a month). Prices and
//! cost pools are decided as yearly amounts; a month's bill applies the
//! year's published price list to that one month, so every yearly amount
//! counts × the period's months / 12 (see [`super::bill`] and
//! `docs/adr/0011-monthly-bills.md`).
//!
//! A period is written "2025" or "2025-03": that is how it is stored in the
//! string columns and in frozen inputs, so that years read and write as they
//! did when periods were strings.
//!
//! A year's bills are issued either for the year or per month, never both
//! ([`may_issue`]); what may still be recorded once some of a year is issued
//! is decided by [`may_record`].

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use samverkan_core::Refusal;

use super::allocation;
use super::{CostError, Money, rules};

/// The months of a year.
pub const MONTHS: u32 = 12;

/// A calendar year, or one month (1..=12) of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Period {
    Year(i32),
    Month(i32, u32),
}

/// A period that is no period: which part (`year` or `month`) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodError {
    /// `"year"` or `"month"`, the sub-field a caller got wrong.
    pub part: &'static str,
    pub reason: String,
}

impl fmt::Display for PeriodError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.part, self.reason)
    }
}

impl std::error::Error for PeriodError {}

const FIRST_YEAR: i32 = 1900;
const LAST_YEAR: i32 = 9999;

impl Period {
    /// A period from its parts as a caller sends them: `month` 0 is the
    /// whole year, 1..=12 that month.
    pub fn new(year: i32, month: i32) -> Result<Period, PeriodError> {
        if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
            return Err(PeriodError {
                part: "year",
                reason: format!("must be a year {FIRST_YEAR}..{LAST_YEAR}"),
            });
        }
        match month {
            0 => Ok(Period::Year(year)),
            1..=12 => Ok(Period::Month(year, month.unsigned_abs())),
            _ => Err(PeriodError {
                part: "month",
                reason: "must be 1..12 (a month), or 0 for the whole year".into(),
            }),
        }
    }

    /// The calendar year the period belongs to.
    pub fn year(self) -> i32 {
        match self {
            Period::Year(y) | Period::Month(y, _) => y,
        }
    }

    /// The month, or `None` for a whole year.
    pub fn month(self) -> Option<u32> {
        match self {
            Period::Year(_) => None,
            Period::Month(_, m) => Some(m),
        }
    }

    /// The whole year the period belongs to.
    pub fn whole_year(self) -> Period {
        Period::Year(self.year())
    }

    /// The months of the period, 1 = January.
    pub fn months(self) -> std::ops::RangeInclusive<u32> {
        match self {
            Period::Year(_) => 1..=MONTHS,
            Period::Month(_, m) => m..=m,
        }
    }

    /// How many months the period has: 12 or 1.
    pub fn month_count(self) -> u32 {
        match self {
            Period::Year(_) => MONTHS,
            Period::Month(..) => 1,
        }
    }

    /// The period's first day.
    pub fn first_day(self) -> NaiveDate {
        let m = *self.months().start();
        // A valid period has a valid first day (years 1900..9999).
        NaiveDate::from_ymd_opt(self.year(), m, 1).unwrap_or(NaiveDate::MIN)
    }

    /// The period's last day.
    pub fn last_day(self) -> NaiveDate {
        let m = *self.months().end();
        let next = if m == MONTHS {
            NaiveDate::from_ymd_opt(self.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(self.year(), m + 1, 1)
        };
        next.and_then(|d| d.pred_opt()).unwrap_or(NaiveDate::MAX)
    }

    /// The period's part of a yearly amount (a cost pool): the whole of it
    /// for a year; for a month, the month's part of a largest-remainder
    /// split of the amount over the twelve months (equal weights, ties by
    /// month), so that the twelve months' parts sum exactly to the amount.
    pub fn share_of_year(self, yearly: Money) -> Result<Money, CostError> {
        let Period::Month(_, month) = self else {
            return Ok(yearly);
        };
        let weights: Vec<(u32, u64)> = (1..=MONTHS).map(|m| (m, 1)).collect();
        allocation::allocate(yearly, &weights)?
            .into_iter()
            .find(|p| p.key == month)
            .map(|p| p.amount)
            .ok_or(CostError::Overflow)
    }
}

impl fmt::Display for Period {
    /// "2025" or "2025-03".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Year(y) => write!(f, "{y}"),
            Period::Month(y, m) => write!(f, "{y}-{m:02}"),
        }
    }
}

impl FromStr for Period {
    type Err = PeriodError;

    /// "2025" or "2025-03", as [`Display`](fmt::Display) writes them.
    fn from_str(s: &str) -> Result<Period, PeriodError> {
        let digits = |t: &str, n: usize| t.len() == n && t.bytes().all(|b| b.is_ascii_digit());
        let bad = || PeriodError {
            part: "year",
            reason: format!("{s:?} is not a period such as \"2025\" or \"2025-03\""),
        };
        let (y, m) = match s.split_once('-') {
            None => (s, None),
            Some((y, m)) => (y, Some(m)),
        };
        if !digits(y, 4) || m.is_some_and(|m| !digits(m, 2)) {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: i32 = match m {
            None => 0,
            Some(m) => {
                let m: i32 = m.parse().map_err(|_| bad())?;
                if m == 0 {
                    return Err(PeriodError {
                        part: "month",
                        reason: "must be 1..12".into(),
                    });
                }
                m
            }
        };
        Period::new(year, month)
    }
}

/// Why bills may not be issued, or an input no longer recorded, for a
/// period: the state of its year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// The period itself is issued.
    Issued(Period),
    /// The year is issued as a whole, so none of its months can be.
    BilledYearly(i32),
    /// This month of the year is issued, so the year is billed per month
    /// and cannot be issued as a whole.
    BilledMonthly(Period),
}

impl Conflict {
    /// The refusal to issue bills that this state gives.
    pub fn refusal(self) -> Refusal {
        match self {
            Conflict::Issued(p) => rules::ALREADY_ISSUED.refuse(format!(
                "the bills of {p} are issued already; differences are reconciled, never re-issued"
            )),
            Conflict::BilledYearly(_) => rules::BILLED_YEARLY.refuse(self.to_string()),
            Conflict::BilledMonthly(_) => rules::BILLED_MONTHLY.refuse(self.to_string()),
        }
    }

    /// The refusal to record an input for `period` that this state gives.
    pub fn refusal_to_record(self, period: Period) -> Refusal {
        match self {
            Conflict::Issued(p) if p == period => rules::PERIOD_ISSUED.refuse(format!(
                "the bills of {p} are issued; its inputs no longer change (reconcile the difference instead)"
            )),
            Conflict::Issued(p) => rules::PERIOD_ISSUED.refuse(format!(
                "the bills of {p} are issued; a direct charge of {period} would be billed with them"
            )),
            other => other.refusal(),
        }
    }

    /// The period whose state is the conflict.
    pub fn period(self) -> Period {
        match self {
            Conflict::Issued(p) | Conflict::BilledMonthly(p) => p,
            Conflict::BilledYearly(y) => Period::Year(y),
        }
    }
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Conflict::Issued(p) => write!(f, "the bills of {p} are issued already"),
            Conflict::BilledYearly(y) => write!(
                f,
                "the bills of {y} are issued for the whole year; its months are not billed separately"
            ),
            Conflict::BilledMonthly(p) => write!(
                f,
                "the bills of {p} are issued, so {} is billed per month, not as a whole year",
                p.year()
            ),
        }
    }
}

/// The refusal to read or reconcile the issued bills of `period` before
/// they are issued.
pub fn not_issued(period: Period) -> Refusal {
    rules::NOT_ISSUED.refuse(format!("the bills of {period} are not issued yet"))
}

/// Whether the bills of `period` may be issued, given the periods of its
/// year already issued: once per period, and a year either as a whole or
/// per month, never both.
pub fn may_issue(period: Period, issued: &[Period]) -> Result<(), Conflict> {
    let year = period.year();
    let of_year = issued.iter().copied().filter(|p| p.year() == year);
    for p in of_year {
        if p == period {
            return Err(Conflict::Issued(p));
        }
        match (period, p) {
            (Period::Month(..), Period::Year(y)) => return Err(Conflict::BilledYearly(y)),
            (Period::Year(_), Period::Month(..)) => return Err(Conflict::BilledMonthly(p)),
            _ => {}
        }
    }
    Ok(())
}

/// What an input recorded for a period is billed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// A per-unit volume: a year's volume is billed in the yearly bill and
    /// in every month of the year without a volume of its own.
    Volume,
    /// A direct charge: a month's charge in that month's bill; a year's in
    /// the yearly bill, or in December's when the year is billed per month.
    DirectCharge,
}

/// Whether an input for `period` may still be recorded, given the periods
/// of its year already issued: never for an issued period (its bills are
/// final), never for a month of a year issued as a whole (it would never be
/// billed), and a year's direct charge not once December is issued (the
/// last bill it could go on). A year's volume may still be recorded while
/// some months are open: it counts in those months only.
pub fn may_record(kind: InputKind, period: Period, issued: &[Period]) -> Result<(), Conflict> {
    let year = period.year();
    for p in issued.iter().copied().filter(|p| p.year() == year) {
        if p == period {
            return Err(Conflict::Issued(p));
        }
        match (period, p) {
            (Period::Month(..), Period::Year(y)) => return Err(Conflict::BilledYearly(y)),
            (Period::Year(_), Period::Month(_, MONTHS)) if kind == InputKind::DirectCharge => {
                return Err(Conflict::Issued(p));
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_read_and_write_as_their_strings() {
        for (s, p) in [
            ("2025", Period::Year(2025)),
            ("2025-03", Period::Month(2025, 3)),
            ("1900-12", Period::Month(1900, 12)),
        ] {
            assert_eq!(s.parse::<Period>(), Ok(p));
            assert_eq!(p.to_string(), s);
        }
        for s in [
            "", "25", "2025-3", "2025-13", "2025-00", "1899", "x025", "2025-",
        ] {
            assert!(s.parse::<Period>().is_err(), "{s}");
        }
    }

    #[test]
    fn bad_parts_are_named() {
        assert_eq!(Period::new(2025, 13).unwrap_err().part, "month");
        assert_eq!(Period::new(2025, -1).unwrap_err().part, "month");
        assert_eq!(Period::new(0, 3).unwrap_err().part, "year");
        assert_eq!(Period::new(10_000, 0).unwrap_err().part, "year");
    }

    #[test]
    fn months_and_days() {
        let y = Period::Year(2024);
        assert_eq!(y.months().count(), 12);
        assert_eq!(y.first_day(), NaiveDate::from_ymd_opt(2024, 1, 1).unwrap());
        assert_eq!(y.last_day(), NaiveDate::from_ymd_opt(2024, 12, 31).unwrap());
        let feb = Period::Month(2024, 2);
        assert_eq!(feb.months().collect::<Vec<_>>(), vec![2]);
        assert_eq!(
            feb.last_day(),
            NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()
        );
        assert_eq!(
            Period::Month(2025, 12).last_day(),
            NaiveDate::from_ymd_opt(2025, 12, 31).unwrap()
        );
    }

    #[test]
    fn twelve_months_of_a_pool_sum_to_the_pool() {
        for pool in [0, 1, 11, 12, 13, 248_735_000, 100_000_007] {
            let parts: Vec<i64> = (1..=12)
                .map(|m| {
                    Period::Month(2025, m)
                        .share_of_year(Money::from_ore(pool))
                        .unwrap()
                        .ore()
                })
                .collect();
            assert_eq!(parts.iter().sum::<i64>(), pool);
            assert!(parts.iter().all(|p| (p - pool / 12).abs() <= 1));
            // The leftover öre go to the first months.
            assert!(parts.windows(2).all(|w| w[0] >= w[1]));
        }
        assert_eq!(
            Period::Year(2025)
                .share_of_year(Money::from_ore(7))
                .unwrap(),
            Money::from_ore(7)
        );
    }

    #[test]
    fn a_year_is_billed_whole_or_per_month() {
        let y = Period::Year(2025);
        let mar = Period::Month(2025, 3);
        assert_eq!(may_issue(y, &[]), Ok(()));
        assert_eq!(may_issue(y, &[Period::Year(2024)]), Ok(()));
        assert_eq!(may_issue(y, &[y]), Err(Conflict::Issued(y)));
        assert_eq!(may_issue(mar, &[y]), Err(Conflict::BilledYearly(2025)));
        assert_eq!(may_issue(y, &[mar]), Err(Conflict::BilledMonthly(mar)));
        assert_eq!(may_issue(Period::Month(2025, 4), &[mar]), Ok(()));
        assert_eq!(may_issue(mar, &[mar]), Err(Conflict::Issued(mar)));
    }

    #[test]
    fn inputs_stop_where_they_could_no_longer_be_billed() {
        let y = Period::Year(2025);
        let mar = Period::Month(2025, 3);
        let dec = Period::Month(2025, 12);
        use InputKind::{DirectCharge, Volume};
        assert_eq!(
            may_record(Volume, mar, &[y]),
            Err(Conflict::BilledYearly(2025))
        );
        assert_eq!(
            may_record(DirectCharge, mar, &[mar]),
            Err(Conflict::Issued(mar))
        );
        assert_eq!(may_record(Volume, y, &[mar]), Ok(()));
        assert_eq!(may_record(DirectCharge, y, &[mar]), Ok(()));
        assert_eq!(may_record(Volume, y, &[dec]), Ok(()));
        assert_eq!(
            may_record(DirectCharge, y, &[dec]),
            Err(Conflict::Issued(dec))
        );
        assert_eq!(may_record(Volume, y, &[y]), Err(Conflict::Issued(y)));
    }
}
