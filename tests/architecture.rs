//! The layers of `docs/ARCHITECTURE.md`, held against the source: every module of `src/`
//! imports only the layers below it, and the crates of one face stay in that face. Test-only
//! code (a `#[cfg(test)]` module or file) may drive a layer above through its public API.
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside #[test] fns fail the test the same way"
)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Each layer and the layers of the crate it may import (besides itself): the graph of
/// `docs/ARCHITECTURE.md`, from the faces down to the domain.
const MAY_IMPORT: &[(&str, &[&str])] = &[
    (
        "cli",
        &[
            "auth", "clock", "domain", "error", "http", "json", "outbound", "random", "service",
            "simulate", "store",
        ],
    ),
    (
        "http",
        &[
            "auth", "clock", "domain", "error", "json", "random", "service", "store",
        ],
    ),
    (
        "simulate",
        &[
            "auth", "clock", "domain", "error", "outbound", "random", "service", "store",
        ],
    ),
    ("json", &["domain", "error", "service"]),
    (
        "service",
        &["auth", "clock", "domain", "error", "random", "store"],
    ),
    ("error", &["auth", "domain", "store"]),
    ("store", &["clock", "domain", "random"]),
    ("auth", &["clock", "domain", "outbound"]),
    ("clock", &[]),
    ("outbound", &[]),
    ("random", &["domain"]),
    ("domain", &[]),
];

/// Crates that belong to one layer: the terminal's to `cli`, the web server's to `http`, the
/// databases' drivers to `store`.
const CRATES_OF: &[(&str, &[&str])] = &[
    (
        "cli",
        &[
            "clap",
            "clap_complete",
            "clap_mangen",
            "comfy_table",
            "crossterm",
            "dialoguer",
            "indicatif",
            "ratatui",
        ],
    ),
    (
        "http",
        &["axum", "hyper", "hyper_util", "tower", "tower_http"],
    ),
    ("store", &["mongodb", "rusqlite"]),
];

/// What the domain never names: a clock, randomness, I/O, a runtime. Time comes in as `now`,
/// random bytes as arguments.
const NOT_IN_DOMAIN: &[&str] = &[
    "Utc::now",
    "SystemTime",
    "Instant::now",
    "getrandom::",
    "rand::",
    "tokio::",
    "std::fs",
    "std::net",
];

#[test]
fn every_module_imports_only_the_layers_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let layers: BTreeSet<&str> = MAY_IMPORT.iter().map(|(layer, _)| *layer).collect();
    let mut broken = Vec::new();
    for file in production_files(&src) {
        let module = module_path(&src, &file);
        let Some(layer) = module.first().map(String::as_str) else {
            continue; // lib.rs and main.rs: the crate root names every layer
        };
        let allowed = MAY_IMPORT.iter().find(|(l, _)| *l == layer).map_or_else(
            || panic!("`{layer}` is in no layer: add it to MAY_IMPORT"),
            |(_, allowed)| *allowed,
        );
        let text = code_of(&std::fs::read_to_string(&file).unwrap());
        let shown = file.strip_prefix(src.parent().unwrap()).unwrap().display();
        for used in crate_modules_named(&text, &module) {
            if used != layer && layers.contains(used.as_str()) && !allowed.contains(&&*used) {
                broken.push(format!(
                    "{shown}: `{layer}` imports `{used}`; it may import only {}",
                    list(allowed)
                ));
            }
        }
        if layer == "domain" {
            for name in NOT_IN_DOMAIN {
                let named = match name.strip_suffix("::") {
                    Some(krate) => names_crate(&text, krate),
                    None => text.contains(name),
                };
                if named {
                    broken.push(format!("{shown}: the domain names `{name}`"));
                }
            }
        }
        for (owner, crates) in CRATES_OF {
            for name in *crates {
                if layer != *owner && names_crate(&text, name) {
                    broken.push(format!(
                        "{shown}: `{layer}` uses the `{name}` crate, which only `{owner}` may use"
                    ));
                }
            }
        }
    }
    broken.sort();
    broken.dedup();
    assert!(
        broken.is_empty(),
        "imports against the layers of docs/ARCHITECTURE.md:\n  {}",
        broken.join("\n  ")
    );
}

/// The reader can fail: a wrong import is found, a comment or a test module is not.
#[test]
fn the_reader_finds_imports_in_code_only() {
    let module = ["store".to_owned(), "url".to_owned()];
    let found = |text: &str| crate_modules_named(&code_of(text), &module);
    assert_eq!(
        found("use crate::service::ClaimService;"),
        BTreeSet::from(["service".to_owned()])
    );
    assert_eq!(
        found("use super::super::{domain::Units, http};"),
        BTreeSet::from(["domain".to_owned(), "http".to_owned()])
    );
    assert_eq!(
        found("use super::Store; // see crate::cli"),
        BTreeSet::from(["store".to_owned()])
    );
    assert_eq!(
        found("fn f() {}\n#[cfg(test)]\nmod tests {\n    use crate::service;\n}\n"),
        BTreeSet::new()
    );
    assert!(names_crate("let x = axum::Router::new();", "axum"));
    assert!(!names_crate("let x = my_axum::Router::new();", "axum"));
}

