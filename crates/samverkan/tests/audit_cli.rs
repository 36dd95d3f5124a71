//! `samverkan audit verify` as an operator runs it, on both backends: an
//! intact trail exits 0; one entry altered by hand is named, exit 2.

use std::process::Command;

use samverkan_testkit::{TestDb, backend_test};

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

async fn audit_verify_names_the_tampered_entry(db: TestDb) {
    samverkan_roles::demo::load(&db.app).await.unwrap();
    let (code, out) = verify(&db.app_url);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("audit trail intact"), "{out}");

    db.owner
        .execute_admin("UPDATE audit_log SET change = '{\"create\":{\"name\":\"Förfalskad\"}}' WHERE chain = 'roles/ulricehamn' AND seq = 5")
        .await
        .unwrap();
    let (code, out) = verify(&db.app_url);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("TAMPERED: chain roles/ulricehamn breaks at entry #5"),
        "{out}"
    );
    assert!(out.contains("does not match its digest"), "{out}");
}
backend_test!(audit_verify_names_the_tampered_entry);
