//! Dated membership in the cost model, over real gRPC on SQLite and
//! PostgreSQL: a municipality that joins on 1 January changes nothing of
//! an earlier year (bills, explanations and CSV exports byte for byte), is
//! asked for its driver values from its first period and billed from it;
//! one that leaves pays for its started months only.

use samverkan_proto::common::v1::Date;
use samverkan_proto::costmodel::v1 as pb;
use samverkan_proto::costmodel::v1::cost_model_service_client::CostModelServiceClient;
use samverkan_proto::roles::v1 as roles;
use samverkan_proto::roles::v1::roles_service_client::RolesServiceClient;
use samverkan_server::Svc;
use samverkan_testkit::story::bill_answers;
use samverkan_testkit::{TestDb, TestServer, backend_test};
use tonic::Code;
use tonic::transport::Channel;

const PER: &str = "per.hakansson@ulricehamn.se"; // IT-chef: may edit
const EVA: &str = "eva.dahlgren@ulricehamn.se"; // IT-styrgruppen's secretary
const ERIK: &str = "erik.ohman@tranemo.se"; // Tranemo
const LARS: &str = "lars.angstrom@ulricehamn.se"; // Ulricehamn

const NEW: &str = "svenljunga";
/// Who asks about each member's bills: its own people.
const READERS: &[(&str, &str)] = &[(ERIK, "tranemo"), (LARS, "ulricehamn")];

type Client = CostModelServiceClient<Channel>;
type Roles = RolesServiceClient<Channel>;

fn as_<T>(email: &str, msg: T) -> tonic::Request<T> {
    TestServer::as_person(email, msg)
}

fn date(year: i32, month: i32, day: i32) -> Option<Date> {
    Some(Date { year, month, day })
}

/// "2025" or "2025-03" as a period.
fn period_of(s: &str) -> pb::Period {
    match s.split_once('-') {
        None => pb::Period::of_year(s.parse().unwrap()),
        Some((y, m)) => pb::Period::of_month(y.parse().unwrap(), m.parse().unwrap()),
    }
}

fn source(period: &str, basis: pb::BillBasis) -> Option<pb::BillSource> {
    Some(pb::BillSource {
        period: Some(period_of(period)),
        basis: basis as i32,
        ..Default::default()
    })
}

async fn start(db: &TestDb) -> (TestServer, Client, Roles, String) {
    let server = TestServer::start(db, &[Svc::Roles, Svc::CostModel]).await;
    let channel = server.channel().await;
    let mut r = RolesServiceClient::new(channel.clone());
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
    (server, CostModelServiceClient::new(channel), r, collab)
}

/// Svenljunga joins the collaboration on `joined_on`.
async fn join(r: &mut Roles, collab: &str, joined_on: Option<Date>) {
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
            collaboration_id: collab.into(),
            joined_on,
            decision_ref: "IT-styrgruppen 2025-10-08 § 12".into(),
        },
    ))
    .await
    .expect("Svenljunga joins");
}

