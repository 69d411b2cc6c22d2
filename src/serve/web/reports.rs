//! Backtest reports: `GET /reports/RUN/FILE` serves a file of `home/reports/RUN/` (the HTML
//! report, its plots, its Markdown and summary). Both names must be plain file names (letters,
//! digits, `-`, `_`, `.`; no leading dot, no `..`), the file one of the report's kinds, and the
//! resolved path inside the reports folder: anything else is `404`, and logged.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::json;

use super::app::Web;
use super::html::{not_found, with_headers};
use crate::serve::users::Role;

/// A plain file name: no separator, no leading dot, no `..`.
fn plain(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && !name.starts_with('.')
        && !name.contains("..")
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn content_type(name: &str) -> Option<&'static str> {
    match Path::new(name).extension()?.to_str()? {
        "html" => Some("text/html; charset=utf-8"),
        "png" => Some("image/png"),
        "md" => Some("text/markdown; charset=utf-8"),
        "json" => Some("application/json"),
        _ => None,
    }
}

/// The file `run/file` of the reports folder `root`, when the names are safe and the file is
/// inside it.
pub fn resolve(root: &Path, run: &str, file: &str) -> Option<(PathBuf, &'static str)> {
    if !plain(run) || !plain(file) {
        return None;
    }
    let kind = content_type(file)?;
    let root = root.canonicalize().ok()?;
    let path = root.join(run).join(file).canonicalize().ok()?;
    (path.starts_with(&root) && path.is_file()).then_some((path, kind))
}

/// `GET /reports/{run}/{file}`.
pub async fn report_file(
    State(web): State<Arc<Web>>,
    headers: HeaderMap,
    UrlPath((run, file)): UrlPath<(String, String)>,
) -> Response {
    let v = match web.page_guard(&headers, Role::Buyer) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let Some((path, kind)) = resolve(&web.home().join("reports"), &run, &file) else {
        web.log().event(
            Utc::now(),
            "web",
            "report refused",
            json!({ "user": v.user, "run": run, "file": file }),
        );
        return not_found(Some(v.nav()));
    };
    match std::fs::read(&path) {
        Ok(bytes) => with_headers(([(header::CONTENT_TYPE, kind)], bytes).into_response()),
        Err(_) => with_headers(StatusCode::NOT_FOUND.into_response()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_names_inside_the_reports_folder_resolve() {
        let dir = tempfile::tempdir().expect("tmp");
        let root = dir.path().join("reports");
        std::fs::create_dir_all(root.join("ab-gas-day-20250602T0600Z")).expect("mkdir");
        std::fs::write(root.join("ab-gas-day-20250602T0600Z/report.html"), "<p>r</p>").expect("write");
        std::fs::write(dir.path().join("users.json"), "[]").expect("write");
        std::fs::write(root.join("ab-gas-day-20250602T0600Z/forecasts.parquet"), "x").expect("write");
        #[cfg(unix)]
        std::os::unix::fs::symlink(
            dir.path().join("users.json"),
            root.join("ab-gas-day-20250602T0600Z/leak.json"),
        )
        .expect("symlink");
        assert!(resolve(&root, "ab-gas-day-20250602T0600Z", "report.html").is_some());
        for (run, file) in [
            ("..", "users.json"),
            ("ab-gas-day-20250602T0600Z", "../../users.json"),
            ("ab-gas-day-20250602T0600Z/..", "report.html"),
            ("ab-gas-day-20250602T0600Z", "forecasts.parquet"),
            ("ab-gas-day-20250602T0600Z", "leak.json"),
            (".", "report.html"),
            ("ab-gas-day-20250602T0600Z", "/etc/passwd"),
        ] {
            assert!(resolve(&root, run, file).is_none(), "{run}/{file}");
        }
    }
}
