//! The model lifecycle. A target with a first recipe in the configuration (`[models] gas-day =
//! "ridge"`) and no champion gets one trained at once (`bootstrap`). Once a week (the
//! `schedule.retrain` slot), for each target with a champion: a backtest over the last
//! `ab_days` days replays the champion's recipe and every challenger recipe walk-forward,
//! with the same data and prices, and A/B-tests each challenger against the champion in euros.
//! A challenger replaces the champion only on the verdict `adopt challenger` (the one that
//! saves most, if several); otherwise the champion's recipe is retrained on the new data.
//! Every verdict is recorded in the registry, with the backtest's report kept under
//! `home/reports/ab-TARGET-TIME/`.

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeZone, Utc};
use serde_json::json;
use vader_backtest::ab::Verdict;
use vader_features::{Dataset, Target};
use vader_models::ModelSpec;

use super::error::{Error, Result};
use super::registry::{AbRecord, Entry};
use super::service::Service;
use super::state::State;
use crate::api::backtest::{BacktestRequest, backtest};
use crate::api::train::{TrainRequest, train};

/// Trains the first champions, and runs the weekly job when its slot has come.
pub fn run(service: &Service, data: &Dataset, now: DateTime<Utc>, state: &mut State) -> Result<Vec<Entry>> {
    let mut promoted = Vec::new();
    let tz = crate::api::capacity::alert_timezone(data);
    let yesterday = now.with_timezone(&tz).date_naive() - Days::new(1);
    let firsts = [
        (Target::GasDay, service.config.models.gas_day.clone()),
        (Target::ElectricityDay, service.config.models.electricity_day.clone()),
        (Target::RestOfGasDay, service.config.models.rest_of_gas_day.clone()),
    ];
    for (target, recipe) in &firsts {
        let Some(recipe) = recipe else { continue };
        if service.registry.champion(target.as_str())?.is_some() || data.meters_for(*target, &[]).is_err() {
            continue;
        }
        let spec = spec(recipe)?;
        let file = train(data, &train_request(service, *target, spec, yesterday))?.file;
        let reason = format!("no champion for {target}: first model, trained on data up to {yesterday}");
        let entry = service.registry.promote(&file, now, "bootstrap", &reason, None)?;
        service.log.event(now, "retrain", "promoted", json!({ "target": target.as_str(), "version": entry.version, "recipe": entry.recipe, "by": "bootstrap" }));
        promoted.push(entry);
    }

    let slot = weekly_slot(service, now, tz)?;
    if state.last_retrain_slot.is_some_and(|last| last >= slot) {
        return Ok(promoted);
    }
    if state.last_retrain_slot.is_none() {
        // The first cycle only notes the slot: the first champions were just trained.
        state.last_retrain_slot = Some(slot);
        return Ok(promoted);
    }
    for target in [Target::GasDay, Target::ElectricityDay, Target::RestOfGasDay] {
        let Some((champion, _, _)) = service.registry.champion(target.as_str())? else { continue };
        promoted.extend(weekly(service, data, now, target, &champion, yesterday)?);
    }
    state.last_retrain_slot = Some(slot);
    Ok(promoted)
}

