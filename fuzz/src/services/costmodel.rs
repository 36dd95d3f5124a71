//! `samverkan.costmodel.v1.CostModelService`.

use samverkan_proto::costmodel::v1 as pb;
use samverkan_proto::costmodel::v1::cost_model_service_server::CostModelService as _;

use super::{Seed, date, seed};

super::service!(costmodel, "samverkan.costmodel.v1.CostModelService", pb, [
    CreateCatalogueService => create_catalogue_service(CreateCatalogueServiceRequest),
    ListCatalogueServices => list_catalogue_services(ListCatalogueServicesRequest),
    CreatePriceList => create_price_list(CreatePriceListRequest),
    GetPriceList => get_price_list(GetPriceListRequest),
    ListPriceLists => list_price_lists(ListPriceListsRequest),
    UpdatePriceList => update_price_list(UpdatePriceListRequest),
    ProposePriceList => propose_price_list(ProposePriceListRequest),
    DecidePriceList => decide_price_list(DecidePriceListRequest),
    PublishPriceList => publish_price_list(PublishPriceListRequest),
    CreateAllocationKey => create_allocation_key(CreateAllocationKeyRequest),
    ListAllocationKeys => list_allocation_keys(ListAllocationKeysRequest),
    RecordDriverSnapshot => record_driver_snapshot(RecordDriverSnapshotRequest),
    ListDriverSnapshots => list_driver_snapshots(ListDriverSnapshotsRequest),
    RecordVolume => record_volume(RecordVolumeRequest),
    RecordDirectCharge => record_direct_charge(RecordDirectChargeRequest),
    IssueBills => issue_bills(IssueBillsRequest),
    ComputeBill => compute_bill(ComputeBillRequest),
    ExplainChange => explain_change(ExplainChangeRequest),
    ExportCsv => export_csv(ExportCsvRequest),
    Reconcile => reconcile(ReconcileRequest),
    CreateScenario => create_scenario(CreateScenarioRequest),
    RunScenario => run_scenario(RunScenarioRequest),
]);

/// The IT manager: edits the cost model.
const PER: &str = "per.hakansson@ulricehamn.se";
/// IT-styrgruppen's secretary: publishes price lists.
const EVA: &str = "eva.dahlgren@ulricehamn.se";
/// Tranemo's kommunchef: reads Tranemo's bills.
const ANNA: &str = "anna.aberg@tranemo.se";

const COLLAB: &str = "@collaborations";

