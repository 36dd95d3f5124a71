//! Bills: issued once per period and stored with the inputs they were
//! computed from; computed live (optionally under a scenario) or
//! recomputed from the frozen inputs; explained; exported as CSV;
//! reconciled at year end by new correction lines.

use std::collections::{BTreeMap, BTreeSet};

use prost::Message as _;
use samverkan_core::fields::server_set;
use samverkan_core::text::required_line;
use samverkan_core::{ApiError, RequestContext};
use samverkan_db::Tx;
use samverkan_db::idempotency::Claim;
use samverkan_proto::costmodel::v1 as pb;
use serde_json::json;
use uuid::Uuid;

use super::convert::{self, line_domain, line_pb};
use super::input::{self, PriceChoice};
use super::{EDIT, Handlers};
use crate::domain::CostError;
use crate::domain::Money;
use crate::domain::bill::{Bill, ChargeType, LineKind, compute_bills, key_weights};
use crate::domain::csv;
use crate::domain::explain::explain;
use crate::domain::membership::{Membership, members_during};
use crate::domain::period::{self, Conflict, Period, may_issue};
use crate::domain::reconcile::{self, PoolOutcome};
use crate::store::{self, bill, billing_run, reconciliation, scenario};

/// Where a bill came from, for the response.
#[derive(Debug, Clone, Default)]
struct Meta {
    basis: i32,
    price_list_id: String,
    price_list_version: i32,
    billing_run_id: String,
    scenario_id: String,
}

fn not_issued(period: Period) -> ApiError {
    period::not_issued(period).on(format!("periods/{period}"))
}

fn bill_pb(b: &Bill, meta: &Meta, detail: bool) -> Result<pb::Bill, ApiError> {
    let (lines, unit_totals) = if detail {
        let lines = b.lines.iter().map(line_pb).collect::<Result<_, _>>()?;
        let units = b
            .unit_totals()?
            .into_iter()
            .map(|(unit, m)| pb::UnitTotal {
                unit: unit.unwrap_or_default(),
                amount_ore: m.ore(),
            })
            .collect();
        (lines, units)
    } else {
        (Vec::new(), Vec::new())
    };
    Ok(pb::Bill {
        municipality_id: b.member.clone(),
        period: Some(convert::period_pb(b.period)),
        basis: meta.basis,
        total_ore: b.total.ore(),
        detail_withheld: !detail,
        lines,
        unit_totals,
        price_list_id: meta.price_list_id.clone(),
        price_list_version: meta.price_list_version,
        billing_run_id: meta.billing_run_id.clone(),
        scenario_id: meta.scenario_id.clone(),
    })
}

/// A stored bill back in the domain. The period comes from the row: bills
/// issued while periods were strings carry theirs in a field that is now
/// reserved.
fn stored_bill(row: &bill::Model) -> Result<(Bill, pb::Bill), ApiError> {
    let p = pb::Bill::decode(row.body.as_slice()).map_err(ApiError::internal_from)?;
    let lines = p.lines.iter().map(line_domain).collect::<Result<_, _>>()?;
    let period = convert::stored_period(&row.period)?;
    let b = Bill::new(p.municipality_id.clone(), period, lines)?;
    if b.total.ore() != row.total_ore {
        return Err(ApiError::internal(
            "stored bill does not add up to its total",
        ));
    }
    Ok((b, p))
}

fn pick(bills: Vec<Bill>, municipality: &str) -> Result<Bill, ApiError> {
    bills
        .into_iter()
        .find(|b| b.member == municipality)
        .ok_or_else(|| ApiError::not_found("bill", municipality))
}

async fn load_scenario(
    tx: &Tx,
    id: &str,
    field: &str,
) -> Result<(scenario::Model, pb::Scenario), ApiError> {
    let uuid = convert::uuid(field, id)?;
    let row = store::find_scenario(tx, uuid)
        .await?
        .ok_or_else(|| ApiError::not_found("scenario", id))?;
    let s = pb::Scenario::decode(row.body.as_slice()).map_err(ApiError::internal_from)?;
    Ok((row, s))
}

