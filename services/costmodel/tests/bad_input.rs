//! Bad input to every create, update and other mutating RPC of the cost
//! model service (issue #8, point 8), on SQLite and PostgreSQL: empty,
//! overlong, wrongly formatted and out-of-range fields — negative amounts,
//! fractions over zero, keys that do not sum to one, periods with a month
//! outside 1..12 or a year outside 1900..9999 — each answer `INVALID_ARGUMENT` with a `google.rpc.BadRequest`
//! naming the offending field, and write nothing: every table's rows are
//! the same before and after the call.
//!
//! Each case starts from a valid request (proved valid by sending it after
//! the cases, as a control that must succeed) and spoils one field.

use samverkan_proto::common::v1::Date;
use samverkan_proto::costmodel::v1 as pb;
use samverkan_proto::costmodel::v1::cost_model_service_client::CostModelServiceClient;
use samverkan_server::Svc;
use samverkan_testkit::bad_input::{Snapshots, judge, paced};
use samverkan_testkit::{TestDb, TestServer, backend_test};
use tonic::Status;
use tonic::transport::Channel;

const PER: &str = "per.hakansson@ulricehamn.se"; // IT-chef: edits the cost model
const EVA: &str = "eva.dahlgren@ulricehamn.se"; // IT-styrgruppen's secretary: decides and publishes
const ERIK: &str = "erik.ohman@tranemo.se"; // Tranemo utvecklingschef: reads Tranemo's bill

const KLF: &str = "Kommunledningsförvaltningen";

type Client = CostModelServiceClient<Channel>;

fn as_<T>(email: &str, msg: T) -> tonic::Request<T> {
    TestServer::as_person(email, msg)
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

// ---------------------------------------------------------------------------
// The harness: a snapshot of every table, and the check of one case.

// ---------------------------------------------------------------------------
// The requests.

/// One request of the table, to any mutating RPC of the service (and the
/// inputs of its reads).
#[derive(Clone)]
enum Req {
    CreateCatalogueService(pb::CreateCatalogueServiceRequest),
    CreatePriceList(pb::CreatePriceListRequest),
    UpdatePriceList(pb::UpdatePriceListRequest),
    ProposePriceList(pb::ProposePriceListRequest),
    DecidePriceList(pb::DecidePriceListRequest),
    PublishPriceList(pb::PublishPriceListRequest),
    CreateAllocationKey(pb::CreateAllocationKeyRequest),
    RecordDriverSnapshot(pb::RecordDriverSnapshotRequest),
    RecordVolume(pb::RecordVolumeRequest),
    RecordDirectCharge(pb::RecordDirectChargeRequest),
    IssueBills(pb::IssueBillsRequest),
    Reconcile(pb::ReconcileRequest),
    CreateScenario(pb::CreateScenarioRequest),
    ListPriceLists(pb::ListPriceListsRequest),
    ListCatalogueServices(pb::ListCatalogueServicesRequest),
    ComputeBill(pb::ComputeBillRequest),
    ExportCsv(pb::ExportCsvRequest),
    RunScenario(pb::RunScenarioRequest),
}

impl Req {
    fn rpc(&self) -> &'static str {
        match self {
            Req::CreateCatalogueService(_) => "CreateCatalogueService",
            Req::CreatePriceList(_) => "CreatePriceList",
            Req::UpdatePriceList(_) => "UpdatePriceList",
            Req::ProposePriceList(_) => "ProposePriceList",
            Req::DecidePriceList(_) => "DecidePriceList",
            Req::PublishPriceList(_) => "PublishPriceList",
            Req::CreateAllocationKey(_) => "CreateAllocationKey",
            Req::RecordDriverSnapshot(_) => "RecordDriverSnapshot",
            Req::RecordVolume(_) => "RecordVolume",
            Req::RecordDirectCharge(_) => "RecordDirectCharge",
            Req::IssueBills(_) => "IssueBills",
            Req::Reconcile(_) => "Reconcile",
            Req::CreateScenario(_) => "CreateScenario",
            Req::ListPriceLists(_) => "ListPriceLists",
            Req::ListCatalogueServices(_) => "ListCatalogueServices",
            Req::ComputeBill(_) => "ComputeBill",
            Req::ExportCsv(_) => "ExportCsv",
            Req::RunScenario(_) => "RunScenario",
        }
    }

    /// Sends the request as a person allowed to make it.
    async fn send(self, mut c: Client) -> Result<(), Status> {
        match self {
            Req::CreateCatalogueService(r) => {
                c.create_catalogue_service(as_(PER, r)).await.map(drop)
            }
            Req::CreatePriceList(r) => c.create_price_list(as_(PER, r)).await.map(drop),
            Req::UpdatePriceList(r) => c.update_price_list(as_(PER, r)).await.map(drop),
            Req::ProposePriceList(r) => c.propose_price_list(as_(PER, r)).await.map(drop),
            Req::DecidePriceList(r) => c.decide_price_list(as_(EVA, r)).await.map(drop),
            Req::PublishPriceList(r) => c.publish_price_list(as_(EVA, r)).await.map(drop),
            Req::CreateAllocationKey(r) => c.create_allocation_key(as_(PER, r)).await.map(drop),
            Req::RecordDriverSnapshot(r) => c.record_driver_snapshot(as_(PER, r)).await.map(drop),
            Req::RecordVolume(r) => c.record_volume(as_(PER, r)).await.map(drop),
            Req::RecordDirectCharge(r) => c.record_direct_charge(as_(PER, r)).await.map(drop),
            Req::IssueBills(r) => c.issue_bills(as_(PER, r)).await.map(drop),
            Req::Reconcile(r) => c.reconcile(as_(PER, r)).await.map(drop),
            Req::CreateScenario(r) => c.create_scenario(as_(PER, r)).await.map(drop),
            Req::ListPriceLists(r) => c.list_price_lists(as_(PER, r)).await.map(drop),
            Req::ListCatalogueServices(r) => c.list_catalogue_services(as_(PER, r)).await.map(drop),
            Req::ComputeBill(r) => c.compute_bill(as_(ERIK, r)).await.map(drop),
            Req::ExportCsv(r) => c.export_csv(as_(ERIK, r)).await.map(drop),
            Req::RunScenario(r) => c.run_scenario(as_(ERIK, r)).await.map(drop),
        }
    }
}