/// A published price list of 2026 with the prices of 2025; the price of
/// an account (konto), in öre.
async fn publish_2026(c: &mut Client) -> i64 {
    let v1 = c
        .list_price_lists(as_(
            PER,
            pb::ListPriceListsRequest {
                year: 2025,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .price_lists
        .remove(0);
    let draft = c
        .create_price_list(as_(
            PER,
            pb::CreatePriceListRequest {
                request_id: "pl-2026".into(),
                year: 2026,
                effective_date: date(2026, 1, 1),
                prices: v1.prices.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .price_list
        .unwrap();
    let proposed = c
        .propose_price_list(as_(
            PER,
            pb::ProposePriceListRequest {
                id: draft.id.clone(),
                etag: draft.etag,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .price_list
        .unwrap();
    let decided = c
        .decide_price_list(as_(
            EVA,
            pb::DecidePriceListRequest {
                id: draft.id.clone(),
                etag: proposed.etag,
                decision_ref: "IT-styrgruppen 2025-11-12 § 40".into(),
                decision_id: String::new(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .price_list
        .unwrap();
    c.publish_price_list(as_(
        EVA,
        pb::PublishPriceListRequest {
            id: draft.id,
            etag: decided.etag,
        },
    ))
    .await
    .unwrap();
    v1.prices
        .iter()
        .find(|p| p.service_code == "konto")
        .expect("a price of konto")
        .amount_ore
}

/// The drivers of 2026, measured with Svenljunga among the members.
async fn drivers_2026(c: &mut Client) {
    for (driver, values) in [
        (
            "invanare",
            [("ulricehamn", 25_200), ("tranemo", 11_700), (NEW, 10_900)],
        ),
        (
            "konton",
            [("ulricehamn", 2_400), ("tranemo", 1_200), (NEW, 1_000)],
        ),
        (
            "datorer",
            [("ulricehamn", 2_000), ("tranemo", 900), (NEW, 800)],
        ),
    ] {
        c.record_driver_snapshot(as_(
            PER,
            pb::RecordDriverSnapshotRequest {
                request_id: format!("drivers-2026-{driver}"),
                snapshot: Some(pb::DriverSnapshot {
                    driver: driver.into(),
                    measured_on: date(2026, 1, 15),
                    source: "Uttag 2026-01-15".into(),
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
}

async fn totals(c: &mut Client, period: &str) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    for m in ["tranemo", "ulricehamn", NEW] {
        match c
            .compute_bill(as_(
                PER,
                pb::ComputeBillRequest {
                    municipality_id: m.into(),
                    source: source(period, pb::BillBasis::Live),
                    ..Default::default()
                },
            ))
            .await
        {
            Ok(b) => out.push((m.to_owned(), b.into_inner().bill.unwrap().total_ore)),
            Err(e) => assert_eq!(e.code(), Code::NotFound, "{m} in {period}: {e}"),
        }
    }
    out
}

fn volume(period: &str, m: &str, quantity: i64) -> pb::RecordVolumeRequest {
    pb::RecordVolumeRequest {
        request_id: format!("volume-{period}-{m}"),
        volume: Some(pb::Volume {
            period: Some(period_of(period)),
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

async fn a_join_changes_nothing_before_it(db: TestDb) {
    let (_server, mut c, mut r, collab) = start(&db).await;
    c.issue_bills(as_(
        PER,
        pb::IssueBillsRequest {
            request_id: "issue-2025".into(),
            period: Some(pb::Period::of_year(2025)),
            ..Default::default()
        },
    ))
    .await
    .unwrap();
    let before = bill_answers(&mut c, pb::Period::of_year(2025), READERS).await;
    let totals_2025 = totals(&mut c, "2025").await;
    assert_eq!(totals_2025.len(), 2, "{totals_2025:?}");

    join(&mut r, &collab, date(2026, 1, 1)).await;

    let after = bill_answers(&mut c, pb::Period::of_year(2025), READERS).await;
    assert_eq!(before.len(), after.len());
    for ((what, b), (_, a)) in before.iter().zip(&after) {
        assert!(b == a, "{what} changed when Svenljunga joined");
    }
    assert_eq!(totals(&mut c, "2025").await, totals_2025);
    // No volume of a year before it joined.
    let e = c
        .record_volume(as_(PER, volume("2025", NEW, 10)))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(e.message().contains("volume.municipality_id"), "{e}");

    // 2026 is Svenljunga's first period: the cost model asks for its
    // driver values, and bills it once they are there.
    publish_2026(&mut c).await;
    let e = c
        .compute_bill(as_(
            PER,
            pb::ComputeBillRequest {
                municipality_id: "tranemo".into(),
                source: source("2026", pb::BillBasis::Live),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition);
    assert!(e.message().contains(NEW), "{e}");
    drivers_2026(&mut c).await;
    c.record_volume(as_(PER, volume("2026", NEW, 1_000)))
        .await
        .unwrap();
    let run = c
        .issue_bills(as_(
            PER,
            pb::IssueBillsRequest {
                request_id: "issue-2026".into(),
                period: Some(pb::Period::of_year(2026)),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .run
        .unwrap();
    let billed: Vec<&str> = run
        .totals
        .iter()
        .map(|t| t.municipality_id.as_str())
        .collect();
    assert_eq!(billed, vec![NEW, "tranemo", "ulricehamn"]);
    assert!(run.totals.iter().all(|t| t.total_ore > 0), "{run:?}");
}
backend_test!(a_join_changes_nothing_before_it);

async fn a_leaver_pays_for_its_started_months(db: TestDb) {
    let (_server, mut c, mut r, collab) = start(&db).await;
    join(&mut r, &collab, date(2026, 1, 1)).await;
    let konto = publish_2026(&mut c).await;
    drivers_2026(&mut c).await;
    c.record_volume(as_(PER, volume("2026", NEW, 1_000)))
        .await
        .unwrap();
    let whole_year = totals(&mut c, "2026").await;
    assert_eq!(whole_year.len(), 3, "{whole_year:?}");

    // Svenljunga leaves on 15 June 2026: it pays January to June.
    r.end_membership(as_(
        EVA,
        roles::EndMembershipRequest {
            collaboration_id: collab.clone(),
            municipality_id: NEW.into(),
            left_on: date(2026, 6, 15),
            decision_ref: "IT-styrgruppen 2026-04-08 § 20".into(),
        },
    ))
    .await
    .expect("Svenljunga leaves");
    let half_year = totals(&mut c, "2026").await;
    let of = |t: &[(String, i64)], m: &str| t.iter().find(|(k, _)| k == m).unwrap().1;
    let sum = |t: &[(String, i64)]| t.iter().map(|(_, v)| v).sum::<i64>();
    // The pools are split over member-months, so they are still paid in
    // full; of the 1 000 accounts a year, half a year's are billed.
    assert_eq!(sum(&whole_year) - sum(&half_year), 500 * konto);
    assert!(of(&half_year, NEW) < of(&whole_year, NEW));
    for m in ["tranemo", "ulricehamn"] {
        assert!(
            of(&half_year, m) > of(&whole_year, m),
            "{m} carries more of the pools"
        );
    }

    // 2027: no longer a member, so no volumes for it and no bill.
    let e = c
        .record_volume(as_(PER, volume("2027", NEW, 10)))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument, "{e}");
}
backend_test!(a_leaver_pays_for_its_started_months);
