//! *Value*: the euros the decisions taken have saved to date against the day-one rule
//! (capacity) and persistence (nominations), per site and month, recomputed each cycle as
//! readings arrive (`ledger/value.json`).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::json;

use super::app::Web;
use super::html::{self, escape, head, page, row, saving};
use crate::serve::ledger::{self, Value};
use crate::serve::users::Role;

fn value(web: &Web) -> Result<Option<Value>, String> {
    ledger::read(web.home(), "value").map_err(|e| e.to_string())
}

/// `GET /value`.
pub async fn page_value(State(web): State<Arc<Web>>, headers: HeaderMap) -> Response {
    let v = match web.page_guard(&headers, Role::Buyer) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let body = match value(&web) {
        Err(e) => format!("<p class=\"bad\">{}</p>", escape(&e)),
        Ok(None) => {
            "<p>Nothing priced yet: a decision is priced once every reading of its day is in.</p>".to_string()
        }
        Ok(Some(value)) => body(&value),
    };
    page(StatusCode::OK, "Value", Some(v.nav()), &body)
}

fn body(value: &Value) -> String {
    let mut table = head(
        &[
            "site",
            "month",
            "capacity €",
            "days",
            "gas nominations €",
            "days",
            "electricity schedules €",
            "days",
            "total €",
        ],
        2,
    );
    for m in &value.months {
        let cells = [
            escape(&m.site),
            escape(&m.month),
            saving(Some(m.capacity_saved_eur)),
            m.capacity_days.to_string(),
            saving(Some(m.nominations_saved_eur)),
            m.nomination_days.to_string(),
            saving(Some(m.schedules_saved_eur)),
            m.schedule_days.to_string(),
            saving(Some(m.total_saved_eur)),
        ];
        table.push_str(&row(&cells, 2, ""));
    }
    let p = &value.prices;
    format!(
        "<p>Saved to date: <b id=\"total-saved\">{}</b> EUR{}.</p>\
         <p>What the decisions the service took cost, subtracted from what their reference would have cost on the same days: \
         the capacity bought on the alert's advice against the day-one rule's (five-hour mean × 24) at the same alerts, \
         the nominations and schedules against persistence's at the same deadlines. Days are counted per meter, once \
         every reading of the day is in. Prices: overrun {:.0} EUR/MWh, daily capacity {:.2} EUR/MWh, gas {:.0} EUR/MWh \
         ±{:.0} %, electricity {:.0} EUR/MWh, k = {:.2}.</p><table id=\"value\">{table}</table>",
        saving(Some(value.total_saved_eur)),
        value
            .updated_at
            .map(|t| format!(" (computed {})", t.format("%Y-%m-%d %H:%M UTC")))
            .unwrap_or_default(),
        p.capacity.penalty_eur_per_mwh,
        p.capacity.daily_price_eur_per_mwh(),
        p.gas.price_eur_per_mwh,
        p.gas.small_adjustment * 100.0,
        p.electricity.price_eur_per_mwh,
        p.electricity.k,
    )
}

/// `GET /api/value`.
pub async fn api(State(web): State<Arc<Web>>, headers: HeaderMap) -> Response {
    if let Err(r) = web.api_guard(&headers, Role::Buyer) {
        return *r;
    }
    match value(&web) {
        Ok(v) => html::json(json!({ "value": v })),
        Err(e) => html::json(json!({ "error": e })),
    }
}
