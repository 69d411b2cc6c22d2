//! *Models*: the registry (each target's champion and former versions, the A/B verdicts with
//! their backtest reports), and the analyst's actions: run an A/B backtest, train and
//! promote a recipe, reinstate a former version. Backtests and training run in the
//! background, one at a time; the page shows the job.

use std::sync::Arc;

use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{Days, Utc};
use serde::Deserialize;
use serde_json::json;
use vader_features::Target;

use super::app::{Job, Web};
use super::html::{self, escape, eur, head, mwh, page, row, see_other};
use crate::serve::registry::{Index, Status};
use crate::serve::retrain::{ab_request, promote_recipe};
use crate::serve::service::Service;
use crate::serve::users::Role;

/// The targets the service keeps models for.
const TARGETS: [Target; 3] = [Target::GasDay, Target::ElectricityDay, Target::RestOfGasDay];

/// Verdicts shown.
const VERDICTS_SHOWN: usize = 20;

/// The reports kept under `home/reports/`, newest first.
pub fn reports(web: &Web) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(web.home().join("reports")) else { return Vec::new() };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("report.html").is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort_by(|a, b| report_time(b).cmp(report_time(a)).then(b.cmp(a)));
    names
}

/// The time stamp that ends a report's name (`ab-gas-day-20250602T0600Z`).
fn report_time(name: &str) -> &str {
    name.rsplit('-').next().unwrap_or(name)
}

fn report_link(name: &str) -> String {
    format!("<a href=\"/reports/{0}/report.html\">{0}</a>", escape(name))
}

/// `GET /models`.
pub async fn page_models(State(web): State<Arc<Web>>, headers: HeaderMap) -> Response {
    let v = match web.page_guard(&headers, Role::Buyer) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let index = match web.service.registry.index() {
        Ok(index) => index,
        Err(e) => {
            return page(
                StatusCode::OK,
                "Models",
                Some(v.nav()),
                &format!("<p class=\"bad\">{}</p>", escape(&e.to_string())),
            );
        }
    };
    let analyst = v.role.allows(Role::Analyst);
    let mut body = String::new();
    if let Some(job) = web.job() {
        body.push_str(&job_line(&job));
    }
    body.push_str(&versions(&index, analyst, &v.csrf));
    body.push_str(&verdicts(&index));
    let kept = reports(&web);
    body.push_str("<h2>Backtest reports</h2>");
    if kept.is_empty() {
        body.push_str("<p>None yet: the weekly A/B test and the analysts' backtests keep theirs here.</p>");
    } else {
        body.push_str("<ul id=\"reports\">");
        for name in kept.iter().take(50) {
            body.push_str(&format!("<li>{}</li>", report_link(name)));
        }
        body.push_str("</ul>");
    }
    if analyst {
        body.push_str(&forms(&v.csrf));
    }
    page(StatusCode::OK, "Models", Some(v.nav()), &body)
}

fn job_line(job: &Job) -> String {
    let outcome = match job.status.as_str() {
        "done" if job.outcome.starts_with("backtest-") => report_link(&job.outcome),
        _ => escape(&job.outcome),
    };
    format!(
        "<p id=\"job\">Job <b>{}</b> by {} at {}: <b>{}</b> {}</p>",
        escape(&job.what),
        escape(&job.by),
        job.started.format("%Y-%m-%d %H:%M:%S UTC"),
        escape(&job.status),
        outcome
    )
}

fn versions(index: &Index, analyst: bool, csrf: &str) -> String {
    let mut out = String::new();
    for target in TARGETS {
        let mut list: Vec<_> = index.models.iter().filter(|e| e.target == target.as_str()).collect();
        if list.is_empty() {
            continue;
        }
        list.reverse();
        let mut table = head(
            &["version", "recipe", "status", "trained on", "promoted by", "reason", "€/day", "MAE MWh", ""],
            6,
        );
        for e in list {
            let action = if analyst && e.status != Status::Champion {
                format!(
                    "<form class=\"inline\" method=\"post\" action=\"/models/reinstate\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
                     <input type=\"hidden\" name=\"version\" value=\"{}\"><input type=\"hidden\" name=\"reason\" value=\"reinstated from the Models page\">\
                     <button>Reinstate</button></form>",
                    escape(csrf),
                    e.version
                )
            } else {
                String::new()
            };
            let cells = [
                format!("v{}", e.version),
                escape(&e.recipe),
                match e.status {
                    Status::Champion => "<b>champion</b>".to_string(),
                    Status::Retired => "retired".to_string(),
                },
                format!("{} to {}", escape(&e.trained_from), escape(&e.trained_until)),
                escape(&e.promoted_by),
                escape(&e.reason),
                eur(e.euros_per_day),
                mwh(e.mae_kwh),
                action,
            ];
            table.push_str(&row(&cells, 6, ""));
        }
        out.push_str(&format!(
            "<h2>{}</h2><table class=\"registry\" data-target=\"{}\">{table}</table>",
            target.as_str(),
            target.as_str()
        ));
    }
    if out.is_empty() {
        out.push_str("<p>No model registered yet: the first champions are trained at the first cycle with readings.</p>");
    }
    out
}