fn scenario_choice(s: &pb::Scenario) -> Result<PriceChoice, ApiError> {
    Ok(
        match convert::opt_uuid("base_price_list_id", &s.base_price_list_id)? {
            Some(id) => PriceChoice::Version(id),
            None => PriceChoice::Published,
        },
    )
}

impl Handlers {
    /// The bill `src` names, in the domain, with where it came from.
    async fn source_bill(
        &self,
        history: &[Membership],
        tx: &Tx,
        collab: Uuid,
        municipality: &str,
        src: &pb::BillSource,
        field: &str,
    ) -> Result<(Bill, Meta), ApiError> {
        let period = convert::period(&format!("{field}.period"), src.period.as_ref())?;
        if src.with_reconciliation && period.month().is_some() {
            return Err(ApiError::invalid_field(
                format!("{field}.with_reconciliation"),
                "reconciliation corrections belong to a year's bill, not a month's",
            ));
        }
        let basis = pb::BillBasis::try_from(src.basis).map_err(|_| {
            ApiError::invalid_field(format!("{field}.basis"), "not a BillBasis value")
        })?;
        let live = matches!(basis, pb::BillBasis::Unspecified | pb::BillBasis::Live);
        if !live && (!src.price_list_id.is_empty() || !src.scenario_id.is_empty()) {
            return Err(ApiError::invalid_field(
                format!("{field}.basis"),
                "price_list_id and scenario_id apply to live bills only: an issued bill has its own",
            ));
        }
        let (mut bill, meta) = if live {
            let mut meta = Meta {
                basis: pb::BillBasis::Live as i32,
                ..Default::default()
            };
            let (choice, sc) = if src.scenario_id.is_empty() {
                let choice =
                    match convert::opt_uuid(&format!("{field}.price_list_id"), &src.price_list_id)?
                    {
                        Some(id) => PriceChoice::Version(id),
                        None => PriceChoice::Published,
                    };
                (choice, None)
            } else {
                if !src.price_list_id.is_empty() {
                    return Err(ApiError::invalid_field(
                        format!("{field}.price_list_id"),
                        "a scenario brings its own price list; leave this empty",
                    ));
                }
                let (row, s) =
                    load_scenario(tx, &src.scenario_id, &format!("{field}.scenario_id")).await?;
                if row.collaboration_id != collab || row.period != period.to_string() {
                    return Err(ApiError::invalid_field(
                        format!("{field}.scenario_id"),
                        format!("the scenario is of period {}", row.period),
                    ));
                }
                meta.scenario_id = s.id.clone();
                (scenario_choice(&s)?, Some(s))
            };
            let members = members_during(history, period);
            let (mut inp, list) = input::assemble(tx, collab, &members, period, choice).await?;
            if let Some(s) = &sc {
                input::apply_scenario(&mut inp, s)?;
            }
            meta.price_list_id = list.id.to_string();
            meta.price_list_version = list.version;
            (pick(compute_bills(&inp)?, municipality)?, meta)
        } else {
            let run = store::run_of_period(tx, collab, &period.to_string())
                .await?
                .ok_or_else(|| not_issued(period))?;
            let rows = store::bills_of_run(tx, run.id).await?;
            let row = rows
                .iter()
                .find(|b| b.municipality_id == municipality)
                .ok_or_else(|| ApiError::not_found("bill", municipality))?;
            let (stored, p) = stored_bill(row)?;
            let mut meta = Meta {
                basis: basis as i32,
                price_list_id: p.price_list_id,
                price_list_version: p.price_list_version,
                billing_run_id: run.id.to_string(),
                scenario_id: String::new(),
            };
            if basis == pb::BillBasis::Recomputed {
                let inp = input::thaw(&run.input)?;
                meta.basis = pb::BillBasis::Recomputed as i32;
                (pick(compute_bills(&inp)?, municipality)?, meta)
            } else {
                (stored, meta)
            }
        };
        if src.with_reconciliation {
            let mut lines = bill.lines.clone();
            for r in store::reconciliations(tx, collab, period.year()).await? {
                let r = pb::Reconciliation::decode(r.body.as_slice())
                    .map_err(ApiError::internal_from)?;
                for c in r
                    .corrections
                    .iter()
                    .filter(|c| c.municipality_id == municipality)
                {
                    if let Some(l) = &c.line {
                        lines.push(line_domain(l)?);
                    }
                }
            }
            bill = Bill::new(bill.member.clone(), bill.period, lines)?;
        }
        Ok((bill, meta))
    }