/// `allowed` as an operator reads it.
fn list(allowed: &[&str]) -> String {
    if allowed.is_empty() {
        "nothing of the crate".to_owned()
    } else {
        allowed
            .iter()
            .map(|l| format!("`{l}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The `.rs` files under `src`, less the files of `#[cfg(test)] mod name;` modules.
fn production_files(src: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut folders = vec![src.to_owned()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let mut test_only = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let folder = if file.ends_with("mod.rs") || file.ends_with("lib.rs") {
            file.parent().unwrap().to_owned()
        } else {
            file.with_extension("")
        };
        let mut lines = text.lines().map(str::trim);
        while let Some(line) = lines.next() {
            if line == "#[cfg(test)]" {
                let next = lines.next().unwrap_or_default();
                if let Some(name) = next
                    .split_whitespace()
                    .last()
                    .and_then(|last| last.strip_suffix(';'))
                    .filter(|_| next.starts_with("mod ") || next.starts_with("pub(crate) mod "))
                {
                    test_only.push(folder.join(name));
                }
            }
        }
    }
    files.retain(|file| {
        !test_only
            .iter()
            .any(|module| file.with_extension("") == *module || file.starts_with(module))
    });
    files.sort();
    files
}

/// The module path of `file` under `src`: `src/store/mongo/mod.rs` is `store::mongo`.
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).unwrap().with_extension("");
    let mut path: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        path.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        path.pop();
    }
    path
}

/// `text` without its comments and its inline `#[cfg(test)]` modules.
fn code_of(text: &str) -> String {
    let mut code = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim();
        if trimmed == "#[cfg(test)]"
            && lines
                .peek()
                .is_some_and(|next| next.trim_start().starts_with("mod ") && next.ends_with('{'))
        {
            // Skip the module: up to the brace that closes it.
            let mut depth = 0_i64;
            for line in lines.by_ref() {
                depth += brace_balance(line);
                if depth <= 0 && line.contains('}') {
                    break;
                }
            }
            continue;
        }
        let without_comment = line.find("//").map_or(line, |at| &line[..at]);
        code.push_str(without_comment);
        code.push('\n');
    }
    code
}

fn brace_balance(line: &str) -> i64 {
    let opened = line.matches('{').count();
    let closed = line.matches('}').count();
    i64::try_from(opened).unwrap() - i64::try_from(closed).unwrap()
}

/// The top-level modules of the crate that `code`, in module `module`, names through
/// `crate::`, `super::` or `self::` paths (and their `{...}` groups).
fn crate_modules_named(code: &str, module: &[String]) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let bytes = code.as_bytes();
    for (at, _) in code.match_indices("::") {
        // The path this `::` belongs to starts at the first of its segments.
        let mut start = at;
        while start > 0 {
            let before = bytes[start - 1];
            if before.is_ascii_alphanumeric() || before == b'_' || before == b':' {
                start -= 1;
            } else {
                break;
            }
        }
        if start > 0 && bytes[start - 1] == b'$' {
            continue; // `$crate` in a macro
        }
        let path = &code[start..];
        let segments: Vec<&str> = path.split("::").collect();
        let mut base: Vec<String> = match segments[0] {
            "crate" => Vec::new(),
            "self" | "super" => module.to_vec(),
            _ => continue,
        };
        let mut rest = &segments[1..];
        if segments[0] == "super" {
            base.pop();
            while rest.first() == Some(&"super") {
                base.pop();
                rest = &rest[1..];
            }
        }
        if let Some(top) = base.first() {
            found.insert(top.clone());
            continue;
        }
        let Some(next) = rest.first() else { continue };
        if next.starts_with('{') {
            let group_start = start + path.find('{').unwrap() + 1;
            for name in group_names(&code[group_start..]) {
                found.insert(name);
            }
        } else {
            let name: String = next
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            found.insert(name);
        }
    }
    found
}

/// The first segment of each item of a `{a::b, c, d::{e}}` group, from just after its `{`.
fn group_names(group: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut depth = 0;
    let mut item = String::new();
    for c in group.chars() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                names.push(std::mem::take(&mut item));
                continue;
            }
            _ => {}
        }
        item.push(c);
    }
    names.push(item);
    names
        .iter()
        .map(|item| {
            item.trim()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .filter(|name| !name.is_empty() && name != "self")
        .collect()
}

/// Whether `code` names the crate `name` as a path (`name::`), not as part of another word.
fn names_crate(code: &str, name: &str) -> bool {
    let pattern = format!("{name}::");
    code.match_indices(&pattern).any(|(at, _)| {
        let before = code[..at].chars().next_back();
        !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
    })
}