fn verdicts(index: &Index) -> String {
    if index.verdicts.is_empty() {
        return String::new();
    }
    let mut table = head(
        &[
            "when",
            "target",
            "champion",
            "challenger",
            "days",
            "saving €/day",
            "95 % interval",
            "p",
            "verdict",
            "report",
        ],
        4,
    );
    for r in index.verdicts.iter().rev().take(VERDICTS_SHOWN) {
        let cells = [
            r.at.format("%Y-%m-%d %H:%M").to_string(),
            escape(&r.target),
            escape(&r.champion),
            escape(&r.challenger),
            r.days.to_string(),
            format!("{:.1}", r.saving_per_day),
            format!("[{:.1}, {:.1}]", r.ci.0, r.ci.1),
            r.p_value.map_or_else(|| "–".into(), |p| format!("{p:.3}")),
            escape(&r.verdict),
            r.report.as_deref().map(report_link).unwrap_or_default(),
        ];
        table.push_str(&row(&cells, 4, ""));
    }
    format!("<h2>A/B verdicts</h2><table id=\"verdicts\">{table}</table>")
}

fn forms(csrf: &str) -> String {
    let targets: String =
        TARGETS.iter().map(|t| format!("<option>{}</option>", t.as_str())).collect::<Vec<_>>().join("");
    let csrf = escape(csrf);
    format!(
        "<h2>Analyst</h2>\
         <form method=\"post\" action=\"/models/backtest\"><fieldset><legend>A/B backtest against the champion's recipe</legend>\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <label>Target <select name=\"target\">{targets}</select></label> \
         <label>Challengers <input name=\"challengers\" value=\"gbm\" size=\"30\"></label> \
         <button>Run</button></fieldset></form>\
         <form method=\"post\" action=\"/models/promote\"><fieldset><legend>Train a recipe and make it the champion</legend>\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <label>Target <select name=\"target\">{targets}</select></label> \
         <label>Recipe <input name=\"recipe\" required size=\"12\"></label> \
         <label>Reason <input name=\"reason\" required size=\"40\"></label> \
         <button>Train and promote</button></fieldset></form>"
    )
}

/// `GET /api/models`.
pub async fn api(State(web): State<Arc<Web>>, headers: HeaderMap) -> Response {
    if let Err(r) = web.api_guard(&headers, Role::Buyer) {
        return *r;
    }
    match web.service.registry.index() {
        Ok(index) => html::json(json!({ "registry": index, "reports": reports(&web), "job": web.job() })),
        Err(e) => html::json(json!({ "error": e.to_string() })),
    }
}

/// The backtest form.
#[derive(Deserialize)]
pub struct BacktestForm {
    csrf: String,
    target: String,
    challengers: String,
}

fn bad_request(v: &super::app::Visitor, message: &str) -> Response {
    html::not_done(Some(v.nav()), message, "/models")
}

fn busy(v: &super::app::Visitor) -> Response {
    page(
        StatusCode::CONFLICT,
        "Busy",
        Some(v.nav()),
        "<p>Another job is running; its outcome will show on the <a href=\"/models\">Models</a> page.</p>",
    )
}

/// The last day a model may learn from: yesterday in the service's time zone, or the last
/// day of `target` the store holds if that is earlier (a replay, a feed that stopped).
fn last_day(
    service: &Service,
    target: Target,
) -> Result<(chrono::NaiveDate, vader_features::Dataset), String> {
    let data = service.dataset().map_err(|e| e.to_string())?.ok_or("no readings stored yet")?;
    let tz = crate::api::capacity::alert_timezone(&data);
    let yesterday = Utc::now().with_timezone(&tz).date_naive() - Days::new(1);
    let meters = data.meters_for(target, &[]).map_err(|e| e.to_string())?;
    let stored = data.target_days(&meters, target).map(|(_, last)| last);
    Ok((stored.map_or(yesterday, |d| d.min(yesterday)), data))
}

