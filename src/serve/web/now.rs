//! *Now*: the latest capacity alert per site, its picture and how fresh its data is
//! (`alerts/latest.*`, written by the alert job).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::app::Web;
use super::html::{self, escape, head, mwh, page, row, with_headers};
use crate::serve::users::Role;

/// The latest alert as saved by the alert job, if any.
fn latest(web: &Web) -> Option<Value> {
    let text = std::fs::read_to_string(web.home().join("alerts/latest.json")).ok()?;
    serde_json::from_str(&text).ok()
}

/// `GET /now`.
pub async fn page_now(State(web): State<Arc<Web>>, headers: HeaderMap) -> Response {
    let v = match web.page_guard(&headers, Role::Buyer) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let body = match latest(&web) {
        None => "<p>No alert computed yet: the service has not run a cycle with readings.</p>".to_string(),
        Some(alert) => body(&alert),
    };
    page(StatusCode::OK, "Now", Some(v.nav()), &body)
}

fn body(alert: &Value) -> String {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let mut sites: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in alert["rows"].as_array().into_iter().flatten() {
        let id = text(&r["meter_id"]);
        let site = alert["sites"][id.as_str()].as_str().unwrap_or("other").to_string();
        let over = r["over_capacity"].as_bool() == Some(true);
        let extra = r["extra_capacity_kwh"].as_f64().filter(|x| *x > 0.0);
        let cells = [
            escape(&id),
            escape(&text(&r["name"])),
            mwh(r["consumed_kwh"].as_f64()),
            mwh(r["projected_kwh"].as_f64()),
            mwh(r["capacity_kwh"].as_f64()),
            if extra.is_some() { mwh(extra) } else { String::new() },
            if over { "OVER".into() } else { String::new() },
        ];
        sites.entry(site).or_default().push(row(&cells, 2, if over { "over" } else { "" }));
    }
    let freshness = match (alert["data_age_hours"].as_f64(), alert["stale"].as_bool()) {
        (Some(h), Some(true)) => {
            format!(
                "<p class=\"stale\">Data is stale: the last reading known ended {h:.1} h before the alert.</p>"
            )
        }
        (Some(h), _) => format!("<p>The last reading known ended {h:.1} h before the alert.</p>"),
        _ => "<p class=\"stale\">No reading known for this gas day.</p>".to_string(),
    };
    let mut tables = String::new();
    for (site, rows) in sites {
        tables.push_str(&format!(
            "<h2>{}</h2><table class=\"alert\" data-site=\"{}\">{}{}</table>",
            escape(&site),
            escape(&site),
            head(&["meter", "name", "so far", "projected", "capacity", "buy", ""], 2),
            rows.join("")
        ));
    }
    format!(
        "<p>As of <time>{}</time> · {} · energies in MWh</p>{freshness}{tables}\
         <p><img id=\"alert-picture\" src=\"/now.png\" alt=\"the capacity alert as mailed\" width=\"540\"></p>",
        escape(&text(&alert["at"])),
        escape(&text(&alert["how"])),
    )
}

/// `GET /now.png`: the alert's picture, as mailed.
pub async fn picture(State(web): State<Arc<Web>>, headers: HeaderMap) -> Response {
    if let Err(r) = web.page_guard(&headers, Role::Buyer) {
        return *r;
    }
    match std::fs::read(web.home().join("alerts/latest.png")) {
        Ok(bytes) => with_headers(([(header::CONTENT_TYPE, "image/png")], bytes).into_response()),
        Err(_) => with_headers(StatusCode::NOT_FOUND.into_response()),
    }
}

/// `GET /api/now`.
pub async fn api(State(web): State<Arc<Web>>, headers: HeaderMap) -> Response {
    if let Err(r) = web.api_guard(&headers, Role::Buyer) {
        return *r;
    }
    html::json(json!({ "alert": latest(&web).unwrap_or(Value::Null) }))
}
