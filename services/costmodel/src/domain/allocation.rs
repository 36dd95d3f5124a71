//! Splitting an amount over weights: the largest-remainder method on
//! integer öre.
//!
//! Why largest remainder: rounding each share on its own can make the parts
//! sum to a different amount than the whole (three thirds of 1,00 kr are
//! 0,33 + 0,33 + 0,33). Largest remainder floors every exact share, then
//! gives the missing öre one each to the parts with the largest remainders.
//! The parts then always sum to the whole and each is within one öre of its
//! exact share.
//!
//! Why ties go by key and not by position: the same inputs, loaded from the
//! database in another order, must give the same bill. Keys are therefore
//! unique within a split, and among equal remainders the smallest key (by
//! `Ord`) gets the öre.
//!
//! Why sign symmetry: a negative amount (a credit, a year-end refund) is
//! split as its absolute value and negated, so `allocate(−T) = −allocate(T)`;
//! flooring negative shares directly would instead push every credit's
//! remainder onto the largest members.
//!
//! Mixed keys ("one third equally, two thirds by population") are combined
//! into ONE integer weight vector first ([`combine`]), with exact rational
//! arithmetic, and split once: splitting each third separately and adding
//! would round twice.

use std::collections::BTreeSet;
use std::fmt::Debug;

use super::{CostError, Money, Ratio};

/// One part of a split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part<K> {
    pub key: K,
    /// The weight the part was computed from.
    pub weight: u64,
    /// The amount given to this key.
    pub amount: Money,
    /// `amount − exact share`, in öre; strictly within ±1.
    pub adjustment: Ratio,
}

impl<K> Part<K> {
    /// The exact share this part was rounded from, in öre.
    pub fn exact(&self) -> Option<Ratio> {
        Ratio::integer(self.amount.ore()).checked_sub(self.adjustment)
    }
}

/// Splits `total` over `weights` by largest remainder. Parts come back in
/// input order; the amounts do not depend on that order.
///
/// Errors: all weights zero (or none), a duplicate key.
pub fn allocate<K: Ord + Clone + Debug>(
    total: Money,
    weights: &[(K, u64)],
) -> Result<Vec<Part<K>>, CostError> {
    let mut seen = BTreeSet::new();
    for (k, _) in weights {
        if !seen.insert(k) {
            return Err(CostError::DuplicateKey(format!("{k:?}")));
        }
    }
    // Σ of u64 weights fits u128 for any slice that fits in memory.
    let sum: u128 = weights.iter().map(|(_, w)| u128::from(*w)).sum();
    if sum == 0 {
        return Err(CostError::AllZeroWeights);
    }
    let negative = total.ore() < 0;
    let t = u128::from(total.ore().unsigned_abs());
    // |T| < 2^64 and w < 2^64, so |T|·w < 2^128: no overflow.
    let mut floors = Vec::with_capacity(weights.len());
    let mut rems = Vec::with_capacity(weights.len());
    for (_, w) in weights {
        let p = t * u128::from(*w);
        floors.push(p / sum);
        rems.push(p % sum);
    }
    let given: u128 = floors.iter().sum();
    // The leftover is Σ remainders / sum: fewer than the number of parts
    // with a non-zero remainder, so a zero weight never gets an öre.
    let leftover = t - given;
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| {
        rems[b]
            .cmp(&rems[a])
            .then_with(|| weights[a].0.cmp(&weights[b].0))
    });
    let mut extra = vec![false; weights.len()];
    for &i in order.iter().take(leftover as usize) {
        extra[i] = true;
    }
    let sum_i = i128::try_from(sum).map_err(|_| CostError::Overflow)?;
    weights
        .iter()
        .enumerate()
        .map(|(i, (k, w))| {
            let abs = floors[i] + u128::from(extra[i]);
            let rem = rems[i] as i128; // < sum ≤ i128::MAX
            // amount − exact = (extra ? 1 : 0) − rem/sum, for |T|.
            let adj_num = if extra[i] { sum_i - rem } else { -rem };
            // Negate in i128: a single part of i64::MIN has |amount| = 2^63.
            let abs = abs as i128; // ≤ |T| ≤ 2^63
            let (amount, adj_num) = if negative {
                (-abs, -adj_num)
            } else {
                (abs, adj_num)
            };
            let amount = i64::try_from(amount).map_err(|_| CostError::Overflow)?;
            Ok(Part {
                key: k.clone(),
                weight: *w,
                amount: Money::from_ore(amount),
                adjustment: Ratio::new_i128(adj_num, sum_i)?,
            })
        })
        .collect()
}