fn fraction(numerator: i64, denominator: i64) -> Option<pb::Fraction> {
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

fn source(basis: pb::BillBasis) -> Option<pb::BillSource> {
    Some(pb::BillSource {
        period: Some(pb::Period::of_year(2025)),
        basis: basis as i32,
        ..Default::default()
    })
}

/// Valid requests, in story order, on the demo cost model of 2025 (price
/// list `@cm_price_lists`); the 2026 list derived from it is
/// `@cm_price_lists.1`.
pub fn story() -> Vec<Seed> {
    vec![
        seed(
            "CreateCatalogueService",
            PER,
            pb::CreateCatalogueServiceRequest {
                request_id: "seed-service".into(),
                collaboration_id: COLLAB.into(),
                service: Some(pb::CatalogueService {
                    code: "lagring".into(),
                    name: "Lagring".into(),
                    unit_of_measure: "påbörjad TB/år".into(),
                    charge_type: pb::ChargeType::PerUnit as i32,
                    billing_increment: fraction(1, 2),
                    ..Default::default()
                }),
            },
        ),
        seed(
            "CreatePriceList",
            PER,
            pb::CreatePriceListRequest {
                request_id: "seed-price-list".into(),
                collaboration_id: COLLAB.into(),
                year: 2026,
                effective_date: date(2026, 1, 1),
                prices: Vec::new(),
                derivation: Some(pb::Derivation {
                    from_price_list_id: "@cm_price_lists".into(),
                    index_percent: fraction(31, 10),
                    rounding: pb::PriceRounding::Multiple as i32,
                    rounding_step_ore: 500,
                }),
            },
        ),
        seed(
            "UpdatePriceList",
            PER,
            pb::UpdatePriceListRequest {
                id: "@cm_price_lists.1".into(),
                etag: "#cm_price_lists.1".into(),
                effective_date: date(2026, 1, 1),
                prices: vec![
                    price("konto", 190_000),
                    price("dator", 350_000),
                    price("bas", 255_000_000),
                    price("beredskap", 72_000),
                    price("lagring", 120_000),
                ],
            },
        ),
        seed(
            "ProposePriceList",
            PER,
            pb::ProposePriceListRequest {
                id: "@cm_price_lists.1".into(),
                etag: "#cm_price_lists.1".into(),
            },
        ),
        seed(
            "DecidePriceList",
            EVA,
            pb::DecidePriceListRequest {
                id: "@cm_price_lists.1".into(),
                etag: "#cm_price_lists.1".into(),
                decision_ref: "IT-styrgruppen 2025-11-19 § 12".into(),
                decision_id: String::new(),
            },
        ),
        seed(
            "PublishPriceList",
            EVA,
            pb::PublishPriceListRequest {
                id: "@cm_price_lists.1".into(),
                etag: "#cm_price_lists.1".into(),
            },
        ),
        seed(
            "CreateAllocationKey",
            PER,
            pb::CreateAllocationKeyRequest {
                request_id: "seed-key".into(),
                collaboration_id: COLLAB.into(),
                key: Some(pb::AllocationKey {
                    service_code: "bas".into(),
                    effective_date: date(2026, 1, 1),
                    components: vec![
                        pb::KeyComponent {
                            fraction: fraction(1, 2),
                            driver: String::new(),
                        },
                        pb::KeyComponent {
                            fraction: fraction(1, 2),
                            driver: "datorer".into(),
                        },
                    ],
                    unit_driver: "konton".into(),
                    ..Default::default()
                }),
            },
        ),
        seed(
            "RecordDriverSnapshot",
            PER,
            pb::RecordDriverSnapshotRequest {
                request_id: "seed-snapshot".into(),
                collaboration_id: COLLAB.into(),
                snapshot: Some(pb::DriverSnapshot {
                    driver: "invanare".into(),
                    measured_on: date(2025, 11, 1),
                    source: "SCB, folkmängd 1 november 2025".into(),
                    values: vec![
                        pb::DriverValue {
                            municipality_id: "ulricehamn".into(),
                            unit: String::new(),
                            value: 25_210,
                        },
                        pb::DriverValue {
                            municipality_id: "tranemo".into(),
                            unit: String::new(),
                            value: 11_702,
                        },
                    ],
                    ..Default::default()
                }),
            },
        ),
        seed(
            "RecordVolume",
            PER,
            pb::RecordVolumeRequest {
                request_id: "seed-volume".into(),
                collaboration_id: COLLAB.into(),
                volume: Some(pb::Volume {
                    period: Some(pb::Period::of_year(2025)),
                    municipality_id: "tranemo".into(),
                    unit: "Socialförvaltningen".into(),
                    service_code: "dator".into(),
                    quantity: fraction(12, 1),
                    ..Default::default()
                }),
            },
        ),
        seed(
            "RecordDirectCharge",
            PER,
            pb::RecordDirectChargeRequest {
                request_id: "seed-charge".into(),
                collaboration_id: COLLAB.into(),
                charge: Some(pb::DirectCharge {
                    period: Some(pb::Period::of_year(2025)),
                    municipality_id: "ulricehamn".into(),
                    service_code: "beredskap".into(),
                    reference: "Larm 2025-03-02 02:14".into(),
                    measured: fraction(5, 2),
                    ..Default::default()
                }),
            },
        ),
        seed(
            "IssueBills",
            PER,
            pb::IssueBillsRequest {
                request_id: "seed-bills".into(),
                collaboration_id: COLLAB.into(),
                period: Some(pb::Period::of_year(2025)),
            },
        ),
        seed(
            "Reconcile",
            PER,
            pb::ReconcileRequest {
                request_id: "seed-reconcile".into(),
                collaboration_id: COLLAB.into(),
                year: 2025,
                service_code: "bas".into(),
                actual_ore: 251_000_000,
            },
        ),
        seed(
            "CreateScenario",
            PER,
            pb::CreateScenarioRequest {
                request_id: "seed-scenario".into(),
                collaboration_id: COLLAB.into(),
                scenario: Some(pb::Scenario {
                    name: "Svenljunga ansluter".into(),
                    period: Some(pb::Period::of_year(2025)),
                    base_price_list_id: "@cm_price_lists".into(),
                    price_overrides: vec![price("konto", 180_000)],
                    volume_overrides: vec![pb::Volume {
                        municipality_id: "svenljunga".into(),
                        service_code: "konto".into(),
                        quantity: fraction(800, 1),
                        ..Default::default()
                    }],
                    key_overrides: vec![pb::KeyOverride {
                        service_code: "bas".into(),
                        components: vec![pb::KeyComponent {
                            fraction: fraction(1, 1),
                            driver: "invanare".into(),
                        }],
                        unit_driver: String::new(),
                    }],
                    driver_overrides: vec![pb::DriverOverride {
                        driver: "invanare".into(),
                        value: Some(pb::DriverValue {
                            municipality_id: "svenljunga".into(),
                            unit: String::new(),
                            value: 10_800,
                        }),
                    }],
                    added_municipality_ids: vec!["svenljunga".into()],
                    ..Default::default()
                }),
            },
        ),
        seed(
            "RunScenario",
            PER,
            pb::RunScenarioRequest {
                id: "@cm_scenarios".into(),
            },
        ),
        seed(
            "ComputeBill",
            ANNA,
            pb::ComputeBillRequest {
                collaboration_id: COLLAB.into(),
                municipality_id: "tranemo".into(),
                source: source(pb::BillBasis::Live),
            },
        ),
        seed(
            "ComputeBill",
            ANNA,
            pb::ComputeBillRequest {
                collaboration_id: COLLAB.into(),
                municipality_id: "tranemo".into(),
                source: Some(pb::BillSource {
                    period: Some(pb::Period::of_year(2025)),
                    basis: pb::BillBasis::Live as i32,
                    price_list_id: String::new(),
                    scenario_id: "@cm_scenarios".into(),
                    with_reconciliation: true,
                }),
            },
        ),
        seed(
            "ExplainChange",
            ANNA,
            pb::ExplainChangeRequest {
                collaboration_id: COLLAB.into(),
                municipality_id: "tranemo".into(),
                from: source(pb::BillBasis::Issued),
                to: source(pb::BillBasis::Live),
            },
        ),
        seed(
            "ExportCsv",
            ANNA,
            pb::ExportCsvRequest {
                collaboration_id: COLLAB.into(),
                municipality_id: "tranemo".into(),
                table: pb::CsvTable::UnitSplit as i32,
                bill: source(pb::BillBasis::Live),
                from: None,
            },
        ),
        seed(
            "ExportCsv",
            ANNA,
            pb::ExportCsvRequest {
                collaboration_id: COLLAB.into(),
                municipality_id: "tranemo".into(),
                table: pb::CsvTable::Explanation as i32,
                bill: source(pb::BillBasis::Live),
                from: source(pb::BillBasis::Issued),
            },
        ),
        seed(
            "ListCatalogueServices",
            PER,
            pb::ListCatalogueServicesRequest {
                collaboration_id: COLLAB.into(),
                page_size: 2,
                page_token: String::new(),
            },
        ),
        seed(
            "GetPriceList",
            ANNA,
            pb::GetPriceListRequest {
                id: "@cm_price_lists".into(),
            },
        ),
        seed(
            "ListPriceLists",
            PER,
            pb::ListPriceListsRequest {
                collaboration_id: COLLAB.into(),
                year: 2026,
                page_size: 1,
                page_token: String::new(),
            },
        ),
        seed(
            "ListAllocationKeys",
            PER,
            pb::ListAllocationKeysRequest {
                collaboration_id: COLLAB.into(),
                service_code: "bas".into(),
                page_size: 1,
                page_token: String::new(),
            },
        ),
        seed(
            "ListDriverSnapshots",
            PER,
            pb::ListDriverSnapshotsRequest {
                collaboration_id: COLLAB.into(),
                driver: "invanare".into(),
                page_size: 1,
                page_token: String::new(),
            },
        ),
    ]
}

/// The seed corpus: the story and every RPC with an empty request.
pub fn seeds() -> Vec<Seed> {
    let mut v = story();
    v.extend(empty_seeds());
    v
}
