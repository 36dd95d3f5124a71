//! The catalogue, price lists and their life (draft → proposed → decided →
//! published), allocation keys, driver snapshots, volumes and direct
//! charges: everything a bill is computed from.

use std::collections::BTreeSet;

use prost::Message as _;
use samverkan_core::fields::server_set;
use samverkan_core::paging::Page;
use samverkan_core::text::required_line;
use samverkan_core::{ApiError, RequestContext};
use samverkan_db::Tx;
use samverkan_db::idempotency::Claim;
use samverkan_proto::costmodel::v1 as pb;
use serde_json::json;
use uuid::Uuid;

use super::convert::{self, Prices, StoredDerivation, ratio_text};
use super::{EDIT, Handlers, PUBLISH, permission};
use crate::domain::period::{InputKind, Period, may_record};
use crate::domain::price::{self, PriceListState, PriceRounding, Step};
use crate::domain::{Money, Ratio};
use crate::store::{
    self, allocation_key, direct_charge, driver_snapshot, price_list, service, volume,
};

/// A resource created by an earlier call with the same request id, by the
/// name recorded for it.
fn replayed(resource: &str, prefix: &str) -> Result<Uuid, ApiError> {
    resource
        .strip_prefix(prefix)
        .and_then(|id| Uuid::parse_str(id).ok())
        .ok_or_else(|| ApiError::internal(format!("idempotency record {resource:?}")))
}

fn conflict(what: &str) -> impl FnOnce() -> ApiError {
    let msg = format!("{what} exists already");
    move || ApiError::AlreadyExists(msg)
}

/// A catalogue service of `collab` by code, or INVALID_ARGUMENT on `field`.
async fn catalogue_service(
    tx: &Tx,
    collab: Uuid,
    field: &str,
    code: &str,
) -> Result<service::Model, ApiError> {
    store::service_by_code(tx, collab, code)
        .await?
        .ok_or_else(|| {
            ApiError::invalid_field(field, format!("no service {code:?} in the catalogue"))
        })
}

/// Refuses inputs for a period that could no longer be billed: one whose
/// bills are issued (what was billed is never edited; differences go
/// through reconciliation), a month of a year issued as a whole, a year's
/// direct charge once December is issued ([`may_record`]).
async fn open_for_input(
    tx: &Tx,
    collab: Uuid,
    kind: InputKind,
    period: Period,
) -> Result<(), ApiError> {
    let issued = super::bills::issued_periods(tx, collab, period.year()).await?;
    may_record(kind, period, &issued).map_err(|c| {
        c.refusal_to_record(period)
            .on(format!("periods/{}", c.period()))
    })
}

async fn visible_price_list(tx: &Tx, id: &str) -> Result<price_list::Model, ApiError> {
    let uuid = convert::uuid("id", id)?;
    store::find_price_list(tx, uuid)
        .await?
        .ok_or_else(|| ApiError::not_found("price list", id))
}

/// The state a price list is in after `step`, or why the step is refused.
fn take(p: &price_list::Model, step: Step) -> Result<PriceListState, ApiError> {
    let state = PriceListState::parse(&p.state).ok_or_else(|| {
        ApiError::internal(format!(
            "price list {} has the unknown state {:?}",
            p.id, p.state
        ))
    })?;
    state
        .take(step)
        .map_err(|r| r.on(format!("price-lists/{}", p.id)))
}

/// Validates prices against the catalogue: known services, no negative
/// amounts (a credit is a correction, not a price).
async fn checked_prices(
    tx: &Tx,
    collab: Uuid,
    field: &str,
    prices: &[pb::Price],
) -> Result<Prices, ApiError> {
    let out = convert::prices_from_pb(field, prices)?;
    for (i, p) in prices.iter().enumerate() {
        if p.amount_ore < 0 {
            return Err(ApiError::invalid_field(
                format!("{field}[{i}].amount_ore"),
                "must not be negative",
            ));
        }
        catalogue_service(
            tx,
            collab,
            &format!("{field}[{i}].service_code"),
            &p.service_code,
        )
        .await?;
    }
    Ok(out)
}

