//! Day-ahead nominations at each commodity's deadline: gas day D at D-1 14:00, the
//! electricity schedule of D at D-1 11:00 (local time of the target's first meter; both
//! configurable), with the registry's champion and its cost-optimal decision at the SPEC's
//! prices. Written to `home/outbox/nominations-TARGET-D.csv` (the columns of
//! [`crate::api::nominate::NOMINATION_COLUMNS`], energies in kWh) and mailed when configured.
//!
//! A deadline missed while the service was down is caught up at the next cycle before day D
//! starts, and logged as late. Each day's nominations are recorded beside persistence's at the
//! same deadline, for the value they add ([`super::ledger`]).

use std::path::PathBuf;

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use serde_json::json;
use vader_backtest::decisions::DecisionRule;
use vader_features::{Commodity, Dataset, Target};

use super::error::Result;
use super::ledger;
use super::mail::{Attachment, OutgoingMail};
use super::retrain::{spec, train_request};
use super::service::Service;
use super::state::{State, write_atomic};
use crate::api::nominate::{NominateRequest, nominate};
use crate::api::prices::PriceSources;
use crate::api::train::train;

/// The targets nominated, with their commodity.
const TARGETS: [(Target, Commodity); 2] =
    [(Target::GasDay, Commodity::Gas), (Target::ElectricityDay, Commodity::Electricity)];

/// Nominates each target whose deadline has passed and whose day D is not nominated yet.
pub fn run(service: &Service, data: &Dataset, now: DateTime<Utc>, state: &mut State) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for (target, commodity) in TARGETS {
        let Some(meter) = data.meters.iter().find(|m| m.commodity == commodity) else { continue };
        let tz = meter.timezone;
        let deadline_time = service.config.schedule.deadline(commodity == Commodity::Gas)?;
        let today = now.with_timezone(&tz).date_naive();
        let day = today + Days::new(1);
        let Some(deadline) = tz.from_local_datetime(&today.and_time(deadline_time)).earliest() else {
            continue;
        };
        if now < deadline || state.nominated.get(target.as_str()).is_some_and(|&d| d >= day) {
            continue;
        }
        let Some((entry, file, path)) = service.registry.champion(target.as_str())? else {
            service.log.event(
                now,
                "nominate",
                "no champion",
                json!({ "target": target.as_str(), "day": day }),
            );
            continue;
        };
        let request = NominateRequest {
            day,
            delay_s: service.config.alert.delay_s,
            decision: DecisionRule::CostOptimal,
            pricing: PriceSources::default().read()?,
        };
        let done = nominate(data, &file, &path, &request)?;
        let reference = persistence(service, data, target, today, &request)
            .inspect_err(|e| service.log.error(now, "nominate", e))
            .ok();
        let recorded =
            ledger::record_nominations(&service.config.home, data, &done, entry.version, reference.as_ref())?;
        let name = format!("nominations-{}-{day}.csv", target.as_str());
        let out = service.config.home.join("outbox").join(&name);
        let csv = done.to_csv();
        write_atomic(&out, csv.as_bytes())?;
        let late = (now - deadline.with_timezone(&Utc)).num_minutes() > 60;
        service.log.event(
            now,
            "nominate",
            "written",
            json!({
                "target": target.as_str(), "day": day, "file": out.display().to_string(), "rows": done.rows.len(),
                "model": entry.recipe, "version": entry.version, "late": late,
                "uncalibrated": done.uncalibrated, "recorded": recorded.display().to_string(),
            }),
        );
        if service.config.mail_nominations {
            let to = service.config.recipients_of(&meter.site);
            if !to.is_empty() {
                let total: f64 = done.rows.iter().map(|r| r.nomination_kwh).sum();
                let mail = OutgoingMail {
                    to,
                    subject: format!("[vader] {} nominations for {day}", target.as_str()),
                    text: format!(
                        "Nominations for {day} ({} rows, {:.1} MWh in all) with {} v{}, attached.\n",
                        done.rows.len(),
                        total / 1000.0,
                        entry.recipe,
                        entry.version
                    ),
                    html: format!(
                        "<p>Nominations for {day} ({} rows, {:.1} MWh in all) with {} v{}, attached.</p>",
                        done.rows.len(),
                        total / 1000.0,
                        entry.recipe,
                        entry.version
                    ),
                    inline_png: None,
                    attachments: vec![Attachment {
                        filename: name,
                        content_type: "text/csv".into(),
                        bytes: csv.into_bytes(),
                    }],
                };
                let from = service.config.smtp.as_ref().map_or("vader@localhost", |s| s.from.as_str());
                service.queue.enqueue(&mail, from)?;
            }
        }
        state.nominated.insert(target.as_str().to_string(), day);
        written.push(out);
    }
    Ok(written)
}

/// Persistence's point forecasts of day D as of the same deadline, on the same data: the
/// reference the nominations' value is measured against ([`ledger`]).
fn persistence(
    service: &Service,
    data: &Dataset,
    target: Target,
    today: NaiveDate,
    request: &NominateRequest,
) -> Result<crate::api::nominate::Nominations> {
    let until = today - Days::new(1);
    let file = train(data, &train_request(service, target, spec("persistence")?, until))?.file;
    let point = NominateRequest { decision: DecisionRule::Point, ..request.clone() };
    Ok(nominate(data, &file, std::path::Path::new("persistence"), &point)?)
}
