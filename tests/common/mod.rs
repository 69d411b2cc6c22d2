//! Helpers shared by the command-line tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the `vader` binary with `args` from the repository root.
pub fn vader(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vader"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("the vader binary runs")
}

/// Standard output as text, failing the test with stderr when the command failed.
#[track_caller]
pub fn stdout_ok(out: &Output) -> String {
    assert!(out.status.success(), "vader failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).expect("utf-8 output")
}

/// Writes `text` to `dir/name`.
pub fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write test file");
}

/// Parses `vader capacity --format csv` output into rows of `column -> value`.
pub fn parse_csv(text: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().expect("header").split(',').map(str::to_string).collect();
    lines.map(|l| header.iter().cloned().zip(l.split(',').map(str::to_string)).collect()).collect()
}
