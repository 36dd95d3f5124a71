//! Monthly bills over real gRPC on SQLite and PostgreSQL (issue 18, point
//! 4; docs/adr/0011-monthly-bills.md): a month's bill applies the year's
//! published price list to that one month — volumes × 1/12, the month's
//! twelfth of each pool by largest remainder — so the twelve month bills
//! of a year with constant membership sum to the yearly bill within the
//! stated rounding, and every pool is paid exactly; a member that joins in
//! March is billed from March; a year is issued whole or per month, never
//! both.

use samverkan_proto::common::v1::Date;
use samverkan_proto::costmodel::v1 as pb;
use samverkan_proto::costmodel::v1::cost_model_service_client::CostModelServiceClient;
use samverkan_proto::roles::v1 as roles;
use samverkan_proto::roles::v1::roles_service_client::RolesServiceClient;
use samverkan_server::Svc;
use samverkan_testkit::bad_input::{Snapshot, Snapshots, judge, judge_precondition};
use samverkan_testkit::{TestDb, TestServer, backend_test};
use tonic::Code;
use tonic::transport::Channel;

const PER: &str = "per.hakansson@ulricehamn.se"; // IT-chef: may edit
const EVA: &str = "eva.dahlgren@ulricehamn.se"; // IT-styrgruppen's secretary
const ERIK: &str = "erik.ohman@tranemo.se"; // Tranemo
const LARS: &str = "lars.angstrom@ulricehamn.se"; // Ulricehamn

const NEW: &str = "svenljunga";
/// Who reads each member's bill line by line: its own people.
const READERS: &[(&str, &str)] = &[(ERIK, "tranemo"), (LARS, "ulricehamn")];

type Client = CostModelServiceClient<Channel>;

fn as_<T>(email: &str, msg: T) -> tonic::Request<T> {
    TestServer::as_person(email, msg)
}

fn date(year: i32, month: i32, day: i32) -> Option<Date> {
    Some(Date { year, month, day })
}

fn year() -> pb::Period {
    pb::Period::of_year(2025)
}

fn month(m: i32) -> pb::Period {
    pb::Period::of_month(2025, m)
}

async fn start(db: &TestDb) -> (TestServer, Client) {
    let server = TestServer::start(db, &[Svc::Roles, Svc::CostModel]).await;
    let c = CostModelServiceClient::new(server.channel().await);
    (server, c)
}

async fn bill(
    c: &mut Client,
    who: &str,
    m: &str,
    period: pb::Period,
    basis: pb::BillBasis,
) -> Result<pb::Bill, tonic::Status> {
    c.compute_bill(as_(
        who,
        pb::ComputeBillRequest {
            municipality_id: m.into(),
            source: Some(pb::BillSource {
                period: Some(period),
                basis: basis as i32,
                ..Default::default()
            }),
            ..Default::default()
        },
    ))
    .await
    .map(|r| r.into_inner().bill.expect("a bill"))
}

async fn live(c: &mut Client, who: &str, m: &str, period: pb::Period) -> pb::Bill {
    bill(c, who, m, period, pb::BillBasis::Live)
        .await
        .unwrap_or_else(|e| panic!("{m}'s live bill of {period:?}: {e}"))
}

fn issue(id: &str, period: pb::Period) -> pb::IssueBillsRequest {
    pb::IssueBillsRequest {
        request_id: id.into(),
        period: Some(period),
        ..Default::default()
    }
}

