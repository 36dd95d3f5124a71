//! Property tests of the money rules: allocation, mixed keys, explanations
//! and reconciliation. Every check is exact integer arithmetic.

use std::collections::BTreeMap;

use proptest::prelude::*;
use samverkan_costmodel::domain::allocation::{Component, allocate, combine};
use samverkan_costmodel::domain::bill::{Bill, BillLine, LineKind};
use samverkan_costmodel::domain::explain::explain;
use samverkan_costmodel::domain::period::Period;
use samverkan_costmodel::domain::reconcile::{PoolOutcome, reconcile};
use samverkan_costmodel::domain::{CostError, Money, Ratio};

/// Totals with the edge cases weighted in: zero, ±1 öre, the extremes.
fn total() -> impl Strategy<Value = i64> {
    prop_oneof![
        Just(0),
        Just(1),
        Just(-1),
        Just(i64::MAX),
        Just(i64::MIN + 1),
        -1_000_000i64..1_000_000,
        any::<i64>().prop_filter("negatable", |t| *t != i64::MIN),
    ]
}

/// Weights with many zeros, small values (frequent ties) and large ones.
fn weight() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0u64),
        1u64..4,
        0u64..1_000_000,
        0..=u64::from(u32::MAX)
    ]
}

/// Unique keys (their order is then shuffled separately) with weights.
fn weights() -> impl Strategy<Value = Vec<(u32, u64)>> {
    prop::collection::vec(weight(), 1..12).prop_map(|ws| {
        ws.into_iter()
            .enumerate()
            .map(|(i, w)| (i as u32 * 7 % 13, w))
            .collect()
    })
}

