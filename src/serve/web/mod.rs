//! The service's pages, behind a login: server-rendered HTML (no JavaScript) and the same
//! data as JSON under `/api/`. The pages read what the cycles write (the latest alert, the
//! ledger, the registry, the log), so a page load never computes a forecast.
//!
//! | route | shows or does | role |
//! | --- | --- | --- |
//! | `GET /now`, `/now.png`, `/api/now` | the latest capacity alert per site, its picture, its data's freshness ([`now`]) | buyer |
//! | `GET /nominations`, `/api/nominations` | nominations against consumption, in MWh and euros, beside persistence ([`nominations`]) | buyer |
//! | `GET /models`, `/api/models` | the registry, the A/B verdicts, the backtest reports ([`models`]) | buyer |
//! | `GET /value`, `/api/value` | euros saved against the day-one rule and persistence, per site and month ([`value`]) | buyer |
//! | `GET /data`, `/api/data` | validation of the store, the quarantine, the ingestion log ([`data`]) | buyer |
//! | `GET /reports/RUN/FILE` | a backtest report's files ([`reports`]) | buyer |
//! | `POST /models/backtest`, `/models/promote`, `/models/reinstate` | run an A/B backtest, train and promote a recipe, reinstate a version | analyst |
//! | `GET /users`, `/api/users`, `POST /users/add`, `/users/remove` | manage the users ([`accounts`]) | admin |
//! | `GET /login`, `POST /login`, `POST /logout` | sessions ([`auth`]) | anyone |
//!
//! Without a session a page redirects to `/login` and an API call answers `401`; a role too
//! low answers `403`. Sessions are random 256-bit tokens kept in memory, sent as a cookie that
//! is `HttpOnly`, `SameSite=Strict` and (unless `secure_cookies = false`) `Secure`; a new one
//! at every login. Every form carries a CSRF token: the session's, or before login one bound to
//! a cookie of its own. Five failed logins in five minutes from one address or for one name
//! answer `429` until the window passes. The log names users and addresses, never a password
//! or a session token.

pub mod accounts;
pub mod app;
pub mod auth;
pub mod data;
pub mod html;
pub mod models;
pub mod nominations;
pub mod now;
pub mod reports;
pub mod value;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use chrono::Utc;
use serde_json::json;

pub use app::{Web, WebConfig};

use crate::serve::error::{Error, Result};

/// Every route of the pages.
pub fn router(web: &Arc<Web>) -> Router {
    Router::new()
        .route("/", get(|| async { html::see_other("/now") }))
        .route("/login", get(auth::login_form).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/now", get(now::page_now))
        .route("/now.png", get(now::picture))
        .route("/api/now", get(now::api))
        .route("/nominations", get(nominations::page_nominations))
        .route("/api/nominations", get(nominations::api))
        .route("/models", get(models::page_models))
        .route("/api/models", get(models::api))
        .route("/models/backtest", post(models::backtest))
        .route("/models/promote", post(models::promote))
        .route("/models/reinstate", post(models::reinstate))
        .route("/value", get(value::page_value))
        .route("/api/value", get(value::api))
        .route("/data", get(data::page_data))
        .route("/api/data", get(data::api))
        .route("/reports/{run}/{file}", get(reports::report_file))
        .route("/users", get(accounts::page_users))
        .route("/api/users", get(accounts::api))
        .route("/users/add", post(accounts::add))
        .route("/users/remove", post(accounts::remove))
        .fallback(|| async { html::not_found(None) })
        .with_state(Arc::clone(web))
}

/// Serves the pages of `web` on `listener` until the process ends.
pub fn serve(web: &Arc<Web>, listener: std::net::TcpListener) -> Result<()> {
    let addr = listener.local_addr().map_err(Error::io("web listener", "reading its address"))?;
    listener.set_nonblocking(true).map_err(Error::io("web listener", "configuring"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(Error::io("web server", "starting its runtime"))?;
    let app = router(web).into_make_service_with_connect_info::<SocketAddr>();
    web.log().event(Utc::now(), "web", "listening", json!({ "address": addr.to_string() }));
    runtime
        .block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener)?;
            axum::serve(listener, app).await
        })
        .map_err(Error::io("web server", "serving"))
}