/// The weekly job of one target: A/B tests, then a promotion or a retrained champion.
fn weekly(
    service: &Service,
    data: &Dataset,
    now: DateTime<Utc>,
    target: Target,
    champion: &Entry,
    until: NaiveDate,
) -> Result<Option<Entry>> {
    let settings = &service.config.models;
    let mut models = vec![spec(&champion.recipe)?];
    for name in &settings.challengers {
        let s = spec(name)?;
        if !models.iter().any(|m| m.name() == s.name()) {
            models.push(s);
        }
    }
    let mut adopted: Option<(String, f64, (f64, f64))> = None;
    let mut figures = None;
    let mut reasons = Vec::new();
    if models.len() > 1 {
        let request = ab_request(service, target, &models, until);
        let done = backtest(data, &request, &())?;
        let report = format!("ab-{}-{}", target.as_str(), now.format("%Y%m%dT%H%MZ"));
        done.write(&service.config.home.join("reports").join(&report))?;
        let scores = &done.run.scores;
        let mut records = Vec::new();
        for c in &scores.comparisons {
            let t = &c.euros;
            records.push(AbRecord {
                at: now,
                target: target.as_str().to_string(),
                champion: t.champion.clone(),
                challenger: t.challenger.clone(),
                days: t.days,
                saving_per_day: t.mean_saving,
                ci: (t.ci_low, t.ci_high),
                p_value: t.dm.as_ref().map(|d| d.p_value),
                verdict: t.verdict.as_str().to_string(),
                report: Some(report.clone()),
            });
            reasons.push(format!(
                "{} against {}: saves {:.1} EUR/day [{:.1}, {:.1}] over {} days, {}",
                t.challenger,
                t.champion,
                t.mean_saving,
                t.ci_low,
                t.ci_high,
                t.days,
                t.verdict.as_str()
            ));
            let score = scores.leaderboard.iter().find(|s| s.model == t.challenger);
            if t.verdict == Verdict::AdoptChallenger && adopted.as_ref().is_none_or(|a| t.mean_saving > a.1) {
                adopted = Some((
                    t.challenger.clone(),
                    t.mean_saving,
                    score.map_or((f64::NAN, f64::NAN), |s| (s.euros_per_day, s.metrics.mae)),
                ));
            }
            service.log.event(now, "retrain", "verdict", json!({ "target": target.as_str(), "challenger": t.challenger, "saving_per_day": t.mean_saving, "verdict": t.verdict.as_str() }));
        }
        figures = scores
            .leaderboard
            .iter()
            .find(|s| s.model == champion.recipe)
            .map(|s| (s.euros_per_day, s.metrics.mae));
        service.registry.record(&records)?;
    }
    let (recipe, by, reason, figures) = match adopted {
        Some((name, _, fig)) => (name, "weekly A/B test", reasons.join("; "), Some(fig)),
        None if models.len() > 1 => (
            champion.recipe.clone(),
            "weekly retrain",
            format!(
                "no challenger adopted ({}); the champion's recipe retrained on data up to {until}",
                reasons.join("; ")
            ),
            figures,
        ),
        None => (
            champion.recipe.clone(),
            "weekly retrain",
            format!("no challenger configured; retrained on data up to {until}"),
            figures,
        ),
    };
    let file = train(data, &train_request(service, target, spec(&recipe)?, until))?.file;
    let entry = service.registry.promote(&file, now, by, &reason, figures)?;
    service.log.event(
        now,
        "retrain",
        "promoted",
        json!({ "target": target.as_str(), "version": entry.version, "recipe": entry.recipe, "by": by }),
    );
    Ok(Some(entry))
}

/// The A/B backtest of `models` (the first is the champion) over the `ab_days` up to `until`,
/// with the service's calibration and reading delay: the weekly job's, and an analyst's.
pub fn ab_request(
    service: &Service,
    target: Target,
    models: &[ModelSpec],
    until: NaiveDate,
) -> BacktestRequest {
    let settings = &service.config.models;
    let mut request = BacktestRequest::new(target);
    request.models = models.to_vec();
    request.champion = models.first().cloned();
    request.test_to = Some(until);
    request.test_from = Some(until - Days::new(u64::from(settings.ab_days.max(7)) - 1));
    request.calibration_days = settings.calibration_days;
    request.delay_s = service.config.alert.delay_s;
    request
}

/// Trains `recipe` for `target` on the data up to `until` and makes it the champion, promoted
/// by `by` (an analyst on the pages) for `reason`.
pub fn promote_recipe(
    service: &Service,
    data: &Dataset,
    target: Target,
    recipe: &str,
    until: NaiveDate,
    now: DateTime<Utc>,
    (by, reason): (&str, &str),
) -> Result<Entry> {
    let file = train(data, &train_request(service, target, spec(recipe)?, until))?.file;
    let entry = service.registry.promote(&file, now, by, reason, None)?;
    service.log.event(
        now,
        "retrain",
        "promoted",
        json!({ "target": target.as_str(), "version": entry.version, "recipe": entry.recipe, "by": by }),
    );
    Ok(entry)
}

/// The training request of the service's models: its calibration days and reading delay.
pub(super) fn train_request(
    service: &Service,
    target: Target,
    spec: ModelSpec,
    until: NaiveDate,
) -> TrainRequest {
    let mut request = TrainRequest::new(target, spec, until);
    request.calibration_days = service.config.models.calibration_days;
    request.delay_s = service.config.alert.delay_s;
    request
}

/// The model recipe named `name`.
pub(super) fn spec(name: &str) -> Result<ModelSpec> {
    ModelSpec::named(name).map_err(|e| Error::Config(format!("model `{name}`: {e}")))
}

/// Start (Unix seconds) of the latest weekly retraining slot at or before `now`.
fn weekly_slot(service: &Service, now: DateTime<Utc>, tz: chrono_tz::Tz) -> Result<i64> {
    let (weekday, time) = service.config.schedule.retrain_slot()?;
    let local = now.with_timezone(&tz);
    let back = (7 + local.weekday().num_days_from_monday() - weekday.num_days_from_monday()) % 7;
    for extra in [0, 7] {
        let day = local.date_naive() - Days::new(u64::from(back + extra));
        if let Some(slot) = tz.from_local_datetime(&day.and_time(time)).earliest().filter(|s| *s <= now) {
            return Ok(slot.timestamp());
        }
    }
    Err(Error::Config(format!("schedule.retrain: no slot before {now}")))
}
