//! Tampering with the audit trail (issue #8, point 6), on SQLite and
//! PostgreSQL: a chain is written through the API, then every single entry
//! position tried (first, middle, last) is altered (field by field, and
//! rewritten with a recomputed hash), deleted, or swapped with its
//! neighbour, one at a time, as the database owner would. Each time the
//! verification `samverkan audit verify` runs (the same two library calls)
//! must name exactly that entry as the first broken one of its chain, and
//! nothing else; after the entry is put back the trail verifies again.

use chrono::Duration;
use samverkan_core::{RequestContext, TenantId, TenantScope};
use samverkan_db::audit::{self, Broken, Report, head, log};
use samverkan_db::{Access, Backend};
use samverkan_proto::forums::v1 as pb;
use samverkan_proto::forums::v1::forums_service_client::ForumsServiceClient;
use samverkan_server::Svc;
use samverkan_testkit::story::{as_, forum_ids};
use samverkan_testkit::{TestDb, TestServer, backend_test};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

const SOFIA: &str = "sofia.lindstrom@tranemo.se";
/// The chain the tampered entries belong to: the forums service's entries of
/// Tranemo's people.
const CHAIN: &str = "forums/tranemo";

/// Runs the verification exactly as `samverkan audit verify` does: every
/// registered municipality, each through the service role.
async fn verify_as_cli(db: &TestDb) -> Report {
    let tenants = samverkan_roles::store::all_municipality_ids(&db.app)
        .await
        .unwrap();
    audit::verify(&db.app, &tenants).await.unwrap()
}

fn owner_ctx() -> RequestContext {
    RequestContext::system(
        TenantScope::private(TenantId::parse("tranemo").unwrap()),
        "tamper",
    )
}

/// The chain's entries (by seq) and head, read as the owner.
async fn read_chain(db: &TestDb) -> (Vec<log::Model>, head::Model) {
    let tx = db
        .owner
        .begin(&owner_ctx(), "audit", Access::Read)
        .await
        .unwrap();
    let entries = log::Entity::find()
        .filter(log::Column::Chain.eq(CHAIN))
        .order_by_asc(log::Column::Seq)
        .all(tx.conn())
        .await
        .unwrap();
    let h = head::Entity::find_by_id(CHAIN.to_owned())
        .one(tx.conn())
        .await
        .unwrap()
        .unwrap();
    tx.commit().await.unwrap();
    (entries, h)
}

/// A single change to one entry, as someone with the owner's rights makes it.
#[derive(Debug, Clone, Copy)]
enum Tamper {
    /// One field changed, the hash left as it was.
    Alter(Field),
    /// The actor changed and the entry's hash recomputed to match.
    Rewrite,
    /// The row deleted.
    Delete,
    /// The entry swapped with its neighbour (the next one; for the last
    /// entry the one before).
    Swap,
}

#[derive(Debug, Clone, Copy)]
enum Field {
    Change,
    ChangeDigest,
    Actor,
    At,
    Rpc,
    Resource,
    Service,
    Hash,
    PrevHash,
    Seq,
    Chain,
    OwnerTenant,
}

const FIELDS: &[Field] = &[
    Field::Change,
    Field::ChangeDigest,
    Field::Actor,
    Field::At,
    Field::Rpc,
    Field::Resource,
    Field::Service,
    Field::Hash,
    Field::PrevHash,
    Field::Seq,
    Field::Chain,
    Field::OwnerTenant,
];

async fn set_seq(tx: &samverkan_db::Tx, id: Uuid, seq: i64) {
    log::Entity::update_many()
        .col_expr(log::Column::Seq, Expr::value(seq))
        .filter(log::Column::Id.eq(id))
        .exec(tx.conn())
        .await
        .unwrap();
}

