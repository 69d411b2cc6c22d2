//! *Data*: the ingestion log (the last events of the `sftp` and `ingest` jobs), the files
//! and rows refused with their reason (`quarantine/`), and what validation finds in the store
//! (`ledger/validation.json`, written each cycle).

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::app::Web;
use super::html::{self, escape, head, page, row};
use crate::serve::ledger;
use crate::serve::users::Role;

/// Log bytes read from the end of the log file.
const LOG_TAIL_BYTES: u64 = 512 * 1024;
/// Ingestion events shown.
const EVENTS_SHOWN: usize = 100;

/// The last lines of the service's log whose step is `sftp` or `ingest`, newest first.
fn ingestion_events(web: &Web) -> Vec<Value> {
    let Some(path) = web.log().path() else { return Vec::new() };
    let Ok(mut file) = std::fs::File::open(path) else { return Vec::new() };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let start = len.saturating_sub(LOG_TAIL_BYTES);
    if file.seek(SeekFrom::Start(start)).is_err() {
        return Vec::new();
    }
    let mut text = String::new();
    if file.read_to_string(&mut text).is_err() {
        return Vec::new();
    }
    // A partial first line is skipped by the JSON parse.
    text.lines()
        .rev()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| matches!(e["step"].as_str(), Some("sftp" | "ingest")))
        .take(EVENTS_SHOWN)
        .collect()
}

/// The quarantine: each refused file or row list with its reason.
fn quarantine(dir: &Path) -> Vec<Value> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut names: Vec<String> = entries.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect();
    names.sort();
    let mut out = Vec::new();
    for name in &names {
        if let Some(file) = name.strip_suffix(".error.txt") {
            let reason = std::fs::read_to_string(dir.join(name)).unwrap_or_default();
            out.push(json!({ "file": file, "kind": "unreadable file", "reason": reason.trim(), "rows": Value::Null }));
        } else if let Some(file) = name.strip_suffix(".conflicts.csv") {
            let text = std::fs::read_to_string(dir.join(name)).unwrap_or_default();
            let mut reasons: Vec<&str> = text.lines().skip(1).filter_map(|l| l.rsplit(',').next()).collect();
            reasons.sort_unstable();
            reasons.dedup();
            out.push(json!({
                "file": file, "kind": "rows not stored", "reason": reasons.join("; "),
                "rows": text.lines().count().saturating_sub(1),
            }));
        }
    }
    out
}

fn validation(web: &Web) -> Value {
    ledger::read(web.home(), "validation").ok().flatten().unwrap_or(Value::Null)
}

/// `GET /data`.
pub async fn page_data(State(web): State<Arc<Web>>, headers: HeaderMap) -> Response {
    let v = match web.page_guard(&headers, Role::Buyer) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let s = |v: &Value| match v {
        Value::String(t) => escape(t),
        Value::Null => String::new(),
        other => escape(&other.to_string()),
    };
    let mut checks = head(
        &[
            "meter",
            "readings",
            "first",
            "last",
            "gaps",
            "missing",
            "negative",
            "not finite",
            "off grid",
            "first problem",
        ],
        1,
    );
    let report = validation(&web);
    for m in report["meters"].as_array().into_iter().flatten() {
        let cells = [
            s(&m["meter_id"]),
            s(&m["readings"]),
            s(&m["first"]),
            s(&m["last"]),
            s(&m["gaps"]),
            s(&m["missing_intervals"]),
            s(&m["negative"]),
            s(&m["non_finite"]),
            s(&m["off_grid"]),
            s(&m["first_problem"]),
        ];
        let bad = m["negative"].as_u64().unwrap_or(0) + m["non_finite"].as_u64().unwrap_or(0) > 0;
        checks.push_str(&row(&cells, 1, if bad { "over" } else { "" }));
    }
    let mut refused = head(&["file", "what", "rows", "reason"], 2);
    let quarantined = quarantine(&web.service.folders.quarantine);
    for q in &quarantined {
        refused.push_str(&row(&[s(&q["file"]), s(&q["kind"]), s(&q["rows"]), s(&q["reason"])], 2, ""));
    }
    let mut log = head(
        &["cycle time", "step", "event", "file", "added", "duplicates", "refused", "findings", "detail"],
        3,
    );
    for e in ingestion_events(&web) {
        let detail = e.get("reason").or_else(|| e.get("error")).cloned().unwrap_or(Value::Null);
        let cells = [
            s(&e["at"]),
            s(&e["step"]),
            s(&e["event"]),
            s(&e["file"]),
            s(&e["added"]),
            s(&e["duplicates"]),
            s(&e["quarantined"]),
            s(&e["findings"]),
            s(&detail),
        ];
        log.push_str(&row(&cells, 3, ""));
    }
    let body = format!(
        "<h2>Validation of the store</h2><table id=\"validation\">{checks}</table>\
         <h2>Refused</h2>{}<table id=\"quarantine\">{refused}</table>\
         <h2>Ingestion log</h2><p>The last {EVENTS_SHOWN} events of the SFTP pull and the ingestion, newest first.</p><table id=\"ingestion\">{log}</table>",
        if quarantined.is_empty() { "<p>Nothing refused.</p>" } else { "" }
    );
    page(StatusCode::OK, "Data", Some(v.nav()), &body)
}

/// `GET /api/data`.
pub async fn api(State(web): State<Arc<Web>>, headers: HeaderMap) -> Response {
    if let Err(r) = web.api_guard(&headers, Role::Buyer) {
        return *r;
    }
    html::json(json!({
        "validation": validation(&web),
        "quarantine": quarantine(&web.service.folders.quarantine),
        "ingestion": ingestion_events(&web),
    }))
}
