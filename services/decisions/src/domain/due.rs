//! What is due: an item is listed when it is overdue or due within the
//! window, counted in whole calendar days in Europe/Stockholm.

use chrono::NaiveDate;

/// Days from `today` until `due_on` (negative when overdue).
pub fn days_left(today: NaiveDate, due_on: NaiveDate) -> i64 {
    (due_on - today).num_days()
}

/// Whether an item due on `due_on` is listed with a window of `within_days`.
/// Due today is listed and not overdue; due yesterday is overdue.
pub fn listed(today: NaiveDate, due_on: NaiveDate, within_days: i64) -> bool {
    days_left(today, due_on) <= within_days
}

/// Whether the due date has passed.
pub fn overdue(today: NaiveDate, due_on: NaiveDate) -> bool {
    days_left(today, due_on) < 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn edges() {
        let today = d(2028, 3, 1);
        // Leap day: 2028-02-29 is yesterday.
        assert!(overdue(today, d(2028, 2, 29)));
        assert_eq!(days_left(today, d(2028, 2, 29)), -1);
        assert!(!overdue(today, today));
        assert!(listed(today, today, 0));
        assert!(listed(today, d(2028, 3, 8), 7));
        assert!(!listed(today, d(2028, 3, 9), 7));
        // From the leap day itself.
        assert_eq!(days_left(d(2028, 2, 28), d(2028, 3, 1)), 2);
    }
}
