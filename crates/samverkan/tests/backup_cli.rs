//! `samverkan backup` as the operator of a single server runs it: a copy of
//! the SQLite database taken while a server uses it verifies like the
//! original, and an existing file is never overwritten.

use std::process::Command;

fn samverkan(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_samverkan"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn a_backup_of_a_database_in_use_verifies_like_the_original() {
    let dir = std::env::temp_dir().join(format!("samverkan-backup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let original = dir.join("samverkan.db");
    let copy = dir.join("kopia.db");
    let url = |p: &std::path::Path| format!("sqlite://{}?mode=rwc", p.display());

    let (code, out) = samverkan(&["demo", "--database-url", &url(&original)]);
    assert_eq!(code, 0, "{out}");
    // A server holds the database open (WAL mode) while the copy is taken.
    let mut server = Command::new(env!("CARGO_BIN_EXE_samverkan"))
        .args(["serve", "--dev-auth", "--listen", "127.0.0.1:0"])
        .args(["--database-url", &url(&original)])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));

    let (code, out) = samverkan(&[
        "backup",
        "--database-url",
        &url(&original),
        "--out",
        copy.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("säkerhetskopia skriven"), "{out}");

    let (code, before) = samverkan(&["audit", "verify", "--database-url", &url(&original)]);
    assert_eq!(code, 0, "{before}");
    let (code, after) = samverkan(&["audit", "verify", "--database-url", &url(&copy)]);
    assert_eq!(code, 0, "{after}");
    assert!(after.contains("audit trail intact"), "{after}");
    assert_eq!(before, after, "the copy holds every audit entry");

    // Never over an existing file.
    let (code, out) = samverkan(&[
        "backup",
        "--database-url",
        &url(&original),
        "--out",
        copy.to_str().unwrap(),
    ]);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("finns redan"), "{out}");

    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
