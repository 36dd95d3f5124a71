//! The worked example of issue 6, reproduced to the öre, and the CSV
//! export of its bills.
//!
//! Year 2025; user account 1 850 kr/yr, managed computer 3 420 kr/yr;
//! Ulricehamn 25 135 inhabitants, 2 410 accounts, 1 980 computers; Tranemo
//! 11 730 inhabitants, 1 190 accounts, 905 computers; a shared pool of
//! 2 487 350,00 kr split one third equally and two thirds by population.

use samverkan_costmodel::domain::bill::{
    AllocationKey, Basis, Bill, ChargeType, DirectCharge, DriverValue, KeyComponent, LineKind,
    PeriodInput, Service, Volume, compute_bills,
};
use samverkan_costmodel::domain::csv::{bill_csv, explanation_csv, unit_split_csv};
use samverkan_costmodel::domain::explain::explain;
use samverkan_costmodel::domain::period::Period;
use samverkan_costmodel::domain::price::PriceList;
use samverkan_costmodel::domain::reconcile::{PoolOutcome, reconcile};
use samverkan_costmodel::domain::{Money, Ratio};

const KLF: &str = "Kommunledningsförvaltningen";
const BUF: &str = "Barn- och utbildningsförvaltningen";
const SOF: &str = "Socialförvaltningen";

fn m(s: &str) -> Money {
    Money::parse(s).unwrap()
}

fn service(code: &str, name: &str, unit: &str, charge: ChargeType) -> Service {
    Service {
        code: code.into(),
        name: name.into(),
        unit_of_measure: unit.into(),
        charge,
    }
}

fn driver(
    snapshot: &str,
    member: &str,
    unit: Option<&str>,
    driver: &str,
    value: u64,
) -> DriverValue {
    DriverValue {
        snapshot: snapshot.into(),
        member: member.into(),
        unit: unit.map(Into::into),
        driver: driver.into(),
        value,
    }
}

fn volume(member: &str, service: &str, q: i64) -> Volume {
    Volume {
        member: member.into(),
        unit: None,
        service: service.into(),
        quantity: Ratio::integer(q),
    }
}

/// The inputs of 2025 as the example states them (no direct charges: the
/// example's preliminary bills are without them).
fn year_2025() -> PeriodInput {
    PeriodInput {
        period: Period::Year(2025),
        members: vec!["ulricehamn".into(), "tranemo".into()],
        partial_months: Default::default(),
        services: vec![
            service("konto", "Användarkonto", "konto/år", ChargeType::PerUnit),
            service("dator", "Hanterad dator", "dator/år", ChargeType::PerUnit),
            service("bas", "Gemensam bas; drift", "år", ChargeType::Allocated),
            service(
                "beredskap",
                "IT-beredskap",
                "påbörjad timme",
                ChargeType::Direct {
                    increment: Ratio::ONE,
                },
            ),
        ],
        price_list: PriceList {
            version: "prislista-2025-v1".into(),
            prices: [
                ("konto".to_string(), m("1 850 kr")),
                ("dator".to_string(), m("3 420 kr")),
                ("bas".to_string(), m("2 487 350,00 kr")),
                ("beredskap".to_string(), m("700 kr")),
            ]
            .into(),
        },
        keys: [(
            "bas".to_string(),
            AllocationKey {
                version: "bas-nyckel-v1".into(),
                components: vec![
                    KeyComponent {
                        fraction: Ratio::new(1, 3).unwrap(),
                        basis: Basis::Equal,
                    },
                    KeyComponent {
                        fraction: Ratio::new(2, 3).unwrap(),
                        basis: Basis::Driver("invanare".into()),
                    },
                ],
                unit_driver: Some("konton".into()),
            },
        )]
        .into(),
        drivers: vec![
            driver("scb-2024-11-01", "ulricehamn", None, "invanare", 25_135),
            driver("scb-2024-11-01", "tranemo", None, "invanare", 11_730),
            driver("ad-2025-01-15", "tranemo", Some(KLF), "konton", 310),
            driver("ad-2025-01-15", "tranemo", Some(BUF), "konton", 520),
            driver("ad-2025-01-15", "tranemo", Some(SOF), "konton", 360),
        ],
        volumes: vec![
            volume("ulricehamn", "konto", 2410),
            volume("ulricehamn", "dator", 1980),
            volume("tranemo", "konto", 1190),
            volume("tranemo", "dator", 905),
        ],
        direct_charges: vec![],
    }
}

