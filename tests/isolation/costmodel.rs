//! The costmodel service's rows of the isolation matrix.
//!
//! Everything of the cost model belongs to the collaboration: the catalogue,
//! price lists, keys, driver snapshots, scenarios and every member's total
//! are shared by design (ADR 0005). What is a municipality's own is its
//! bills' per-unit detail — the lines and the split over units — which the
//! API shows only to the municipality's own people (`costdetail.read`).
//! The free text in that detail is a direct charge's case reference and
//! the unit it was caused by: planted here as Tranemo's private markers,
//! while the catalogue, decisions, driver sources and scenario names carry
//! shared ones.
//!
//! Writes are collaboration-wide, so their control is the one holder of
//! `costmodel.edit` in the demo (Ulricehamn's IT-chef) or of
//! `pricelists.publish` (IT-styrgruppen's secretary, also of Ulricehamn);
//! their "other member" is then a person of Tranemo, the strongest one:
//! its kommunchef, who chairs IT-styrgruppen.
//!
//! Years: the demo's 2025 is left as the demo has it. 2031 is seeded and
//! issued (Tranemo's private direct charge is on its bills), 2032 is
//! published for the `IssueBills` row, 2033 and 2034 take what the write
//! rows create.

use samverkan_proto::common::v1::Date;
use samverkan_proto::costmodel::v1 as pb;
use samverkan_proto::costmodel::v1::cost_model_service_client::CostModelServiceClient;
use samverkan_testkit::TestServer;
use tonic::transport::Channel;

use crate::harness::{Fixture, Row};

const SERVICE: &str = "samverkan.costmodel.v1.CostModelService";

/// Tranemo's e-samordnare: no cost-model role, but a person of Tranemo, so
/// she reads the shared model and Tranemo's per-unit detail.
const SOFIA: &str = "sofia.lindstrom@tranemo.se";
/// Tranemo's kommunchef, IT-styrgruppen's chair: neither edits the model
/// nor records the decision on a price list.
const ANNA: &str = "anna.aberg@tranemo.se";
/// Ulricehamn's IT-chef: `costmodel.edit` (the chair of Tjänstefieringen).
const PER: &str = "per.hakansson@ulricehamn.se";
/// Ulricehamn's IT-strateg, IT-styrgruppen's secretary: `pricelists.publish`.
const EVA: &str = "eva.dahlgren@ulricehamn.se";
/// Ulricehamn's kommunchef: no cost-model role.
const LARS: &str = "lars.angstrom@ulricehamn.se";

type Client = CostModelServiceClient<Channel>;

fn collaboration() -> String {
    samverkan_roles::demo::COLLABORATION_ID.0.to_string()
}

fn date(year: i32, month: i32, day: i32) -> Option<Date> {
    Some(Date { year, month, day })
}

fn frac(numerator: i64, denominator: i64) -> Option<pb::Fraction> {
    Some(pb::Fraction {
        numerator,
        denominator,
    })
}

fn price(code: &str, amount_ore: i64) -> pb::Price {
    pb::Price {
        service_code: code.into(),
        amount_ore,
    }
}

/// A full price list of the demo catalogue, scaled by `percent`.
fn prices(percent: i64) -> Vec<pb::Price> {
    [
        ("konto", 190_000),
        ("dator", 350_000),
        ("bas", 250_000_000),
        ("beredskap", 72_000),
    ]
    .into_iter()
    .map(|(c, ore)| price(c, ore * percent / 100))
    .collect()
}

fn as_<T>(email: &str, msg: T) -> tonic::Request<T> {
    TestServer::as_person(email, msg)
}

/// A new price list of `year`, taken as far as `state`: drafted and
/// proposed by the IT-chef, decided and published by the secretary.
async fn price_list(
    ch: Channel,
    year: i32,
    month: i32,
    list: Vec<pb::Price>,
    decision_ref: &str,
    state: pb::PriceListState,
) -> pb::PriceList {
    let mut c = Client::new(ch);
    let mut l = c
        .create_price_list(as_(
            PER,
            pb::CreatePriceListRequest {
                collaboration_id: collaboration(),
                year,
                effective_date: date(year, month, 1),
                prices: list,
                ..Default::default()
            },
        ))
        .await
        .expect("draft a price list")
        .into_inner()
        .price_list
        .unwrap();
    if state == pb::PriceListState::Draft {
        return l;
    }
    l = c
        .propose_price_list(as_(
            PER,
            pb::ProposePriceListRequest {
                id: l.id.clone(),
                etag: l.etag.clone(),
            },
        ))
        .await
        .expect("propose")
        .into_inner()
        .price_list
        .unwrap();
    if state == pb::PriceListState::Proposed {
        return l;
    }
    l = c
        .decide_price_list(as_(
            EVA,
            pb::DecidePriceListRequest {
                id: l.id.clone(),
                etag: l.etag.clone(),
                decision_ref: decision_ref.into(),
                ..Default::default()
            },
        ))
        .await
        .expect("decide")
        .into_inner()
        .price_list
        .unwrap();
    if state == pb::PriceListState::Decided {
        return l;
    }
    c.publish_price_list(as_(
        EVA,
        pb::PublishPriceListRequest {
            id: l.id.clone(),
            etag: l.etag.clone(),
        },
    ))
    .await
    .expect("publish")
    .into_inner()
    .price_list
    .unwrap()
}

