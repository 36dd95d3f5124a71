//! The whole catalogue of error reasons: the general ones of
//! `samverkan_core::reasons` and every domain rule each service declares
//! in its `domain/rules.rs`. `docs/errors.md` is rendered from it.

use samverkan_core::Rule;

/// Every precondition, with the service whose domain declares it (`all`
/// for the rule every service shares).
pub fn rules() -> [(&'static str, &'static [&'static Rule]); 6] {
    [
        ("all", samverkan_core::rule::RULES),
        ("roles", samverkan_roles::domain::rules::RULES),
        ("forums", samverkan_forums::domain::rules::RULES),
        ("decisions", samverkan_decisions::domain::rules::RULES),
        ("agreements", samverkan_agreements::domain::rules::RULES),
        ("costmodel", samverkan_costmodel::domain::rules::RULES),
    ]
}

/// Whether `reason` is in the catalogue.
pub fn listed(reason: &str) -> bool {
    samverkan_core::reasons::GENERAL
        .iter()
        .any(|r| r.reason == reason)
        || rules()
            .iter()
            .any(|(_, rules)| rules.iter().any(|r| r.reason == reason))
}

/// `docs/errors.md`.
pub fn render_markdown() -> String {
    samverkan_core::reasons::render_markdown(&rules())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    use super::*;

    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    #[test]
    fn errors_doc_matches_the_catalogue() {
        let path = root().join("docs/errors.md");
        let want = render_markdown();
        if std::env::var("SAMVERKAN_WRITE_DOCS").is_ok_and(|v| v == "1") {
            std::fs::write(&path, &want).unwrap();
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "docs/errors.md is stale; regenerate it with \
             SAMVERKAN_WRITE_DOCS=1 cargo test -p samverkan-server errors_doc"
        );
    }

    #[test]
    fn every_reason_is_unique() {
        let mut seen = BTreeMap::new();
        let general = samverkan_core::reasons::GENERAL
            .iter()
            .map(|r| ("general", r.reason));
        let rules = rules();
        let domain = rules
            .iter()
            .flat_map(|(s, rules)| rules.iter().map(move |r| (*s, r.reason)));
        for (service, reason) in general.chain(domain) {
            if let Some(first) = seen.insert(reason, service) {
                panic!("{reason} is declared by {first} and {service}");
            }
        }
    }

    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                rust_files(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }

    /// A rule is declared only with `samverkan_core::rules!`, which names
    /// it after its reason and lists it in its module's `RULES`: a hand-made
    /// `Rule::new(` in a service would escape the catalogue.
    #[test]
    fn rules_are_declared_only_by_the_macro() {
        let mut files = Vec::new();
        rust_files(&root().join("services"), &mut files);
        let mut found = Vec::new();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            if text.contains("Rule::new(") {
                found.push(f.display().to_string());
            }
        }
        assert!(found.is_empty(), "rules declared by hand: {found:?}");
        let count: usize = rules().iter().map(|(_, r)| r.len()).sum();
        assert!(count > 50, "the catalogue holds only {count} rules");
    }
}