async fn send_paced(c: &Client, req: &Req) -> Result<(), Status> {
    paced(|| req.clone().send(c.clone())).await
}

/// Three price lists of 2026 on the demo cost model of 2025: a draft, a
/// proposed one and a decided one.
struct Fixture {
    draft: pb::PriceList,
    proposed: pb::PriceList,
    decided: pb::PriceList,
}

async fn price_list_2026(c: &mut Client, month: i32, tag: &str) -> pb::PriceList {
    c.create_price_list(as_(
        PER,
        pb::CreatePriceListRequest {
            request_id: format!("prislista-2026-{tag}"),
            year: 2026,
            effective_date: date(2026, month, 1),
            prices: vec![
                price("konto", 190_000),
                price("dator", 351_200),
                price("bas", 250_000_000),
                price("beredskap", 72_000),
            ],
            ..Default::default()
        },
    ))
    .await
    .unwrap()
    .into_inner()
    .price_list
    .unwrap()
}

async fn propose(c: &mut Client, l: &pb::PriceList) -> pb::PriceList {
    c.propose_price_list(as_(
        PER,
        pb::ProposePriceListRequest {
            id: l.id.clone(),
            etag: l.etag.clone(),
        },
    ))
    .await
    .unwrap()
    .into_inner()
    .price_list
    .unwrap()
}

async fn etag_of(c: &mut Client, id: &str) -> String {
    c.get_price_list(as_(PER, pb::GetPriceListRequest { id: id.into() }))
        .await
        .unwrap()
        .into_inner()
        .price_list
        .unwrap()
        .etag
}