/// Applies `t` to the entry at position `pos` (1-based) and returns what the
/// verification must report: the seq and (when an entry is there) the id of
/// the first broken entry of the chain.
async fn apply(db: &TestDb, entries: &[log::Model], pos: usize, t: Tamper) -> (i64, Option<Uuid>) {
    let e = &entries[pos - 1];
    let tx = db
        .owner
        .begin(&owner_ctx(), "audit", Access::Write)
        .await
        .unwrap();
    let expected = match t {
        Tamper::Alter(field) => {
            let mut am: log::ActiveModel = e.clone().into();
            let mut expected = (e.seq, Some(e.id));
            match field {
                Field::Change => am.change = Set(r#"{"create":{"title":"Förfalskad"}}"#.into()),
                Field::ChangeDigest => am.change_digest = Set("0".repeat(64)),
                Field::Actor => am.actor = Set("mallory@example.org".into()),
                Field::At => am.at = Set(e.at - Duration::seconds(1)),
                Field::Rpc => am.rpc = Set("/samverkan.forums.v1.ForumsService/GetMatter".into()),
                Field::Resource => am.resource = Set(format!("matters/{}", Uuid::nil())),
                Field::Service => am.service = Set("roles".into()),
                Field::Hash => am.hash = Set("f".repeat(64)),
                Field::PrevHash => am.prev_hash = Set("e".repeat(64)),
                Field::Seq => {
                    am.seq = Set(1000 + e.seq);
                    expected.1 = None;
                }
                Field::Chain => {
                    am.chain = Set("forums/ulricehamn".into());
                    expected.1 = None;
                }
                Field::OwnerTenant => {
                    am.owner_tenant = Set("ulricehamn".into());
                    expected.1 = None;
                }
            }
            am.update(tx.conn()).await.unwrap();
            expected
        }
        Tamper::Rewrite => {
            let mut forged = e.clone();
            forged.actor = "mallory@example.org".into();
            forged.hash = audit::entry_hash(&forged);
            assert_ne!(forged.hash, e.hash);
            let mut am: log::ActiveModel = e.clone().into();
            am.actor = Set(forged.actor);
            am.hash = Set(forged.hash);
            am.update(tx.conn()).await.unwrap();
            (e.seq, Some(e.id))
        }
        Tamper::Delete => {
            log::Entity::delete_by_id(e.id)
                .exec(tx.conn())
                .await
                .unwrap();
            (e.seq, None)
        }
        Tamper::Swap => {
            let other = if pos < entries.len() {
                &entries[pos]
            } else {
                &entries[pos - 2]
            };
            // (chain, seq) is unique: move one aside first.
            set_seq(&tx, e.id, -1).await;
            set_seq(&tx, other.id, e.seq).await;
            set_seq(&tx, e.id, other.seq).await;
            // The first position out of place now holds the later entry.
            let (lo, hi) = if e.seq < other.seq {
                (e, other)
            } else {
                (other, e)
            };
            (lo.seq, Some(hi.id))
        }
    };
    tx.commit().await.unwrap();
    expected
}

/// Puts the chain back as it was read.
async fn restore(db: &TestDb, entries: &[log::Model]) {
    let tx = db
        .owner
        .begin(&owner_ctx(), "audit", Access::Write)
        .await
        .unwrap();
    log::Entity::delete_many()
        .filter(log::Column::Id.is_in(entries.iter().map(|e| e.id)))
        .exec(tx.conn())
        .await
        .unwrap();
    for e in entries {
        log::ActiveModel::from(e.clone())
            .insert(tx.conn())
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
}

/// Writes a chain of entries through the API: drafts, an update, a
/// submission and a withdrawal of Tranemo's e-samordnare.
async fn write_chain(db: &TestDb) -> TestServer {
    let server = TestServer::start(db, &[Svc::Roles, Svc::Forums]).await;
    let mut c = ForumsServiceClient::new(server.channel().await);
    let (utveckling, _) = forum_ids(&server).await;
    let mut drafts = Vec::new();
    for n in 1..=3 {
        drafts.push(
            c.create_matter(as_(
                SOFIA,
                pb::CreateMatterRequest {
                    request_id: format!("behov-{n}"),
                    matter: Some(pb::Matter {
                        kind: pb::MatterKind::DevelopmentNeed as i32,
                        title: format!("Behov {n}"),
                        ..Default::default()
                    }),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .matter
            .unwrap(),
        );
    }
    let updated = c
        .update_matter(as_(
            SOFIA,
            pb::UpdateMatterRequest {
                matter: Some(pb::Matter {
                    title: "Behov 1, omformulerat".into(),
                    ..drafts[0].clone()
                }),
                etag: drafts[0].etag.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .matter
        .unwrap();
    c.submit_matter(as_(
        SOFIA,
        pb::SubmitMatterRequest {
            id: updated.id.clone(),
            forum_id: utveckling,
            etag: updated.etag.clone(),
        },
    ))
    .await
    .unwrap();
    c.withdraw_matter(as_(
        SOFIA,
        pb::WithdrawMatterRequest {
            id: drafts[1].id.clone(),
            etag: drafts[1].etag.clone(),
        },
    ))
    .await
    .unwrap();
    server
}

fn describe(b: &[Broken]) -> String {
    b.iter().map(|b| format!("\n  {b}")).collect()
}

async fn every_single_tampering_is_named_at_its_entry(db: TestDb) {
    let server = write_chain(&db).await;
    let clean = verify_as_cli(&db).await;
    assert!(clean.broken.is_empty(), "{}", describe(&clean.broken));
    let (entries, h) = read_chain(&db).await;
    let n = entries.len();
    assert!(n >= 5, "the chain has {n} entries");
    assert_eq!(h.seq, n as i64);
    assert_eq!(
        entries.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (1..=n as i64).collect::<Vec<_>>()
    );

    let mut kinds: Vec<Tamper> = FIELDS.iter().map(|f| Tamper::Alter(*f)).collect();
    kinds.extend([Tamper::Rewrite, Tamper::Delete, Tamper::Swap]);
    let positions = [1, n.div_ceil(2), n];
    let mut cases = 0;
    for &pos in &positions {
        for &t in &kinds {
            let (seq, id) = apply(&db, &entries, pos, t).await;
            let report = verify_as_cli(&db).await;
            let what = format!("{t:?} of entry #{pos} of {n}:{}", describe(&report.broken));
            let first = report
                .broken
                .iter()
                .find(|b| b.chain == CHAIN && b.entry_id == id && b.seq == seq);
            assert!(first.is_some(), "expected #{seq} ({id:?}) for {what}");
            // Nothing else is reported, except an entry moved out of the
            // chain where it now stands (a chain with no head).
            let moved = entries[pos - 1].id;
            for b in report.broken.iter().filter(|b| Some(*b) != first) {
                assert!(
                    matches!(t, Tamper::Alter(Field::Chain | Field::OwnerTenant))
                        && b.entry_id == Some(moved)
                        && b.reason.contains("no head"),
                    "unexpected report for {what}"
                );
            }
            restore(&db, &entries).await;
            let again = verify_as_cli(&db).await;
            assert!(
                again.broken.is_empty(),
                "after restoring {t:?} of #{pos}: {}",
                describe(&again.broken)
            );
            cases += 1;
        }
    }
    samverkan_testkit::figure(&format!(
        "tamper: {:?}: {cases} tamperings ({} kinds × positions {positions:?} of a chain of {n}) each named at exactly its entry",
        db.backend,
        kinds.len()
    ));
    server.stop().await;
}
backend_test!(every_single_tampering_is_named_at_its_entry);

/// On PostgreSQL the service role cannot tamper at all: it may append to the
/// trail but neither update nor delete an entry.
async fn the_service_role_cannot_tamper(db: TestDb) {
    if db.backend != Backend::Postgres {
        return;
    }
    let server = write_chain(&db).await;
    let (entries, _) = read_chain(&db).await;
    let e = &entries[0];
    let ctx = owner_ctx();
    let tx = db.app.begin(&ctx, "audit", Access::Write).await.unwrap();
    let mut am: log::ActiveModel = e.clone().into();
    am.actor = Set("mallory@example.org".into());
    let err = am.update(tx.conn()).await.unwrap_err();
    assert!(err.to_string().contains("permission denied"), "{err}");
    drop(tx);
    let tx = db.app.begin(&ctx, "audit", Access::Write).await.unwrap();
    let err = log::Entity::delete_by_id(e.id)
        .exec(tx.conn())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("permission denied"), "{err}");
    drop(tx);
    assert!(verify_as_cli(&db).await.broken.is_empty());
    server.stop().await;
}
backend_test!(the_service_role_cannot_tamper);
