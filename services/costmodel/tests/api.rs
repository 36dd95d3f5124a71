//! The cost model over real gRPC on SQLite and PostgreSQL: the worked
//! example of the cost-model issue reproduced to the öre from the demo
//! data, the price list's life, issued bills that recompute exactly,
//! reconciliation, per-unit detail only for a municipality's own people,
//! scenarios that change nothing published, and the CSV export.

use samverkan_proto::costmodel::v1 as pb;
use samverkan_proto::costmodel::v1::cost_model_service_client::CostModelServiceClient;
use samverkan_server::Svc;
use samverkan_testkit::{TestDb, TestServer, backend_test};
use tonic::Code;
use tonic::transport::Channel;

const PER: &str = "per.hakansson@ulricehamn.se"; // IT-chef: may edit
const EVA: &str = "eva.dahlgren@ulricehamn.se"; // IT-styrgruppen's secretary: may publish
const ERIK: &str = "erik.ohman@tranemo.se"; // Tranemo utvecklingschef
const LARS: &str = "lars.angstrom@ulricehamn.se"; // Ulricehamn kommunchef

const KLF: &str = "Kommunledningsförvaltningen";
const BUF: &str = "Barn- och utbildningsförvaltningen";
const SOF: &str = "Socialförvaltningen";

type Client = CostModelServiceClient<Channel>;

fn as_<T>(email: &str, msg: T) -> tonic::Request<T> {
    TestServer::as_person(email, msg)
}

async fn start(db: &TestDb) -> (TestServer, Client) {
    let server = TestServer::start(db, &[Svc::Roles, Svc::CostModel]).await;
    let client = CostModelServiceClient::new(server.channel().await);
    (server, client)
}

fn frac(n: i64, d: i64) -> Option<pb::Fraction> {
    Some(pb::Fraction {
        numerator: n,
        denominator: d,
    })
}

fn src(basis: pb::BillBasis) -> Option<pb::BillSource> {
    Some(pb::BillSource {
        period: Some(pb::Period::of_year(2025)),
        basis: basis as i32,
        ..Default::default()
    })
}

async fn bill(
    c: &mut Client,
    who: &str,
    municipality: &str,
    source: Option<pb::BillSource>,
) -> pb::Bill {
    c.compute_bill(as_(
        who,
        pb::ComputeBillRequest {
            municipality_id: municipality.into(),
            source,
            ..Default::default()
        },
    ))
    .await
    .unwrap_or_else(|e| panic!("compute bill of {municipality}: {e}"))
    .into_inner()
    .bill
    .unwrap()
}

fn line<'a>(b: &'a pb::Bill, kind: pb::LineKind, service: &str) -> &'a pb::BillLine {
    b.lines
        .iter()
        .find(|l| l.kind == kind as i32 && l.service_code == service)
        .unwrap_or_else(|| panic!("no {kind:?} line for {service}"))
}