    /// NOT_FOUND unless the principal may see the municipality's detail:
    /// for whoever may not, the detail does not exist.
    async fn require_detail(
        &self,
        ctx: &RequestContext,
        collab: Uuid,
        municipality: &str,
    ) -> Result<(), ApiError> {
        if self.may_see_detail(ctx, collab, municipality).await? {
            Ok(())
        } else {
            Err(ApiError::not_found("cost detail", municipality))
        }
    }

    pub async fn issue_bills(
        &self,
        ctx: &RequestContext,
        req: pb::IssueBillsRequest,
    ) -> Result<pb::IssueBillsResponse, ApiError> {
        let collab = convert::collaboration(ctx, "collaboration_id", &req.collaboration_id)?;
        let period = convert::period("period", req.period.as_ref())?;
        self.require(ctx, EDIT, collab, None).await?;
        let members = members_during(&self.membership_history(ctx, collab).await?, period);
        let tx = self.write(ctx).await?;
        let run = match tx
            .claim_request(&req.request_id, &req.encode_to_vec())
            .await?
        {
            Claim::Replay(r) => {
                let id = r
                    .strip_prefix("billing-runs/")
                    .and_then(|i| Uuid::parse_str(i).ok())
                    .ok_or_else(|| ApiError::internal("idempotency record"))?;
                store::find_run(&tx, id)
                    .await?
                    .ok_or_else(|| ApiError::internal("replayed run vanished"))?
            }
            Claim::New => {
                // A year is billed as a whole or per month, never both.
                // Issues of one year take the year's counter row first, so
                // two of them (on any instance) decide one after the other.
                tx.next_number(
                    "billing_year",
                    &format!("{collab}/{}", period.year()),
                    collab,
                    0,
                )
                .await?;
                let issued = issued_periods(&tx, collab, period.year()).await?;
                may_issue(period, &issued).map_err(conflict_error)?;
                let (inp, list) =
                    input::assemble(&tx, collab, &members, period, PriceChoice::Published).await?;
                let bills = compute_bills(&inp)?;
                let now = store::now();
                let run = billing_run::Model {
                    id: samverkan_core::new_uuid(),
                    collaboration_id: collab,
                    period: period.to_string(),
                    price_list_id: list.id,
                    input: input::freeze(&inp)?,
                    create_time: now,
                };
                store::insert_row(
                    &tx,
                    billing_run::ActiveModel::from(run.clone()),
                    move || already_issued(period),
                )
                .await?;
                let meta = Meta {
                    basis: pb::BillBasis::Issued as i32,
                    price_list_id: list.id.to_string(),
                    price_list_version: list.version,
                    billing_run_id: run.id.to_string(),
                    scenario_id: String::new(),
                };
                let mut totals = BTreeMap::new();
                for b in &bills {
                    let body = bill_pb(b, &meta, true)?.encode_to_vec();
                    store::insert_row(
                        &tx,
                        bill::ActiveModel::from(bill::Model {
                            id: samverkan_core::new_uuid(),
                            collaboration_id: collab,
                            run_id: run.id,
                            period: period.to_string(),
                            municipality_id: b.member.clone(),
                            total_ore: b.total.ore(),
                            body,
                            create_time: now,
                        }),
                        || ApiError::internal("two bills for one municipality"),
                    )
                    .await?;
                    totals.insert(b.member.clone(), b.total.ore());
                }
                tx.audit(
                    format!("billing-runs/{}", run.id),
                    &json!({"issue": {"period": period.to_string(), "price_list": list.id, "totals_ore": totals}}),
                )
                .await?;
                tx.finish_request(&req.request_id, &format!("billing-runs/{}", run.id))
                    .await?;
                run
            }
        };
        let rows = store::bills_of_run(&tx, run.id).await?;
        tx.commit().await?;
        Ok(pb::IssueBillsResponse {
            run: Some(pb::BillingRun {
                id: run.id.to_string(),
                collaboration_id: run.collaboration_id.to_string(),
                period: Some(convert::period_pb(convert::stored_period(&run.period)?)),
                price_list_id: run.price_list_id.to_string(),
                totals: rows
                    .into_iter()
                    .map(|b| pb::MunicipalityTotal {
                        municipality_id: b.municipality_id,
                        total_ore: b.total_ore,
                    })
                    .collect(),
                create_time: Some(samverkan_core::dates::timestamp(run.create_time)),
            }),
        })
    }

