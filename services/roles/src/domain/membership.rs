//! Dated membership: a municipality belongs to a collaboration from the day
//! it joins until the day it leaves, both days included (Europe/Stockholm).

use chrono::NaiveDate;

/// Whether a membership `[joined_on, left_on]` is in force on `on`.
pub fn in_force(joined_on: NaiveDate, left_on: Option<NaiveDate>, on: NaiveDate) -> bool {
    joined_on <= on && left_on.is_none_or(|left| on <= left)
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
