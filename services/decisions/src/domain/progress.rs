//! An action plan's progress: the weighted roll-up of its activities.

/// One activity's contribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    /// 0..=100.
    pub percent: i32,
    /// ≥ 1.
    pub weight: i32,
    /// Cancelled activities do not count.
    pub cancelled: bool,
}

/// Progress in tenths of a percent (0..=1000), rounded half up, integer
/// arithmetic only. A plan with nothing to count is at 0.
pub fn roll_up(parts: &[Part]) -> i32 {
    let (num, den) = parts
        .iter()
        .filter(|p| !p.cancelled)
        .fold((0i64, 0i64), |(n, d), p| {
            let w = i64::from(p.weight.max(1));
            (n + i64::from(p.percent.clamp(0, 100)) * w * 10, d + w)
        });
    if den == 0 {
        return 0;
    }
    i32::try_from((2 * num + den) / (2 * den)).unwrap_or(1000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(percent: i32, weight: i32) -> Part {
        Part {
            percent,
            weight,
            cancelled: false,
        }
    }

    #[test]
    fn weighted() {
        assert_eq!(roll_up(&[p(100, 1), p(0, 1)]), 500);
        assert_eq!(roll_up(&[p(100, 3), p(0, 1)]), 750);
        assert_eq!(
            roll_up(&[p(50, 1), p(0, 2)]),
            167,
            "16.67 % rounds to 16.7 %"
        );
        assert_eq!(roll_up(&[]), 0);
        let cancelled = Part {
            percent: 0,
            weight: 5,
            cancelled: true,
        };
        assert_eq!(roll_up(&[p(40, 1), cancelled]), 400);
    }

    proptest! {
        #[test]
        fn bounded_and_exact_for_equal_progress(percent in 0i32..=100, weights in proptest::collection::vec(1i32..1000, 1..20)) {
            let parts: Vec<Part> = weights.iter().map(|w| p(percent, *w)).collect();
            prop_assert_eq!(roll_up(&parts), percent * 10);
        }

        #[test]
        fn never_outside_0_to_1000(parts in proptest::collection::vec((0i32..=100, 1i32..1000, any::<bool>()), 0..20)) {
            let parts: Vec<Part> = parts.into_iter().map(|(percent, weight, cancelled)| Part { percent, weight, cancelled }).collect();
            let r = roll_up(&parts);
            prop_assert!((0..=1000).contains(&r));
        }
    }
}