impl Handlers {
    /// The price list `id`, read in the write transaction it is changed in,
    /// once the principal was found allowed `action` on its collaboration:
    /// check, then act (NOT_FOUND before PERMISSION_DENIED).
    async fn price_list_to_change(
        &self,
        ctx: &RequestContext,
        id: &str,
        action: &'static str,
    ) -> Result<(Tx, price_list::Model), ApiError> {
        self.checked(ctx, |tx| {
            Box::pin(async move {
                let p = visible_price_list(&tx, id).await?;
                let ask = permission(action, p.collaboration_id, None);
                Ok((tx, p, vec![ask]))
            })
        })
        .await
    }

    // ---- catalogue ----------------------------------------------------------

    pub async fn create_catalogue_service(
        &self,
        ctx: &RequestContext,
        req: pb::CreateCatalogueServiceRequest,
    ) -> Result<pb::CreateCatalogueServiceResponse, ApiError> {
        let collab = convert::collaboration(ctx, "collaboration_id", &req.collaboration_id)?;
        let s = req.service.clone().unwrap_or_default();
        server_set("service.id", !s.id.is_empty())?;
        server_set("service.create_time", s.create_time.is_some())?;
        let code = convert::code("service.code", &s.code)?;
        let name = required_line("service.name", &s.name, 200)?;
        let unit = required_line("service.unit_of_measure", &s.unit_of_measure, 100)?;
        let charge = convert::charge_type_from_pb(s.charge_type)?;
        let increment = if charge == "direct" {
            let inc = convert::fraction("service.billing_increment", s.billing_increment.as_ref())?;
            if inc.is_negative() || inc.is_zero() {
                return Err(ApiError::invalid_field(
                    "service.billing_increment",
                    "a direct service needs a positive increment (1 = per started hour)",
                ));
            }
            ratio_text(inc)
        } else {
            String::new()
        };
        self.require(ctx, EDIT, collab, None).await?;
        let tx = self.write(ctx).await?;
        let stored = match tx
            .claim_request(&req.request_id, &req.encode_to_vec())
            .await?
        {
            Claim::Replay(r) => store::find_service(&tx, replayed(&r, "services/")?)
                .await?
                .ok_or_else(|| ApiError::internal("replayed service vanished"))?,
            Claim::New => {
                let m = service::Model {
                    id: samverkan_core::new_uuid(),
                    collaboration_id: collab,
                    code,
                    name,
                    unit_of_measure: unit,
                    charge_type: charge.to_owned(),
                    billing_increment: increment,
                    create_time: store::now(),
                };
                store::insert_row(
                    &tx,
                    service::ActiveModel::from(m.clone()),
                    conflict("a service with this code"),
                )
                .await?;
                tx.audit(
                    format!("services/{}", m.id),
                    &json!({"create": {"code": m.code, "name": m.name, "unit_of_measure": m.unit_of_measure,
                            "charge_type": m.charge_type, "billing_increment": m.billing_increment}}),
                )
                .await?;
                tx.finish_request(&req.request_id, &format!("services/{}", m.id))
                    .await?;
                m
            }
        };
        tx.commit().await?;
        Ok(pb::CreateCatalogueServiceResponse {
            service: Some(convert::service_pb(stored)?),
        })
    }

    pub async fn list_catalogue_services(
        &self,
        ctx: &RequestContext,
        req: pb::ListCatalogueServicesRequest,
    ) -> Result<pb::ListCatalogueServicesResponse, ApiError> {
        let collab = convert::collaboration(ctx, "collaboration_id", &req.collaboration_id)?;
        let page = Page::parse(req.page_size, &req.page_token, &collab.to_string())?;
        let tx = self.read(ctx).await?;
        let mut rows =
            store::services(&tx, collab, Some((page.offset, page.fetch_limit()))).await?;
        tx.commit().await?;
        let next_page_token = page.finish(&mut rows);
        Ok(pb::ListCatalogueServicesResponse {
            services: rows
                .into_iter()
                .map(convert::service_pb)
                .collect::<Result<_, _>>()?,
            next_page_token,
        })
    }

    // ---- price lists --------------------------------------------------------