    pub async fn compute_bill(
        &self,
        ctx: &RequestContext,
        req: pb::ComputeBillRequest,
    ) -> Result<pb::ComputeBillResponse, ApiError> {
        let collab = convert::collaboration(ctx, "collaboration_id", &req.collaboration_id)?;
        let municipality = convert::municipality("municipality_id", &req.municipality_id)?;
        let src = req.source.unwrap_or_default();
        // What the caller may see is decided before the bill is computed.
        let detail = self.may_see_detail(ctx, collab, &municipality).await?;
        let history = self.membership_history(ctx, collab).await?;
        let tx = self.read(ctx).await?;
        let (b, meta) = self
            .source_bill(&history, &tx, collab, &municipality, &src, "source")
            .await?;
        tx.commit().await?;
        Ok(pb::ComputeBillResponse {
            bill: Some(bill_pb(&b, &meta, detail)?),
        })
    }

    pub async fn explain_change(
        &self,
        ctx: &RequestContext,
        req: pb::ExplainChangeRequest,
    ) -> Result<pb::ExplainChangeResponse, ApiError> {
        let collab = convert::collaboration(ctx, "collaboration_id", &req.collaboration_id)?;
        let municipality = convert::municipality("municipality_id", &req.municipality_id)?;
        self.require_detail(ctx, collab, &municipality).await?;
        let from = req.from.unwrap_or_default();
        let to = req.to.unwrap_or_default();
        let history = self.membership_history(ctx, collab).await?;
        let tx = self.read(ctx).await?;
        let (before, _) = self
            .source_bill(&history, &tx, collab, &municipality, &from, "from")
            .await?;
        let (after, _) = self
            .source_bill(&history, &tx, collab, &municipality, &to, "to")
            .await?;
        tx.commit().await?;
        let e = explain(&before, &after)?;
        let row = |r: &crate::domain::explain::EffectRow| -> Result<pb::EffectRow, ApiError> {
            Ok(pb::EffectRow {
                kind: convert::kind_pb(r.kind) as i32,
                service_code: r.service.clone(),
                name: r.name.clone(),
                unit: r.unit.clone().unwrap_or_default(),
                before_ore: r.before.ore(),
                price_effect_ore: r.price.ore(),
                volume_effect_ore: r.volume.ore(),
                key_effect_ore: r.key.ore(),
                reconciliation_ore: r.reconciliation.ore(),
                after_ore: r.after.ore(),
                change_ore: r
                    .change()
                    .ok_or_else(|| ApiError::internal("change out of range"))?
                    .ore(),
            })
        };
        let mut totals = row(&e.totals)?;
        // The totals row is no line of any kind.
        totals.kind = pb::LineKind::Unspecified as i32;
        Ok(pb::ExplainChangeResponse {
            rows: e.rows.iter().map(row).collect::<Result<_, _>>()?,
            totals: Some(totals),
        })
    }