async fn published_2025(c: &mut Client, who: &str) -> pb::PriceList {
    let lists = c
        .list_price_lists(as_(
            who,
            pb::ListPriceListsRequest {
                year: 2025,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .price_lists;
    lists
        .into_iter()
        .find(|l| l.version == 1)
        .expect("the demo's published 2025 list")
}

async fn on_call(
    c: &mut Client,
    request_id: &str,
) -> tonic::Result<tonic::Response<pb::RecordDirectChargeResponse>> {
    c.record_direct_charge(as_(
        PER,
        pb::RecordDirectChargeRequest {
            request_id: request_id.into(),
            charge: Some(pb::DirectCharge {
                period: Some(pb::Period::of_year(2025)),
                municipality_id: "tranemo".into(),
                unit: SOF.into(),
                service_code: "beredskap".into(),
                reference: "Ärende 2025-117".into(),
                measured: frac(37, 12), // 3 h 05 min
                ..Default::default()
            }),
            ..Default::default()
        },
    ))
    .await
}

fn code_of<T: std::fmt::Debug>(r: tonic::Result<T>) -> Code {
    r.expect_err("expected an error").code()
}

async fn worked_example_to_the_ore(db: TestDb) {
    let (server, mut c) = start(&db).await;
    let t = bill(&mut c, ERIK, "tranemo", src(pb::BillBasis::Live)).await;
    let u = bill(&mut c, LARS, "ulricehamn", src(pb::BillBasis::Live)).await;
    assert!(
        !t.detail_withheld && !u.detail_withheld,
        "own people see their detail"
    );
    assert_eq!(u.total_ore, 1_277_526_175, "Ulricehamn 12 775 261,75 kr");
    assert_eq!(t.total_ore, 623_878_825, "Tranemo 6 238 788,25 kr");

    // The pool: 1 545 161,75 + 942 188,25 = 2 487 350,00 kr, one third
    // equally and two thirds by population.
    let ub = line(&u, pb::LineKind::Allocated, "bas");
    let tb = line(&t, pb::LineKind::Allocated, "bas");
    assert_eq!(ub.amount_ore, 154_516_175);
    assert_eq!(tb.amount_ore, 94_218_825);
    assert_eq!(ub.amount_ore + tb.amount_ore, 248_735_000);
    assert_eq!(ub.unit_price_ore, 248_735_000);
    // 137 405 / 221 190 in lowest terms.
    assert_eq!(ub.quantity, frac(27_481, 44_238));
    assert_eq!(tb.rounding_adjustment_ore, frac(-7325, 22_119));
    let list = published_2025(&mut c, ERIK).await;
    assert_eq!(tb.price_list_id, list.id);
    assert_eq!(t.price_list_id, list.id);
    assert_eq!(t.price_list_version, 1);
    assert!(!tb.allocation_key_id.is_empty());
    assert_eq!(tb.driver_snapshot_ids.len(), 2, "population and accounts");

    // Per-unit lines.
    assert_eq!(
        line(&u, pb::LineKind::PerUnit, "konto").amount_ore,
        445_850_000
    );
    assert_eq!(
        line(&u, pb::LineKind::PerUnit, "dator").amount_ore,
        677_160_000
    );
    assert_eq!(
        line(&t, pb::LineKind::PerUnit, "konto").amount_ore,
        220_150_000
    );
    assert_eq!(
        line(&t, pb::LineKind::PerUnit, "dator").amount_ore,
        309_510_000
    );

    // Tranemo's part over its three units by accounts (310/520/360).
    let split: Vec<(&str, i64)> = tb
        .unit_split
        .iter()
        .map(|p| (p.unit.as_str(), p.amount_ore))
        .collect();
    assert_eq!(
        split,
        vec![(BUF, 41_171_251), (KLF, 24_544_400), (SOF, 28_503_174)]
    );
    let units: i64 = t.unit_totals.iter().map(|u| u.amount_ore).sum();
    assert_eq!(units, t.total_ore, "the unit totals add up to the bill");

    // On-call: 3 h 05 min at 700 kr per started hour is 2 800,00 kr.
    on_call(&mut c, "jour-117").await.unwrap();
    let t2 = bill(&mut c, ERIK, "tranemo", src(pb::BillBasis::Live)).await;
    let oc = line(&t2, pb::LineKind::Direct, "beredskap");
    assert_eq!(oc.amount_ore, 280_000);
    assert_eq!(oc.quantity, frac(4, 1));
    assert_eq!(oc.measured, frac(37, 12));
    assert_eq!(oc.unit, SOF);
    assert_eq!(t2.total_ore, 624_158_825);
    let u2 = bill(&mut c, LARS, "ulricehamn", src(pb::BillBasis::Live)).await;
    assert_eq!(u2, u, "Ulricehamn's bill is unaffected");
    server.stop().await;
}
backend_test!(worked_example_to_the_ore);

async fn price_list_life_and_published_lists_never_change(db: TestDb) {
    let (server, mut c) = start(&db).await;
    let v1 = published_2025(&mut c, PER).await;
    assert_eq!(v1.state, pb::PriceListState::Published as i32);
    let tried = c
        .update_price_list(as_(
            PER,
            pb::UpdatePriceListRequest {
                id: v1.id.clone(),
                etag: v1.etag.clone(),
                prices: vec![pb::Price {
                    service_code: "konto".into(),
                    amount_ore: 1,
                }],
                ..Default::default()
            },
        ))
        .await;
    assert_eq!(code_of(tried), Code::FailedPrecondition);
    let tried = c
        .propose_price_list(as_(
            PER,
            pb::ProposePriceListRequest {
                id: v1.id.clone(),
                etag: v1.etag.clone(),
            },
        ))
        .await;
    assert_eq!(code_of(tried), Code::FailedPrecondition);
    let tried = c
        .publish_price_list(as_(
            EVA,
            pb::PublishPriceListRequest {
                id: v1.id.clone(),
                etag: v1.etag.clone(),
            },
        ))
        .await;
    assert_eq!(code_of(tried), Code::FailedPrecondition);
    let after = c
        .get_price_list(as_(ERIK, pb::GetPriceListRequest { id: v1.id.clone() }))
        .await
        .unwrap()
        .into_inner()
        .price_list
        .unwrap();
    assert_eq!(after, v1, "nothing changed");

    // A new version derived by +2,7 %, rounded to whole kronor.
    let create = pb::CreatePriceListRequest {
        request_id: "pl-2025-v2".into(),
        year: 2025,
        effective_date: Some(samverkan_proto::common::v1::Date {
            year: 2025,
            month: 7,
            day: 1,
        }),
        derivation: Some(pb::Derivation {
            from_price_list_id: v1.id.clone(),
            index_percent: frac(27, 10),
            rounding: pb::PriceRounding::WholeKronor as i32,
            rounding_step_ore: 0,
        }),
        // The pool is set by the budget, not by the index.
        prices: vec![pb::Price {
            service_code: "bas".into(),
            amount_ore: 250_000_000,
        }],
        ..Default::default()
    };
    let v2 = c
        .create_price_list(as_(PER, create.clone()))
        .await
        .unwrap()
        .into_inner()
        .price_list
        .unwrap();
    assert_eq!(
        (v2.version, v2.state),
        (2, pb::PriceListState::Draft as i32)
    );
    let price = |l: &pb::PriceList, s: &str| {
        l.prices
            .iter()
            .find(|p| p.service_code == s)
            .unwrap()
            .amount_ore
    };
    assert_eq!(
        price(&v2, "konto"),
        190_000,
        "1 899,95 kr rounds to 1 900 kr"
    );
    assert_eq!(price(&v2, "dator"), 351_200);
    assert_eq!(price(&v2, "bas"), 250_000_000);
    // Replay: the same request id returns the same list and creates nothing.
    let again = c
        .create_price_list(as_(PER, create.clone()))
        .await
        .unwrap()
        .into_inner()
        .price_list
        .unwrap();
    assert_eq!(again, v2);
    let mut other = create.clone();
    other.year = 2026;
    assert_eq!(
        code_of(c.create_price_list(as_(PER, other)).await),
        Code::InvalidArgument
    );
    // A Tranemo person without a seat in Tjänstefieringsgruppen may not.
    let mut erik = create.clone();
    erik.request_id = "erik".into();
    assert_eq!(
        code_of(c.create_price_list(as_(ERIK, erik)).await),
        Code::PermissionDenied
    );

    // Update with the etag read; a stale etag answers ABORTED.
    let updated = c
        .update_price_list(as_(
            PER,
            pb::UpdatePriceListRequest {
                id: v2.id.clone(),
                etag: v2.etag.clone(),
                prices: v2.prices.clone().into_iter().chain([]).collect(),
                effective_date: None,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .price_list
        .unwrap();
    let stale = c
        .update_price_list(as_(
            PER,
            pb::UpdatePriceListRequest {
                id: v2.id.clone(),
                etag: v2.etag.clone(),
                prices: vec![],
                effective_date: None,
            },
        ))
        .await;
    assert_eq!(code_of(stale), Code::Aborted);

    // Propose (IT-chef), decide and publish (IT-styrgruppen's secretary).
    let proposed = c
        .propose_price_list(as_(
            PER,
            pb::ProposePriceListRequest {
                id: v2.id.clone(),
                etag: updated.etag.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .price_list
        .unwrap();
    let decide = pb::DecidePriceListRequest {
        id: v2.id.clone(),
        etag: proposed.etag.clone(),
        decision_ref: "IT-styrgruppen 2025-06-11 § 31".into(),
        decision_id: String::new(),
    };
    assert_eq!(
        code_of(c.decide_price_list(as_(PER, decide.clone())).await),
        Code::PermissionDenied
    );
    let mut no_ref = decide.clone();
    no_ref.decision_ref = " ".into();
    let e = c.decide_price_list(as_(EVA, no_ref)).await.unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(e.message().contains("decision_ref"), "{}", e.message());
    let decided = c
        .decide_price_list(as_(EVA, decide))
        .await
        .unwrap()
        .into_inner()
        .price_list
        .unwrap();
    assert_eq!(decided.decision_ref, "IT-styrgruppen 2025-06-11 § 31");
    let published = c
        .publish_price_list(as_(
            EVA,
            pb::PublishPriceListRequest {
                id: v2.id.clone(),
                etag: decided.etag,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .price_list
        .unwrap();
    assert_eq!(published.state, pb::PriceListState::Published as i32);
    assert!(published.publish_time.is_some());

    // Sorted by effective date; the first version is untouched.
    let lists = c
        .list_price_lists(as_(
            ERIK,
            pb::ListPriceListsRequest {
                year: 2025,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .price_lists;
    assert_eq!(
        lists.iter().map(|l| l.version).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert_eq!(lists[0], v1);

    // The live bill now prices from version 2; the change against version
    // 1 is all price effect and sums exactly to the change.
    let t = bill(&mut c, ERIK, "tranemo", src(pb::BillBasis::Live)).await;
    assert_eq!(t.price_list_version, 2);
    let e = c
        .explain_change(as_(
            ERIK,
            pb::ExplainChangeRequest {
                municipality_id: "tranemo".into(),
                from: Some(pb::BillSource {
                    period: Some(pb::Period::of_year(2025)),
                    price_list_id: v1.id.clone(),
                    ..Default::default()
                }),
                to: src(pb::BillBasis::Live),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let totals = e.totals.unwrap();
    assert_eq!(totals.before_ore, 623_878_825);
    assert_eq!(totals.after_ore, t.total_ore);
    assert_eq!(
        totals.price_effect_ore
            + totals.volume_effect_ore
            + totals.key_effect_ore
            + totals.reconciliation_ore,
        totals.change_ore
    );
    let konto = e.rows.iter().find(|r| r.service_code == "konto").unwrap();
    assert_eq!(
        konto.price_effect_ore,
        1190 * 5_000,
        "1 190 accounts × 50 kr"
    );
    assert_eq!(konto.volume_effect_ore, 0);

    // The catalogue pages in creation order.
    let page = c
        .list_catalogue_services(as_(
            ERIK,
            pb::ListCatalogueServicesRequest {
                page_size: 3,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        page.services
            .iter()
            .map(|s| s.code.as_str())
            .collect::<Vec<_>>(),
        ["konto", "dator", "bas"]
    );
    let rest = c
        .list_catalogue_services(as_(
            ERIK,
            pb::ListCatalogueServicesRequest {
                page_size: 3,
                page_token: page.next_page_token,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rest.services.len(), 1);
    assert!(rest.next_page_token.is_empty());
    server.stop().await;
}
backend_test!(price_list_life_and_published_lists_never_change);

async fn issued_bills_recompute_exactly_and_reconcile(db: TestDb) {
    let (server, mut c) = start(&db).await;
    on_call(&mut c, "jour-117").await.unwrap();
    let issue = pb::IssueBillsRequest {
        request_id: "issue-2025".into(),
        period: Some(pb::Period::of_year(2025)),
        ..Default::default()
    };
    let run = c
        .issue_bills(as_(PER, issue.clone()))
        .await
        .unwrap()
        .into_inner()
        .run
        .unwrap();
    let totals: Vec<(&str, i64)> = run
        .totals
        .iter()
        .map(|t| (t.municipality_id.as_str(), t.total_ore))
        .collect();
    assert_eq!(
        totals,
        vec![("tranemo", 624_158_825), ("ulricehamn", 1_277_526_175)]
    );
    let replay = c
        .issue_bills(as_(PER, issue))
        .await
        .unwrap()
        .into_inner()
        .run
        .unwrap();
    assert_eq!(replay, run, "a retry returns the first run");
    let twice = c
        .issue_bills(as_(
            PER,
            pb::IssueBillsRequest {
                request_id: "again".into(),
                period: Some(pb::Period::of_year(2025)),
                ..Default::default()
            },
        ))
        .await;
    assert_eq!(code_of(twice), Code::FailedPrecondition);

    // Recomputing the issued period reproduces the stored bills exactly.
    let mut issued = Vec::new();
    for (who, m) in [(ERIK, "tranemo"), (LARS, "ulricehamn")] {
        let stored = bill(&mut c, who, m, src(pb::BillBasis::Issued)).await;
        let again = bill(&mut c, who, m, src(pb::BillBasis::Recomputed)).await;
        assert_eq!(stored.basis, pb::BillBasis::Issued as i32);
        assert_eq!(again.basis, pb::BillBasis::Recomputed as i32);
        assert_eq!(again.lines, stored.lines);
        assert_eq!(again.unit_totals, stored.unit_totals);
        assert_eq!(again.total_ore, stored.total_ore);
        assert_eq!(stored.billing_run_id, run.id);
        issued.push(stored);
    }
    // What was billed no longer changes.
    let late = c
        .record_volume(as_(
            PER,
            pb::RecordVolumeRequest {
                volume: Some(pb::Volume {
                    period: Some(pb::Period::of_year(2025)),
                    municipality_id: "tranemo".into(),
                    unit: KLF.into(),
                    service_code: "konto".into(),
                    quantity: frac(5, 1),
                    ..Default::default()
                }),
                ..Default::default()
            },
        ))
        .await;
    assert_eq!(code_of(late), Code::FailedPrecondition);
    assert_eq!(
        code_of(on_call(&mut c, "late-case").await),
        Code::FailedPrecondition
    );

    // Year end: the pool actually cost 2 490 000,00 kr.
    let reconcile = pb::ReconcileRequest {
        request_id: "avr-2025-bas".into(),
        year: 2025,
        service_code: "bas".into(),
        actual_ore: 249_000_000,
        ..Default::default()
    };
    let r = c
        .reconcile(as_(PER, reconcile.clone()))
        .await
        .unwrap()
        .into_inner()
        .reconciliation
        .unwrap();
    assert_eq!(r.billed_ore, 248_735_000);
    assert_eq!(r.difference_ore, 265_000);
    let corrections: i64 = r
        .corrections
        .iter()
        .map(|c| c.line.as_ref().unwrap().amount_ore)
        .sum();
    assert_eq!(
        r.billed_ore + corrections,
        r.actual_ore,
        "billed + corrections = actual, exactly"
    );
    let billed: i64 = r.corrections.iter().map(|c| c.billed_ore).sum();
    assert_eq!(billed, r.billed_ore);
    let tranemo = r
        .corrections
        .iter()
        .find(|c| c.municipality_id == "tranemo")
        .unwrap();
    // 2 650 kr × 83 785 / 221 190 = 1 003,796… kr: the larger remainder
    // takes the last öre, 1 003,80 kr.
    assert_eq!(tranemo.line.as_ref().unwrap().amount_ore, 100_380);
    assert_eq!(
        tranemo.line.as_ref().unwrap().kind,
        pb::LineKind::Correction as i32
    );
    let replay = c
        .reconcile(as_(PER, reconcile))
        .await
        .unwrap()
        .into_inner()
        .reconciliation
        .unwrap();
    assert_eq!(replay, r);
    let twice = c
        .reconcile(as_(
            PER,
            pb::ReconcileRequest {
                request_id: "x".into(),
                year: 2025,
                service_code: "bas".into(),
                actual_ore: 1,
                ..Default::default()
            },
        ))
        .await;
    assert_eq!(code_of(twice), Code::FailedPrecondition);

    // Nothing billed was edited; the settled bill adds the correction.
    let stored = bill(&mut c, ERIK, "tranemo", src(pb::BillBasis::Issued)).await;
    assert_eq!(stored, issued[0]);
    let mut settled_src = src(pb::BillBasis::Issued).unwrap();
    settled_src.with_reconciliation = true;
    let settled = bill(&mut c, ERIK, "tranemo", Some(settled_src.clone())).await;
    assert_eq!(settled.total_ore, stored.total_ore + 100_380);
    let e = c
        .explain_change(as_(
            ERIK,
            pb::ExplainChangeRequest {
                municipality_id: "tranemo".into(),
                from: src(pb::BillBasis::Issued),
                to: Some(settled_src),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .totals
        .unwrap();
    assert_eq!(
        (
            e.reconciliation_ore,
            e.price_effect_ore,
            e.volume_effect_ore,
            e.key_effect_ore
        ),
        (100_380, 0, 0, 0)
    );
    assert_eq!(e.change_ore, 100_380);
    server.stop().await;
}
backend_test!(issued_bills_recompute_exactly_and_reconcile);

async fn per_unit_detail_only_for_own_people(db: TestDb) {
    let (server, mut c) = start(&db).await;
    // Everyone sees every member's total, and only that.
    let u = bill(&mut c, ERIK, "ulricehamn", src(pb::BillBasis::Live)).await;
    assert_eq!(u.total_ore, 1_277_526_175);
    assert!(u.detail_withheld);
    assert!(u.lines.is_empty() && u.unit_totals.is_empty());
    // The IT-chef is employed by Ulricehamn: Tranemo's detail is Tranemo's.
    let t = bill(&mut c, PER, "tranemo", src(pb::BillBasis::Live)).await;
    assert!(t.detail_withheld && t.lines.is_empty());
    assert_eq!(t.total_ore, 623_878_825);
    let explain = c
        .explain_change(as_(
            ERIK,
            pb::ExplainChangeRequest {
                municipality_id: "ulricehamn".into(),
                from: src(pb::BillBasis::Live),
                to: src(pb::BillBasis::Live),
                ..Default::default()
            },
        ))
        .await;
    assert_eq!(code_of(explain), Code::NotFound);
    let export = c
        .export_csv(as_(
            ERIK,
            pb::ExportCsvRequest {
                municipality_id: "ulricehamn".into(),
                table: pb::CsvTable::Bill as i32,
                bill: src(pb::BillBasis::Live),
                ..Default::default()
            },
        ))
        .await;
    assert_eq!(code_of(export), Code::NotFound);
    // Editing needs a seat in Tjänstefieringsgruppen or the IT-chef role.
    let volume = c
        .record_volume(as_(
            ERIK,
            pb::RecordVolumeRequest {
                volume: Some(pb::Volume {
                    period: Some(pb::Period::of_year(2026)),
                    municipality_id: "tranemo".into(),
                    service_code: "konto".into(),
                    quantity: frac(1200, 1),
                    ..Default::default()
                }),
                ..Default::default()
            },
        ))
        .await;
    assert_eq!(code_of(volume), Code::PermissionDenied);
    server.stop().await;
}
backend_test!(per_unit_detail_only_for_own_people);

async fn scenarios_change_nothing_published(db: TestDb) {
    let (server, mut c) = start(&db).await;
    let list = published_2025(&mut c, PER).await;
    let before_t = bill(&mut c, ERIK, "tranemo", src(pb::BillBasis::Live)).await;
    let before_u = bill(&mut c, LARS, "ulricehamn", src(pb::BillBasis::Live)).await;
    let s = c
        .create_scenario(as_(
            PER,
            pb::CreateScenarioRequest {
                request_id: "ny-medlem".into(),
                scenario: Some(pb::Scenario {
                    name: "Svenljunga går med".into(),
                    period: Some(pb::Period::of_year(2025)),
                    price_overrides: vec![pb::Price {
                        service_code: "konto".into(),
                        amount_ore: 190_000,
                    }],
                    volume_overrides: vec![pb::Volume {
                        municipality_id: "svenljunga".into(),
                        service_code: "konto".into(),
                        quantity: frac(800, 1),
                        ..Default::default()
                    }],
                    driver_overrides: vec![pb::DriverOverride {
                        driver: "invanare".into(),
                        value: Some(pb::DriverValue {
                            municipality_id: "svenljunga".into(),
                            unit: String::new(),
                            value: 10_900,
                        }),
                    }],
                    added_municipality_ids: vec!["svenljunga".into()],
                    ..Default::default()
                }),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .scenario
        .unwrap();
    let run = c
        .run_scenario(as_(ERIK, pb::RunScenarioRequest { id: s.id.clone() }))
        .await
        .unwrap()
        .into_inner();
    let rows: Vec<(&str, i64, i64)> = run
        .rows
        .iter()
        .map(|r| {
            (
                r.municipality_id.as_str(),
                r.baseline_total_ore,
                r.scenario_total_ore,
            )
        })
        .collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].0, "svenljunga");
    assert_eq!(rows[0].1, 0, "not a member in the baseline");
    assert_eq!((rows[1].0, rows[1].1), ("tranemo", before_t.total_ore));
    assert_eq!((rows[2].0, rows[2].1), ("ulricehamn", before_u.total_ore));
    // The pool is still split exactly, now over three members: the totals
    // differ only by the per-unit lines (50 kr more on 3 600 accounts, and
    // Svenljunga's 800 accounts at 1 900 kr).
    let sum = |f: fn(&(&str, i64, i64)) -> i64| rows.iter().map(f).sum::<i64>();
    assert_eq!(sum(|r| r.2) - sum(|r| r.1), 3_600 * 5_000 + 800 * 190_000);
    for r in &run.rows {
        assert_eq!(
            r.difference_ore,
            r.scenario_total_ore - r.baseline_total_ore
        );
    }
    assert!(rows[1].2 != rows[1].1, "Tranemo's share of the pool moves");

    // Lines of a scenario bill name the scenario, never a published list.
    let sb = bill(
        &mut c,
        ERIK,
        "tranemo",
        Some(pb::BillSource {
            period: Some(pb::Period::of_year(2025)),
            scenario_id: s.id.clone(),
            ..Default::default()
        }),
    )
    .await;
    assert_eq!(sb.scenario_id, s.id);
    assert_eq!(sb.total_ore, rows[1].2);
    assert_eq!(
        line(&sb, pb::LineKind::PerUnit, "konto").price_list_id,
        format!("scenario/{}", s.id)
    );
    // A scenario can never be issued or billed.
    let issued = c
        .compute_bill(as_(
            ERIK,
            pb::ComputeBillRequest {
                municipality_id: "tranemo".into(),
                source: Some(pb::BillSource {
                    period: Some(pb::Period::of_year(2025)),
                    basis: pb::BillBasis::Issued as i32,
                    scenario_id: s.id.clone(),
                    ..Default::default()
                }),
                ..Default::default()
            },
        ))
        .await;
    assert_eq!(code_of(issued), Code::InvalidArgument);

    // Nothing published moved.
    let after = c
        .get_price_list(as_(
            ERIK,
            pb::GetPriceListRequest {
                id: list.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .price_list
        .unwrap();
    assert_eq!(after, list);
    assert_eq!(
        bill(&mut c, ERIK, "tranemo", src(pb::BillBasis::Live)).await,
        before_t
    );
    assert_eq!(
        bill(&mut c, LARS, "ulricehamn", src(pb::BillBasis::Live)).await,
        before_u
    );
    server.stop().await;
}
backend_test!(scenarios_change_nothing_published);

async fn csv_export_for_swedish_spreadsheets(db: TestDb) {
    let (server, mut c) = start(&db).await;
    let export = |table: pb::CsvTable| pb::ExportCsvRequest {
        municipality_id: "tranemo".into(),
        table: table as i32,
        bill: src(pb::BillBasis::Live),
        from: src(pb::BillBasis::Live),
        ..Default::default()
    };
    let b = c
        .export_csv(as_(ERIK, export(pb::CsvTable::Bill)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(b.media_type, "text/csv; charset=utf-8");
    assert_eq!(b.filename, "faktura-tranemo-2025.csv");
    let text = String::from_utf8(b.content).unwrap();
    assert!(text.starts_with("\u{feff}Kommun;Period;Tjänst;Typ;Enhet;Antal;Uppmätt;À-pris;Andel;Kostnadspool;Belopp;Avrundning (öre);Prislista;Nyckel;Drivvärden;Underlag\r\n"));
    assert!(
        text.contains(";Användarkonto;Styckpris;;1190;;1850,00;;;2201500,00;"),
        "{text}"
    );
    assert!(text.contains(";942188,25;"), "{text}");
    assert!(
        text.ends_with("tranemo;2025;Summa;;;;;;;;6238788,25;;;;;\r\n"),
        "{text}"
    );
    let u = c
        .export_csv(as_(ERIK, export(pb::CsvTable::UnitSplit)))
        .await
        .unwrap()
        .into_inner();
    let text = String::from_utf8(u.content).unwrap();
    assert!(
        text.contains(
            "tranemo;2025;Gemensam bas;Barn- och utbildningsförvaltningen;520;411712,51;-0,2605\r\n"
        ),
        "{text}"
    );
    let e = c
        .export_csv(as_(ERIK, export(pb::CsvTable::Explanation)))
        .await
        .unwrap()
        .into_inner();
    let text = String::from_utf8(e.content).unwrap();
    assert!(text.contains("Före;Priseffekt;Volymeffekt;Nyckeleffekt;Avräkning;Efter;Förändring"));
    assert!(
        text.contains("Summa;;;6238788,25;0,00;0,00;0,00;0,00;6238788,25;0,00\r\n"),
        "{text}"
    );
    let mut no_table = export(pb::CsvTable::Bill);
    no_table.table = 0;
    assert_eq!(
        code_of(c.export_csv(as_(ERIK, no_table)).await),
        Code::InvalidArgument
    );
    server.stop().await;
}
backend_test!(csv_export_for_swedish_spreadsheets);

async fn inputs_are_validated_and_versioned(db: TestDb) {
    let (server, mut c) = start(&db).await;
    let cases: Vec<(tonic::Status, &str)> = vec![
        (
            c.create_catalogue_service(as_(
                PER,
                pb::CreateCatalogueServiceRequest {
                    service: Some(pb::CatalogueService {
                        code: "Licens M365".into(),
                        name: "Licens".into(),
                        unit_of_measure: "licens/år".into(),
                        charge_type: pb::ChargeType::PerUnit as i32,
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            ))
            .await
            .unwrap_err(),
            "service.code",
        ),
        (
            c.create_allocation_key(as_(
                PER,
                pb::CreateAllocationKeyRequest {
                    key: Some(pb::AllocationKey {
                        service_code: "bas".into(),
                        effective_date: Some(samverkan_proto::common::v1::Date {
                            year: 2026,
                            month: 1,
                            day: 1,
                        }),
                        components: vec![
                            pb::KeyComponent {
                                fraction: frac(1, 2),
                                driver: String::new(),
                            },
                            pb::KeyComponent {
                                fraction: frac(1, 3),
                                driver: "invanare".into(),
                            },
                        ],
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            ))
            .await
            .unwrap_err(),
            "key.components",
        ),
        (
            c.compute_bill(as_(
                ERIK,
                pb::ComputeBillRequest {
                    municipality_id: "tranemo".into(),
                    source: Some(pb::BillSource {
                        period: Some(pb::Period::of_month(2025, 13)),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            ))
            .await
            .unwrap_err(),
            "source.period.month",
        ),
        (
            c.record_driver_snapshot(as_(
                PER,
                pb::RecordDriverSnapshotRequest {
                    snapshot: Some(pb::DriverSnapshot {
                        driver: "invanare".into(),
                        measured_on: Some(samverkan_proto::common::v1::Date {
                            year: 2025,
                            month: 11,
                            day: 1,
                        }),
                        source: "SCB".into(),
                        values: vec![pb::DriverValue {
                            municipality_id: "tranemo".into(),
                            unit: String::new(),
                            value: -1,
                        }],
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            ))
            .await
            .unwrap_err(),
            "snapshot.values[0].value",
        ),
    ];
    for (status, field) in cases {
        assert_eq!(status.code(), Code::InvalidArgument, "{field}: {status:?}");
        assert!(
            status.message().contains(field),
            "{field}: {}",
            status.message()
        );
    }
    // A key change is a new version; the old one stays as it was.
    let k = c
        .create_allocation_key(as_(
            PER,
            pb::CreateAllocationKeyRequest {
                request_id: "bas-2026".into(),
                key: Some(pb::AllocationKey {
                    service_code: "bas".into(),
                    effective_date: Some(samverkan_proto::common::v1::Date {
                        year: 2026,
                        month: 1,
                        day: 1,
                    }),
                    components: vec![pb::KeyComponent {
                        fraction: frac(1, 1),
                        driver: "konton".into(),
                    }],
                    ..Default::default()
                }),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .key
        .unwrap();
    assert_eq!(k.version, 2);
    let keys = c
        .list_allocation_keys(as_(
            ERIK,
            pb::ListAllocationKeysRequest {
                service_code: "bas".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .keys;
    assert_eq!(
        keys.iter().map(|k| k.version).collect::<Vec<_>>(),
        vec![1, 2]
    );
    // …and the 2025 bill still uses version 1, in force in 2025.
    let t = bill(&mut c, ERIK, "tranemo", src(pb::BillBasis::Live)).await;
    assert_eq!(
        line(&t, pb::LineKind::Allocated, "bas").allocation_key_id,
        keys[0].id
    );
    let snaps = c
        .list_driver_snapshots(as_(ERIK, pb::ListDriverSnapshotsRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .snapshots;
    assert_eq!(snaps.len(), 3);
    assert_eq!(snaps[0].driver, "invanare", "oldest measurement first");

    // A new service, a volume and a later snapshot, each replayable.
    let create = pb::CreateCatalogueServiceRequest {
        request_id: "licens".into(),
        service: Some(pb::CatalogueService {
            code: "licens-m365".into(),
            name: "Licens Microsoft 365".into(),
            unit_of_measure: "licens/år".into(),
            charge_type: pb::ChargeType::PerUnit as i32,
            ..Default::default()
        }),
        ..Default::default()
    };
    let svc = c
        .create_catalogue_service(as_(PER, create.clone()))
        .await
        .unwrap()
        .into_inner()
        .service
        .unwrap();
    let again = c
        .create_catalogue_service(as_(PER, create.clone()))
        .await
        .unwrap()
        .into_inner()
        .service
        .unwrap();
    assert_eq!(again, svc);
    let mut dup = create;
    dup.request_id = "licens-2".into();
    assert_eq!(
        code_of(c.create_catalogue_service(as_(PER, dup)).await),
        Code::AlreadyExists
    );

    let record = pb::RecordVolumeRequest {
        request_id: "datorer-klf".into(),
        volume: Some(pb::Volume {
            period: Some(pb::Period::of_year(2025)),
            municipality_id: "tranemo".into(),
            unit: KLF.into(),
            service_code: "dator".into(),
            quantity: frac(3, 1),
            ..Default::default()
        }),
        ..Default::default()
    };
    let v = c
        .record_volume(as_(PER, record.clone()))
        .await
        .unwrap()
        .into_inner()
        .volume
        .unwrap();
    assert_eq!(
        c.record_volume(as_(PER, record.clone()))
            .await
            .unwrap()
            .into_inner()
            .volume
            .unwrap(),
        v
    );
    let mut dup = record;
    dup.request_id = "datorer-klf-2".into();
    assert_eq!(
        code_of(c.record_volume(as_(PER, dup)).await),
        Code::AlreadyExists
    );
    let t2 = bill(&mut c, ERIK, "tranemo", src(pb::BillBasis::Live)).await;
    assert_eq!(t2.total_ore, t.total_ore + 3 * 342_000);
    let klf = t2
        .lines
        .iter()
        .find(|l| l.service_code == "dator" && l.unit == KLF)
        .unwrap();
    assert_eq!(klf.amount_ore, 1_026_000);

    let snap = c
        .record_driver_snapshot(as_(
            PER,
            pb::RecordDriverSnapshotRequest {
                request_id: "scb-2026".into(),
                snapshot: Some(pb::DriverSnapshot {
                    driver: "invanare".into(),
                    measured_on: Some(samverkan_proto::common::v1::Date {
                        year: 2026,
                        month: 11,
                        day: 1,
                    }),
                    source: "SCB, folkmängd 1 november 2026".into(),
                    values: vec![
                        pb::DriverValue {
                            municipality_id: "tranemo".into(),
                            unit: String::new(),
                            value: 11_800,
                        },
                        pb::DriverValue {
                            municipality_id: "ulricehamn".into(),
                            unit: String::new(),
                            value: 25_300,
                        },
                    ],
                    ..Default::default()
                }),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .snapshot
        .unwrap();
    assert_eq!(snap.values.len(), 2);
    let t3 = bill(&mut c, ERIK, "tranemo", src(pb::BillBasis::Live)).await;
    assert_eq!(t3, t2, "a 2026 measurement does not move the 2025 bill");
    server.stop().await;
}
backend_test!(inputs_are_validated_and_versioned);

async fn demo_load_is_idempotent(db: TestDb) {
    samverkan_roles::demo::load(&db.app).await.unwrap();
    let first = samverkan_costmodel::demo::load(&db.app).await.unwrap();
    assert_eq!(
        (
            first.services,
            first.price_lists,
            first.keys,
            first.snapshots,
            first.volumes
        ),
        (4, 1, 1, 3, 4)
    );
    let second = samverkan_costmodel::demo::load(&db.app).await.unwrap();
    assert_eq!(second, samverkan_costmodel::demo::Loaded::default());
}
backend_test!(demo_load_is_idempotent);