    pub async fn create_price_list(
        &self,
        ctx: &RequestContext,
        req: pb::CreatePriceListRequest,
    ) -> Result<pb::CreatePriceListResponse, ApiError> {
        let collab = convert::collaboration(ctx, "collaboration_id", &req.collaboration_id)?;
        let year = convert::year("year", req.year)?;
        let effective = convert::date("effective_date", req.effective_date.as_ref())?;
        if chrono::Datelike::year(&effective) != year {
            return Err(ApiError::invalid_field(
                "effective_date",
                format!("must be in {year}, the year the list prices"),
            ));
        }
        let derivation = match &req.derivation {
            None => None,
            Some(d) => {
                let from = convert::uuid("derivation.from_price_list_id", &d.from_price_list_id)?;
                let pct = convert::fraction("derivation.index_percent", d.index_percent.as_ref())?;
                let rounding = convert::rounding_from_pb(d.rounding)?;
                let rule = match rounding {
                    "ore" => PriceRounding::Ore,
                    "whole_kronor" => PriceRounding::WholeKronor,
                    _ if d.rounding_step_ore > 0 => {
                        PriceRounding::Multiple(Money::from_ore(d.rounding_step_ore))
                    }
                    _ => {
                        return Err(ApiError::invalid_field(
                            "derivation.rounding_step_ore",
                            "must be positive with MULTIPLE",
                        ));
                    }
                };
                let index = price::index_from_percent(pct).map_err(|_| {
                    ApiError::invalid_field("derivation.index_percent", "out of range")
                })?;
                if index.is_negative() {
                    return Err(ApiError::invalid_field(
                        "derivation.index_percent",
                        "an index below -100 % would make prices negative",
                    ));
                }
                Some((from, pct, rounding, rule, index, d.rounding_step_ore))
            }
        };
        self.require(ctx, EDIT, collab, None).await?;
        let tx = self.write(ctx).await?;
        let stored = match tx
            .claim_request(&req.request_id, &req.encode_to_vec())
            .await?
        {
            Claim::Replay(r) => store::find_price_list(&tx, replayed(&r, "price-lists/")?)
                .await?
                .ok_or_else(|| ApiError::internal("replayed price list vanished"))?,
            Claim::New => {
                let explicit = checked_prices(&tx, collab, "prices", &req.prices).await?;
                let (mut prices, stored_derivation) = match derivation {
                    None => (Prices::new(), String::new()),
                    Some((from, pct, rounding, rule, index, step)) => {
                        let base = store::find_price_list(&tx, from)
                            .await?
                            .filter(|b| b.collaboration_id == collab)
                            .ok_or_else(|| ApiError::not_found("price list", from.to_string()))?;
                        let last = price::PriceList {
                            version: base.id.to_string(),
                            prices: convert::prices_of(&base)?
                                .into_iter()
                                .map(|(c, o)| (c, Money::from_ore(o)))
                                .collect(),
                        };
                        let derived = price::derive_price_list(&last, "", index, rule)?;
                        let text = serde_json::to_string(&StoredDerivation {
                            from,
                            index_percent: ratio_text(pct),
                            rounding: rounding.to_owned(),
                            step_ore: step,
                        })
                        .map_err(ApiError::internal_from)?;
                        (
                            derived
                                .prices
                                .into_iter()
                                .map(|(c, m)| (c, m.ore()))
                                .collect(),
                            text,
                        )
                    }
                };
                // Explicit prices win over derived ones (a pool set by the
                // budget rather than by the index).
                prices.extend(explicit);
                let now = store::now();
                let m = price_list::Model {
                    id: samverkan_core::new_uuid(),
                    collaboration_id: collab,
                    year,
                    version: store::next_price_list_version(&tx, collab, year).await?,
                    effective_date: effective,
                    state: PriceListState::Draft.as_str().into(),
                    prices: convert::prices_text(&prices)?,
                    derivation: stored_derivation,
                    decision_ref: String::new(),
                    decision_id: String::new(),
                    create_time: now,
                    update_time: now,
                    publish_time: None,
                    etag: store::new_etag(),
                };
                store::insert_row(&tx, price_list::ActiveModel::from(m.clone()), || {
                    ApiError::Aborted("another version of this year's list was created at the same time; try again".into())
                })
                .await?;
                tx.audit(
                    format!("price-lists/{}", m.id),
                    &json!({"create": {"year": m.year, "version": m.version, "effective_date": m.effective_date,
                            "prices": prices, "derivation": m.derivation}}),
                )
                .await?;
                tx.finish_request(&req.request_id, &format!("price-lists/{}", m.id))
                    .await?;
                m
            }
        };
        tx.commit().await?;
        Ok(pb::CreatePriceListResponse {
            price_list: Some(convert::price_list_pb(stored)?),
        })
    }