fn on_call() -> DirectCharge {
    DirectCharge {
        reference: "Ärende \"natt\" 2025-117".into(),
        member: "tranemo".into(),
        unit: Some(SOF.into()),
        service: "beredskap".into(),
        measured: Ratio::hours_minutes(3, 5).unwrap(),
    }
}

fn line<'a>(
    bill: &'a Bill,
    kind: LineKind,
    service: &str,
) -> &'a samverkan_costmodel::domain::bill::BillLine {
    bill.lines
        .iter()
        .find(|l| l.kind == kind && l.service == service)
        .unwrap()
}

#[test]
fn golden_worked_example_of_issue_6() {
    let bills = compute_bills(&year_2025()).unwrap();
    let (u, t) = (&bills[0], &bills[1]);
    assert_eq!(
        (u.member.as_str(), t.member.as_str()),
        ("ulricehamn", "tranemo")
    );

    // The pool: Ulricehamn 1 545 161,75 kr, Tranemo 942 188,25 kr; the
    // exact shares are …174,67 and …188,33 öre-wise, so Ulricehamn's larger
    // remainder takes the last öre. Together exactly the pool.
    let ub = line(u, LineKind::Allocated, "bas");
    let tb = line(t, LineKind::Allocated, "bas");
    assert_eq!(ub.amount, m("1 545 161,75 kr"));
    assert_eq!(tb.amount, m("942 188,25 kr"));
    assert_eq!(ub.amount.checked_add(tb.amount), Some(m("2 487 350,00 kr")));
    assert_eq!(ub.quantity, Ratio::new(137_405, 221_190).unwrap());
    assert_eq!(tb.quantity, Ratio::new(83_785, 221_190).unwrap());
    assert_eq!(ub.rounding_adjustment, Ratio::new(7325, 22_119).unwrap());
    assert_eq!(tb.rounding_adjustment, Ratio::new(-7325, 22_119).unwrap());
    assert_eq!(ub.unit_price, m("2 487 350 kr"));
    assert_eq!(ub.key_version.as_deref(), Some("bas-nyckel-v1"));
    assert_eq!(ub.price_list_version.as_deref(), Some("prislista-2025-v1"));
    assert_eq!(ub.driver_snapshots, vec!["scb-2024-11-01".to_string()]);
    assert_eq!(
        tb.driver_snapshots,
        vec!["ad-2025-01-15".to_string(), "scb-2024-11-01".to_string()]
    );

    // Per-unit lines and the preliminary bills.
    assert_eq!(
        line(u, LineKind::PerUnit, "konto").amount,
        m("4 458 500 kr")
    );
    assert_eq!(
        line(u, LineKind::PerUnit, "dator").amount,
        m("6 771 600 kr")
    );
    assert_eq!(
        line(t, LineKind::PerUnit, "konto").amount,
        m("2 201 500 kr")
    );
    assert_eq!(
        line(t, LineKind::PerUnit, "dator").amount,
        m("3 095 100 kr")
    );
    assert_eq!(u.total, m("12 775 261,75 kr"));
    assert_eq!(t.total, m("6 238 788,25 kr"));
    assert_eq!(u.total.to_string(), "12\u{a0}775\u{a0}261,75\u{a0}kr");

    // Tranemo's part split over its units by accounts, top-down.
    let split: Vec<(&str, Money)> = tb
        .unit_split
        .iter()
        .map(|p| (p.unit.as_str(), p.amount))
        .collect();
    // In unit order, so that the split does not depend on input order.
    assert_eq!(
        split,
        vec![
            (BUF, m("411 712,51 kr")),
            (KLF, m("245 444,00 kr")),
            (SOF, m("285 031,74 kr")),
        ]
    );
    let by_unit = |unit: &str| tb.unit_split.iter().find(|p| p.unit == unit).unwrap();
    assert_eq!(by_unit(KLF).amount, m("245 444,00 kr"));
    assert_eq!(by_unit(BUF).amount, m("411 712,51 kr"));
    assert_eq!(by_unit(SOF).amount, m("285 031,74 kr"));
    assert_eq!(by_unit(KLF).adjustment, Ratio::new(25, 119).unwrap());
    assert_eq!(by_unit(BUF).adjustment, Ratio::new(-31, 119).unwrap());
    assert_eq!(by_unit(SOF).adjustment, Ratio::new(6, 119).unwrap());
    let units = t.unit_totals().unwrap();
    assert_eq!(
        Money::checked_sum(units.values().copied()),
        Some(t.total),
        "the unit totals add up to the bill"
    );
    assert_eq!(units[&None], m("5 296 600 kr"));

    // On-call: 3 h 05 min at 700 kr per started hour is 4 h, 2 800,00 kr.
    let mut with_on_call = year_2025();
    with_on_call.direct_charges.push(on_call());
    let bills2 = compute_bills(&with_on_call).unwrap();
    let oc = line(&bills2[1], LineKind::Direct, "beredskap");
    assert_eq!(oc.amount, m("2 800,00 kr"));
    assert_eq!(oc.quantity, Ratio::integer(4));
    assert_eq!(oc.measured, Some(Ratio::new(37, 12).unwrap()));
    assert_eq!(bills2[1].total, m("6 241 588,25 kr"));
    assert_eq!(bills2[0], bills[0], "Ulricehamn's bill is unaffected");
}

