//! The house rules of the source tree, checked on every test run (see
//! `docs/architecture.md`): every service has the same rooms, the domain
//! knows neither transport nor storage, and every precondition is a rule
//! a domain declares.

use std::path::{Path, PathBuf};

const SERVICES: &[&str] = &["roles", "forums", "decisions", "agreements", "costmodel"];
const ROOMS: &[&str] = &["api", "domain", "store", "migration"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The file's code lines: comments dropped, so that prose may name what
/// the code may not use.
fn code_lines(p: &Path) -> Vec<(usize, String)> {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
        .map(|(i, l)| (i + 1, l.to_owned()))
        .collect()
}

/// Whether `line` uses the crate `name` as a path or import.
fn names_crate(line: &str, name: &str) -> bool {
    line.match_indices(name).any(|(i, _)| {
        let before = line[..i].chars().next_back();
        let after = &line[i + name.len()..];
        !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
            && (after.starts_with("::") || after.starts_with(';') || after.starts_with(" as "))
    })
}

fn violations(dir: &str, pred: impl Fn(&str) -> bool) -> Vec<String> {
    let mut found = Vec::new();
    for svc in SERVICES {
        for f in rust_files(&root().join(format!("services/{svc}/src/{dir}"))) {
            for (n, l) in code_lines(&f) {
                if pred(&l) {
                    found.push(format!("{}:{n}: {}", f.display(), l.trim()));
                }
            }
        }
    }
    found
}

#[test]
fn every_service_has_the_same_rooms() {
    for svc in SERVICES {
        for room in ROOMS {
            let dir = root().join(format!("services/{svc}/src/{room}"));
            assert!(dir.is_dir(), "{svc} has no {room}/");
        }
        assert!(
            root()
                .join(format!("services/{svc}/src/domain/rules.rs"))
                .is_file(),
            "{svc} declares its preconditions outside domain/rules.rs"
        );
    }
}

#[test]
fn the_domain_knows_neither_transport_nor_storage() {
    let found = violations("domain", |l| {
        ["tonic", "sea_orm", "sqlx", "samverkan_db"]
            .iter()
            .any(|c| names_crate(l, c))
            || l.contains("ApiError")
    });
    assert!(
        found.is_empty(),
        "domain/ uses transport or storage:\n{}",
        found.join("\n")
    );
}

#[test]
fn preconditions_are_decided_in_the_domain() {
    // The API and the store report a domain's refusal (`Refusal::on`);
    // they neither define a reason nor raise FAILED_PRECONDITION themselves.
    for dir in ["api", "store", "migration"] {
        let found = violations(dir, |l| {
            l.contains("precondition(")
                || l.contains("Rule::new(")
                || l.contains("::rules!")
                || l.trim_start().starts_with("rules!")
                || (l.contains("FailedPrecondition {") && !l.contains(".. }"))
        });
        assert!(
            found.is_empty(),
            "{dir}/ decides a precondition:\n{}",
            found.join("\n")
        );
    }
}

#[test]
fn the_checks_see_what_they_check() {
    assert!(names_crate("use sea_orm::EntityTrait;", "sea_orm"));
    assert!(names_crate("    tonic::Status::ok(\"\")", "tonic"));
    assert!(!names_crate("let tonic_like = 1;", "tonic"));
    assert!(!names_crate("use samverkan_tonic::X;", "tonic"));
    // The rooms are read: a service's api/ holds code.
    assert!(
        !violations("api", |l| l.contains("ApiError")).is_empty(),
        "the scan reads nothing"
    );
}

#[test]
fn every_write_of_the_registry_advances_its_change_version() {
    // Callers are kept until the registry's change version moves
    // (`services/roles/src/directory.rs`): a write transaction of the roles
    // service that did not advance it would let a revoked role be honoured.
    let helper = root().join("services/roles/src/store/mod.rs");
    let mut found = Vec::new();
    let mut in_helper = 0;
    for f in rust_files(&root().join("services/roles/src")) {
        for (n, l) in code_lines(&f) {
            if l.contains("Access::Write") {
                if f == helper {
                    in_helper += 1;
                } else {
                    found.push(format!("{}:{n}: {}", f.display(), l.trim()));
                }
            }
        }
    }
    assert_eq!(
        in_helper, 1,
        "store::begin_write opens the write transactions"
    );
    assert!(
        found.is_empty(),
        "the roles service writes without store::begin_write:\n{}",
        found.join("\n")
    );
}