    pub async fn get_price_list(
        &self,
        ctx: &RequestContext,
        req: pb::GetPriceListRequest,
    ) -> Result<pb::GetPriceListResponse, ApiError> {
        let tx = self.read(ctx).await?;
        let p = visible_price_list(&tx, &req.id).await?;
        tx.commit().await?;
        Ok(pb::GetPriceListResponse {
            price_list: Some(convert::price_list_pb(p)?),
        })
    }

    pub async fn list_price_lists(
        &self,
        ctx: &RequestContext,
        req: pb::ListPriceListsRequest,
    ) -> Result<pb::ListPriceListsResponse, ApiError> {
        let collab = convert::collaboration(ctx, "collaboration_id", &req.collaboration_id)?;
        let year = match req.year {
            0 => None,
            y => Some(convert::year("year", y)?),
        };
        let page = Page::parse(
            req.page_size,
            &req.page_token,
            &format!("{collab}/{year:?}"),
        )?;
        let tx = self.read(ctx).await?;
        let mut rows = store::price_lists(
            &tx,
            collab,
            year,
            false,
            Some((page.offset, page.fetch_limit())),
        )
        .await?;
        tx.commit().await?;
        let next_page_token = page.finish(&mut rows);
        Ok(pb::ListPriceListsResponse {
            price_lists: rows
                .into_iter()
                .map(convert::price_list_pb)
                .collect::<Result<_, _>>()?,
            next_page_token,
        })
    }

    pub async fn update_price_list(
        &self,
        ctx: &RequestContext,
        req: pb::UpdatePriceListRequest,
    ) -> Result<pb::UpdatePriceListResponse, ApiError> {
        let etag = required_line("etag", &req.etag, 64)?;
        let (tx, current) = self.price_list_to_change(ctx, &req.id, EDIT).await?;
        take(&current, Step::Change)?;
        let effective = match &req.effective_date {
            Some(d) => {
                let d = samverkan_core::dates::from_proto(d, "effective_date")?;
                if chrono::Datelike::year(&d) != current.year {
                    return Err(ApiError::invalid_field(
                        "effective_date",
                        format!("must be in {}, the year the list prices", current.year),
                    ));
                }
                d
            }
            None => current.effective_date,
        };
        let prices = checked_prices(&tx, current.collaboration_id, "prices", &req.prices).await?;
        let change = json!({"update": {"effective_date": effective, "prices": prices}});
        let saved = store::save_price_list(
            &tx,
            price_list::Model {
                effective_date: effective,
                prices: convert::prices_text(&prices)?,
                ..current
            },
            &etag,
            change,
        )
        .await?;
        tx.commit().await?;
        Ok(pb::UpdatePriceListResponse {
            price_list: Some(convert::price_list_pb(saved)?),
        })
    }

    pub async fn propose_price_list(
        &self,
        ctx: &RequestContext,
        req: pb::ProposePriceListRequest,
    ) -> Result<pb::ProposePriceListResponse, ApiError> {
        let etag = required_line("etag", &req.etag, 64)?;
        let (tx, current) = self.price_list_to_change(ctx, &req.id, EDIT).await?;
        let next = take(&current, Step::Propose)?;
        let saved = store::save_price_list(
            &tx,
            price_list::Model {
                state: next.as_str().into(),
                ..current
            },
            &etag,
            json!({"propose": {}}),
        )
        .await?;
        tx.commit().await?;
        Ok(pb::ProposePriceListResponse {
            price_list: Some(convert::price_list_pb(saved)?),
        })
    }

