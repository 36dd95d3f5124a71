//! The cost model's rules, free of storage and transport: every function
//! here is pure (same input, same output, no I/O), so a past year's bill can
//! be recomputed from its stored inputs and compared to the öre.
//!
//! Money is integer öre ([`Money`]); quantities, shares and rounding
//! adjustments are exact rationals ([`Ratio`]); weights are integers. See
//! ADR 0003 (`docs/adr/0003-exact-money.md`) for the rules these modules implement.

pub mod allocation;
pub mod bill;
pub mod csv;
pub mod explain;
pub mod membership;
pub mod period;
pub mod price;
pub mod reconcile;
pub mod rules;

use std::fmt;

use samverkan_core::Rule;
pub use samverkan_core::money::{Money, MoneyError, Ratio, Rounded};

/// Every way a cost-model computation can fail. All of them are faults of
/// the input (a key with no drivers, a missing price), never of the server,
/// so they map to `INVALID_ARGUMENT` or `FAILED_PRECONDITION`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CostError {
    /// A split over weights that are all zero: there is no share to give.
    AllZeroWeights,
    /// The same key twice in one split; ties could then depend on input
    /// order, which the rules forbid.
    DuplicateKey(String),
    /// An amount, weight or intermediate product out of range.
    Overflow,
    /// A negative fraction in a mixed key, or fractions not summing to 1.
    InvalidKeyFractions { key: String },
    /// The components of a mixed key cover different members.
    KeyMembersDiffer,
    /// A key component whose driver is zero for every member.
    DriverTotalZero { driver: String },
    /// A driver value the key needs but the snapshot lacks.
    MissingDriverValue {
        member: String,
        unit: Option<String>,
        driver: String,
    },
    /// A service without a price in the price list.
    MissingPrice { service: String },
    /// A service not in the catalogue.
    UnknownService { service: String },
    /// An allocated service without an allocation key.
    MissingKey { service: String },
    /// A volume or direct charge for a service of another charge type, or a
    /// volume of a member not in the period.
    Inconsistent(String),
}

impl fmt::Display for CostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AllZeroWeights => write!(f, "all weights are zero"),
            Self::DuplicateKey(k) => write!(f, "key {k} appears twice in one split"),
            Self::Overflow => write!(f, "amount out of range"),
            Self::InvalidKeyFractions { key } => write!(
                f,
                "the fractions of allocation key {key} must be non-negative and sum to 1"
            ),
            Self::KeyMembersDiffer => {
                write!(f, "the components of a mixed key cover different members")
            }
            Self::DriverTotalZero { driver } => {
                write!(f, "driver {driver} is zero for every member")
            }
            Self::MissingDriverValue {
                member,
                unit,
                driver,
            } => match unit {
                Some(u) => write!(f, "no value of driver {driver} for {member}/{u}"),
                None => write!(f, "no value of driver {driver} for {member}"),
            },
            Self::MissingPrice { service } => write!(f, "no price for service {service}"),
            Self::UnknownService { service } => write!(f, "unknown service {service}"),
            Self::MissingKey { service } => write!(f, "no allocation key for service {service}"),
            Self::Inconsistent(what) => write!(f, "{what}"),
        }
    }
}

impl std::error::Error for CostError {}

impl From<MoneyError> for CostError {
    fn from(e: MoneyError) -> Self {
        match e {
            // Parsing happens at the API edge; inside the domain every money
            // error is an arithmetic range problem.
            MoneyError::Overflow
            | MoneyError::DivisionByZero
            | MoneyError::InvalidOre
            | MoneyError::Parse(_) => CostError::Overflow,
        }
    }
}

impl CostError {
    /// The rule of a complete cost model this error breaks, when it is a
    /// state of the cost model (a price, key or driver value is missing)
    /// rather than a fault of the request.
    pub fn rule(&self) -> Option<&'static Rule> {
        match self {
            CostError::MissingPrice { .. }
            | CostError::UnknownService { .. }
            | CostError::MissingKey { .. } => Some(&rules::COST_MODEL_INCOMPLETE),
            CostError::AllZeroWeights
            | CostError::DriverTotalZero { .. }
            | CostError::MissingDriverValue { .. } => Some(&rules::DRIVERS_INCOMPLETE),
            CostError::DuplicateKey(_)
            | CostError::InvalidKeyFractions { .. }
            | CostError::KeyMembersDiffer
            | CostError::Overflow
            | CostError::Inconsistent(_) => None,
        }
    }
}