/// `POST /models/backtest` (analyst): the A/B backtest of the challengers against the
/// champion's recipe over the configured `ab_days`, its report kept and its verdicts recorded.
pub async fn backtest(
    State(web): State<Arc<Web>>,
    headers: HeaderMap,
    Form(form): Form<BacktestForm>,
) -> Response {
    let v = match web.form_guard(&headers, Role::Analyst, &form.csrf) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let Ok(target) = form.target.parse::<Target>() else { return bad_request(&v, "Unknown target.") };
    let mut recipes: Vec<String> = form
        .challengers
        .split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    match web.service.registry.champion(target.as_str()) {
        Ok(Some((entry, _, _))) => recipes.insert(0, entry.recipe),
        Ok(None) => {}
        Err(e) => return bad_request(&v, &e.to_string()),
    }
    // The champion first, then each challenger once (by the recipe's name as parsed, so
    // `gbm-q0.50` and `gbm-q0.5` are one recipe), in the order given.
    let mut models: Vec<vader_models::ModelSpec> = Vec::new();
    for name in &recipes {
        match vader_models::ModelSpec::named(name) {
            Ok(spec) if models.iter().any(|m| m.name() == spec.name()) => {}
            Ok(spec) => models.push(spec),
            Err(e) => return bad_request(&v, &format!("model `{name}`: {e}")),
        }
    }
    let recipes: Vec<String> = models.iter().map(|m| m.name()).collect();
    if models.len() < 2 {
        return bad_request(&v, "Name at least one challenger other than the champion's recipe.");
    }
    let by = v.user.clone();
    let what = format!("A/B backtest of {} for {target}", recipes.join(", "));
    let started = web.start_job(what, &v.user, move |service| {
        let (until, data) = last_day(service, target)?;
        let request = ab_request(service, target, &models, until);
        let done = crate::api::backtest::backtest(&data, &request, &()).map_err(|e| e.to_string())?;
        let now = Utc::now();
        let name = format!("backtest-{}-{}", target.as_str(), now.format("%Y%m%dT%H%M%SZ"));
        done.write(&service.config.home.join("reports").join(&name)).map_err(|e| e.to_string())?;
        let records: Vec<_> = done
            .run
            .scores
            .comparisons
            .iter()
            .map(|c| crate::serve::registry::AbRecord {
                at: now,
                target: target.as_str().to_string(),
                champion: c.euros.champion.clone(),
                challenger: c.euros.challenger.clone(),
                days: c.euros.days,
                saving_per_day: c.euros.mean_saving,
                ci: (c.euros.ci_low, c.euros.ci_high),
                p_value: c.euros.dm.as_ref().map(|d| d.p_value),
                verdict: format!("{} (run by {by})", c.euros.verdict.as_str()),
                report: Some(name.clone()),
            })
            .collect();
        service.registry.record(&records).map_err(|e| e.to_string())?;
        Ok(name)
    });
    if started { see_other("/models") } else { busy(&v) }
}

/// The promotion form.
#[derive(Deserialize)]
pub struct PromoteForm {
    csrf: String,
    target: String,
    recipe: String,
    reason: String,
}

/// `POST /models/promote` (analyst): trains the recipe on the data up to yesterday (or the
/// last day stored) and makes
/// it the champion, with the analyst's name and reason in the registry.
pub async fn promote(
    State(web): State<Arc<Web>>,
    headers: HeaderMap,
    Form(form): Form<PromoteForm>,
) -> Response {
    let v = match web.form_guard(&headers, Role::Analyst, &form.csrf) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let Ok(target) = form.target.parse::<Target>() else { return bad_request(&v, "Unknown target.") };
    if let Err(e) = vader_models::ModelSpec::named(&form.recipe) {
        return bad_request(&v, &format!("model `{}`: {e}", form.recipe));
    }
    if form.reason.trim().is_empty() {
        return bad_request(&v, "Give a reason: it is kept in the registry.");
    }
    let (by, recipe, reason) = (v.user.clone(), form.recipe.clone(), form.reason.trim().to_string());
    let what = format!("train {recipe} for {target} and promote it");
    let started = web.start_job(what, &v.user, move |service| {
        let (until, data) = last_day(service, target)?;
        let entry = promote_recipe(service, &data, target, &recipe, until, Utc::now(), (&by, &reason))
            .map_err(|e| e.to_string())?;
        Ok(format!("v{} is the {target} champion", entry.version))
    });
    if started { see_other("/models") } else { busy(&v) }
}

/// The reinstatement form.
#[derive(Deserialize)]
pub struct ReinstateForm {
    csrf: String,
    version: u32,
    reason: String,
}

/// `POST /models/reinstate` (analyst): makes a registered version its target's champion again.
pub async fn reinstate(
    State(web): State<Arc<Web>>,
    headers: HeaderMap,
    Form(form): Form<ReinstateForm>,
) -> Response {
    let v = match web.form_guard(&headers, Role::Analyst, &form.csrf) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    match web.service.registry.reinstate(form.version, Utc::now(), &v.user, &form.reason) {
        Ok(entry) => {
            web.log().event(
                Utc::now(),
                "web",
                "reinstated",
                json!({ "user": v.user, "version": entry.version, "target": entry.target }),
            );
            see_other("/models")
        }
        Err(e) => bad_request(&v, &e.to_string()),
    }
}