    pub async fn decide_price_list(
        &self,
        ctx: &RequestContext,
        req: pb::DecidePriceListRequest,
    ) -> Result<pb::DecidePriceListResponse, ApiError> {
        let etag = required_line("etag", &req.etag, 64)?;
        let decision_ref = required_line("decision_ref", &req.decision_ref, 500)?;
        // The decisions service does not exist yet: its id is kept as given
        // (a UUID) so that the link can be followed once it does.
        let decision_id = convert::opt_uuid("decision_id", &req.decision_id)?
            .map(|d| d.to_string())
            .unwrap_or_default();
        let (tx, current) = self.price_list_to_change(ctx, &req.id, PUBLISH).await?;
        let next = take(&current, Step::Decide)?;
        let change = json!({"decide": {"decision_ref": decision_ref, "decision_id": decision_id}});
        let saved = store::save_price_list(
            &tx,
            price_list::Model {
                state: next.as_str().into(),
                decision_ref,
                decision_id,
                ..current
            },
            &etag,
            change,
        )
        .await?;
        tx.commit().await?;
        Ok(pb::DecidePriceListResponse {
            price_list: Some(convert::price_list_pb(saved)?),
        })
    }

    pub async fn publish_price_list(
        &self,
        ctx: &RequestContext,
        req: pb::PublishPriceListRequest,
    ) -> Result<pb::PublishPriceListResponse, ApiError> {
        let etag = required_line("etag", &req.etag, 64)?;
        let (tx, current) = self.price_list_to_change(ctx, &req.id, PUBLISH).await?;
        let next = take(&current, Step::Publish)?;
        // Versions take effect in order: a new version must start after
        // every published one of its year, so "the version in force" is
        // never ambiguous.
        let published = store::price_lists(
            &tx,
            current.collaboration_id,
            Some(current.year),
            true,
            None,
        )
        .await?;
        price::may_take_effect(
            current.year,
            current.effective_date,
            published.iter().map(|p| (p.version, p.effective_date)),
        )
        .map_err(|r| r.on(format!("price-lists/{}", current.id)))?;
        let saved = store::save_price_list(
            &tx,
            price_list::Model {
                state: next.as_str().into(),
                publish_time: Some(store::now()),
                ..current
            },
            &etag,
            json!({"publish": {}}),
        )
        .await?;
        tx.commit().await?;
        Ok(pb::PublishPriceListResponse {
            price_list: Some(convert::price_list_pb(saved)?),
        })
    }

    // ---- keys and drivers ---------------------------------------------------

    pub async fn create_allocation_key(
        &self,
        ctx: &RequestContext,
        req: pb::CreateAllocationKeyRequest,
    ) -> Result<pb::CreateAllocationKeyResponse, ApiError> {
        let collab = convert::collaboration(ctx, "collaboration_id", &req.collaboration_id)?;
        let k = req.key.clone().unwrap_or_default();
        server_set("key.id", !k.id.is_empty())?;
        server_set("key.version", k.version != 0)?;
        server_set("key.create_time", k.create_time.is_some())?;
        let service_code = convert::code("key.service_code", &k.service_code)?;
        let effective = convert::date("key.effective_date", k.effective_date.as_ref())?;
        let components = convert::components_from_pb("key.components", &k.components)?;
        let unit_driver = if k.unit_driver.trim().is_empty() {
            String::new()
        } else {
            convert::code("key.unit_driver", &k.unit_driver)?
        };
        self.require(ctx, EDIT, collab, None).await?;
        let tx = self.write(ctx).await?;
        let stored = match tx
            .claim_request(&req.request_id, &req.encode_to_vec())
            .await?
        {
            Claim::Replay(r) => {
                let id = replayed(&r, "allocation-keys/")?;
                store::keys(&tx, collab, None, None)
                    .await?
                    .into_iter()
                    .find(|k| k.id == id)
                    .ok_or_else(|| ApiError::internal("replayed key vanished"))?
            }
            Claim::New => {
                let s = catalogue_service(&tx, collab, "key.service_code", &service_code).await?;
                if s.charge_type != "allocated" {
                    return Err(ApiError::invalid_field(
                        "key.service_code",
                        format!("{} is not an allocated service (cost pool)", s.code),
                    ));
                }
                let version = store::next_key_version(&tx, collab, &service_code).await?;
                let m = allocation_key::Model {
                    id: samverkan_core::new_uuid(),
                    collaboration_id: collab,
                    service_code,
                    version,
                    effective_date: effective,
                    components: serde_json::to_string(&components)
                        .map_err(ApiError::internal_from)?,
                    unit_driver,
                    create_time: store::now(),
                };
                store::insert_row(&tx, allocation_key::ActiveModel::from(m.clone()), || {
                    ApiError::Aborted(
                        "another version of this key was created at the same time; try again"
                            .into(),
                    )
                })
                .await?;
                tx.audit(
                    format!("allocation-keys/{}", m.id),
                    &json!({"create": {"service": m.service_code, "version": m.version, "effective_date": m.effective_date,
                            "components": m.components, "unit_driver": m.unit_driver}}),
                )
                .await?;
                tx.finish_request(&req.request_id, &format!("allocation-keys/{}", m.id))
                    .await?;
                m
            }
        };
        tx.commit().await?;
        Ok(pb::CreateAllocationKeyResponse {
            key: Some(convert::key_pb(stored)?),
        })
    }