#[test]
fn recomputing_from_shuffled_inputs_reproduces_the_bills_exactly() {
    let a = compute_bills(&year_2025()).unwrap();
    let mut input = year_2025();
    input.members.reverse();
    input.drivers.reverse();
    input.volumes.reverse();
    input.services.reverse();
    let mut b = compute_bills(&input).unwrap();
    b.reverse();
    assert_eq!(a, b);
}

#[test]
fn explaining_the_next_year_and_reconciling_the_pool() {
    let y25 = year_2025();
    let mut y26 = year_2025();
    y26.period = Period::Year(2026);
    y26.price_list.version = "prislista-2026-v1".into();
    // Prices +2,7 %, rounded to whole kronor: 1 900 and 3 512 kr.
    let idx = samverkan_costmodel::domain::price::index_from_percent(Ratio::parse("2,7").unwrap())
        .unwrap();
    y26.price_list = samverkan_costmodel::domain::price::derive_price_list(
        &y25.price_list,
        "prislista-2026-v1",
        idx,
        samverkan_costmodel::domain::price::PriceRounding::WholeKronor,
    )
    .unwrap();
    assert_eq!(y26.price_list.prices["konto"], m("1 900 kr"));
    assert_eq!(y26.price_list.prices["bas"], m("2 554 508 kr"));
    y26.volumes[3].quantity = Ratio::integer(950); // Tranemo: 45 more computers
    y26.drivers[1].value = 11_800; // Tranemo grew
    let b25 = compute_bills(&y25).unwrap();
    let b26 = compute_bills(&y26).unwrap();

    let e = explain(&b25[1], &b26[1]).unwrap();
    let t = &e.totals;
    let sum = [t.price, t.volume, t.key, t.reconciliation]
        .into_iter()
        .try_fold(Money::ZERO, Money::checked_add)
        .unwrap();
    assert_eq!(Some(sum), e.change());
    assert!(t.key.ore() > 0, "a larger population share costs more");
    // Computers: 905 × (3 512 − 3 420) kr price, 45 × 3 512 kr volume.
    let dator = e.rows.iter().find(|r| r.service == "dator").unwrap();
    assert_eq!(dator.price, m("83 260 kr"));
    assert_eq!(dator.volume, m("158 040 kr"));

    // Year end: the pool actually cost 2 490 000,00 kr.
    let billed: Vec<(String, Money)> = b25
        .iter()
        .map(|b| (b.member.clone(), line(b, LineKind::Allocated, "bas").amount))
        .collect();
    let key = samverkan_costmodel::domain::bill::key_weights(&y25, &y25.keys["bas"]).unwrap();
    let r = reconcile(&PoolOutcome {
        service: "bas".into(),
        name: "Gemensam bas; drift".into(),
        actual: m("2 490 000,00 kr"),
        billed,
        key: key.weights,
        key_version: "bas-nyckel-v1".into(),
        driver_snapshots: key.snapshots.into_iter().collect(),
    })
    .unwrap();
    assert_eq!(r.difference, m("2 650,00 kr"));
    assert_eq!(r.billed.checked_add(r.corrected().unwrap()), Some(r.actual));
}