    pub async fn export_csv(
        &self,
        ctx: &RequestContext,
        req: pb::ExportCsvRequest,
    ) -> Result<pb::ExportCsvResponse, ApiError> {
        let collab = convert::collaboration(ctx, "collaboration_id", &req.collaboration_id)?;
        let municipality = convert::municipality("municipality_id", &req.municipality_id)?;
        let table = pb::CsvTable::try_from(req.table)
            .ok()
            .filter(|t| *t != pb::CsvTable::Unspecified)
            .ok_or_else(|| {
                ApiError::invalid_field("table", "must be BILL, UNIT_SPLIT or EXPLANATION")
            })?;
        if table == pb::CsvTable::Explanation && req.from.is_none() {
            return Err(ApiError::invalid_field(
                "from",
                "required for an explanation",
            ));
        }
        self.require_detail(ctx, collab, &municipality).await?;
        let src = req.bill.unwrap_or_default();
        let history = self.membership_history(ctx, collab).await?;
        let tx = self.read(ctx).await?;
        let (b, _) = self
            .source_bill(&history, &tx, collab, &municipality, &src, "bill")
            .await?;
        let (content, filename) = match table {
            pb::CsvTable::Bill => (
                csv::bill_csv(&b),
                format!("faktura-{municipality}-{}.csv", b.period),
            ),
            pb::CsvTable::UnitSplit => (
                csv::unit_split_csv(&b),
                format!("enhetsfordelning-{municipality}-{}.csv", b.period),
            ),
            _ => {
                let from = req.from.unwrap_or_default();
                let (before, _) = self
                    .source_bill(&history, &tx, collab, &municipality, &from, "from")
                    .await?;
                (
                    csv::explanation_csv(&explain(&before, &b)?),
                    format!(
                        "forandring-{municipality}-{}-{}.csv",
                        before.period, b.period
                    ),
                )
            }
        };
        tx.commit().await?;
        Ok(pb::ExportCsvResponse {
            filename,
            media_type: "text/csv; charset=utf-8".into(),
            content: content.into_bytes(),
        })
    }

