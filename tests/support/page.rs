//! Checks of a self-contained HTML page a command writes (`campaign report --html`,
//! `simulate --html`): statically always, and in headless Chromium where one is installed.

use std::path::Path;
use std::process::Command;

use super::{TestEnv, chromium};

/// Each element opened is closed, in order (void elements aside), and attributes are quoted:
/// enough to tell a page that a browser would have to repair.
pub(crate) fn assert_well_formed(page: &str) {
    const VOID: [&str; 2] = ["meta", "line"];
    let mut open: Vec<String> = Vec::new();
    let mut rest = page;
    while let Some(at) = rest.find('<') {
        rest = &rest[at + 1..];
        let end = rest.find('>').expect("a tag is closed");
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        if tag.starts_with('!') {
            continue;
        }
        let self_closed = tag.ends_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        assert!(!name.is_empty(), "bad tag <{tag}>");
        if let Some(closing) = tag.strip_prefix('/') {
            assert_eq!(
                open.pop().as_deref(),
                Some(closing),
                "</{closing}> closes the wrong element"
            );
        } else if !self_closed && !VOID.contains(&name.as_str()) {
            open.push(name);
        }
        assert_eq!(
            tag.matches('"').count() % 2,
            0,
            "unbalanced quotes in <{tag}>"
        );
    }
    assert!(open.is_empty(), "left open: {open:?}");
}

/// No resource from elsewhere: no script at all, and no `src` or `href` with a URL.
pub(crate) fn assert_self_contained(page: &str) {
    let lower = page.to_ascii_lowercase();
    assert!(!lower.contains("<script"), "a script");
    assert!(!lower.contains("<link"), "a linked resource");
    assert!(
        !lower.contains("@import") && !lower.contains("url("),
        "a CSS import"
    );
    for attribute in ["src=", "href="] {
        assert!(
            !lower.contains(attribute),
            "an external reference: {attribute}"
        );
    }
    assert!(
        !lower.contains("http://") && !lower.contains("https://"),
        "a URL"
    );
}

/// Renders `page` headless and returns the screenshot's size and what the browser logged.
fn screenshot(browser: &str, dir: &Path, page: &Path, name: &str) -> (u64, String) {
    let shot = dir.join(format!("{name}.png"));
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=900,1100",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("the browser runs");
    assert!(out.status.success(), "{browser}: {out:?}");
    let size = std::fs::metadata(&shot).expect("a screenshot").len();
    (size, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Renders `page` in headless Chromium, when one is installed: its screenshot is far from
/// blank and the browser logged nothing from the page's console.
pub(crate) fn assert_renders(env: &TestEnv, page: &Path) {
    let Some(browser) = chromium() else {
        eprintln!("skipped: no chromium installed (apt-get install chromium to run this test)");
        return;
    };
    let dir = env.path().join("browser");
    std::fs::create_dir_all(&dir).expect("a folder for the browser");
    let blank = dir.join("blank.html");
    std::fs::write(&blank, "<!DOCTYPE html><html><body></body></html>").expect("a blank page");
    let (blank_size, _) = screenshot(browser, &dir, &blank, "blank");
    let (size, log) = screenshot(browser, &dir, page, "page");
    // Text and charts compress far worse than an empty white page.
    assert!(
        size > 4 * blank_size,
        "a blank screenshot: {size} bytes vs {blank_size}"
    );
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(console.is_empty(), "console messages: {console:#?}");
}
