//! The hourly capacity alert: computed once per alert slot, as of the cycle's time, with the
//! day-one rule or the registry's `rest-of-gas-day` champion; its table, picture and CSV kept
//! in `home/alerts/` (the latest, for the web page); and, when a meter is projected over its
//! capacity, a mail to the buyers of its site: the picture inline, the same table in HTML and
//! the CSV attached. No second mail for the same meter and gas day unless the projected
//! overrun grew by the configured share. The mail says when the data is stale.

use chrono::{DateTime, Utc};
use serde_json::json;
use vader_backtest::AlertRow;
use vader_backtest::decisions::DecisionRule;
use vader_features::{Commodity, Dataset};
use vader_models::ProjectionRule;

use super::error::Result;
use super::ledger;
use super::mail::{Attachment, InlineImage, OutgoingMail};
use super::service::Service;
use super::state::{State, write_atomic};
use crate::api::capacity::{CapacityAlert, CapacityRequest, ModelProjection, capacity, display_unit};
use crate::api::prices::PriceSources;
use crate::picture::alert_png;

/// What an alert run found.
#[derive(Debug, Clone)]
pub struct AlertRun {
    /// The alert.
    pub alert: CapacityAlert,
    /// Hours since the end of the last reading known at the alert's time (`None`: no
    /// reading of a gas meter is known).
    pub data_age_hours: Option<f64>,
    /// Whether that age is over the configured limit.
    pub stale: bool,
    /// Ids of the mails queued, one per site.
    pub mails: Vec<String>,
}

/// Runs the alert when its slot has not run yet.
pub fn run(
    service: &Service,
    data: &Dataset,
    now: DateTime<Utc>,
    state: &mut State,
) -> Result<Option<AlertRun>> {
    let every = i64::from(service.config.schedule.alert_every_minutes) * 60;
    let slot = now.timestamp().div_euclid(every) * every;
    if state.last_alert_slot.is_some_and(|last| last >= slot) {
        return Ok(None);
    }
    let settings = &service.config.alert;
    let mut request = CapacityRequest::day_one_rule(Some(now));
    request.rule = ProjectionRule::MeanOfLastHours { hours: settings.hours };
    request.delay_s = settings.delay_s;
    let champion = if settings.use_champion { service.registry.champion("rest-of-gas-day")? } else { None };
    if let Some((entry, file, path)) = champion {
        let tau = PriceSources::default().read()?.params.capacity.buy_quantile();
        request.model = Some(ModelProjection { file, path, decision: DecisionRule::CostOptimal, tau });
        service.log.event(
            now,
            "alert",
            "champion",
            json!({ "version": entry.version, "recipe": entry.recipe }),
        );
    }
    let alert = capacity(data, &request)?;
    // The day-one rule at the same time, for the value the champion adds (`ledger`).
    let day_one = match request.model.take() {
        Some(_) => capacity(data, &request)?,
        None => alert.clone(),
    };
    ledger::record_capacity(&service.config.home, data, &alert, &day_one)?;
    let data_age_hours = data_age_hours(data, now, settings.delay_s);
    let stale = data_age_hours.is_none_or(|h| h > f64::from(service.config.schedule.stale_after_hours));
    keep_latest(service, data, &alert, data_age_hours, stale)?;
    service.log.event(
        now,
        "alert",
        "computed",
        json!({
            "over": alert.rows.iter().filter(|r| r.over_capacity == Some(true)).map(|r| r.meter_id.as_str()).collect::<Vec<_>>(),
            "meters": alert.rows.len(),
            "projection": alert.how,
            "data_age_hours": data_age_hours,
            "stale": stale,
        }),
    );
    let mut mails = Vec::new();
    for (site, rows) in sites_to_mail(service, data, &alert, state) {
        let recipients = service.config.recipients_of(&site);
        if recipients.is_empty() {
            service.log.event(now, "alert", "no recipients", json!({ "site": site }));
            continue;
        }
        let site_alert = CapacityAlert { rows: rows.clone(), ..alert.clone() };
        let mail = compose(&site, &site_alert, data_age_hours, stale, recipients)?;
        let from = service.config.smtp.as_ref().map_or("vader@localhost", |s| s.from.as_str());
        let id = service.queue.enqueue(&mail, from)?;
        for r in rows.iter().filter(|r| r.over_capacity == Some(true)) {
            state.mailed.insert(mail_key(r), overrun(r));
        }
        service.log.event(
            now,
            "alert",
            "mail queued",
            json!({ "site": site, "id": id, "subject": mail.subject }),
        );
        mails.push(id);
    }
    state.last_alert_slot = Some(slot);
    Ok(Some(AlertRun { alert, data_age_hours, stale, mails }))
}

/// The sites whose buyers get a mail, with the site's rows: those with a meter over capacity
/// that was not mailed for this gas day, or whose overrun grew by the configured share.
fn sites_to_mail(
    service: &Service,
    data: &Dataset,
    alert: &CapacityAlert,
    state: &State,
) -> Vec<(String, Vec<AlertRow>)> {
    let growth = service.config.alert.resend_growth;
    let site_of = |r: &AlertRow| data.meters.get(&r.meter_id).map_or_else(String::new, |m| m.site.clone());
    let mut sites: Vec<String> = alert
        .rows
        .iter()
        .filter(|r| r.over_capacity == Some(true))
        .filter(|r| state.mailed.get(&mail_key(r)).is_none_or(|&last| overrun(r) > last * (1.0 + growth)))
        .map(site_of)
        .collect();
    sites.sort();
    sites.dedup();
    sites
        .into_iter()
        .map(|site| {
            let rows = alert.rows.iter().filter(|r| site_of(r) == site).cloned().collect();
            (site, rows)
        })
        .collect()
}