impl Fixture {
    async fn load(c: &mut Client) -> Self {
        let draft = price_list_2026(c, 1, "utkast").await;
        let proposed = price_list_2026(c, 2, "förslag").await;
        let proposed = propose(c, &proposed).await;
        let decided = price_list_2026(c, 3, "beslutad").await;
        let decided = propose(c, &decided).await;
        let decided = c
            .decide_price_list(as_(
                EVA,
                pb::DecidePriceListRequest {
                    id: decided.id.clone(),
                    etag: decided.etag.clone(),
                    decision_ref: "IT-styrgruppen 2025-11-19 § 12".into(),
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .price_list
            .unwrap();
        Self {
            draft,
            proposed,
            decided,
        }
    }

    fn create_catalogue_service(&self) -> pb::CreateCatalogueServiceRequest {
        pb::CreateCatalogueServiceRequest {
            request_id: "tjänst-utskrift".into(),
            service: Some(pb::CatalogueService {
                code: "utskrift".into(),
                name: "Utskriftstjänst".into(),
                unit_of_measure: "påbörjad timme".into(),
                charge_type: pb::ChargeType::Direct as i32,
                billing_increment: frac(1, 4),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn create_price_list(&self) -> pb::CreatePriceListRequest {
        pb::CreatePriceListRequest {
            request_id: "prislista-2027".into(),
            year: 2027,
            effective_date: date(2027, 1, 1),
            prices: vec![price("bas", 255_000_000), price("beredskap", 74_000)],
            derivation: Some(pb::Derivation {
                from_price_list_id: self.draft.id.clone(),
                index_percent: frac(31, 10),
                rounding: pb::PriceRounding::Multiple as i32,
                rounding_step_ore: 500,
            }),
            ..Default::default()
        }
    }

    fn update_price_list(&self) -> pb::UpdatePriceListRequest {
        pb::UpdatePriceListRequest {
            id: self.draft.id.clone(),
            etag: self.draft.etag.clone(),
            effective_date: date(2026, 1, 15),
            prices: vec![
                price("konto", 189_500),
                price("dator", 350_000),
                price("bas", 251_000_000),
                price("beredskap", 72_000),
            ],
        }
    }

    fn decide_price_list(&self) -> pb::DecidePriceListRequest {
        pb::DecidePriceListRequest {
            id: self.proposed.id.clone(),
            etag: self.proposed.etag.clone(),
            decision_ref: "IT-styrgruppen 2025-12-10 § 21, prislista för år 2026".into(),
            decision_id: "01900000-0000-7000-8000-0000000dec15".into(),
        }
    }

    fn create_allocation_key(&self) -> pb::CreateAllocationKeyRequest {
        pb::CreateAllocationKeyRequest {
            request_id: "fördelningsnyckel-bas-2026".into(),
            key: Some(pb::AllocationKey {
                service_code: "bas".into(),
                effective_date: date(2026, 1, 1),
                components: vec![
                    pb::KeyComponent {
                        fraction: frac(1, 4),
                        driver: String::new(),
                    },
                    pb::KeyComponent {
                        fraction: frac(3, 4),
                        driver: "invanare".into(),
                    },
                ],
                unit_driver: "konton".into(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn record_driver_snapshot(&self) -> pb::RecordDriverSnapshotRequest {
        pb::RecordDriverSnapshotRequest {
            request_id: "folkmängd-2025".into(),
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
                        value: 11_684,
                    },
                ],
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn record_volume(&self) -> pb::RecordVolumeRequest {
        pb::RecordVolumeRequest {
            request_id: "volym-konton-2026".into(),
            volume: Some(pb::Volume {
                period: Some(pb::Period::of_year(2026)),
                municipality_id: "tranemo".into(),
                unit: KLF.into(),
                service_code: "konto".into(),
                quantity: frac(1_205, 1),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn record_direct_charge(&self) -> pb::RecordDirectChargeRequest {
        pb::RecordDirectChargeRequest {
            request_id: "jour-2026-03".into(),
            charge: Some(pb::DirectCharge {
                period: Some(pb::Period::of_year(2026)),
                municipality_id: "tranemo".into(),
                unit: KLF.into(),
                service_code: "beredskap".into(),
                reference: "Incident 2026-03-02, växeln nere i Tranemo".into(),
                measured: frac(37, 12),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn issue_bills(&self) -> pb::IssueBillsRequest {
        pb::IssueBillsRequest {
            request_id: "fakturering-2025".into(),
            period: Some(pb::Period::of_year(2025)),
            ..Default::default()
        }
    }

    fn reconcile(&self) -> pb::ReconcileRequest {
        pb::ReconcileRequest {
            request_id: "avstämning-bas-2025".into(),
            year: 2025,
            service_code: "bas".into(),
            actual_ore: 250_113_500,
            ..Default::default()
        }
    }

    fn create_scenario(&self) -> pb::CreateScenarioRequest {
        pb::CreateScenarioRequest {
            request_id: "scenario-borås".into(),
            scenario: Some(pb::Scenario {
                name: "Borås går med i samverkan".into(),
                period: Some(pb::Period::of_year(2025)),
                price_overrides: vec![price("konto", 180_000), price("dator", 330_000)],
                volume_overrides: vec![pb::Volume {
                    municipality_id: "boras".into(),
                    unit: "Stadsledningsförvaltningen".into(),
                    service_code: "konto".into(),
                    quantity: frac(6_400, 1),
                    ..Default::default()
                }],
                key_overrides: vec![pb::KeyOverride {
                    service_code: "bas".into(),
                    components: vec![
                        pb::KeyComponent {
                            fraction: frac(1, 2),
                            driver: String::new(),
                        },
                        pb::KeyComponent {
                            fraction: frac(1, 2),
                            driver: "invanare".into(),
                        },
                    ],
                    unit_driver: String::new(),
                }],
                driver_overrides: vec![pb::DriverOverride {
                    driver: "invanare".into(),
                    value: Some(pb::DriverValue {
                        municipality_id: "boras".into(),
                        unit: String::new(),
                        value: 115_000,
                    }),
                }],
                added_municipality_ids: vec!["boras".into()],
                ..Default::default()
            }),
            ..Default::default()
        }
    }
}

/// One row of the table.
struct Case {
    field: &'static str,
    what: &'static str,
    req: Req,
}

fn long(n: usize) -> String {
    "å".repeat(n)
}

const NOTHING: &str = "01900000-0000-7000-8000-00000000dead";

fn cases(fx: &Fixture) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut add = |field, what, req| cases.push(Case { field, what, req });
    let bad_codes: [(&'static str, &'static str); 5] = [
        ("empty", ""),
        ("capitals", "Konto"),
        ("å in it", "tjänst"),
        ("punctuation", "konto!"),
        (
            "65 characters",
            "k2345678901234567890123456789012345678901234567890123456789012345",
        ),
    ];
    // (what, period, the part named after the period's field)
    let bad_periods: [(&'static str, Option<pb::Period>, &'static str); 7] = [
        ("unset", None, ""),
        ("month 13", Some(pb::Period::of_month(2026, 13)), ".month"),
        ("month -1", Some(pb::Period::of_month(2026, -1)), ".month"),
        ("year 0", Some(pb::Period::of_year(0)), ".year"),
        ("year 0, month 3", Some(pb::Period::of_month(0, 3)), ".year"),
        ("before 1900", Some(pb::Period::of_year(1899)), ".year"),
        ("year 10000", Some(pb::Period::of_year(10_000)), ".year"),
    ];
    // The field a bad period is named by, e.g. `volume.period.month`.
    fn named(base: &str, part: &str) -> &'static str {
        Box::leak(format!("{base}{part}").into_boxed_str())
    }
    let bad_dates: [(&'static str, Option<Date>); 4] = [
        ("missing", None),
        ("month 13 (2025-13-01)", date(2025, 13, 1)),
        ("31 April", date(2026, 4, 31)),
        ("year 10000", date(10_000, 1, 1)),
    ];

    // CreateCatalogueService
    let cs = |f: &dyn Fn(&mut pb::CreateCatalogueServiceRequest)| {
        let mut r = fx.create_catalogue_service();
        f(&mut r);
        Req::CreateCatalogueService(r)
    };
    fn sv(r: &mut pb::CreateCatalogueServiceRequest) -> &mut pb::CatalogueService {
        r.service.as_mut().unwrap()
    }
    add(
        "collaboration_id",
        "not a UUID",
        cs(&|r| r.collaboration_id = "samverkan".into()),
    );
    for (what, code) in bad_codes {
        add("service.code", what, cs(&move |r| sv(r).code = code.into()));
    }
    add("service.code", "unset service", cs(&|r| r.service = None));
    add("service.name", "empty", cs(&|r| sv(r).name.clear()));
    add(
        "service.name",
        "201 characters",
        cs(&|r| sv(r).name = long(201)),
    );
    add(
        "service.name",
        "control character",
        cs(&|r| sv(r).name = "Utskrift\u{0}".into()),
    );
    add(
        "service.unit_of_measure",
        "empty",
        cs(&|r| sv(r).unit_of_measure.clear()),
    );
    add(
        "service.unit_of_measure",
        "101 characters",
        cs(&|r| sv(r).unit_of_measure = long(101)),
    );
    add(
        "service.charge_type",
        "unspecified (0)",
        cs(&|r| sv(r).charge_type = 0),
    );
    add(
        "service.charge_type",
        "unknown (999)",
        cs(&|r| sv(r).charge_type = 999),
    );
    add(
        "service.billing_increment",
        "zero",
        cs(&|r| sv(r).billing_increment = frac(0, 1)),
    );
    add(
        "service.billing_increment",
        "unset",
        cs(&|r| sv(r).billing_increment = None),
    );
    add(
        "service.billing_increment",
        "negative",
        cs(&|r| sv(r).billing_increment = frac(-1, 4)),
    );
    add(
        "service.billing_increment.denominator",
        "zero denominator",
        cs(&|r| sv(r).billing_increment = frac(1, 0)),
    );
    add(
        "request_id",
        "129 characters",
        cs(&|r| r.request_id = "ö".repeat(129)),
    );

    // CreatePriceList
    let cp = |f: &dyn Fn(&mut pb::CreatePriceListRequest)| {
        let mut r = fx.create_price_list();
        f(&mut r);
        Req::CreatePriceList(r)
    };
    fn dv(r: &mut pb::CreatePriceListRequest) -> &mut pb::Derivation {
        r.derivation.as_mut().unwrap()
    }
    add(
        "collaboration_id",
        "not a UUID",
        cp(&|r| r.collaboration_id = "samverkan".into()),
    );
    add("year", "zero", cp(&|r| r.year = 0));
    add("year", "1899", cp(&|r| r.year = 1899));
    add("year", "10000", cp(&|r| r.year = 10_000));
    for (what, d) in bad_dates {
        add("effective_date", what, cp(&move |r| r.effective_date = d));
    }
    add(
        "effective_date",
        "in another year",
        cp(&|r| r.effective_date = date(2026, 12, 31)),
    );
    add(
        "prices[0].service_code",
        "empty",
        cp(&|r| r.prices[0].service_code.clear()),
    );
    add(
        "prices[1].service_code",
        "capitals",
        cp(&|r| r.prices[1].service_code = "Beredskap".into()),
    );
    add(
        "prices[1].service_code",
        "twice",
        cp(&|r| r.prices[1].service_code = "bas".into()),
    );
    add(
        "prices[1].service_code",
        "not in the catalogue",
        cp(&|r| r.prices[1].service_code = "skrivare".into()),
    );
    add(
        "prices[0].amount_ore",
        "negative",
        cp(&|r| r.prices[0].amount_ore = -1),
    );
    add(
        "prices[1].amount_ore",
        "i64::MIN",
        cp(&|r| r.prices[1].amount_ore = i64::MIN),
    );
    add(
        "derivation.from_price_list_id",
        "empty",
        cp(&|r| dv(r).from_price_list_id.clear()),
    );
    add(
        "derivation.from_price_list_id",
        "not a UUID",
        cp(&|r| dv(r).from_price_list_id = "2026 v1".into()),
    );
    add(
        "derivation.index_percent.denominator",
        "zero denominator",
        cp(&|r| dv(r).index_percent = frac(31, 0)),
    );
    add(
        "derivation.index_percent",
        "below -100 %",
        cp(&|r| dv(r).index_percent = frac(-101, 1)),
    );
    add(
        "derivation.rounding",
        "unspecified (0)",
        cp(&|r| dv(r).rounding = 0),
    );
    add(
        "derivation.rounding",
        "unknown (999)",
        cp(&|r| dv(r).rounding = 999),
    );
    add(
        "derivation.rounding_step_ore",
        "zero with MULTIPLE",
        cp(&|r| dv(r).rounding_step_ore = 0),
    );
    add(
        "derivation.rounding_step_ore",
        "negative with MULTIPLE",
        cp(&|r| dv(r).rounding_step_ore = -500),
    );
    add(
        "request_id",
        "129 characters",
        cp(&|r| r.request_id = "ö".repeat(129)),
    );

    // UpdatePriceList
    let up = |f: &dyn Fn(&mut pb::UpdatePriceListRequest)| {
        let mut r = fx.update_price_list();
        f(&mut r);
        Req::UpdatePriceList(r)
    };
    add("id", "empty", up(&|r| r.id.clear()));
    add("id", "not a UUID", up(&|r| r.id = "prislista-2026".into()));
    add("etag", "empty", up(&|r| r.etag.clear()));
    add("etag", "65 characters", up(&|r| r.etag = "e".repeat(65)));
    add(
        "effective_date",
        "month 13",
        up(&|r| r.effective_date = date(2026, 13, 1)),
    );
    add(
        "effective_date",
        "in another year",
        up(&|r| r.effective_date = date(2025, 12, 31)),
    );
    add(
        "prices[2].amount_ore",
        "negative",
        up(&|r| r.prices[2].amount_ore = -250_000_000),
    );
    add(
        "prices[0].service_code",
        "not in the catalogue",
        up(&|r| r.prices[0].service_code = "skrivare".into()),
    );
    add(
        "prices[3].service_code",
        "punctuation",
        up(&|r| r.prices[3].service_code = "jour/beredskap".into()),
    );

    // ProposePriceList
    let pp = |f: &dyn Fn(&mut pb::ProposePriceListRequest)| {
        let mut r = pb::ProposePriceListRequest {
            id: fx.draft.id.clone(),
            etag: fx.draft.etag.clone(),
        };
        f(&mut r);
        Req::ProposePriceList(r)
    };
    add("id", "empty", pp(&|r| r.id.clear()));
    add("id", "not a UUID", pp(&|r| r.id = "utkast".into()));
    add("etag", "empty", pp(&|r| r.etag.clear()));
    add("etag", "65 characters", pp(&|r| r.etag = "e".repeat(65)));

    // DecidePriceList
    let dp = |f: &dyn Fn(&mut pb::DecidePriceListRequest)| {
        let mut r = fx.decide_price_list();
        f(&mut r);
        Req::DecidePriceList(r)
    };
    add("id", "empty", dp(&|r| r.id.clear()));
    add("id", "not a UUID", dp(&|r| r.id = "förslag".into()));
    add("etag", "empty", dp(&|r| r.etag.clear()));
    add("decision_ref", "empty", dp(&|r| r.decision_ref.clear()));
    add(
        "decision_ref",
        "501 characters",
        dp(&|r| r.decision_ref = long(501)),
    );
    add(
        "decision_ref",
        "line break",
        dp(&|r| r.decision_ref = "IT-styrgruppen\n§ 21".into()),
    );
    add(
        "decision_id",
        "not a UUID",
        dp(&|r| r.decision_id = "§ 21".into()),
    );

    // PublishPriceList
    let pub_ = |f: &dyn Fn(&mut pb::PublishPriceListRequest)| {
        let mut r = pb::PublishPriceListRequest {
            id: fx.decided.id.clone(),
            etag: fx.decided.etag.clone(),
        };
        f(&mut r);
        Req::PublishPriceList(r)
    };
    add("id", "empty", pub_(&|r| r.id.clear()));
    add("id", "not a UUID", pub_(&|r| r.id = "beslutad".into()));
    add("etag", "empty", pub_(&|r| r.etag.clear()));
    add("etag", "65 characters", pub_(&|r| r.etag = "e".repeat(65)));

    // CreateAllocationKey
    let ck = |f: &dyn Fn(&mut pb::CreateAllocationKeyRequest)| {
        let mut r = fx.create_allocation_key();
        f(&mut r);
        Req::CreateAllocationKey(r)
    };
    fn ky(r: &mut pb::CreateAllocationKeyRequest) -> &mut pb::AllocationKey {
        r.key.as_mut().unwrap()
    }
    add(
        "collaboration_id",
        "not a UUID",
        ck(&|r| r.collaboration_id = "samverkan".into()),
    );
    for (what, code) in bad_codes {
        add(
            "key.service_code",
            what,
            ck(&move |r| ky(r).service_code = code.into()),
        );
    }
    add(
        "key.service_code",
        "not in the catalogue",
        ck(&|r| ky(r).service_code = "skrivare".into()),
    );
    add(
        "key.service_code",
        "not a cost pool",
        ck(&|r| ky(r).service_code = "konto".into()),
    );
    for (what, d) in bad_dates {
        add(
            "key.effective_date",
            what,
            ck(&move |r| ky(r).effective_date = d),
        );
    }
    add("key.components", "none", ck(&|r| ky(r).components.clear()));
    add(
        "key.components",
        "summing to 5/4",
        ck(&|r| ky(r).components[0].fraction = frac(1, 2)),
    );
    add(
        "key.components",
        "summing to 3/4",
        ck(&|r| ky(r).components[0].fraction = None),
    );
    add(
        "key.components[0].fraction",
        "negative",
        ck(&|r| {
            ky(r).components[0].fraction = frac(-1, 4);
            ky(r).components[1].fraction = frac(5, 4);
        }),
    );
    add(
        "key.components[1].fraction.denominator",
        "zero denominator",
        ck(&|r| ky(r).components[1].fraction = frac(3, 0)),
    );
    add(
        "key.components[1].driver",
        "capitals",
        ck(&|r| ky(r).components[1].driver = "Invånare".into()),
    );
    add(
        "key.unit_driver",
        "punctuation",
        ck(&|r| ky(r).unit_driver = "konton, datorer".into()),
    );
    add(
        "request_id",
        "129 characters",
        ck(&|r| r.request_id = "ö".repeat(129)),
    );

    // RecordDriverSnapshot
    let rs = |f: &dyn Fn(&mut pb::RecordDriverSnapshotRequest)| {
        let mut r = fx.record_driver_snapshot();
        f(&mut r);
        Req::RecordDriverSnapshot(r)
    };
    fn sn(r: &mut pb::RecordDriverSnapshotRequest) -> &mut pb::DriverSnapshot {
        r.snapshot.as_mut().unwrap()
    }
    for (what, code) in bad_codes {
        add(
            "snapshot.driver",
            what,
            rs(&move |r| sn(r).driver = code.into()),
        );
    }
    add(
        "snapshot.driver",
        "unset snapshot",
        rs(&|r| r.snapshot = None),
    );
    for (what, d) in bad_dates {
        add(
            "snapshot.measured_on",
            what,
            rs(&move |r| sn(r).measured_on = d),
        );
    }
    add("snapshot.source", "empty", rs(&|r| sn(r).source.clear()));
    add(
        "snapshot.source",
        "301 characters",
        rs(&|r| sn(r).source = long(301)),
    );
    add(
        "snapshot.source",
        "control character",
        rs(&|r| sn(r).source = "SCB\u{7}".into()),
    );
    add("snapshot.values", "none", rs(&|r| sn(r).values.clear()));
    add(
        "snapshot.values[0].municipality_id",
        "empty",
        rs(&|r| sn(r).values[0].municipality_id.clear()),
    );
    add(
        "snapshot.values[1].municipality_id",
        "capitals and ä",
        rs(&|r| sn(r).values[1].municipality_id = "Tranemö".into()),
    );
    add(
        "snapshot.values[1].value",
        "negative",
        rs(&|r| sn(r).values[1].value = -11_684),
    );
    add(
        "snapshot.values[0].unit",
        "201 characters",
        rs(&|r| sn(r).values[0].unit = long(201)),
    );
    add(
        "snapshot.values[0].unit",
        "control character",
        rs(&|r| sn(r).values[0].unit = "Enhet\u{0}".into()),
    );
    add(
        "snapshot.values[1]",
        "same municipality and unit twice",
        rs(&|r| sn(r).values[1].municipality_id = "ulricehamn".into()),
    );
    add(
        "request_id",
        "129 characters",
        rs(&|r| r.request_id = "ö".repeat(129)),
    );

    // RecordVolume
    let rv = |f: &dyn Fn(&mut pb::RecordVolumeRequest)| {
        let mut r = fx.record_volume();
        f(&mut r);
        Req::RecordVolume(r)
    };
    fn vo(r: &mut pb::RecordVolumeRequest) -> &mut pb::Volume {
        r.volume.as_mut().unwrap()
    }
    for (what, p, part) in bad_periods {
        add(
            named("volume.period", part),
            what,
            rv(&move |r| vo(r).period = p),
        );
    }
    add("volume.period", "unset volume", rv(&|r| r.volume = None));
    add(
        "volume.municipality_id",
        "empty",
        rv(&|r| vo(r).municipality_id.clear()),
    );
    add(
        "volume.municipality_id",
        "a name, not an id",
        rv(&|r| vo(r).municipality_id = "Tranemo kommun".into()),
    );
    add(
        "volume.unit",
        "201 characters",
        rv(&|r| vo(r).unit = long(201)),
    );
    add(
        "volume.unit",
        "line break",
        rv(&|r| vo(r).unit = "Kommunlednings-\nförvaltningen".into()),
    );
    for (what, code) in bad_codes {
        add(
            "volume.service_code",
            what,
            rv(&move |r| vo(r).service_code = code.into()),
        );
    }
    add(
        "volume.service_code",
        "not in the catalogue",
        rv(&|r| vo(r).service_code = "skrivare".into()),
    );
    add(
        "volume.service_code",
        "not charged per unit",
        rv(&|r| vo(r).service_code = "bas".into()),
    );
    add(
        "volume.quantity",
        "negative",
        rv(&|r| vo(r).quantity = frac(-1_205, 1)),
    );
    add(
        "volume.quantity",
        "negative denominator",
        rv(&|r| vo(r).quantity = frac(1, -2)),
    );
    add(
        "volume.quantity.denominator",
        "zero denominator",
        rv(&|r| vo(r).quantity = frac(1_205, 0)),
    );
    add(
        "request_id",
        "129 characters",
        rv(&|r| r.request_id = "ö".repeat(129)),
    );

    // RecordDirectCharge
    let rc = |f: &dyn Fn(&mut pb::RecordDirectChargeRequest)| {
        let mut r = fx.record_direct_charge();
        f(&mut r);
        Req::RecordDirectCharge(r)
    };
    fn ch(r: &mut pb::RecordDirectChargeRequest) -> &mut pb::DirectCharge {
        r.charge.as_mut().unwrap()
    }
    for (what, p, part) in bad_periods {
        add(
            named("charge.period", part),
            what,
            rc(&move |r| ch(r).period = p),
        );
    }
    add(
        "charge.municipality_id",
        "empty",
        rc(&|r| ch(r).municipality_id.clear()),
    );
    add(
        "charge.municipality_id",
        "starts with a digit",
        rc(&|r| ch(r).municipality_id = "1tranemo".into()),
    );
    add(
        "charge.unit",
        "201 characters",
        rc(&|r| ch(r).unit = long(201)),
    );
    for (what, code) in bad_codes {
        add(
            "charge.service_code",
            what,
            rc(&move |r| ch(r).service_code = code.into()),
        );
    }
    add(
        "charge.service_code",
        "not charged directly",
        rc(&|r| ch(r).service_code = "konto".into()),
    );
    add(
        "charge.reference",
        "empty",
        rc(&|r| ch(r).reference.clear()),
    );
    add(
        "charge.reference",
        "201 characters",
        rc(&|r| ch(r).reference = long(201)),
    );
    add(
        "charge.reference",
        "control character",
        rc(&|r| ch(r).reference = "Incident\u{1b}".into()),
    );
    add(
        "charge.measured",
        "negative",
        rc(&|r| ch(r).measured = frac(-37, 12)),
    );
    add(
        "charge.measured.denominator",
        "zero denominator",
        rc(&|r| ch(r).measured = frac(37, 0)),
    );
    add(
        "request_id",
        "129 characters",
        rc(&|r| r.request_id = "ö".repeat(129)),
    );

    // IssueBills
    let ib = |f: &dyn Fn(&mut pb::IssueBillsRequest)| {
        let mut r = fx.issue_bills();
        f(&mut r);
        Req::IssueBills(r)
    };
    add(
        "collaboration_id",
        "not a UUID",
        ib(&|r| r.collaboration_id = "samverkan".into()),
    );
    for (what, p, part) in bad_periods {
        add(named("period", part), what, ib(&move |r| r.period = p));
    }
    add(
        "request_id",
        "129 characters",
        ib(&|r| r.request_id = "ö".repeat(129)),
    );

    // Reconcile
    let re = |f: &dyn Fn(&mut pb::ReconcileRequest)| {
        let mut r = fx.reconcile();
        f(&mut r);
        Req::Reconcile(r)
    };
    add(
        "collaboration_id",
        "not a UUID",
        re(&|r| r.collaboration_id = "samverkan".into()),
    );
    add("year", "zero", re(&|r| r.year = 0));
    add("year", "10000", re(&|r| r.year = 10_000));
    for (what, code) in bad_codes {
        add(
            "service_code",
            what,
            re(&move |r| r.service_code = code.into()),
        );
    }
    add("actual_ore", "negative", re(&|r| r.actual_ore = -1));
    add("actual_ore", "i64::MIN", re(&|r| r.actual_ore = i64::MIN));
    add(
        "request_id",
        "129 characters",
        re(&|r| r.request_id = "ö".repeat(129)),
    );

    // CreateScenario
    let sc = |f: &dyn Fn(&mut pb::CreateScenarioRequest)| {
        let mut r = fx.create_scenario();
        f(&mut r);
        Req::CreateScenario(r)
    };
    fn so(r: &mut pb::CreateScenarioRequest) -> &mut pb::Scenario {
        r.scenario.as_mut().unwrap()
    }
    add(
        "collaboration_id",
        "not a UUID",
        sc(&|r| r.collaboration_id = "samverkan".into()),
    );
    add("scenario.name", "empty", sc(&|r| so(r).name.clear()));
    add(
        "scenario.name",
        "unset scenario",
        sc(&|r| r.scenario = None),
    );
    add(
        "scenario.name",
        "201 characters",
        sc(&|r| so(r).name = long(201)),
    );
    add(
        "scenario.name",
        "control character",
        sc(&|r| so(r).name = "Borås\u{0}".into()),
    );
    for (what, p, part) in bad_periods {
        add(
            named("scenario.period", part),
            what,
            sc(&move |r| so(r).period = p),
        );
    }
    add(
        "scenario.base_price_list_id",
        "not a UUID",
        sc(&|r| so(r).base_price_list_id = "2025".into()),
    );
    add(
        "scenario.price_overrides[1].service_code",
        "capitals",
        sc(&|r| so(r).price_overrides[1].service_code = "Dator".into()),
    );
    add(
        "scenario.price_overrides[1].service_code",
        "twice",
        sc(&|r| so(r).price_overrides[1].service_code = "konto".into()),
    );
    add(
        "scenario.price_overrides[0].amount_ore",
        "negative",
        sc(&|r| so(r).price_overrides[0].amount_ore = -180_000),
    );
    add(
        "scenario.volume_overrides[0].quantity",
        "negative",
        sc(&|r| so(r).volume_overrides[0].quantity = frac(-6_400, 1)),
    );
    add(
        "scenario.volume_overrides[0].quantity.denominator",
        "zero denominator",
        sc(&|r| so(r).volume_overrides[0].quantity = frac(6_400, 0)),
    );
    add(
        "scenario.volume_overrides[0].municipality_id",
        "capitals and å",
        sc(&|r| so(r).volume_overrides[0].municipality_id = "Borås".into()),
    );
    add(
        "scenario.volume_overrides[0].unit",
        "control character",
        sc(&|r| so(r).volume_overrides[0].unit = "Stad\u{0}".into()),
    );
    add(
        "scenario.volume_overrides[0].service_code",
        "empty",
        sc(&|r| so(r).volume_overrides[0].service_code.clear()),
    );
    add(
        "scenario.key_overrides[0].components",
        "summing to 3/2",
        sc(&|r| so(r).key_overrides[0].components[0].fraction = frac(1, 1)),
    );
    add(
        "scenario.key_overrides[0].components",
        "none",
        sc(&|r| so(r).key_overrides[0].components.clear()),
    );
    add(
        "scenario.key_overrides[0].service_code",
        "punctuation",
        sc(&|r| so(r).key_overrides[0].service_code = "bas?".into()),
    );
    add(
        "scenario.key_overrides[0].unit_driver",
        "capitals",
        sc(&|r| so(r).key_overrides[0].unit_driver = "Konton".into()),
    );
    add(
        "scenario.driver_overrides[0].driver",
        "empty",
        sc(&|r| so(r).driver_overrides[0].driver.clear()),
    );
    add(
        "scenario.driver_overrides[0].value.value",
        "negative",
        sc(&|r| {
            so(r).driver_overrides[0].value.as_mut().unwrap().value = -115_000;
        }),
    );
    add(
        "scenario.driver_overrides[0].value.municipality_id",
        "unset value",
        sc(&|r| so(r).driver_overrides[0].value = None),
    );
    add(
        "scenario.added_municipality_ids[0]",
        "empty",
        sc(&|r| so(r).added_municipality_ids = vec![String::new()]),
    );
    add(
        "scenario.added_municipality_ids[1]",
        "a name, not an id",
        sc(&|r| {
            so(r)
                .added_municipality_ids
                .push("Svenljunga kommun".into())
        }),
    );
    add(
        "request_id",
        "129 characters",
        sc(&|r| r.request_id = "ö".repeat(129)),
    );

    // Reads: paging, sources and tables.
    add(
        "page_size",
        "negative",
        Req::ListPriceLists(pb::ListPriceListsRequest {
            page_size: -1,
            ..Default::default()
        }),
    );
    add(
        "year",
        "1899",
        Req::ListPriceLists(pb::ListPriceListsRequest {
            year: 1899,
            ..Default::default()
        }),
    );
    add(
        "page_token",
        "forged",
        Req::ListCatalogueServices(pb::ListCatalogueServicesRequest {
            page_token: "nästa sida".into(),
            ..Default::default()
        }),
    );
    let bill = |f: &dyn Fn(&mut pb::ComputeBillRequest)| {
        let mut r = pb::ComputeBillRequest {
            municipality_id: "tranemo".into(),
            source: Some(pb::BillSource {
                period: Some(pb::Period::of_year(2025)),
                basis: pb::BillBasis::Live as i32,
                ..Default::default()
            }),
            ..Default::default()
        };
        f(&mut r);
        Req::ComputeBill(r)
    };
    add(
        "municipality_id",
        "capitals",
        bill(&|r| r.municipality_id = "Tranemo".into()),
    );
    for (what, p, part) in bad_periods {
        add(
            named("source.period", part),
            what,
            bill(&move |r| r.source.as_mut().unwrap().period = p),
        );
    }
    add(
        "source.with_reconciliation",
        "a month with the year's reconciliation",
        bill(&|r| {
            let s = r.source.as_mut().unwrap();
            s.period = Some(pb::Period::of_month(2025, 6));
            s.with_reconciliation = true;
        }),
    );
    add(
        "source.basis",
        "unknown (999)",
        bill(&|r| r.source.as_mut().unwrap().basis = 999),
    );
    add(
        "source.price_list_id",
        "not a UUID",
        bill(&|r| r.source.as_mut().unwrap().price_list_id = "2025".into()),
    );
    add(
        "source.basis",
        "issued with a price list",
        bill(&|r| {
            let s = r.source.as_mut().unwrap();
            s.basis = pb::BillBasis::Issued as i32;
            s.price_list_id = NOTHING.into();
        }),
    );
    add(
        "table",
        "unspecified (0)",
        Req::ExportCsv(pb::ExportCsvRequest {
            municipality_id: "tranemo".into(),
            bill: Some(pb::BillSource {
                period: Some(pb::Period::of_year(2025)),
                basis: pb::BillBasis::Live as i32,
                ..Default::default()
            }),
            ..Default::default()
        }),
    );
    add(
        "id",
        "not a UUID",
        Req::RunScenario(pb::RunScenarioRequest {
            id: "scenario-borås".into(),
        }),
    );

    // Fields the server sets are refused, never ignored.
    let stamp = || {
        Some(samverkan_proto::Timestamp {
            seconds: 1_767_225_600,
            nanos: 0,
        })
    };
    add(
        "service.id",
        "set by the caller",
        cs(&|r| sv(r).id = NOTHING.into()),
    );
    add(
        "key.version",
        "set by the caller",
        ck(&|r| ky(r).version = 7),
    );
    add(
        "snapshot.create_time",
        "set by the caller",
        rs(&move |r| sn(r).create_time = stamp()),
    );
    add(
        "volume.id",
        "set by the caller",
        rv(&|r| vo(r).id = NOTHING.into()),
    );
    add(
        "charge.create_time",
        "set by the caller",
        rc(&move |r| ch(r).create_time = stamp()),
    );
    add(
        "scenario.id",
        "set by the caller",
        sc(&|r| so(r).id = NOTHING.into()),
    );
    add(
        "volume.municipality_id",
        "no member during the period",
        rv(&|r| vo(r).municipality_id = "boras".into()),
    );
    cases
}

/// Sends each valid request the cases spoil, in an order in which each
/// is allowed; every one must succeed.
async fn controls(fx: &Fixture, c: &mut Client) -> Vec<String> {
    let mut failures = Vec::new();
    let mut check = |what: &str, r: Result<(), Status>| {
        if let Err(s) = r {
            failures.push(format!("control {what}: {:?}: {}", s.code(), s.message()));
        }
    };
    for req in [
        Req::CreateCatalogueService(fx.create_catalogue_service()),
        Req::CreatePriceList(fx.create_price_list()),
        Req::UpdatePriceList(fx.update_price_list()),
    ] {
        check(req.rpc(), send_paced(c, &req).await);
    }
    let etag = etag_of(c, &fx.draft.id).await;
    for req in [
        Req::ProposePriceList(pb::ProposePriceListRequest {
            id: fx.draft.id.clone(),
            etag,
        }),
        Req::DecidePriceList(fx.decide_price_list()),
        Req::PublishPriceList(pb::PublishPriceListRequest {
            id: fx.decided.id.clone(),
            etag: fx.decided.etag.clone(),
        }),
        Req::CreateAllocationKey(fx.create_allocation_key()),
        Req::RecordDriverSnapshot(fx.record_driver_snapshot()),
        Req::RecordVolume(fx.record_volume()),
        Req::RecordDirectCharge(fx.record_direct_charge()),
        Req::CreateScenario(fx.create_scenario()),
        Req::IssueBills(fx.issue_bills()),
        Req::Reconcile(fx.reconcile()),
    ] {
        check(req.rpc(), send_paced(c, &req).await);
    }
    failures
}

async fn bad_input_is_refused_and_writes_nothing(db: TestDb) {
    let server = TestServer::start(&db, &[Svc::Roles, Svc::CostModel]).await;
    let mut c = CostModelServiceClient::new(server.channel().await);
    let fx = Fixture::load(&mut c).await;
    let snapshots = Snapshots::new(&db).await;

    let cases = cases(&fx);
    let mut failures = Vec::new();
    for case in &cases {
        let before = snapshots.take(&db).await;
        let result = send_paced(&c, &case.req).await;
        let after = snapshots.take(&db).await;
        if let Some(wrong) = judge(case.field, result, &before, &after) {
            failures.push(format!(
                "{} {} ({}): {wrong}",
                case.req.rpc(),
                case.field,
                case.what
            ));
        }
    }
    failures.extend(controls(&fx, &mut c).await);
    assert!(
        failures.is_empty(),
        "{} of {} bad inputs mishandled:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    samverkan_testkit::figure(&format!(
        "bad input: costmodel: {} cases ({:?})",
        cases.len(),
        db.backend
    ));
    server.stop().await;
}
backend_test!(bad_input_is_refused_and_writes_nothing);
