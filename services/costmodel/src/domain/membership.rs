//! Who pays for a period: the municipalities that were members *during*
//! it, and for how many of its months.
//!
//! Membership is dated (the roles service keeps the first and last day of
//! every membership), so a question about a period uses the period's
//! members, never today's: a municipality that joins on 1 January 2027 is
//! no part of any bill of 2026, and one that left on 30 June 2026 pays
//! for half of 2026.
//!
//! **Pro rata by started month.** A member pays for every calendar month
//! of the period in which it was a member for at least one day. Joining on
//! 15 March bills March to December (10 months); leaving on 15 June bills
//! January to June (6 months). Months, not days, because prices and pools
//! are decided as yearly amounts and municipal budgets follow months; a
//! day rule would make a bill depend on the length of February. A
//! municipality with no billed month in the period is not a member of it.
//! The same rule serves a month's bill: a municipality that was a member
//! on any day of the month is billed for it ([`Period`] is a set of months).

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::period::{MONTHS, Period};

/// One dated membership of a municipality in the collaboration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub member: String,
    /// First day of membership.
    pub joined_on: NaiveDate,
    /// Last day of membership; `None` while it lasts.
    pub left_on: Option<NaiveDate>,
}

impl Membership {
    /// Whether the membership covers at least one day of the month.
    fn covers_month(&self, year: i32, month: u32) -> bool {
        let Some(first) = NaiveDate::from_ymd_opt(year, month, 1) else {
            return false;
        };
        let next = if month == MONTHS {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)
        };
        let starts_before_end = next.is_none_or(|n| self.joined_on < n);
        let ends_after_start = self.left_on.is_none_or(|l| l >= first);
        starts_before_end && ends_after_start
    }
}

/// The members of a period with their billed months (1..=12 of a year, 1
/// of a month), sorted by member. Several memberships of one municipality
/// (it left and joined again) count each month once.
pub fn members_during(memberships: &[Membership], period: Period) -> BTreeMap<String, u32> {
    let year = period.year();
    let mut out = BTreeMap::new();
    for member in memberships.iter().map(|m| &m.member) {
        if out.contains_key(member) {
            continue;
        }
        let months = period
            .months()
            .filter(|&month| {
                memberships
                    .iter()
                    .any(|m| &m.member == member && m.covers_month(year, month))
            })
            .count() as u32;
        if months > 0 {
            out.insert(member.clone(), months);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn member(id: &str, joined: NaiveDate, left: Option<NaiveDate>) -> Membership {
        Membership {
            member: id.into(),
            joined_on: joined,
            left_on: left,
        }
    }

    #[test]
    fn a_join_on_new_years_day_changes_nothing_before() {
        let ms = [
            member("tranemo", d(2020, 1, 1), None),
            member("svenljunga", d(2027, 1, 1), None),
        ];
        assert_eq!(
            members_during(&ms, Period::Year(2026)),
            BTreeMap::from([("tranemo".into(), 12)])
        );
        assert_eq!(
            members_during(&ms, Period::Year(2027)),
            BTreeMap::from([("svenljunga".into(), 12), ("tranemo".into(), 12)])
        );
    }

    #[test]
    fn started_months_are_billed() {
        let ms = [
            member("a", d(2026, 3, 15), None),
            member("b", d(2020, 1, 1), Some(d(2026, 6, 15))),
            member("c", d(2020, 1, 1), Some(d(2026, 6, 30))),
            member("d", d(2020, 1, 1), Some(d(2025, 12, 31))),
            member("e", d(2026, 12, 31), None),
        ];
        assert_eq!(
            members_during(&ms, Period::Year(2026)),
            BTreeMap::from([
                ("a".into(), 10),
                ("b".into(), 6),
                ("c".into(), 6),
                ("e".into(), 1)
            ])
        );
    }

    #[test]
    fn a_member_that_left_and_came_back_counts_each_month_once() {
        let ms = [
            member("a", d(2020, 1, 1), Some(d(2026, 2, 10))),
            member("a", d(2026, 2, 20), Some(d(2026, 4, 30))),
            member("a", d(2026, 10, 1), None),
        ];
        // January–April and October–December.
        assert_eq!(
            members_during(&ms, Period::Year(2026)),
            BTreeMap::from([("a".into(), 7)])
        );
    }

    #[test]
    fn a_month_counts_whoever_was_a_member_on_one_of_its_days() {
        let ms = [
            member("a", d(2026, 3, 31), None),
            member("b", d(2020, 1, 1), Some(d(2026, 3, 1))),
            member("c", d(2020, 1, 1), Some(d(2026, 2, 28))),
        ];
        assert_eq!(
            members_during(&ms, Period::Month(2026, 3)),
            BTreeMap::from([("a".into(), 1), ("b".into(), 1)])
        );
        assert_eq!(
            members_during(&ms, Period::Month(2026, 2)),
            BTreeMap::from([("b".into(), 1), ("c".into(), 1)])
        );
    }
}
