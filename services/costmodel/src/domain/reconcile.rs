//! Year-end reconciliation (avräkning) of a cost pool.
//!
//! The pool was billed from the budget; at year end its actual cost is
//! known. The difference, actual − billed, is split by the agreed key into
//! one correction line per member. Nothing already billed is edited: the
//! corrections are new lines (on a settlement bill), so the billed figures
//! stay reproducible and the corrections are visible as such. Because the
//! split is largest remainder, billed + corrections = actual exactly.

use samverkan_core::Refusal;

use super::allocation::allocate;
use super::bill::{BillLine, LineKind};
use super::period::{Period, not_issued};
use super::rules;
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

/// Whether cost pool `code` of `year` may be reconciled, given the codes
/// reconciled already: once per pool, and a reconciliation is final.
pub fn may_reconcile<'a>(
    code: &str,
    year: i32,
    reconciled: impl IntoIterator<Item = &'a str>,
) -> Result<(), Refusal> {
    if reconciled.into_iter().any(|c| c == code) {
        return Err(already_reconciled(code, year));
    }
    Ok(())
}

/// The refusal of a second reconciliation of `code` in `year`.
pub fn already_reconciled(code: &str, year: i32) -> Refusal {
    rules::ALREADY_RECONCILED.refuse(format!(
        "{code} of {year} is reconciled already; a reconciliation is final"
    ))
}

/// Whether `year`'s bills, given the periods of it issued, can be
/// reconciled: only a year issued as a whole (a year billed per month froze
/// twelve sets of inputs; splitting its difference over them is not decided
/// yet). Refused, with the period the refusal is about.
pub fn reconcilable(year: i32, issued: &[Period]) -> Result<(), (Period, Refusal)> {
    let of_year = || issued.iter().copied().filter(|p| p.year() == year);
    if of_year().any(|p| p == Period::Year(year)) {
        return Ok(());
    }
    match of_year().min() {
        Some(month) => Err((
            month,
            rules::BILLED_MONTHLY.refuse(format!(
                "{year} is billed per month; a year billed per month cannot be reconciled yet"
            )),
        )),
        None => Err((Period::Year(year), not_issued(Period::Year(year)))),
    }
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

    #[test]
    fn a_pool_is_reconciled_once_for_a_year_issued_whole() {
        assert!(may_reconcile("drift", 2025, ["support"]).is_ok());
        let again = may_reconcile("drift", 2025, ["support", "drift"]).unwrap_err();
        assert_eq!(again.reason(), "ALREADY_RECONCILED");
        assert!(reconcilable(2025, &[Period::Year(2024), Period::Year(2025)]).is_ok());
        let (p, r) =
            reconcilable(2025, &[Period::Month(2025, 3), Period::Month(2025, 1)]).unwrap_err();
        assert_eq!((p, r.reason()), (Period::Month(2025, 1), "BILLED_MONTHLY"));
        let (p, r) = reconcilable(2025, &[Period::Year(2024)]).unwrap_err();
        assert_eq!((p, r.reason()), (Period::Year(2025), "NOT_ISSUED"));
    }
}
