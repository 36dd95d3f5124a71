//! Forums migrations on existing data, on SQLite and PostgreSQL: a meeting
//! whose agenda items got duplicate numbers before `m0004` (concurrent
//! `AddAgendaItem` under READ COMMITTED) is renumbered in order when the
//! migration runs; another meeting keeps its numbers; the unique index
//! then holds.

use samverkan_db::Backend;
use samverkan_testkit::{TestDb, backend_test};

/// A literal of the 16-byte id `n` as each backend stores ids.
fn id(db: &TestDb, n: u8) -> String {
    let hex = format!("{:032x}", u128::from(n));
    match db.backend {
        Backend::Sqlite => format!("x'{hex}'"),
        Backend::Postgres => format!("'{hex}'::uuid"),
    }
}

async fn duplicate_agenda_numbers_are_renumbered(db: TestDb) {
    // The database as it was before m0004: no index, the migration not run.
    for sql in [
        "DROP INDEX agenda_items_meeting_number",
        "DELETE FROM seaql_migrations_forums WHERE version = 'm0004_agenda_numbers_unique'",
    ] {
        db.owner.execute_admin(sql).await.unwrap();
    }
    let (collab, forum) = (id(&db, 0xaa), id(&db, 0xbb));
    let when = "'2026-01-01T10:00:00Z'";
    for m in [1, 2] {
        let mid = id(&db, m);
        db.owner
            .execute_admin(&format!(
                "INSERT INTO meetings (id, collaboration_id, forum_id, title, start_time, end_time, location, state,
                                       adjusters, adjusted_by, attendance, create_time, update_time, etag)
                 VALUES ({mid}, {collab}, {forum}, 'Möte {m}', {when}, {when}, '', 'planned', '', '', '', {when}, {when}, 'e')"
            ))
            .await
            .unwrap();
    }
    let items = [
        (0x11, 1, 1, "första", "2026-01-01T10:00:01Z"),
        (0x12, 1, 1, "andra", "2026-01-01T10:00:02Z"),
        (0x13, 1, 2, "tredje", "2026-01-01T10:00:00Z"),
        (0x21, 2, 1, "ett", "2026-01-01T10:00:00Z"),
        (0x22, 2, 5, "fem", "2026-01-01T10:00:00Z"),
    ];
    for (item, meeting, number, title, at) in items {
        let (iid, mid) = (id(&db, item), id(&db, meeting));
        db.owner
            .execute_admin(&format!(
                "INSERT INTO agenda_items (id, collaboration_id, meeting_id, number, kind, title, presenter, estimated_minutes, create_time)
                 VALUES ({iid}, {collab}, {mid}, {number}, 'information', '{title}', '', 0, '{at}')"
            ))
            .await
            .unwrap();
    }

    db.owner
        .migrate::<samverkan_forums::migration::Migrator>()
        .await
        .expect("m0004 runs again");

    let rows = db
        .owner
        .query_admin("SELECT title, number FROM agenda_items ORDER BY meeting_id, number")
        .await
        .unwrap();
    let got: Vec<(String, i64)> = rows
        .iter()
        .map(|r| {
            let n = match db.backend {
                Backend::Sqlite => r.try_get::<i64>("", "number").unwrap(),
                Backend::Postgres => i64::from(r.try_get::<i32>("", "number").unwrap()),
            };
            (r.try_get("", "title").unwrap(), n)
        })
        .collect();
    let want = [
        ("första", 1),
        ("andra", 2),
        ("tredje", 3),
        ("ett", 1),
        ("fem", 5),
    ];
    assert_eq!(
        got,
        want.map(|(t, n)| (t.to_owned(), n)).to_vec(),
        "renumbered in order, the other meeting unchanged"
    );
    let again = db
        .owner
        .execute_admin(&format!(
            "INSERT INTO agenda_items (id, collaboration_id, meeting_id, number, kind, title, presenter, estimated_minutes, create_time)
             VALUES ({}, {collab}, {}, 2, 'information', 'dubblett', '', 0, {when})",
            id(&db, 0x14),
            id(&db, 1)
        ))
        .await;
    assert!(
        again.is_err(),
        "the unique index refuses a duplicate number"
    );
}

backend_test!(duplicate_agenda_numbers_are_renumbered);