    pub async fn list_allocation_keys(
        &self,
        ctx: &RequestContext,
        req: pb::ListAllocationKeysRequest,
    ) -> Result<pb::ListAllocationKeysResponse, ApiError> {
        let collab = convert::collaboration(ctx, "collaboration_id", &req.collaboration_id)?;
        let service = if req.service_code.is_empty() {
            None
        } else {
            Some(convert::code("service_code", &req.service_code)?)
        };
        let page = Page::parse(
            req.page_size,
            &req.page_token,
            &format!("{collab}/{service:?}"),
        )?;
        let tx = self.read(ctx).await?;
        let mut rows = store::keys(
            &tx,
            collab,
            service.as_deref(),
            Some((page.offset, page.fetch_limit())),
        )
        .await?;
        tx.commit().await?;
        let next_page_token = page.finish(&mut rows);
        Ok(pb::ListAllocationKeysResponse {
            keys: rows
                .into_iter()
                .map(convert::key_pb)
                .collect::<Result<_, _>>()?,
            next_page_token,
        })
    }

    pub async fn record_driver_snapshot(
        &self,
        ctx: &RequestContext,
        req: pb::RecordDriverSnapshotRequest,
    ) -> Result<pb::RecordDriverSnapshotResponse, ApiError> {
        let collab = convert::collaboration(ctx, "collaboration_id", &req.collaboration_id)?;
        let s = req.snapshot.clone().unwrap_or_default();
        server_set("snapshot.id", !s.id.is_empty())?;
        server_set("snapshot.create_time", s.create_time.is_some())?;
        let driver = convert::code("snapshot.driver", &s.driver)?;
        let measured_on = convert::date("snapshot.measured_on", s.measured_on.as_ref())?;
        let source = required_line("snapshot.source", &s.source, 300)?;
        if s.values.is_empty() {
            return Err(ApiError::invalid_field(
                "snapshot.values",
                "at least one value",
            ));
        }
        let mut seen = BTreeSet::new();
        let mut values = Vec::with_capacity(s.values.len());
        for (i, v) in s.values.iter().enumerate() {
            let field = format!("snapshot.values[{i}]");
            let v = convert::driver_value_from_pb(&field, v)?;
            if !seen.insert((v.municipality.clone(), v.unit.clone())) {
                return Err(ApiError::invalid_field(
                    field,
                    "a second value for the same municipality and unit",
                ));
            }
            values.push(v);
        }
        self.require(ctx, EDIT, collab, None).await?;
        let tx = self.write(ctx).await?;
        let stored = match tx
            .claim_request(&req.request_id, &req.encode_to_vec())
            .await?
        {
            Claim::Replay(r) => {
                let id = replayed(&r, "driver-snapshots/")?;
                store::snapshots(&tx, collab, None, None, None)
                    .await?
                    .into_iter()
                    .find(|s| s.id == id)
                    .ok_or_else(|| ApiError::internal("replayed snapshot vanished"))?
            }
            Claim::New => {
                let m = driver_snapshot::Model {
                    id: samverkan_core::new_uuid(),
                    collaboration_id: collab,
                    driver,
                    measured_on,
                    source,
                    driver_values: serde_json::to_string(&values)
                        .map_err(ApiError::internal_from)?,
                    create_time: store::now(),
                };
                store::insert_row(
                    &tx,
                    driver_snapshot::ActiveModel::from(m.clone()),
                    conflict("the snapshot"),
                )
                .await?;
                tx.audit(
                    format!("driver-snapshots/{}", m.id),
                    &json!({"create": {"driver": m.driver, "measured_on": m.measured_on, "source": m.source, "values": m.driver_values}}),
                )
                .await?;
                tx.finish_request(&req.request_id, &format!("driver-snapshots/{}", m.id))
                    .await?;
                m
            }
        };
        tx.commit().await?;
        Ok(pb::RecordDriverSnapshotResponse {
            snapshot: Some(convert::snapshot_pb(stored)?),
        })
    }

