//! Dated membership: a municipality belongs to a collaboration from the day
//! it joins until the day it leaves, both days included (Europe/Stockholm).

use chrono::NaiveDate;
use samverkan_core::Refusal;

use super::rules;

/// Whether a membership `[joined_on, left_on]` is in force on `on`.
pub fn in_force(joined_on: NaiveDate, left_on: Option<NaiveDate>, on: NaiveDate) -> bool {
    joined_on <= on && left_on.is_none_or(|left| on <= left)
}

/// Whether `municipality`, with its `memberships` (each `(joined_on,
/// left_on)`), may join on `joined_on`: not while a membership runs on or
/// past that day.
pub fn may_join(
    municipality: &str,
    memberships: impl IntoIterator<Item = (NaiveDate, Option<NaiveDate>)>,
    joined_on: NaiveDate,
) -> Result<(), Refusal> {
    if memberships
        .into_iter()
        .any(|(_, left)| left.is_none_or(|l| l >= joined_on))
    {
        return Err(rules::ALREADY_MEMBER.refuse(format!(
            "{municipality} is already a member of the collaboration on {joined_on}"
        )));
    }
    Ok(())
}

/// Whether a membership that ended on `left_on` (if it has) may end.
pub fn may_end(left_on: Option<NaiveDate>) -> Result<(), Refusal> {
    match left_on {
        Some(_) => Err(rules::MEMBERSHIP_ENDED.refuse("the membership has already ended")),
        None => Ok(()),
    }
}

/// Whether a role may be held for `municipality` from `from`: only a
/// member on that day has roles in the collaboration.
pub fn may_hold_roles(municipality: &str, member: bool, from: NaiveDate) -> Result<(), Refusal> {
    if member {
        Ok(())
    } else {
        Err(rules::NOT_A_MEMBER.refuse(format!(
            "{municipality} is not a member of the collaboration on {from}"
        )))
    }
}

/// Whether a person may hold role `role` in place `place` during
/// `[from, to]` (`to` open when `None`), given the `held` periods of the
/// same role they hold elsewhere or in the same place: the same person
/// cannot hold the same role in the same place twice at once.
pub fn may_hold<P: PartialEq>(
    role: &str,
    place: &P,
    (from, to): (NaiveDate, Option<NaiveDate>),
    held: impl IntoIterator<Item = (P, NaiveDate, Option<NaiveDate>)>,
) -> Result<(), Refusal> {
    let end = |d: Option<NaiveDate>| d.unwrap_or(NaiveDate::MAX);
    if held
        .into_iter()
        .any(|(p, f, t)| p == *place && f <= end(to) && from <= end(t))
    {
        return Err(rules::OVERLAPPING_ASSIGNMENT.refuse(format!(
            "the person already holds {role} here during part of that period"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn boundaries_are_inclusive() {
        let joined = d(2022, 1, 1);
        let left = Some(d(2025, 12, 31));
        assert!(!in_force(joined, left, d(2021, 12, 31)));
        assert!(in_force(joined, left, d(2022, 1, 1)));
        assert!(in_force(joined, left, d(2025, 12, 31)));
        assert!(!in_force(joined, left, d(2026, 1, 1)));
        assert!(in_force(joined, None, d(2099, 1, 1)));
    }

    #[test]
    fn joining_leaving_and_holding_roles() {
        let m = "2120001652";
        assert!(may_join(m, [(d(2020, 1, 1), Some(d(2023, 12, 31)))], d(2024, 1, 1)).is_ok());
        let e = may_join(m, [(d(2020, 1, 1), Some(d(2023, 12, 31)))], d(2023, 12, 31));
        assert_eq!(e.unwrap_err().reason(), "ALREADY_MEMBER");
        assert_eq!(
            may_join(m, [(d(2020, 1, 1), None)], d(2030, 1, 1))
                .unwrap_err()
                .reason(),
            "ALREADY_MEMBER"
        );
        assert!(may_end(None).is_ok());
        assert_eq!(
            may_end(Some(d(2024, 1, 1))).unwrap_err().reason(),
            "MEMBERSHIP_ENDED"
        );
        assert!(may_hold_roles(m, true, d(2024, 1, 1)).is_ok());
        assert_eq!(
            may_hold_roles(m, false, d(2024, 1, 1))
                .unwrap_err()
                .reason(),
            "NOT_A_MEMBER"
        );
    }

    #[test]
    fn one_role_in_one_place_once_at_a_time() {
        let held = || {
            [
                ("a", d(2024, 1, 1), Some(d(2024, 6, 30))),
                ("b", d(2024, 1, 1), None),
            ]
        };
        let period = (d(2024, 7, 1), None);
        assert!(may_hold("sekreterare", &"a", period, held()).is_ok());
        let e = may_hold(
            "sekreterare",
            &"a",
            (d(2024, 6, 30), Some(d(2024, 7, 1))),
            held(),
        );
        assert_eq!(e.unwrap_err().reason(), "OVERLAPPING_ASSIGNMENT");
        assert_eq!(
            may_hold("sekreterare", &"b", period, held())
                .unwrap_err()
                .reason(),
            "OVERLAPPING_ASSIGNMENT"
        );
        assert!(may_hold("sekreterare", &"c", period, held()).is_ok());
    }

    proptest! {
        #[test]
        fn in_force_iff_within_interval(start in 0i64..4000, len in 0i64..4000, probe in 0i64..9000, open in any::<bool>()) {
            let base = d(2020, 1, 1);
            let joined = base + chrono::Days::new(start as u64);
            let left = (!open).then(|| joined + chrono::Days::new(len as u64));
            let on = base + chrono::Days::new(probe as u64);
            let expected = on >= joined && (open || on <= joined + chrono::Days::new(len as u64));
            prop_assert_eq!(in_force(joined, left, on), expected);
        }
    }
}