/// One component of a mixed key: a fraction of the whole, split by these
/// values (all 1 for "equally").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component<K> {
    pub fraction: Ratio,
    pub values: Vec<(K, u64)>,
}

/// Combines a mixed key into one integer weight vector, sorted by key.
///
/// Member j's exact share is `Σᵢ fᵢ · dᵢⱼ / Dᵢ` (fᵢ the component's
/// fraction, dᵢⱼ its driver value, Dᵢ the driver's total). Over the common
/// denominator `L = lcm(den(fᵢ / Dᵢ))` every share becomes an integer
/// `wⱼ = Σᵢ (fᵢ · L / Dᵢ) · dᵢⱼ`; dividing by the gcd of all wⱼ keeps them
/// small. The split of these weights is exactly the split the key describes.
///
/// Example: ⅓ equally over two members and ⅔ by population 25 135 / 11 730
/// gives 137 405 / 83 785 (of 221 190), reduced by their gcd 5 to
/// 27 481 / 16 757.
///
/// Errors: fractions negative or not summing to exactly 1; components over
/// different member sets; a driver with total zero; weights beyond `u64`.
pub fn combine<K: Ord + Clone + Debug>(
    key_name: &str,
    components: &[Component<K>],
) -> Result<Vec<(K, u64)>, CostError> {
    let bad_fractions = || CostError::InvalidKeyFractions {
        key: key_name.to_owned(),
    };
    let mut fsum = Ratio::ZERO;
    for c in components {
        if c.fraction.is_negative() {
            return Err(bad_fractions());
        }
        fsum = fsum.checked_add(c.fraction).ok_or(CostError::Overflow)?;
    }
    // Fractions that do not sum to 1 would still give proportional weights,
    // but they are almost always a typing error in a decided key.
    if fsum != Ratio::ONE {
        return Err(bad_fractions());
    }
    let members: Vec<K> = {
        let first = components.first().ok_or_else(bad_fractions)?;
        let mut ks: Vec<K> = first.values.iter().map(|(k, _)| k.clone()).collect();
        ks.sort();
        if ks.windows(2).any(|w| w[0] == w[1]) {
            return Err(CostError::DuplicateKey(format!("{:?}", ks)));
        }
        ks
    };
    // Per component: the coefficient fᵢ / Dᵢ as (numerator, denominator).
    let mut coef: Vec<(u128, u128)> = Vec::with_capacity(components.len());
    let mut lcm: u128 = 1;
    for c in components {
        let mut ks: Vec<&K> = c.values.iter().map(|(k, _)| k).collect();
        ks.sort();
        if ks.len() != members.len() || ks.iter().zip(&members).any(|(a, b)| *a != b) {
            return Err(CostError::KeyMembersDiffer);
        }
        if c.fraction.is_zero() {
            coef.push((0, 1));
            continue;
        }
        let total: u128 = c.values.iter().map(|(_, v)| u128::from(*v)).sum();
        if total == 0 {
            return Err(CostError::DriverTotalZero {
                driver: format!("{key_name}[{}]", coef.len()),
            });
        }
        // Fractions are non-negative here, so the casts are exact.
        let (p, q) = (c.fraction.numer() as u128, c.fraction.denom() as u128);
        let den = q.checked_mul(total).ok_or(CostError::Overflow)?;
        let g = gcd(p, den);
        let (p, den) = (p / g, den / g);
        lcm = lcm
            .checked_mul(den / gcd(lcm, den))
            .ok_or(CostError::Overflow)?;
        coef.push((p, den));
    }
    let mut weights: Vec<u128> = vec![0; members.len()];
    for (c, (p, den)) in components.iter().zip(&coef) {
        if *p == 0 {
            continue;
        }
        let factor = p.checked_mul(lcm / den).ok_or(CostError::Overflow)?;
        for (k, v) in &c.values {
            let j = members
                .binary_search(k)
                .map_err(|_| CostError::KeyMembersDiffer)?;
            weights[j] = factor
                .checked_mul(u128::from(*v))
                .and_then(|x| x.checked_add(weights[j]))
                .ok_or(CostError::Overflow)?;
        }
    }
    let g = weights.iter().fold(0, |g, &w| gcd(g, w)).max(1);
    members
        .into_iter()
        .zip(weights)
        .map(|(k, w)| Ok((k, u64::try_from(w / g).map_err(|_| CostError::Overflow)?)))
        .collect()
}