fn issued(period: &str) -> Option<pb::BillSource> {
    Some(pb::BillSource {
        period: Some(pb::Period::of_year(period.parse().unwrap())),
        basis: pb::BillBasis::Issued as i32,
        ..Default::default()
    })
}

pub async fn rows(fx: &Fixture) -> Vec<Row> {
    let ch = fx.channel.clone();
    let mut c = Client::new(ch.clone());
    let collab = collaboration();

    // ---- seeding ------------------------------------------------------------
    // A cost pool of the catalogue, without a price in any list (so no bill
    // charges it), with a key of its own.
    let pool_name = fx.secrets.shared("kostnadspott");
    c.create_catalogue_service(as_(
        PER,
        pb::CreateCatalogueServiceRequest {
            collaboration_id: collab.clone(),
            service: Some(pb::CatalogueService {
                code: "isolering-pott".into(),
                name: pool_name.clone(),
                unit_of_measure: "år".into(),
                charge_type: pb::ChargeType::Allocated as i32,
                ..Default::default()
            }),
            ..Default::default()
        },
    ))
    .await
    .expect("seed a cost pool");
    let key = c
        .create_allocation_key(as_(
            PER,
            pb::CreateAllocationKeyRequest {
                collaboration_id: collab.clone(),
                key: Some(pb::AllocationKey {
                    service_code: "isolering-pott".into(),
                    effective_date: date(2031, 1, 1),
                    components: vec![pb::KeyComponent {
                        fraction: frac(1, 1),
                        driver: String::new(),
                    }],
                    ..Default::default()
                }),
                ..Default::default()
            },
        ))
        .await
        .expect("seed a key")
        .into_inner()
        .key
        .unwrap();
    // A driver no key uses, so that no bill changes.
    let source = fx.secrets.shared("drivarkalla");
    c.record_driver_snapshot(as_(
        PER,
        pb::RecordDriverSnapshotRequest {
            collaboration_id: collab.clone(),
            snapshot: Some(pb::DriverSnapshot {
                driver: "skrivare".into(),
                measured_on: date(2031, 1, 15),
                source: source.clone(),
                values: vec![
                    pb::DriverValue {
                        municipality_id: "tranemo".into(),
                        unit: String::new(),
                        value: 40,
                    },
                    pb::DriverValue {
                        municipality_id: "ulricehamn".into(),
                        unit: String::new(),
                        value: 90,
                    },
                ],
                ..Default::default()
            }),
            ..Default::default()
        },
    ))
    .await
    .expect("seed a driver snapshot");
    // 2031: published, with an on-call case of Tranemo's, then issued.
    let decision = fx.secrets.shared("prisbeslut");
    let list_2031 = price_list(
        ch.clone(),
        2031,
        1,
        prices(100),
        &decision,
        pb::PriceListState::Published,
    )
    .await;
    let reference = fx.secrets.private("arende");
    let unit = fx.secrets.private("enhet");
    c.record_direct_charge(as_(
        PER,
        pb::RecordDirectChargeRequest {
            collaboration_id: collab.clone(),
            charge: Some(pb::DirectCharge {
                period: Some(pb::Period::of_year(2031)),
                municipality_id: "tranemo".into(),
                unit: unit.clone(),
                service_code: "beredskap".into(),
                reference: reference.clone(),
                measured: frac(37, 12),
                ..Default::default()
            }),
            ..Default::default()
        },
    ))
    .await
    .expect("seed Tranemo's direct charge");
    c.issue_bills(as_(
        PER,
        pb::IssueBillsRequest {
            collaboration_id: collab.clone(),
            period: Some(pb::Period::of_year(2031)),
            ..Default::default()
        },
    ))
    .await
    .expect("issue 2031");
    // A draft second version of 2031 to explain the change against.
    let draft_2031 = price_list(
        ch.clone(),
        2031,
        7,
        prices(110),
        "",
        pb::PriceListState::Draft,
    )
    .await;
    // 2032: published, not issued.
    price_list(
        ch.clone(),
        2032,
        1,
        prices(103),
        "IT-styrgruppen 2031-11-19 § 12",
        pb::PriceListState::Published,
    )
    .await;
    let scenario_name = fx.secrets.shared("scenario");
    let scenario = c
        .create_scenario(as_(
            PER,
            pb::CreateScenarioRequest {
                collaboration_id: collab.clone(),
                scenario: Some(pb::Scenario {
                    name: scenario_name.clone(),
                    period: Some(pb::Period::of_year(2031)),
                    price_overrides: vec![price("konto", 200_000)],
                    ..Default::default()
                }),
                ..Default::default()
            },
        ))
        .await
        .expect("seed a scenario")
        .into_inner()
        .scenario
        .unwrap();

    // ---- rows ---------------------------------------------------------------
    let edit = |method| {
        Row::new(SERVICE, method, PER)
            .no_role(LARS)
            .other_member_as(ANNA)
    };
    let publish = |method| {
        Row::new(SERVICE, method, EVA)
            .no_role(PER)
            .other_member_as(ANNA)
    };
    let read = |method| {
        Row::new(SERVICE, method, SOFIA)
            .any_person("the cost model is shared with every person of the collaboration")
            .other_member_allowed()
    };
    let detail = |method| {
        Row::new(SERVICE, method, SOFIA)
            .any_person("costdetail.read is every person of the municipality whose bill it is")
    };

    let ch_update = ch.clone();
    let ch_propose = ch.clone();
    let ch_decide = ch.clone();
    let ch_publish = ch.clone();
    vec![
        edit("CreateCatalogueService").request(pb::CreateCatalogueServiceRequest {
            request_id: "isolering-katalog".into(),
            collaboration_id: collab.clone(),
            service: Some(pb::CatalogueService {
                code: "isolering-ny".into(),
                name: "Isoleringstjänst".into(),
                unit_of_measure: "st/år".into(),
                charge_type: pb::ChargeType::PerUnit as i32,
                ..Default::default()
            }),
        }),
        read("ListCatalogueServices")
            .request(pb::ListCatalogueServicesRequest {
                collaboration_id: collab.clone(),
                ..Default::default()
            })
            .reveals(&pool_name),
        edit("CreatePriceList").request(pb::CreatePriceListRequest {
            request_id: "isolering-prislista".into(),
            collaboration_id: collab.clone(),
            year: 2034,
            effective_date: date(2034, 1, 1),
            prices: vec![price("konto", 200_000)],
            ..Default::default()
        }),
        read("GetPriceList")
            .request(pb::GetPriceListRequest {
                id: list_2031.id.clone(),
            })
            .reveals(&decision),
        read("ListPriceLists")
            .request(pb::ListPriceListsRequest {
                collaboration_id: collab.clone(),
                year: 2031,
                ..Default::default()
            })
            .reveals(&decision),
        edit("UpdatePriceList").request_with(move || async move {
            let l = price_list(
                ch_update,
                2034,
                2,
                prices(100),
                "",
                pb::PriceListState::Draft,
            )
            .await;
            pb::UpdatePriceListRequest {
                id: l.id,
                etag: l.etag,
                effective_date: None,
                prices: prices(105),
            }
        }),
        edit("ProposePriceList").request_with(move || async move {
            let l = price_list(
                ch_propose,
                2034,
                3,
                prices(100),
                "",
                pb::PriceListState::Draft,
            )
            .await;
            pb::ProposePriceListRequest {
                id: l.id,
                etag: l.etag,
            }
        }),
        publish("DecidePriceList").request_with(move || async move {
            let l = price_list(
                ch_decide,
                2034,
                4,
                prices(100),
                "",
                pb::PriceListState::Proposed,
            )
            .await;
            pb::DecidePriceListRequest {
                id: l.id,
                etag: l.etag,
                decision_ref: "IT-styrgruppen 2033-11-16 § 8".into(),
                decision_id: String::new(),
            }
        }),
        publish("PublishPriceList").request_with(move || async move {
            let l = price_list(
                ch_publish,
                2033,
                1,
                prices(100),
                "IT-styrgruppen 2032-11-17 § 11",
                pb::PriceListState::Decided,
            )
            .await;
            pb::PublishPriceListRequest {
                id: l.id,
                etag: l.etag,
            }
        }),
        edit("CreateAllocationKey").request(pb::CreateAllocationKeyRequest {
            request_id: "isolering-nyckel".into(),
            collaboration_id: collab.clone(),
            key: Some(pb::AllocationKey {
                service_code: "isolering-pott".into(),
                effective_date: date(2033, 1, 1),
                components: vec![
                    pb::KeyComponent {
                        fraction: frac(1, 2),
                        driver: String::new(),
                    },
                    pb::KeyComponent {
                        fraction: frac(1, 2),
                        driver: "skrivare".into(),
                    },
                ],
                ..Default::default()
            }),
        }),
        read("ListAllocationKeys")
            .request(pb::ListAllocationKeysRequest {
                collaboration_id: collab.clone(),
                service_code: "isolering-pott".into(),
                ..Default::default()
            })
            .reveals(&key.id),
        edit("RecordDriverSnapshot").request(pb::RecordDriverSnapshotRequest {
            request_id: "isolering-drivare".into(),
            collaboration_id: collab.clone(),
            snapshot: Some(pb::DriverSnapshot {
                driver: "skrivare".into(),
                measured_on: date(2033, 1, 15),
                source: "Skrivarregistret, uttag 2033-01-15".into(),
                values: vec![pb::DriverValue {
                    municipality_id: "tranemo".into(),
                    unit: String::new(),
                    value: 42,
                }],
                ..Default::default()
            }),
        }),
        read("ListDriverSnapshots")
            .request(pb::ListDriverSnapshotsRequest {
                collaboration_id: collab.clone(),
                driver: "skrivare".into(),
                ..Default::default()
            })
            .reveals(&source),
        edit("RecordVolume").request(pb::RecordVolumeRequest {
            request_id: "isolering-volym".into(),
            collaboration_id: collab.clone(),
            volume: Some(pb::Volume {
                period: Some(pb::Period::of_year(2034)),
                municipality_id: "tranemo".into(),
                service_code: "konto".into(),
                quantity: frac(10, 1),
                ..Default::default()
            }),
        }),
        edit("RecordDirectCharge").request(pb::RecordDirectChargeRequest {
            request_id: "isolering-debitering".into(),
            collaboration_id: collab.clone(),
            charge: Some(pb::DirectCharge {
                period: Some(pb::Period::of_year(2034)),
                municipality_id: "tranemo".into(),
                unit: fx.secrets.private("enhet-2034"),
                service_code: "beredskap".into(),
                reference: fx.secrets.private("arende-2034"),
                measured: frac(3, 2),
                ..Default::default()
            }),
        }),
        edit("IssueBills")
            .request(pb::IssueBillsRequest {
                request_id: "isolering-fakturering".into(),
                collaboration_id: collab.clone(),
                period: Some(pb::Period::of_year(2032)),
            })
            .reveals("tranemo"),
        // Ulricehamn computes Tranemo's bill: the total, detail withheld.
        Row::new(SERVICE, "ComputeBill", SOFIA)
            .any_person("every member's total is shared; the detail is costdetail.read")
            .other_member_allowed()
            .request(pb::ComputeBillRequest {
                collaboration_id: collab.clone(),
                municipality_id: "tranemo".into(),
                source: issued("2031"),
            })
            .reveals(&reference)
            .reveals(&unit),
        detail("ExplainChange")
            .request(pb::ExplainChangeRequest {
                collaboration_id: collab.clone(),
                municipality_id: "tranemo".into(),
                from: issued("2031"),
                to: Some(pb::BillSource {
                    period: Some(pb::Period::of_year(2031)),
                    basis: pb::BillBasis::Live as i32,
                    price_list_id: draft_2031.id.clone(),
                    ..Default::default()
                }),
            })
            .reveals(&unit),
        // Even the IT-chef who records the charges gets no export of
        // Tranemo's bill.
        detail("ExportCsv")
            .other_member_as(PER)
            .request(pb::ExportCsvRequest {
                collaboration_id: collab.clone(),
                municipality_id: "tranemo".into(),
                table: pb::CsvTable::Bill as i32,
                bill: issued("2031"),
                from: None,
            })
            .reveals(&reference)
            .reveals(&unit),
        edit("Reconcile")
            .request(pb::ReconcileRequest {
                request_id: "isolering-avrakning".into(),
                collaboration_id: collab.clone(),
                year: 2031,
                service_code: "bas".into(),
                actual_ore: 251_000_000,
            })
            .reveals("tranemo"),
        edit("CreateScenario").request(pb::CreateScenarioRequest {
            request_id: "isolering-scenario".into(),
            collaboration_id: collab.clone(),
            scenario: Some(pb::Scenario {
                name: "Ny medlem 2031".into(),
                period: Some(pb::Period::of_year(2031)),
                price_overrides: vec![price("dator", 360_000)],
                ..Default::default()
            }),
        }),
        read("RunScenario")
            .request(pb::RunScenarioRequest { id: scenario.id })
            .reveals(&scenario_name),
    ]
}