fn volume(id: &str, period: pb::Period, m: &str, quantity: i64) -> pb::RecordVolumeRequest {
    pb::RecordVolumeRequest {
        request_id: id.into(),
        volume: Some(pb::Volume {
            period: Some(period),
            municipality_id: m.into(),
            service_code: "konto".into(),
            quantity: Some(pb::Fraction {
                numerator: quantity,
                denominator: 1,
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn charge(
    id: &str,
    period: pb::Period,
    reference: &str,
    minutes: i64,
) -> pb::RecordDirectChargeRequest {
    pb::RecordDirectChargeRequest {
        request_id: id.into(),
        charge: Some(pb::DirectCharge {
            period: Some(period),
            municipality_id: "tranemo".into(),
            service_code: "beredskap".into(),
            reference: reference.into(),
            measured: Some(pb::Fraction {
                numerator: minutes,
                denominator: 60,
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// n / d rounded half away from zero (d > 0).
fn round(n: i128, d: i128) -> i128 {
    if n >= 0 {
        (2 * n + d) / (2 * d)
    } else {
        -((-2 * n + d) / (2 * d))
    }
}

fn frac(f: Option<&pb::Fraction>) -> (i128, i128) {
    let f = f.expect("a fraction");
    let d = if f.denominator == 0 { 1 } else { f.denominator };
    (i128::from(f.numerator), i128::from(d))
}

/// Month `m`'s part of a yearly pool: the largest-remainder split over
/// twelve equal months, the leftover öre to the earliest months.
fn month_pool(pool: i64, m: i64) -> i64 {
    pool / 12 + i64::from(m <= pool % 12)
}

fn same_line<'a>(lines: &'a [pb::BillLine], l: &pb::BillLine) -> &'a pb::BillLine {
    lines
        .iter()
        .find(|y| y.kind == l.kind && y.service_code == l.service_code && y.unit == l.unit)
        .unwrap_or_else(|| panic!("no line like {} {}", l.service_code, l.unit))
}

async fn twelve_months_make_the_year(db: TestDb) {
    let (_server, mut c) = start(&db).await;
    let mut pool_paid: i64 = 0;
    let mut pool_yearly: i64 = 0;
    for &(who, m) in READERS {
        let y = live(&mut c, who, m, year()).await;
        assert_eq!(y.period, Some(year()));
        let mut months = Vec::new();
        for i in 1..=12 {
            let b = live(&mut c, who, m, month(i)).await;
            assert_eq!(b.period, Some(month(i)), "the bill names its month");
            assert_eq!(b.lines.len(), y.lines.len(), "{m} {i}: the year's lines");
            // The month's share, as the rule says, line by line.
            for l in &b.lines {
                let yl = same_line(&y.lines, l);
                let (qn, qd) = frac(l.quantity.as_ref());
                let (yn, yd) = frac(yl.quantity.as_ref());
                if l.kind == pb::LineKind::PerUnit as i32 {
                    assert_eq!(qn * yd * 12, yn * qd, "{m} {i}: a twelfth of the volume");
                    assert_eq!(l.unit_price_ore, yl.unit_price_ore, "the year's price");
                    let exact = round(yn * i128::from(yl.unit_price_ore), yd * 12);
                    assert_eq!(
                        i128::from(l.amount_ore),
                        exact,
                        "{m} {i} {}",
                        l.service_code
                    );
                } else if l.kind == pb::LineKind::Allocated as i32 {
                    assert_eq!((qn * yd), (yn * qd), "{m} {i}: the year's share");
                    assert_eq!(
                        l.unit_price_ore,
                        month_pool(yl.unit_price_ore, i64::from(i)),
                        "{m} {i}: the month's twelfth of the pool"
                    );
                    let exact_x_den = qn * i128::from(l.unit_price_ore);
                    assert!(
                        (i128::from(l.amount_ore) * qd - exact_x_den).abs() < qd,
                        "{m} {i}: within one öre of the exact share"
                    );
                    pool_paid += l.amount_ore;
                } else {
                    panic!("no direct charges in the demo: {l:?}");
                }
            }
            months.push(b);
        }
        // Summed over the months, each line is the year's within the
        // stated rounding: 6 öre per per-unit line, 12 per allocated one.
        let mut bound = 0;
        for yl in &y.lines {
            let sum: i64 = months
                .iter()
                .map(|b| same_line(&b.lines, yl).amount_ore)
                .sum();
            let allowed = if yl.kind == pb::LineKind::Allocated as i32 {
                pool_yearly += yl.amount_ore;
                12
            } else {
                6
            };
            bound += allowed;
            assert!(
                (sum - yl.amount_ore).abs() <= allowed,
                "{m} {}: twelve months {sum} against the year's {}",
                yl.service_code,
                yl.amount_ore
            );
        }
        let total: i64 = months.iter().map(|b| b.total_ore).sum();
        assert!(
            (total - y.total_ore).abs() <= bound,
            "{m}: twelve months {total} against the year's {}",
            y.total_ore
        );
    }
    // Over all members, the pool is paid in full to the öre.
    assert_eq!(pool_paid, pool_yearly);
    assert_eq!(pool_yearly, 248_735_000);
}
backend_test!(twelve_months_make_the_year);

async fn a_member_that_joins_in_march_is_billed_from_march(db: TestDb) {
    let (server, mut c) = start(&db).await;
    let mut r = RolesServiceClient::new(server.channel().await);
    let collab = r
        .list_collaborations(as_(EVA, roles::ListCollaborationsRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .memberships
        .remove(0)
        .collaboration
        .expect("Eva's collaboration")
        .id;
    r.create_municipality(as_(
        EVA,
        roles::CreateMunicipalityRequest {
            request_id: "svenljunga-joins".into(),
            municipality: Some(roles::Municipality {
                id: NEW.into(),
                name: "Svenljunga kommun".into(),
                organisation_number: "212000-1504".into(),
                ..Default::default()
            }),
            collaboration_id: collab,
            joined_on: date(2025, 3, 10),
            decision_ref: "IT-styrgruppen 2025-02-12 § 7".into(),
        },
    ))
    .await
    .expect("Svenljunga joins on 10 March");
    // Drivers measured on 1 March, with Svenljunga: in force from March.
    for (driver, values) in [
        (
            "invanare",
            [("ulricehamn", 25_135), ("tranemo", 11_730), (NEW, 10_900)],
        ),
        (
            "konton",
            [("ulricehamn", 2_410), ("tranemo", 1_190), (NEW, 1_000)],
        ),
        (
            "datorer",
            [("ulricehamn", 1_980), ("tranemo", 905), (NEW, 800)],
        ),
    ] {
        c.record_driver_snapshot(as_(
            PER,
            pb::RecordDriverSnapshotRequest {
                request_id: format!("drivers-march-{driver}"),
                snapshot: Some(pb::DriverSnapshot {
                    driver: driver.into(),
                    measured_on: date(2025, 3, 1),
                    source: "Uttag 2025-03-01".into(),
                    values: values
                        .iter()
                        .map(|(m, v)| pb::DriverValue {
                            municipality_id: (*m).into(),
                            unit: String::new(),
                            value: *v,
                        })
                        .collect(),
                    ..Default::default()
                }),
                ..Default::default()
            },
        ))
        .await
        .unwrap_or_else(|e| panic!("snapshot {driver}: {e}"));
    }
    // February: no member, no bill, no volume.
    let e = bill(&mut c, PER, NEW, month(2), pb::BillBasis::Live)
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound, "{e}");
    let snapshots = Snapshots::new(&db).await;
    let before = snapshots.take(&db).await;
    let result = c
        .record_volume(as_(PER, volume("feb", month(2), NEW, 100)))
        .await
        .map(|_| ());
    let after = snapshots.take(&db).await;
    assert_eq!(
        judge("volume.municipality_id", result, &before, &after),
        None
    );
    // March: a member (from the 10th), billed for the whole month.
    c.record_volume(as_(PER, volume("mar", month(3), NEW, 120)))
        .await
        .expect("a volume of March");
    let march = live(&mut c, PER, NEW, month(3)).await;
    assert!(march.total_ore > 0, "{march:?}");
    // March's bills pay March's twelfth of the pool in full, with every
    // member's volumes at a twelfth: Svenljunga's 120 accounts of March
    // are 10 account-years.
    let mut sum = 0;
    for m in [NEW, "tranemo", "ulricehamn"] {
        sum += live(&mut c, PER, m, month(3)).await.total_ore;
    }
    let per_unit = |q: i128, price: i128| round(q * price, 12) as i64;
    let expected = month_pool(248_735_000, 3)
        + per_unit(120, 185_000)
        + per_unit(2_410, 185_000)
        + per_unit(1_190, 185_000)
        + per_unit(1_980, 342_000)
        + per_unit(905, 342_000);
    assert_eq!(sum, expected);
    // The year: Svenljunga is billed for March to December; the volume of
    // March is no yearly volume, so the year bills only its pool share.
    let y = live(&mut c, PER, NEW, year()).await;
    assert!(y.total_ore > 0 && y.total_ore != march.total_ore, "{y:?}");
}
backend_test!(a_member_that_joins_in_march_is_billed_from_march);

/// The direct lines of a bill, by reference.
fn direct(b: &pb::Bill) -> Vec<(&str, i64)> {
    b.lines
        .iter()
        .filter(|l| l.kind == pb::LineKind::Direct as i32)
        .map(|l| (l.reference.as_str(), l.amount_ore))
        .collect()
}

async fn a_year_billed_per_month(db: TestDb) {
    let (_server, mut c) = start(&db).await;
    // March has a volume of its own; a charge of March and one of the year.
    c.record_volume(as_(PER, volume("v-mar", month(3), "tranemo", 1_300)))
        .await
        .unwrap();
    c.record_direct_charge(as_(PER, charge("c-mar", month(3), "INC-3", 185)))
        .await
        .unwrap();
    c.record_direct_charge(as_(PER, charge("c-year", year(), "INC-Y", 120)))
        .await
        .unwrap();
    let march = live(&mut c, ERIK, "tranemo", month(3)).await;
    let konto = march
        .lines
        .iter()
        .find(|l| l.service_code == "konto")
        .unwrap();
    assert_eq!(
        frac(konto.quantity.as_ref()),
        (325, 3),
        "1 300 accounts / 12"
    );
    // 3 h 05 min: four started hours at 700 kr.
    assert_eq!(direct(&march), vec![("INC-3", 280_000)]);
    let april = live(&mut c, ERIK, "tranemo", month(4)).await;
    let konto = april
        .lines
        .iter()
        .find(|l| l.service_code == "konto")
        .unwrap();
    assert_eq!(
        frac(konto.quantity.as_ref()),
        (595, 6),
        "the year's 1 190 / 12"
    );
    assert_eq!(direct(&april), vec![]);
    // The year's charge: on the yearly bill, and on December's.
    let december = live(&mut c, ERIK, "tranemo", month(12)).await;
    assert_eq!(direct(&december), vec![("INC-Y", 140_000)]);
    let y = live(&mut c, ERIK, "tranemo", year()).await;
    assert_eq!(direct(&y), vec![("INC-Y", 140_000)]);

    // Issue March: from then on, the year is billed per month.
    let run = c
        .issue_bills(as_(PER, issue("issue-mar", month(3))))
        .await
        .unwrap()
        .into_inner()
        .run
        .unwrap();
    assert_eq!(run.period, Some(month(3)));
    let issued = bill(&mut c, ERIK, "tranemo", month(3), pb::BillBasis::Issued)
        .await
        .unwrap();
    let recomputed = bill(&mut c, ERIK, "tranemo", month(3), pb::BillBasis::Recomputed)
        .await
        .unwrap();
    assert_eq!(issued.total_ore, march.total_ore);
    assert_eq!(issued.lines, recomputed.lines);

    let snapshots = Snapshots::new(&db).await;
    let check = |reason: &str, what: &str, r, before: &Snapshot, after: &Snapshot| {
        if let Some(wrong) = judge_precondition(reason, r, before, after) {
            panic!("{what}: {wrong}");
        }
    };
    let before = snapshots.take(&db).await;
    let r = c
        .issue_bills(as_(PER, issue("issue-year", year())))
        .await
        .map(|_| ());
    let after = snapshots.take(&db).await;
    check(
        "BILLED_MONTHLY",
        "the year after a month",
        r,
        &before,
        &after,
    );
    let before = snapshots.take(&db).await;
    let r = c
        .issue_bills(as_(PER, issue("issue-mar-again", month(3))))
        .await
        .map(|_| ());
    let after = snapshots.take(&db).await;
    check("ALREADY_ISSUED", "March again", r, &before, &after);
    let before = snapshots.take(&db).await;
    let r = c
        .record_volume(as_(PER, volume("v-mar-2", month(3), "ulricehamn", 2_000)))
        .await
        .map(|_| ());
    let after = snapshots.take(&db).await;
    check(
        "PERIOD_ISSUED",
        "a volume of issued March",
        r,
        &before,
        &after,
    );
    let before = snapshots.take(&db).await;
    let r = c
        .reconcile(as_(
            PER,
            pb::ReconcileRequest {
                request_id: "reconcile".into(),
                year: 2025,
                service_code: "bas".into(),
                actual_ore: 250_000_000,
                ..Default::default()
            },
        ))
        .await
        .map(|_| ());
    let after = snapshots.take(&db).await;
    check(
        "BILLED_MONTHLY",
        "reconciling a year billed per month",
        r,
        &before,
        &after,
    );
    // Other months go on; once December is issued, the year's charges
    // are billed and no new one is taken.
    c.issue_bills(as_(PER, issue("issue-dec", month(12))))
        .await
        .unwrap();
    let before = snapshots.take(&db).await;
    let r = c
        .record_direct_charge(as_(PER, charge("c-year-2", year(), "INC-Y2", 60)))
        .await
        .map(|_| ());
    let after = snapshots.take(&db).await;
    check(
        "PERIOD_ISSUED",
        "a charge of the year after December",
        r,
        &before,
        &after,
    );
    c.record_direct_charge(as_(PER, charge("c-apr", month(4), "INC-4", 60)))
        .await
        .expect("April is still open");
}
backend_test!(a_year_billed_per_month);

async fn a_year_billed_whole(db: TestDb) {
    let (_server, mut c) = start(&db).await;
    c.issue_bills(as_(PER, issue("issue-year", year())))
        .await
        .unwrap();
    let snapshots = Snapshots::new(&db).await;
    let before = snapshots.take(&db).await;
    let r = c
        .issue_bills(as_(PER, issue("issue-apr", month(4))))
        .await
        .map(|_| ());
    let after = snapshots.take(&db).await;
    assert_eq!(
        judge_precondition("BILLED_YEARLY", r, &before, &after),
        None
    );
    let r = c
        .record_volume(as_(PER, volume("v-apr", month(4), "tranemo", 1_200)))
        .await
        .map(|_| ());
    let after = snapshots.take(&db).await;
    assert_eq!(
        judge_precondition("BILLED_YEARLY", r, &before, &after),
        None
    );
    let r = c
        .record_direct_charge(as_(PER, charge("c-apr", month(4), "INC-4", 60)))
        .await
        .map(|_| ());
    let after = snapshots.take(&db).await;
    assert_eq!(
        judge_precondition("BILLED_YEARLY", r, &before, &after),
        None
    );
    // The yearly bill is read back as issued; its month is no bill of it.
    let issued = bill(&mut c, ERIK, "tranemo", year(), pb::BillBasis::Issued)
        .await
        .unwrap();
    assert_eq!(issued.period, Some(year()));
    let e = bill(&mut c, ERIK, "tranemo", month(4), pb::BillBasis::Issued)
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition, "{e}");
}
backend_test!(a_year_billed_whole);