/// A node of a hierarchical split: a member with its units, a unit with
/// its sub-units. `children` empty for a leaf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node<K> {
    pub key: K,
    pub weight: u64,
    pub children: Vec<Node<K>>,
}

/// A node's amount and the split of that amount over its children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocated<K> {
    pub part: Part<K>,
    pub children: Vec<Allocated<K>>,
}

/// Splits top-down: `total` over the top level, then each node's amount
/// (already rounded) over its children. Never the other way round: summing
/// separately rounded leaves would not give the parent's amount.
pub fn allocate_tree<K: Ord + Clone + Debug>(
    total: Money,
    nodes: &[Node<K>],
) -> Result<Vec<Allocated<K>>, CostError> {
    let weights: Vec<(K, u64)> = nodes.iter().map(|n| (n.key.clone(), n.weight)).collect();
    allocate(total, &weights)?
        .into_iter()
        .zip(nodes)
        .map(|(part, node)| {
            let children = if node.children.is_empty() {
                Vec::new()
            } else {
                allocate_tree(part.amount, &node.children)?
            };
            Ok(Allocated { part, children })
        })
        .collect()
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amounts<K: Clone>(parts: &[Part<K>]) -> Vec<i64> {
        parts.iter().map(|p| p.amount.ore()).collect()
    }

    #[test]
    fn three_thirds_of_a_krona_sum_to_the_krona() {
        let parts = allocate(Money::from_ore(100), &[("a", 1), ("b", 1), ("c", 1)]).unwrap();
        // Equal remainders: the smallest key takes the öre.
        assert_eq!(amounts(&parts), vec![34, 33, 33]);
        assert_eq!(parts[0].adjustment, Ratio::new(2, 3).unwrap());
        assert_eq!(parts[1].adjustment, Ratio::new(-1, 3).unwrap());
        assert_eq!(parts[0].exact(), Ratio::new(100, 3).ok());
    }

    #[test]
    fn ties_follow_the_key_not_the_position() {
        let a = allocate(Money::from_ore(1), &[("z", 1), ("a", 1)]).unwrap();
        assert_eq!(amounts(&a), vec![0, 1]);
    }

    #[test]
    fn zero_weights_get_nothing_and_all_zero_is_an_error() {
        let p = allocate(Money::from_ore(7), &[("a", 0), ("b", 3), ("c", 0)]).unwrap();
        assert_eq!(amounts(&p), vec![0, 7, 0]);
        assert_eq!(
            allocate(Money::from_ore(7), &[("a", 0), ("b", 0)]),
            Err(CostError::AllZeroWeights)
        );
        assert_eq!(
            allocate::<&str>(Money::ZERO, &[]),
            Err(CostError::AllZeroWeights)
        );
        assert!(matches!(
            allocate(Money::from_ore(7), &[("a", 1), ("a", 2)]),
            Err(CostError::DuplicateKey(_))
        ));
    }

    #[test]
    fn negative_totals_mirror_positive_ones() {
        let w = [("a", 1), ("b", 1), ("c", 1)];
        let neg = allocate(Money::from_ore(-100), &w).unwrap();
        assert_eq!(amounts(&neg), vec![-34, -33, -33]);
        assert_eq!(neg[0].adjustment, Ratio::new(-2, 3).unwrap());
    }

    #[test]
    fn extreme_values_do_not_overflow() {
        let w = [("a", u64::MAX), ("b", u64::MAX - 1), ("c", 1)];
        for t in [i64::MAX, i64::MIN, 1, -1] {
            let p = allocate(Money::from_ore(t), &w).unwrap();
            let s: i128 = p.iter().map(|x| i128::from(x.amount.ore())).sum();
            assert_eq!(s, i128::from(t));
        }
        let whole = allocate(Money::from_ore(i64::MIN), &[("a", 0), ("b", 5)]).unwrap();
        assert_eq!(whole[1].amount.ore(), i64::MIN);
    }

    #[test]
    fn combines_one_third_equal_two_thirds_population() {
        let key = combine(
            "bas",
            &[
                Component {
                    fraction: Ratio::new(1, 3).unwrap(),
                    values: vec![("ulricehamn", 1), ("tranemo", 1)],
                },
                Component {
                    fraction: Ratio::new(2, 3).unwrap(),
                    values: vec![("ulricehamn", 25_135), ("tranemo", 11_730)],
                },
            ],
        )
        .unwrap();
        // 1/6 + 2/3 · pop/36 865 over the denominator 221 190 gives
        // 83 785 and 137 405; both divide by 5.
        assert_eq!(key, vec![("tranemo", 16_757), ("ulricehamn", 27_481)]);
    }

    #[test]
    fn combine_refuses_bad_keys() {
        let c = |f: (i64, i64), v: Vec<(&'static str, u64)>| Component {
            fraction: Ratio::new(f.0, f.1).unwrap(),
            values: v,
        };
        assert!(matches!(
            combine("k", &[c((1, 2), vec![("a", 1)]), c((1, 3), vec![("a", 1)])]),
            Err(CostError::InvalidKeyFractions { .. })
        ));
        assert_eq!(
            combine("k", &[c((1, 2), vec![("a", 1)]), c((1, 2), vec![("b", 1)])]),
            Err(CostError::KeyMembersDiffer)
        );
        assert!(matches!(
            combine("k", &[c((1, 1), vec![("a", 0), ("b", 0)])]),
            Err(CostError::DriverTotalZero { .. })
        ));
        // A zero fraction over an all-zero driver is harmless.
        assert_eq!(
            combine(
                "k",
                &[
                    c((1, 1), vec![("a", 1), ("b", 3)]),
                    c((0, 1), vec![("a", 0), ("b", 0)])
                ]
            ),
            Ok(vec![("a", 1), ("b", 3)])
        );
    }

    #[test]
    fn tree_splits_top_down() {
        let leaf = |k, w| Node {
            key: k,
            weight: w,
            children: vec![],
        };
        let tree = vec![
            Node {
                key: "a",
                weight: 1,
                children: vec![leaf("a1", 1), leaf("a2", 1), leaf("a3", 1)],
            },
            leaf("b", 2),
        ];
        let out = allocate_tree(Money::from_ore(100), &tree).unwrap();
        assert_eq!(out[0].part.amount.ore(), 33);
        assert_eq!(out[1].part.amount.ore(), 67);
        let kids: Vec<i64> = out[0]
            .children
            .iter()
            .map(|c| c.part.amount.ore())
            .collect();
        assert_eq!(kids, vec![11, 11, 11]);
    }
}
