//! The layering the crate promises: the service layer, the signing scheme,
//! the wire types and the client know nothing of HTTP servers; only
//! `src/http` imports actix-web or the HTTP layer.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Lines of code (not comments) of the files under `src/<dir>` that name `needle`.
fn offending(dir: &str, needles: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let target = root.join(dir);
    if target.is_dir() {
        rust_files(&target, &mut files);
    } else {
        files.push(target);
    }
    assert!(!files.is_empty(), "no source under src/{dir}");
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            if needles.iter().any(|needle| code.contains(needle)) {
                found.push(format!("{}:{}: {code}", file.display(), n + 1));
            }
        }
    }
    found
}

#[test]
fn only_the_http_layer_knows_http() {
    let http = ["actix_web", "actix-web", "crate::http", "HttpRequest", "HttpResponse"];
    for dir in ["service", "auth", "client", "dto.rs", "error.rs", "metrics.rs"] {
        let found = offending(dir, &http);
        assert!(found.is_empty(), "src/{dir} imports the HTTP layer:\n{}", found.join("\n"));
    }
    // The check itself can fail: the HTTP layer does name actix.
    assert!(!offending("http", &http).is_empty());
}

#[test]
fn no_source_file_is_over_500_lines() {
    let mut files = Vec::new();
    rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut files);
    let long: Vec<String> = files
        .iter()
        .map(|f| (f, std::fs::read_to_string(f).unwrap().lines().count()))
        .filter(|(_, n)| *n > 500)
        .map(|(f, n)| format!("{}: {n} lines", f.display()))
        .collect();
    assert!(long.is_empty(), "split these by idea:\n{}", long.join("\n"));
}