    pub async fn list_driver_snapshots(
        &self,
        ctx: &RequestContext,
        req: pb::ListDriverSnapshotsRequest,
    ) -> Result<pb::ListDriverSnapshotsResponse, ApiError> {
        let collab = convert::collaboration(ctx, "collaboration_id", &req.collaboration_id)?;
        let driver = if req.driver.is_empty() {
            None
        } else {
            Some(convert::code("driver", &req.driver)?)
        };
        let page = Page::parse(
            req.page_size,
            &req.page_token,
            &format!("{collab}/{driver:?}"),
        )?;
        let tx = self.read(ctx).await?;
        let mut rows = store::snapshots(
            &tx,
            collab,
            driver.as_deref(),
            None,
            Some((page.offset, page.fetch_limit())),
        )
        .await?;
        tx.commit().await?;
        let next_page_token = page.finish(&mut rows);
        Ok(pb::ListDriverSnapshotsResponse {
            snapshots: rows
                .into_iter()
                .map(convert::snapshot_pb)
                .collect::<Result<_, _>>()?,
            next_page_token,
        })
    }

    // ---- volumes and direct charges -----------------------------------------

    pub async fn record_volume(
        &self,
        ctx: &RequestContext,
        req: pb::RecordVolumeRequest,
    ) -> Result<pb::RecordVolumeResponse, ApiError> {
        let collab = convert::collaboration(ctx, "collaboration_id", &req.collaboration_id)?;
        let v = req.volume.clone().unwrap_or_default();
        server_set("volume.id", !v.id.is_empty())?;
        server_set("volume.create_time", v.create_time.is_some())?;
        let period = convert::period("volume.period", v.period.as_ref())?;
        let municipality = convert::municipality("volume.municipality_id", &v.municipality_id)?;
        let unit = convert::opt_line("volume.unit", &v.unit, 200)?;
        let service_code = convert::code("volume.service_code", &v.service_code)?;
        let quantity = convert::non_negative(
            "volume.quantity",
            convert::fraction("volume.quantity", v.quantity.as_ref())?,
        )?;
        self.require(ctx, EDIT, collab, None).await?;
        self.require_member_during(ctx, collab, "volume.municipality_id", &municipality, period)
            .await?;
        let tx = self.write(ctx).await?;
        let stored = match tx
            .claim_request(&req.request_id, &req.encode_to_vec())
            .await?
        {
            Claim::Replay(r) => store::find_volume(&tx, replayed(&r, "volumes/")?)
                .await?
                .ok_or_else(|| ApiError::internal("replayed volume vanished"))?,
            Claim::New => {
                let s =
                    catalogue_service(&tx, collab, "volume.service_code", &service_code).await?;
                if s.charge_type != "per_unit" {
                    return Err(ApiError::invalid_field(
                        "volume.service_code",
                        format!("{} is not charged per unit", s.code),
                    ));
                }
                open_for_input(&tx, collab, InputKind::Volume, period).await?;
                let m = volume::Model {
                    id: samverkan_core::new_uuid(),
                    collaboration_id: collab,
                    period: period.to_string(),
                    municipality_id: municipality,
                    unit,
                    service_code,
                    quantity: ratio_text(quantity),
                    create_time: store::now(),
                };
                store::insert_row(
                    &tx,
                    volume::ActiveModel::from(m.clone()),
                    conflict("a volume for this period, municipality, unit and service"),
                )
                .await?;
                tx.audit(
                    format!("volumes/{}", m.id),
                    &json!({"create": {"period": m.period, "municipality": m.municipality_id, "unit": m.unit,
                            "service": m.service_code, "quantity": m.quantity}}),
                )
                .await?;
                tx.finish_request(&req.request_id, &format!("volumes/{}", m.id))
                    .await?;
                m
            }
        };
        tx.commit().await?;
        Ok(pb::RecordVolumeResponse {
            volume: Some(pb::Volume {
                id: stored.id.to_string(),
                period: Some(convert::period_pb(convert::stored_period(&stored.period)?)),
                municipality_id: stored.municipality_id,
                unit: stored.unit,
                service_code: stored.service_code,
                quantity: Some(convert::fraction_pb(convert::ratio_from_text(
                    &stored.quantity,
                )?)?),
                create_time: Some(samverkan_core::dates::timestamp(stored.create_time)),
            }),
        })
    }