    pub async fn reconcile(
        &self,
        ctx: &RequestContext,
        req: pb::ReconcileRequest,
    ) -> Result<pb::ReconcileResponse, ApiError> {
        let collab = convert::collaboration(ctx, "collaboration_id", &req.collaboration_id)?;
        let year = convert::year("year", req.year)?;
        let code = convert::code("service_code", &req.service_code)?;
        if req.actual_ore < 0 {
            return Err(ApiError::invalid_field(
                "actual_ore",
                "a cost is not negative",
            ));
        }
        self.require(ctx, EDIT, collab, None).await?;
        let tx = self.write(ctx).await?;
        let row = match tx
            .claim_request(&req.request_id, &req.encode_to_vec())
            .await?
        {
            Claim::Replay(r) => {
                let id = r
                    .strip_prefix("reconciliations/")
                    .and_then(|i| Uuid::parse_str(i).ok())
                    .ok_or_else(|| ApiError::internal("idempotency record"))?;
                store::find_reconciliation(&tx, id)
                    .await?
                    .ok_or_else(|| ApiError::internal("replayed reconciliation vanished"))?
            }
            Claim::New => {
                let period = year.to_string();
                let subject = format!("reconciliations/{year}/{code}");
                let done = || reconcile::already_reconciled(&code, year).on(subject.clone());
                let reconciled = store::reconciliations(&tx, collab, year).await?;
                reconcile::may_reconcile(
                    &code,
                    year,
                    reconciled.iter().map(|r| r.service_code.as_str()),
                )
                .map_err(|r| r.on(subject.clone()))?;
                let Some(run) = store::run_of_period(&tx, collab, &period).await? else {
                    // Not issued as a whole year: the domain says why (billed
                    // per month, or not issued yet). Read only then, so a
                    // reconciliation that goes ahead costs no extra query.
                    let issued = issued_periods(&tx, collab, year).await?;
                    reconcile::reconcilable(year, &issued)
                        .map_err(|(p, r)| r.on(format!("periods/{p}")))?;
                    return Err(not_issued(Period::Year(year)));
                };
                // The pool is split by exactly the key and drivers billing
                // used: those frozen with the issued bills.
                let inp = input::thaw(&run.input)?;
                let service = inp
                    .services
                    .iter()
                    .find(|s| s.code == code && s.charge == ChargeType::Allocated)
                    .ok_or_else(|| {
                        ApiError::invalid_field(
                            "service_code",
                            format!("{code} was not an allocated service (cost pool) when {year} was billed"),
                        )
                    })?;
                let key = inp.keys.get(&code).ok_or_else(|| CostError::MissingKey {
                    service: code.clone(),
                })?;
                let kw = key_weights(&inp, key)?;
                let mut billed = Vec::new();
                for b in store::bills_of_run(&tx, run.id).await? {
                    let (bill, _) = stored_bill(&b)?;
                    let sum = Money::checked_sum(
                        bill.lines
                            .iter()
                            .filter(|l| l.kind == LineKind::Allocated && l.service == code)
                            .map(|l| l.amount),
                    )
                    .ok_or_else(|| ApiError::internal("billed amount out of range"))?;
                    billed.push((bill.member, sum));
                }
                let r = reconcile::reconcile(&PoolOutcome {
                    service: code.clone(),
                    name: service.name.clone(),
                    actual: Money::from_ore(req.actual_ore),
                    billed: billed.clone(),
                    key: kw.weights,
                    key_version: key.version.clone(),
                    driver_snapshots: kw.snapshots.into_iter().collect(),
                })?;
                let billed: BTreeMap<String, Money> = billed.into_iter().collect();
                let now = store::now();
                let id = samverkan_core::new_uuid();
                let body = pb::Reconciliation {
                    id: id.to_string(),
                    collaboration_id: collab.to_string(),
                    year,
                    service_code: code.clone(),
                    actual_ore: r.actual.ore(),
                    billed_ore: r.billed.ore(),
                    difference_ore: r.difference.ore(),
                    allocation_key_id: key.version.clone(),
                    corrections: r
                        .corrections
                        .iter()
                        .map(|(m, l)| {
                            Ok(pb::Correction {
                                municipality_id: m.clone(),
                                billed_ore: billed.get(m).copied().unwrap_or(Money::ZERO).ore(),
                                line: Some(line_pb(l)?),
                            })
                        })
                        .collect::<Result<_, ApiError>>()?,
                    create_time: Some(samverkan_core::dates::timestamp(now)),
                };
                let row = reconciliation::Model {
                    id,
                    collaboration_id: collab,
                    year,
                    service_code: code.clone(),
                    body: body.encode_to_vec(),
                    create_time: now,
                };
                store::insert_row(&tx, reconciliation::ActiveModel::from(row.clone()), done)
                    .await?;
                let corrections: BTreeMap<&str, i64> = body
                    .corrections
                    .iter()
                    .map(|c| {
                        (
                            c.municipality_id.as_str(),
                            c.line.as_ref().map_or(0, |l| l.amount_ore),
                        )
                    })
                    .collect();
                tx.audit(
                    format!("reconciliations/{id}"),
                    &json!({"reconcile": {"year": year, "service": code, "actual_ore": body.actual_ore,
                            "billed_ore": body.billed_ore, "corrections_ore": corrections}}),
                )
                .await?;
                tx.finish_request(&req.request_id, &format!("reconciliations/{id}"))
                    .await?;
                row
            }
        };
        tx.commit().await?;
        Ok(pb::ReconcileResponse {
            reconciliation: Some(
                pb::Reconciliation::decode(row.body.as_slice()).map_err(ApiError::internal_from)?,
            ),
        })
    }

