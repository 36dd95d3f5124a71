//! `samverkan audit verify` names exactly the tampered entry for each kind
//! of tampering (issue #8, point 6), on both backends: an entry swapped
//! with its neighbour, an entry deleted, an entry altered. Each is done
//! further up the chain than the one before, so each becomes the first
//! break the command reports. (tests/tamper.rs tries every kind at every
//! position through the same library calls.)

use std::process::Command;

use samverkan_testkit::{TestDb, backend_test};

const CHAIN: &str = "roles/tranemo";

fn verify(url: &str) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_samverkan"))
        .args(["audit", "verify", "--database-url", url])
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn assert_named(url: &str, seq: i64, reason: &str) {
    let (code, out) = verify(url);
    assert_eq!(code, 2, "{out}");
    let tampered: Vec<&str> = out.lines().filter(|l| l.starts_with("TAMPERED")).collect();
    assert_eq!(tampered.len(), 1, "{out}");
    assert!(
        tampered[0].starts_with(&format!("TAMPERED: chain {CHAIN} breaks at entry #{seq}")),
        "expected #{seq}: {out}"
    );
    assert!(tampered[0].contains(reason), "expected {reason:?}: {out}");
}

async fn each_kind_of_tampering_is_named(db: TestDb) {
    samverkan_roles::demo::load(&db.app).await.unwrap();
    let (code, out) = verify(&db.app_url);
    assert_eq!(code, 0, "{out}");
    let rows = db
        .owner
        .query_admin(&format!(
            "SELECT CAST(max(seq) AS BIGINT) AS n FROM audit_log WHERE chain = '{CHAIN}'"
        ))
        .await
        .unwrap();
    let n: i64 = rows[0].try_get("", "n").unwrap();
    assert!(n >= 6, "{CHAIN} has {n} entries");
    let sql = |s: String| {
        let owner = db.owner.clone();
        async move { owner.execute_admin(&s).await.unwrap() }
    };
    let at = |seq: i64| format!("chain = '{CHAIN}' AND seq = {seq}");

    // The last entry swapped with the one before it: the first position out
    // of place is #n-1.
    sql(format!("UPDATE audit_log SET seq = -1 WHERE {}", at(n))).await;
    sql(format!(
        "UPDATE audit_log SET seq = {n} WHERE {}",
        at(n - 1)
    ))
    .await;
    sql(format!(
        "UPDATE audit_log SET seq = {} WHERE {}",
        n - 1,
        at(-1)
    ))
    .await;
    assert_named(&db.app_url, n - 1, "moved or altered");

    // An entry deleted further up.
    sql(format!("DELETE FROM audit_log WHERE {}", at(n - 3))).await;
    assert_named(&db.app_url, n - 3, "is missing");

    // An entry altered further up still.
    sql(format!(
        "UPDATE audit_log SET actor = 'mallory' WHERE {}",
        at(2)
    ))
    .await;
    assert_named(&db.app_url, 2, "does not match its hash");
}
backend_test!(each_kind_of_tampering_is_named);