fn mail_key(r: &AlertRow) -> String {
    format!("{}/{}", r.meter_id, r.gas_day)
}

/// The projected overrun of a row, kWh.
fn overrun(r: &AlertRow) -> f64 {
    match (r.projected_kwh, r.capacity_kwh) {
        (Some(p), Some(c)) => (p - c).max(0.0),
        _ => 0.0,
    }
}

/// Hours between `now` and the end of the last gas reading known at `now`.
pub fn data_age_hours(data: &Dataset, now: DateTime<Utc>, delay_s: i64) -> Option<f64> {
    let at = now.timestamp();
    data.meters
        .iter()
        .filter(|m| m.commodity == Commodity::Gas)
        .filter_map(|m| data.readings.get(&m.meter_id))
        .filter_map(|s| {
            let known = (0..s.len()).rev().find(|&i| s.known_at(i, delay_s) <= at)?;
            Some(s.start[known] + s.interval_s)
        })
        .max()
        .map(|end| (at - end) as f64 / 3600.0)
}

/// Keeps the latest alert for the web page: `alerts/latest.png`, `.csv` and `.json` (the
/// alert's fields with `data_age_hours`, `stale` and each meter's site under `sites`).
fn keep_latest(
    service: &Service,
    data: &Dataset,
    alert: &CapacityAlert,
    data_age_hours: Option<f64>,
    stale: bool,
) -> Result<()> {
    let dir = service.config.home.join("alerts");
    write_atomic(&dir.join("latest.png"), &alert_png(alert)?)?;
    write_atomic(&dir.join("latest.csv"), alert.to_csv().as_bytes())?;
    let mut json = serde_json::to_value(alert).unwrap_or_default();
    if let Some(fields) = json.as_object_mut() {
        fields.insert("data_age_hours".into(), data_age_hours.into());
        fields.insert("stale".into(), stale.into());
        let sites: serde_json::Map<String, serde_json::Value> = alert
            .rows
            .iter()
            .filter_map(|r| data.meters.get(&r.meter_id).map(|m| (r.meter_id.clone(), m.site.clone().into())))
            .collect();
        fields.insert("sites".into(), sites.into());
    }
    write_atomic(&dir.join("latest.json"), serde_json::to_string_pretty(&json).unwrap_or_default().as_bytes())
}

/// The mail of one site.
fn compose(
    site: &str,
    alert: &CapacityAlert,
    data_age_hours: Option<f64>,
    stale: bool,
    to: Vec<String>,
) -> Result<OutgoingMail> {
    let over: Vec<&AlertRow> = alert.rows.iter().filter(|r| r.over_capacity == Some(true)).collect();
    let day = alert.rows.first().map(|r| r.gas_day.to_string()).unwrap_or_default();
    let local = alert.at.with_timezone(&alert.tz).format("%d %b %H:%M");
    let staleness = match (stale, data_age_hours) {
        (false, _) => String::new(),
        (true, Some(h)) => format!("Data is stale: the last reading known ended {h:.1} h ago. "),
        (true, None) => "Data is stale: no reading is known for today. ".to_string(),
    };
    let subject = format!(
        "[vader] {}{site}: {} meter(s) over capacity, gas day {day}, at {local}",
        if stale { "(stale data) " } else { "" },
        over.len()
    );
    let unit = display_unit(&alert.rows);
    let names: Vec<String> = over.iter().map(|r| format!("{} ({})", r.name, r.meter_id)).collect();
    let mut text = format!(
        "{staleness}Projected over capacity on gas day {day} at {local} ({}): {}.\nProjection: {}. Energies in {}.\n\n",
        alert.tz.name(),
        names.join(", "),
        alert.how,
        unit.name
    );
    let mut html = format!(
        "<p>{}Projected over capacity on gas day {day} at {local} ({}): <b>{}</b>.</p><p>Projection: {}. Energies in {}.</p>\
         <p><img src=\"cid:alert\" alt=\"capacity alert\" width=\"540\"></p>\
         <table border=\"1\" cellpadding=\"4\" cellspacing=\"0\"><tr><th>meter</th><th>name</th><th>so far</th><th>projected</th><th>capacity</th><th>buy</th></tr>",
        if stale { format!("<b style=\"color:#c92a2a\">{}</b>", escape(&staleness)) } else { String::new() },
        alert.tz.name(),
        escape(&names.join(", ")),
        escape(&alert.how),
        unit.name
    );
    let show = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| unit.show(v, 1));
    for r in &alert.rows {
        let cells = [
            r.meter_id.clone(),
            r.name.clone(),
            show(Some(r.consumed_kwh)),
            show(r.projected_kwh),
            show(r.capacity_kwh),
            show(r.extra_capacity_kwh.filter(|x| *x > 0.0)),
        ];
        text.push_str(&format!("{}\n", cells.join(" | ")));
        let style =
            if r.over_capacity == Some(true) { " style=\"background:#ffe3e3;color:#c92a2a\"" } else { "" };
        html.push_str(&format!("<tr{style}>"));
        for c in &cells {
            html.push_str(&format!("<td>{}</td>", escape(c)));
        }
        html.push_str("</tr>");
    }
    html.push_str("</table>");
    let stamp = alert.at.format("%Y%m%dT%H%MZ");
    Ok(OutgoingMail {
        to,
        subject,
        text,
        html,
        inline_png: Some(InlineImage { cid: "alert".into(), bytes: alert_png(alert)? }),
        attachments: vec![Attachment {
            filename: format!("capacity-{site}-{stamp}.csv"),
            content_type: "text/csv".into(),
            bytes: alert.to_csv().into_bytes(),
        }],
    })
}

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