fn as_map(parts: &[samverkan_costmodel::domain::allocation::Part<u32>]) -> BTreeMap<u32, i64> {
    parts.iter().map(|p| (p.key, p.amount.ore())).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn allocation_is_exact_fair_order_independent_and_sign_symmetric(
        t in total(),
        ws in weights(),
        seed in any::<u64>(),
    ) {
        let sum: u128 = ws.iter().map(|(_, w)| u128::from(*w)).sum();
        let result = allocate(Money::from_ore(t), &ws);
        if sum == 0 {
            prop_assert_eq!(result, Err(CostError::AllZeroWeights));
            return Ok(());
        }
        let parts = result.unwrap();

        // Parts sum to the total exactly.
        let got: i128 = parts.iter().map(|p| i128::from(p.amount.ore())).sum();
        prop_assert_eq!(got, i128::from(t));

        // Each part within one öre of its exact share t·w/W:
        // |amount·W − t·w| < W, in exact integers (|t| < 2^63, w < 2^32,
        // W < 2^36, so every product fits i128).
        let w_total = sum as i128;
        for p in &parts {
            let exact_num = i128::from(t) * i128::from(p.weight);
            let diff = i128::from(p.amount.ore()) * w_total - exact_num;
            prop_assert!(diff.abs() < w_total, "part {:?} too far from its share", p);
            // The stated adjustment is that difference.
            prop_assert_eq!(p.adjustment, Ratio::new_i128(diff, w_total).unwrap());
            if p.weight == 0 {
                prop_assert_eq!(p.amount, Money::ZERO);
            }
        }

        // Independent of input order: shuffle deterministically by the seed.
        let mut shuffled = ws.clone();
        let n = shuffled.len();
        let mut s = seed;
        for i in (1..n).rev() {
            s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            shuffled.swap(i, (s >> 33) as usize % (i + 1));
        }
        let again = allocate(Money::from_ore(t), &shuffled).unwrap();
        prop_assert_eq!(as_map(&parts), as_map(&again));

        // allocate(−T) = −allocate(T).
        let neg = allocate(Money::from_ore(-t), &ws).unwrap();
        for (a, b) in parts.iter().zip(&neg) {
            prop_assert_eq!(a.amount.ore(), -b.amount.ore());
        }
    }

    #[test]
    fn huge_weights_still_sum_exactly(
        t in any::<i64>(),
        ws in prop::collection::vec(any::<u64>(), 1..8),
    ) {
        let ws: Vec<(usize, u64)> = ws.into_iter().enumerate().collect();
        match allocate(Money::from_ore(t), &ws) {
            Ok(parts) => {
                let got: i128 = parts.iter().map(|p| i128::from(p.amount.ore())).sum();
                prop_assert_eq!(got, i128::from(t));
            }
            Err(e) => prop_assert_eq!(e, CostError::AllZeroWeights),
        }
    }

    /// A combined mixed key gives every member exactly the share the key
    /// describes: w_j / W = Σ f_i · d_ij / D_i.
    #[test]
    fn combined_weights_are_the_exact_mixed_shares(
        drivers in prop::collection::vec(prop::collection::vec(1u64..100_000, 3), 1..4),
        parts in prop::collection::vec(1i64..10, 4),
    ) {
        let k = drivers.len();
        let denom: i64 = parts[..k].iter().sum();
        let components: Vec<Component<&str>> = drivers
            .iter()
            .zip(&parts)
            .map(|(d, p)| Component {
                fraction: Ratio::new(*p, denom).unwrap(),
                values: vec![("a", d[0]), ("b", d[1]), ("c", d[2])],
            })
            .collect();
        let w = combine("k", &components).unwrap();
        let total: u64 = w.iter().map(|(_, x)| *x).sum();
        for (j, (_, wj)) in w.iter().enumerate() {
            let mut expected = Ratio::ZERO;
            for c in &components {
                let d_total: u64 = c.values.iter().map(|(_, v)| *v).sum();
                let share = Ratio::new(c.values[j].1 as i64, d_total as i64).unwrap();
                expected = expected.checked_add(c.fraction.checked_mul(share).unwrap()).unwrap();
            }
            prop_assert_eq!(Ratio::new(*wj as i64, total as i64).unwrap(), expected);
        }
    }

    #[test]
    fn explanation_effects_sum_exactly_to_the_change(
        before in lines(),
        after in lines(),
    ) {
        let b0 = Bill::new("tranemo", Period::Year(2025), before).unwrap();
        let b1 = Bill::new("tranemo", Period::Year(2026), after).unwrap();
        let e = explain(&b0, &b1).unwrap();
        for r in &e.rows {
            let sum = r.before.ore() + r.price.ore() + r.volume.ore() + r.key.ore()
                + r.reconciliation.ore();
            prop_assert_eq!(sum, r.after.ore(), "row {:?}", r);
        }
        let t = &e.totals;
        prop_assert_eq!(
            t.price.ore() + t.volume.ore() + t.key.ore() + t.reconciliation.ore(),
            b1.total.ore() - b0.total.ore()
        );
    }

    #[test]
    fn reconciliation_closes_every_pool_exactly(
        actual in -10_000_000_000i64..10_000_000_000,
        billed in prop::collection::vec(-1_000_000_000i64..1_000_000_000, 1..6),
        key in prop::collection::vec(0u64..50_000, 1..6),
    ) {
        let pool = PoolOutcome {
            service: "bas".into(),
            name: "Gemensam bas".into(),
            actual: Money::from_ore(actual),
            billed: billed.iter().enumerate().map(|(i, b)| (format!("m{i}"), Money::from_ore(*b))).collect(),
            key: key.iter().enumerate().map(|(i, w)| (format!("m{i}"), *w)).collect(),
            key_version: "k".into(),
            driver_snapshots: vec![],
        };
        match reconcile(&pool) {
            Ok(r) => {
                let corrected: i64 = r.corrections.iter().map(|(_, l)| l.amount.ore()).sum();
                let billed: i64 = billed.iter().sum();
                prop_assert_eq!(billed + corrected, actual);
            }
            Err(e) => {
                prop_assert_eq!(e, CostError::AllZeroWeights);
                prop_assert!(key.iter().all(|w| *w == 0));
            }
        }
    }
}

/// Random bill lines over a few services and units: amounts as the bill
/// computes them (quantity × price rounded once), including fractional
/// quantities and shares, negative prices (credits) and duplicates of one
/// (service, unit) that the explanation must group.
fn lines() -> impl Strategy<Value = Vec<BillLine>> {
    let line = (
        prop_oneof![
            Just(LineKind::PerUnit),
            Just(LineKind::Allocated),
            Just(LineKind::Direct),
            Just(LineKind::Correction),
        ],
        0usize..3,
        prop_oneof![Just(None), Just(Some("Socialförvaltningen".to_string()))],
        0i64..5_000,
        1i64..13,
        -10_000_000i64..100_000_000,
    )
        .prop_map(|(kind, s, unit, num, den, price)| {
            let quantity = Ratio::new(num, den).unwrap();
            let r = Money::from_ore(price).mul_rounded(quantity).unwrap();
            BillLine {
                kind,
                service: ["konto", "dator", "bas"][s].into(),
                name: ["Användarkonto", "Hanterad dator", "Gemensam bas"][s].into(),
                unit,
                quantity,
                measured: None,
                unit_price: Money::from_ore(price),
                amount: r.amount,
                rounding_adjustment: r.adjustment,
                price_list_version: None,
                key_version: None,
                driver_snapshots: vec![],
                reference: None,
                unit_split: vec![],
            }
        });
    prop::collection::vec(line, 0..10)
}
