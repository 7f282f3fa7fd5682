//! The suite's own rules: a test that cannot run where it is run fails or is left out by the
//! nextest profile (`.config/nextest.toml`), and is reported as skipped; it never returns
//! early and counts as passed.

use std::path::Path;

/// The source of every file of this suite, by path.
fn sources() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/api");
    let mut files = Vec::new();
    let mut folders = vec![root];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                files.push((path.display().to_string(), text));
            }
        }
    }
    files
}

#[test]
fn no_test_returns_early_on_the_backend_or_the_machine_it_runs_on() {
    let mut early = Vec::new();
    for (path, text) in sources() {
        let lines: Vec<&str> = text.lines().collect();
        for (at, line) in lines.iter().enumerate() {
            let guard = line.trim_start().starts_with("if ")
                && (line.contains("uses_postgres()")
                    || line.contains("is_root()")
                    || line.contains("bin_dir()")
                    || line.contains("var_os(\"CI\")"));
            let returns = lines[at + 1..lines.len().min(at + 5)]
                .iter()
                .any(|next| next.trim() == "return;");
            if guard && returns {
                early.push(format!("{path}:{}: {}", at + 1, line.trim()));
            }
        }
    }
    assert!(
        early.is_empty(),
        "tests that pass without running (put them in a sqlite_only, postgres_only or \
         needs_root module and call require_sqlite / require_postgres / require_root):\n{}",
        early.join("\n")
    );
}