/// The CSV of Tranemo's 2025 bill with the on-call case, byte for byte.
#[test]
fn csv_golden_bill_with_swedish_letters_and_quoting() {
    let mut input = year_2025();
    input.direct_charges.push(on_call());
    let bills = compute_bills(&input).unwrap();
    let csv = bill_csv(&bills[1]);
    let expected = concat!(
        "\u{feff}Kommun;Period;Tjänst;Typ;Enhet;Antal;Uppmätt;À-pris;Andel;Kostnadspool;Belopp;Avrundning (öre);Prislista;Nyckel;Drivvärden;Underlag\r\n",
        "tranemo;2025;Hanterad dator;Styckpris;;905;;3420,00;;;3095100,00;0;prislista-2025-v1;;;\r\n",
        "tranemo;2025;Användarkonto;Styckpris;;1190;;1850,00;;;2201500,00;0;prislista-2025-v1;;;\r\n",
        "tranemo;2025;\"Gemensam bas; drift\";Fördelad;;;;;0,3787919888;2487350,00;942188,25;-0,3312;prislista-2025-v1;bas-nyckel-v1;ad-2025-01-15,scb-2024-11-01;\r\n",
        "tranemo;2025;IT-beredskap;Direkt;Socialförvaltningen;4;3,083333;700,00;;;2800,00;0;prislista-2025-v1;;;\"Ärende \"\"natt\"\" 2025-117\"\r\n",
        "tranemo;2025;Summa;;;;;;;;6241588,25;;;;;\r\n",
    );
    assert_eq!(csv, expected);
    assert!(csv.as_bytes().starts_with(&[0xEF, 0xBB, 0xBF]), "UTF-8 BOM");

    let units = unit_split_csv(&bills[1]);
    assert_eq!(
        units,
        concat!(
            "\u{feff}Kommun;Period;Tjänst;Enhet;Vikt;Belopp;Avrundning (öre)\r\n",
            "tranemo;2025;\"Gemensam bas; drift\";Barn- och utbildningsförvaltningen;520;411712,51;-0,2605\r\n",
            "tranemo;2025;\"Gemensam bas; drift\";Kommunledningsförvaltningen;310;245444,00;0,2101\r\n",
            "tranemo;2025;\"Gemensam bas; drift\";Socialförvaltningen;360;285031,74;0,0504\r\n",
        )
    );
}

#[test]
fn csv_golden_explanation() {
    let before = compute_bills(&year_2025()).unwrap();
    let mut input = year_2025();
    input.direct_charges.push(on_call());
    input.volumes[2].quantity = Ratio::integer(1200);
    let after = compute_bills(&input).unwrap();
    let csv = explanation_csv(&explain(&before[1], &after[1]).unwrap());
    assert_eq!(
        csv,
        concat!(
            "\u{feff}Kommun;Från;Till;Tjänst;Typ;Enhet;Före;Priseffekt;Volymeffekt;Nyckeleffekt;Avräkning;Efter;Förändring\r\n",
            "tranemo;2025;2025;Hanterad dator;Styckpris;;3095100,00;0,00;0,00;0,00;0,00;3095100,00;0,00\r\n",
            "tranemo;2025;2025;Användarkonto;Styckpris;;2201500,00;0,00;18500,00;0,00;0,00;2220000,00;18500,00\r\n",
            "tranemo;2025;2025;\"Gemensam bas; drift\";Fördelad;;942188,25;0,00;0,00;0,00;0,00;942188,25;0,00\r\n",
            "tranemo;2025;2025;IT-beredskap;Direkt;Socialförvaltningen;0,00;0,00;2800,00;0,00;0,00;2800,00;2800,00\r\n",
            "tranemo;2025;2025;Summa;;;6238788,25;0,00;21300,00;0,00;0,00;6260088,25;21300,00\r\n",
        )
    );
}
