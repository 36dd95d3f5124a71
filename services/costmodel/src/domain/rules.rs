//! The preconditions of the cost model: price lists, inputs and bills: each rule's stable reason
//! (`ErrorInfo.reason`) and what it means, as `docs/errors.md` lists them.
//! A domain function that finds a rule broken answers
//! [`samverkan_core::Rule::refuse`]; nothing else defines a reason.

samverkan_core::rules! {
    ALREADY_ISSUED: "the bills of this period are already issued and are never re-issued; reconcile differences instead";
    ALREADY_RECONCILED: "this service's cost pool for the year is already reconciled, and a reconciliation is final";
    BILLED_MONTHLY: "the year is billed per month, so it cannot be issued as a whole year, nor reconciled yet";
    BILLED_YEARLY: "the year's bills were issued as a whole, so its months cannot be issued or have inputs recorded separately";
    COST_MODEL_INCOMPLETE: "the cost model lacks a price, catalogue service or allocation key needed to compute the bills; complete it first";
    DRIVERS_INCOMPLETE: "driver data is missing or all zero for an allocation, so costs cannot be split; record driver snapshots first";
    EFFECTIVE_DATE_NOT_AFTER: "a published version of that year's price list takes effect on or after this date; choose a later date";
    NOT_ISSUED: "the bills of this period are not issued yet, so issued bills cannot be read or reconciled";
    NO_PUBLISHED_PRICE_LIST: "no price list is published for the year yet, so bills cannot be computed or issued from published prices";
    PERIOD_ISSUED: "the period's bills (for a year's direct charge, December's) are issued, so inputs no longer change; reconcile instead";
    PRICE_LIST_PUBLISHED: "the price list is published and never changes; create a new version instead";
    PRICE_LIST_STATE: "the price list is not in the required state: draft to change or propose, proposed to decide, decided to publish";
}