    pub async fn record_direct_charge(
        &self,
        ctx: &RequestContext,
        req: pb::RecordDirectChargeRequest,
    ) -> Result<pb::RecordDirectChargeResponse, ApiError> {
        let collab = convert::collaboration(ctx, "collaboration_id", &req.collaboration_id)?;
        let c = req.charge.clone().unwrap_or_default();
        server_set("charge.id", !c.id.is_empty())?;
        server_set("charge.create_time", c.create_time.is_some())?;
        let period = convert::period("charge.period", c.period.as_ref())?;
        let municipality = convert::municipality("charge.municipality_id", &c.municipality_id)?;
        let unit = convert::opt_line("charge.unit", &c.unit, 200)?;
        let service_code = convert::code("charge.service_code", &c.service_code)?;
        let reference = required_line("charge.reference", &c.reference, 200)?;
        let measured: Ratio = convert::non_negative(
            "charge.measured",
            convert::fraction("charge.measured", c.measured.as_ref())?,
        )?;
        self.require(ctx, EDIT, collab, None).await?;
        self.require_member_during(ctx, collab, "charge.municipality_id", &municipality, period)
            .await?;
        let tx = self.write(ctx).await?;
        let stored = match tx
            .claim_request(&req.request_id, &req.encode_to_vec())
            .await?
        {
            Claim::Replay(r) => store::find_direct_charge(&tx, replayed(&r, "direct-charges/")?)
                .await?
                .ok_or_else(|| ApiError::internal("replayed charge vanished"))?,
            Claim::New => {
                let s =
                    catalogue_service(&tx, collab, "charge.service_code", &service_code).await?;
                if s.charge_type != "direct" {
                    return Err(ApiError::invalid_field(
                        "charge.service_code",
                        format!("{} is not charged directly", s.code),
                    ));
                }
                open_for_input(&tx, collab, InputKind::DirectCharge, period).await?;
                let m = direct_charge::Model {
                    id: samverkan_core::new_uuid(),
                    collaboration_id: collab,
                    period: period.to_string(),
                    municipality_id: municipality,
                    unit,
                    service_code,
                    reference,
                    measured: ratio_text(measured),
                    create_time: store::now(),
                };
                store::insert_row(
                    &tx,
                    direct_charge::ActiveModel::from(m.clone()),
                    conflict("the charge"),
                )
                .await?;
                tx.audit(
                    format!("direct-charges/{}", m.id),
                    &json!({"create": {"period": m.period, "municipality": m.municipality_id, "unit": m.unit,
                            "service": m.service_code, "reference": m.reference, "measured": m.measured}}),
                )
                .await?;
                tx.finish_request(&req.request_id, &format!("direct-charges/{}", m.id))
                    .await?;
                m
            }
        };
        tx.commit().await?;
        Ok(pb::RecordDirectChargeResponse {
            charge: Some(pb::DirectCharge {
                id: stored.id.to_string(),
                period: Some(convert::period_pb(convert::stored_period(&stored.period)?)),
                municipality_id: stored.municipality_id,
                unit: stored.unit,
                service_code: stored.service_code,
                reference: stored.reference,
                measured: Some(convert::fraction_pb(convert::ratio_from_text(
                    &stored.measured,
                )?)?),
                create_time: Some(samverkan_core::dates::timestamp(stored.create_time)),
            }),
        })
    }
}