    pub async fn create_scenario(
        &self,
        ctx: &RequestContext,
        req: pb::CreateScenarioRequest,
    ) -> Result<pb::CreateScenarioResponse, ApiError> {
        let collab = convert::collaboration(ctx, "collaboration_id", &req.collaboration_id)?;
        let s = req.scenario.clone().unwrap_or_default();
        server_set("scenario.id", !s.id.is_empty())?;
        server_set("scenario.create_time", s.create_time.is_some())?;
        let name = required_line("scenario.name", &s.name, 200)?;
        let period = convert::period("scenario.period", s.period.as_ref())?;
        let base = convert::opt_uuid("scenario.base_price_list_id", &s.base_price_list_id)?;
        let prices = convert::prices_from_pb("scenario.price_overrides", &s.price_overrides)?;
        if let Some((i, _)) = s
            .price_overrides
            .iter()
            .enumerate()
            .find(|(_, p)| p.amount_ore < 0)
        {
            return Err(ApiError::invalid_field(
                format!("scenario.price_overrides[{i}].amount_ore"),
                "must not be negative",
            ));
        }
        let mut volumes = Vec::with_capacity(s.volume_overrides.len());
        for (i, v) in s.volume_overrides.iter().enumerate() {
            let f = format!("scenario.volume_overrides[{i}]");
            let q = convert::non_negative(
                &format!("{f}.quantity"),
                convert::fraction(&format!("{f}.quantity"), v.quantity.as_ref())?,
            )?;
            volumes.push(pb::Volume {
                id: String::new(),
                period: Some(convert::period_pb(period)),
                municipality_id: convert::municipality(
                    &format!("{f}.municipality_id"),
                    &v.municipality_id,
                )?,
                unit: convert::opt_line(&format!("{f}.unit"), &v.unit, 200)?,
                service_code: convert::code(&format!("{f}.service_code"), &v.service_code)?,
                quantity: Some(convert::fraction_pb(q)?),
                create_time: None,
            });
        }
        let mut keys = Vec::with_capacity(s.key_overrides.len());
        for (i, k) in s.key_overrides.iter().enumerate() {
            let f = format!("scenario.key_overrides[{i}]");
            let components =
                convert::components_from_pb(&format!("{f}.components"), &k.components)?;
            keys.push(pb::KeyOverride {
                service_code: convert::code(&format!("{f}.service_code"), &k.service_code)?,
                components: convert::components_pb(&components)?,
                unit_driver: if k.unit_driver.trim().is_empty() {
                    String::new()
                } else {
                    convert::code(&format!("{f}.unit_driver"), &k.unit_driver)?
                },
            });
        }
        let mut drivers = Vec::with_capacity(s.driver_overrides.len());
        for (i, d) in s.driver_overrides.iter().enumerate() {
            let f = format!("scenario.driver_overrides[{i}]");
            let v = convert::driver_value_from_pb(
                &format!("{f}.value"),
                &d.value.clone().unwrap_or_default(),
            )?;
            drivers.push(pb::DriverOverride {
                driver: convert::code(&format!("{f}.driver"), &d.driver)?,
                value: Some(pb::DriverValue {
                    municipality_id: v.municipality,
                    unit: v.unit,
                    value: i64::try_from(v.value).map_err(ApiError::internal_from)?,
                }),
            });
        }
        let added = s
            .added_municipality_ids
            .iter()
            .enumerate()
            .map(|(i, m)| {
                convert::municipality(&format!("scenario.added_municipality_ids[{i}]"), m)
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.require(ctx, EDIT, collab, None).await?;
        let tx = self.write(ctx).await?;
        let row = match tx
            .claim_request(&req.request_id, &req.encode_to_vec())
            .await?
        {
            Claim::Replay(r) => {
                let id = r
                    .strip_prefix("scenarios/")
                    .and_then(|i| Uuid::parse_str(i).ok())
                    .ok_or_else(|| ApiError::internal("idempotency record"))?;
                store::find_scenario(&tx, id)
                    .await?
                    .ok_or_else(|| ApiError::internal("replayed scenario vanished"))?
            }
            Claim::New => {
                if let Some(b) = base {
                    store::find_price_list(&tx, b)
                        .await?
                        .filter(|l| l.collaboration_id == collab)
                        .ok_or_else(|| ApiError::not_found("price list", b.to_string()))?;
                }
                let id = samverkan_core::new_uuid();
                let now = store::now();
                let body = pb::Scenario {
                    id: id.to_string(),
                    collaboration_id: collab.to_string(),
                    name: name.clone(),
                    period: Some(convert::period_pb(period)),
                    base_price_list_id: base.map(|b| b.to_string()).unwrap_or_default(),
                    price_overrides: prices
                        .into_iter()
                        .map(|(service_code, amount_ore)| pb::Price {
                            service_code,
                            amount_ore,
                        })
                        .collect(),
                    volume_overrides: volumes,
                    key_overrides: keys,
                    driver_overrides: drivers,
                    added_municipality_ids: added,
                    create_time: Some(samverkan_core::dates::timestamp(now)),
                };
                let row = scenario::Model {
                    id,
                    collaboration_id: collab,
                    name,
                    period: period.to_string(),
                    body: body.encode_to_vec(),
                    create_time: now,
                };
                store::insert_row(&tx, scenario::ActiveModel::from(row.clone()), || {
                    ApiError::internal("scenario id clash")
                })
                .await?;
                // The whole scenario is the change: its overrides are what
                // a later reader needs to know.
                tx.audit(
                    format!("scenarios/{id}"),
                    &json!({"create": {"name": row.name, "period": row.period,
                            "scenario": format!("{body:?}")}}),
                )
                .await?;
                tx.finish_request(&req.request_id, &format!("scenarios/{id}"))
                    .await?;
                row
            }
        };
        tx.commit().await?;
        Ok(pb::CreateScenarioResponse {
            scenario: Some(
                pb::Scenario::decode(row.body.as_slice()).map_err(ApiError::internal_from)?,
            ),
        })
    }

    pub async fn run_scenario(
        &self,
        ctx: &RequestContext,
        req: pb::RunScenarioRequest,
    ) -> Result<pb::RunScenarioResponse, ApiError> {
        let tx = self.read(ctx).await?;
        let (row, mut s) = load_scenario(&tx, &req.id, "id").await?;
        tx.commit().await?;
        let period = convert::stored_period(&row.period)?;
        // Scenarios stored while periods were strings carry theirs in a
        // field that is now reserved: the row's column has it.
        s.period = Some(convert::period_pb(period));
        let members = members_during(
            &self.membership_history(ctx, row.collaboration_id).await?,
            period,
        );
        let tx = self.read(ctx).await?;
        let (baseline_input, _) = input::assemble(
            &tx,
            row.collaboration_id,
            &members,
            period,
            scenario_choice(&s)?,
        )
        .await?;
        tx.commit().await?;
        let mut scenario_input = baseline_input.clone();
        input::apply_scenario(&mut scenario_input, &s)?;
        let totals = |bills: Vec<Bill>| -> BTreeMap<String, i64> {
            bills
                .into_iter()
                .map(|b| (b.member, b.total.ore()))
                .collect()
        };
        let baseline = totals(compute_bills(&baseline_input)?);
        let what_if = totals(compute_bills(&scenario_input)?);
        let ids: BTreeSet<&String> = baseline.keys().chain(what_if.keys()).collect();
        let rows = ids
            .into_iter()
            .map(|m| {
                let b = baseline.get(m).copied().unwrap_or(0);
                let w = what_if.get(m).copied().unwrap_or(0);
                Ok(pb::ScenarioRow {
                    municipality_id: m.clone(),
                    baseline_total_ore: b,
                    scenario_total_ore: w,
                    difference_ore: w
                        .checked_sub(b)
                        .ok_or_else(|| ApiError::internal("difference out of range"))?,
                })
            })
            .collect::<Result<_, ApiError>>()?;
        Ok(pb::RunScenarioResponse {
            scenario: Some(s),
            rows,
        })
    }
}

/// The periods of `year` whose bills are issued: the year itself, or some
/// of its months.
pub(super) async fn issued_periods(
    tx: &Tx,
    collab: Uuid,
    year: i32,
) -> Result<Vec<Period>, ApiError> {
    store::runs_of_year(tx, collab, year)
        .await?
        .iter()
        .map(|r| convert::stored_period(&r.period))
        .collect()
}

/// FAILED_PRECONDITION naming the period whose state refuses the call.
pub(super) fn conflict_error(c: Conflict) -> ApiError {
    c.refusal().on(format!("periods/{}", c.period()))
}

fn already_issued(period: Period) -> ApiError {
    conflict_error(Conflict::Issued(period))
}
