//! *Nominations*: each day's nominations against what was consumed, in MWh and euros, beside
//! persistence's at the same deadline (`ledger/nominations.json`, kept by the value job).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::json;

use super::app::Web;
use super::html::{self, escape, eur, head, mwh, page, row, saving};
use crate::serve::ledger::{self, PricedNomination};
use crate::serve::users::Role;

/// Days shown (the API gives them all).
const DAYS_SHOWN: usize = 62;

fn rows(web: &Web) -> Result<Vec<PricedNomination>, String> {
    ledger::read(web.home(), "nominations").map(Option::unwrap_or_default).map_err(|e| e.to_string())
}

/// `GET /nominations`.
pub async fn page_nominations(State(web): State<Arc<Web>>, headers: HeaderMap) -> Response {
    let v = match web.page_guard(&headers, Role::Buyer) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let body = match rows(&web) {
        Err(e) => format!("<p class=\"bad\">{}</p>", escape(&e)),
        Ok(list) if list.is_empty() => {
            "<p>No nomination yet: they are made at each deadline (gas D-1 14:00, electricity D-1 11:00).</p>"
                .to_string()
        }
        Ok(list) => body(&list),
    };
    page(StatusCode::OK, "Nominations", Some(v.nav()), &body)
}

fn body(list: &[PricedNomination]) -> String {
    let mut days: Vec<_> = list.iter().map(|n| n.day).collect();
    days.dedup();
    let shown: Vec<_> = days.into_iter().take(DAYS_SHOWN).collect();
    let mut table = head(
        &[
            "day",
            "target",
            "meter",
            "site",
            "model",
            "nominated",
            "consumed",
            "persistence",
            "cost €",
            "persistence €",
            "saved €",
        ],
        5,
    );
    for n in list.iter().filter(|n| shown.contains(&n.day)) {
        let cells = [
            n.day.to_string(),
            escape(&n.target),
            escape(&n.meter_id),
            escape(&n.site),
            format!("{} v{}", escape(&n.model), n.version),
            mwh(Some(n.nominated_kwh)),
            mwh(n.actual_kwh),
            mwh(n.persistence_kwh),
            eur(n.cost_eur),
            eur(n.persistence_cost_eur),
            saving(n.saved_eur),
        ];
        table.push_str(&row(&cells, 5, ""));
    }
    format!(
        "<p>Energies in MWh over the day (an electricity schedule summed over its periods, each period priced on its own). \
         Consumed and the costs appear once every reading of the day is in. Persistence is the reference: its point \
         forecast as of the same deadline, on the same data.</p><table id=\"nominations\">{table}</table>"
    )
}

/// `GET /api/nominations`.
pub async fn api(State(web): State<Arc<Web>>, headers: HeaderMap) -> Response {
    if let Err(r) = web.api_guard(&headers, Role::Buyer) {
        return *r;
    }
    match rows(&web) {
        Ok(list) => html::json(json!({ "nominations": list })),
        Err(e) => html::json(json!({ "error": e })),
    }
}
