//! Year-end reconciliation (avräkning) of a cost pool.
//!
//! The pool was billed from the budget; at year end its actual cost is
//! known. The difference, actual − billed, is split by the agreed key into
//! one correction line per member. Nothing already billed is edited: the
//! corrections are new lines (on a settlement bill), so the billed figures
//! stay reproducible and the corrections are visible as such. Because the
//! split is largest remainder, billed + corrections = actual exactly.

use super::allocation::allocate;
use super::bill::{BillLine, LineKind};
use super::{CostError, Money, Ratio};

/// What one pool's reconciliation needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolOutcome {
    pub service: String,
    pub name: String,
    /// The pool's actual cost for the year.
    pub actual: Money,
    /// What each member was billed for the pool (its allocated lines).
    pub billed: Vec<(String, Money)>,
    /// The agreed key's weights (see [`super::bill::key_weights`]).
    pub key: Vec<(String, u64)>,
    pub key_version: String,
    pub driver_snapshots: Vec<String>,
}

/// The result: the difference and its correction lines, one per member in
/// key order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconciliation {
    pub service: String,
    pub actual: Money,
    pub billed: Money,
    /// `actual − billed`.
    pub difference: Money,
    pub corrections: Vec<(String, BillLine)>,
}

impl Reconciliation {
    /// The sum of the correction lines (equals `difference`).
    pub fn corrected(&self) -> Option<Money> {
        Money::checked_sum(self.corrections.iter().map(|(_, l)| l.amount))
    }
}

/// Splits `actual − Σ billed` by the key into correction lines.
pub fn reconcile(pool: &PoolOutcome) -> Result<Reconciliation, CostError> {
    let billed =
        Money::checked_sum(pool.billed.iter().map(|(_, m)| *m)).ok_or(CostError::Overflow)?;
    let difference = pool.actual.checked_sub(billed).ok_or(CostError::Overflow)?;
    let total_weight: u128 = pool.key.iter().map(|(_, w)| u128::from(*w)).sum();
    let total_weight = i128::try_from(total_weight).map_err(|_| CostError::Overflow)?;
    let corrections = allocate(difference, &pool.key)?
        .into_iter()
        .map(|p| {
            let line = BillLine {
                kind: LineKind::Correction,
                service: pool.service.clone(),
                name: pool.name.clone(),
                unit: None,
                quantity: Ratio::new_i128(i128::from(p.weight), total_weight)?,
                measured: None,
                unit_price: difference,
                amount: p.amount,
                rounding_adjustment: p.adjustment,
                price_list_version: None,
                key_version: Some(pool.key_version.clone()),
                driver_snapshots: pool.driver_snapshots.clone(),
                reference: None,
                unit_split: Vec::new(),
            };
            Ok((p.key, line))
        })
        .collect::<Result<_, CostError>>()?;
    Ok(Reconciliation {
        service: pool.service.clone(),
        actual: pool.actual,
        billed,
        difference,
        corrections,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrections_close_the_gap_exactly() {
        let pool = PoolOutcome {
            service: "bas".into(),
            name: "Gemensam bas".into(),
            actual: Money::from_ore(248_735_100),
            billed: vec![
                ("tranemo".into(), Money::from_ore(94_218_825)),
                ("ulricehamn".into(), Money::from_ore(154_516_175)),
            ],
            key: vec![("tranemo".into(), 83_785), ("ulricehamn".into(), 137_405)],
            key_version: "k".into(),
            driver_snapshots: vec![],
        };
        let r = reconcile(&pool).unwrap();
        assert_eq!(r.difference.ore(), 100);
        let amounts: Vec<i64> = r.corrections.iter().map(|(_, l)| l.amount.ore()).collect();
        // 100 öre × 83 785 / 221 190 = 37,88 → 38; the rest 62.
        assert_eq!(amounts, vec![38, 62]);
        assert_eq!(
            r.billed.checked_add(r.corrected().unwrap()),
            Some(pool.actual)
        );
    }
}
