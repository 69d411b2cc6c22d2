//! The service's pages, behind a login: server-rendered HTML and the same data as JSON under
//! `/api/`. This first part serves the *Now* page (the latest capacity alert, its picture and
//! how fresh its data is) to the users of [`super::users`].
//!
//! | route | without a session | with one |
//! | --- | --- | --- |
//! | `GET /login`, `POST /login` | the form; a session on the right password | redirect to `/now` |
//! | `POST /logout` | redirect to `/login` | ends the session (CSRF token required) |
//! | `GET /now`, `GET /now.png` | redirect to `/login` | the alert table, its picture |
//! | `GET /api/now` | `401` | the alert as JSON |
//!
//! Sessions are random 256-bit tokens kept in memory, sent as a cookie that is `HttpOnly`,
//! `SameSite=Strict` and (unless `secure_cookies = false`) `Secure`; a new one at every login.
//! Every form carries a CSRF token: the session's, or before login one bound to a cookie of its
//! own. Five failed logins in five minutes from one address or for one name answer `429`
//! until the window passes. The log names the user and the address, never a password or a
//! session token.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use argon2::password_hash::rand_core::{OsRng, RngCore};
use axum::Router;
use axum::extract::{ConnectInfo, Form, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};

use super::alert::escape;
use super::error::{Error, Result};
use super::log::Log;
use super::users::{Role, Users};

/// The web server's settings (`web = { listen = "127.0.0.1:8080" }` in an environment).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebConfig {
    /// Address to listen on (default `127.0.0.1:8080`; put a TLS proxy in front for others).
    #[serde(default = "default_listen")]
    pub listen: String,
    /// Mark the session cookie `Secure` (default true; browsers keep such cookies over plain
    /// HTTP only for `localhost`).
    #[serde(default = "default_true")]
    pub secure_cookies: bool,
    /// Hours a session lasts (default 12).
    #[serde(default = "default_session_hours")]
    pub session_hours: u64,
}

fn default_listen() -> String {
    "127.0.0.1:8080".into()
}
fn default_true() -> bool {
    true
}
fn default_session_hours() -> u64 {
    12
}

/// Failed logins allowed per address or name within [`ATTEMPT_WINDOW`].
const MAX_FAILURES: usize = 5;
/// The window of the login limit.
const ATTEMPT_WINDOW: Duration = Duration::from_secs(300);
const SESSION_COOKIE: &str = "vader_session";
const LOGIN_COOKIE: &str = "vader_login";

struct Session {
    user: String,
    role: Role,
    csrf: String,
    expires: Instant,
}

/// The pages of one environment.
pub struct Web {
    home: PathBuf,
    config: WebConfig,
    log: Log,
    sessions: Mutex<HashMap<String, Session>>,
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl std::fmt::Debug for Web {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Web").field("home", &self.home).field("config", &self.config).finish_non_exhaustive()
    }
}

impl Web {
    /// The pages of the environment whose folder is `home`, logging to `log`.
    pub fn new(home: PathBuf, config: WebConfig, log: Log) -> Arc<Self> {
        Arc::new(Self {
            home,
            config,
            log,
            sessions: Mutex::new(HashMap::new()),
            failures: Mutex::new(HashMap::new()),
        })
    }

    /// The routes.
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new()
            .route("/", get(|| async { Redirect::to("/now") }))
            .route("/login", get(login_form).post(login))
            .route("/logout", post(logout))
            .route("/now", get(now_page))
            .route("/now.png", get(now_png))
            .route("/api/now", get(api_now))
            .with_state(Arc::clone(self))
    }

    /// Serves the pages on `listener` until the process ends.
    pub fn serve(self: &Arc<Self>, listener: std::net::TcpListener) -> Result<()> {
        let addr = listener.local_addr().map_err(Error::io("web listener", "reading its address"))?;
        listener.set_nonblocking(true).map_err(Error::io("web listener", "configuring"))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(Error::io("web server", "starting its runtime"))?;
        let app = self.router().into_make_service_with_connect_info::<SocketAddr>();
        self.log.event(Utc::now(), "web", "listening", json!({ "address": addr.to_string() }));
        runtime
            .block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener)?;
                axum::serve(listener, app).await
            })
            .map_err(Error::io("web server", "serving"))
    }

    fn session(&self, headers: &HeaderMap) -> Option<(String, String, Role, String)> {
        let token = cookie(headers, SESSION_COOKIE)?;
        let mut sessions = self.sessions.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        sessions.retain(|_, s| s.expires > now);
        sessions.get(&token).map(|s| (token.clone(), s.user.clone(), s.role, s.csrf.clone()))
    }

    fn limited(&self, keys: &[String]) -> bool {
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        keys.iter().any(|k| {
            let list = failures.entry(k.clone()).or_default();
            list.retain(|t| now.duration_since(*t) < ATTEMPT_WINDOW);
            list.len() >= MAX_FAILURES
        })
    }

    fn fail(&self, keys: &[String]) {
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        for k in keys {
            failures.entry(k.clone()).or_default().push(Instant::now());
        }
    }

    fn cookie(&self, name: &str, value: &str, max_age_s: u64) -> HeaderValue {
        let secure = if self.config.secure_cookies { "; Secure" } else { "" };
        let text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_s}{secure}");
        HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
    }
}

/// 32 random bytes as hex.
fn token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Equal strings, compared in time that does not depend on where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A page with the common headers.
fn page(status: StatusCode, title: &str, nav: Option<(&str, &str)>, body: &str) -> Response {
    let nav = nav.map_or_else(String::new, |(user, csrf)| {
        format!(
            "<nav><b>vader</b> · <a href=\"/now\">Now</a> · {} <form method=\"post\" action=\"/logout\" style=\"display:inline\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><button>Log out</button></form></nav>",
            escape(user),
            escape(csrf)
        )
    });
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{} · vader</title>\
         <style>body{{font-family:sans-serif;margin:2em;color:#212529}}table{{border-collapse:collapse}}td,th{{padding:4px 8px;border-bottom:1px solid #dee2e6;text-align:right}}td:first-child,th:first-child,td:nth-child(2),th:nth-child(2){{text-align:left}}tr.over{{background:#ffe3e3;color:#c92a2a}}.stale{{color:#c92a2a;font-weight:bold}}</style></head>\
         <body>{nav}<h1>{}</h1>{body}</body></html>",
        escape(title),
        escape(title)
    );
    with_headers((status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response())
}

fn with_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; style-src 'self' 'unsafe-inline'"),
    );
    response
}

fn to_login() -> Response {
    with_headers(Redirect::to("/login").into_response())
}

fn login_page(web: &Web, status: StatusCode, message: &str) -> Response {
    let csrf = token();
    let body = format!(
        "<form method=\"post\" action=\"/login\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <p><label>Name <input name=\"name\" autocomplete=\"username\" required></label></p>\
         <p><label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\" required></label></p>\
         <p><button>Log in</button></p></form>{}",
        if message.is_empty() {
            String::new()
        } else {
            format!("<p class=\"stale\">{}</p>", escape(message))
        }
    );
    let mut response = page(status, "Log in", None, &body);
    response.headers_mut().append(header::SET_COOKIE, web.cookie(LOGIN_COOKIE, &csrf, 3600));
    response
}

async fn login_form(State(web): State<Arc<Web>>, headers: HeaderMap) -> Response {
    if web.session(&headers).is_some() {
        return with_headers(Redirect::to("/now").into_response());
    }
    login_page(&web, StatusCode::OK, "")
}

/// The login form's fields.
#[derive(Deserialize)]
struct LoginForm {
    name: String,
    password: String,
    csrf: String,
}

async fn login(
    State(web): State<Arc<Web>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let now = Utc::now();
    if !cookie(&headers, LOGIN_COOKIE).is_some_and(|c| same(&c, &form.csrf)) {
        web.log.event(
            now,
            "web",
            "login refused",
            json!({ "reason": "CSRF token", "address": addr.ip().to_string() }),
        );
        return page(
            StatusCode::FORBIDDEN,
            "Forbidden",
            None,
            "<p>The form expired; <a href=\"/login\">log in again</a>.</p>",
        );
    }
    let keys = [format!("ip:{}", addr.ip()), format!("user:{}", form.name)];
    if web.limited(&keys) {
        web.log.event(
            now,
            "web",
            "login refused",
            json!({ "reason": "too many failures", "user": form.name, "address": addr.ip().to_string() }),
        );
        return login_page(
            &web,
            StatusCode::TOO_MANY_REQUESTS,
            "Too many failed logins: wait a few minutes.",
        );
    }
    let path = Users::path_in(&web.home);
    let (name, password) = (form.name.clone(), form.password);
    let verified = tokio::task::spawn_blocking(move || {
        Users::load(&path)
            .ok()
            .and_then(|users| users.verify(&name, &password).map(|u| (u.name.clone(), u.role)))
    })
    .await
    .ok()
    .flatten();
    let Some((user, role)) = verified else {
        web.fail(&keys);
        web.log.event(
            now,
            "web",
            "login failed",
            json!({ "user": form.name, "address": addr.ip().to_string() }),
        );
        return login_page(&web, StatusCode::UNAUTHORIZED, "Wrong name or password.");
    };
    let session = token();
    let ttl = Duration::from_secs(web.config.session_hours * 3600);
    web.sessions.lock().unwrap_or_else(PoisonError::into_inner).insert(
        session.clone(),
        Session { user: user.clone(), role, csrf: token(), expires: Instant::now() + ttl },
    );
    web.log.event(
        now,
        "web",
        "login",
        json!({ "user": user, "role": role.as_str(), "address": addr.ip().to_string() }),
    );
    let mut response = with_headers(Redirect::to("/now").into_response());
    response.headers_mut().append(header::SET_COOKIE, web.cookie(SESSION_COOKIE, &session, ttl.as_secs()));
    response.headers_mut().append(header::SET_COOKIE, web.cookie(LOGIN_COOKIE, "", 0));
    response
}

/// A form that only carries the CSRF token.
#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout(State(web): State<Arc<Web>>, headers: HeaderMap, Form(form): Form<CsrfForm>) -> Response {
    let Some((token, user, _, csrf)) = web.session(&headers) else { return to_login() };
    if !same(&csrf, &form.csrf) {
        return page(StatusCode::FORBIDDEN, "Forbidden", None, "<p>Missing or wrong form token.</p>");
    }
    web.sessions.lock().unwrap_or_else(PoisonError::into_inner).remove(&token);
    web.log.event(Utc::now(), "web", "logout", json!({ "user": user }));
    let mut response = to_login();
    response.headers_mut().append(header::SET_COOKIE, web.cookie(SESSION_COOKIE, "", 0));
    response
}

/// The latest alert as saved by the alert job (`alerts/latest.json`), if any.
fn latest(web: &Web) -> Option<Value> {
    let text = std::fs::read_to_string(web.home.join("alerts/latest.json")).ok()?;
    serde_json::from_str(&text).ok()
}

async fn now_page(State(web): State<Arc<Web>>, headers: HeaderMap) -> Response {
    let Some((_, user, _, csrf)) = web.session(&headers) else { return to_login() };
    let body = match latest(&web) {
        None => "<p>No alert computed yet: the service has not run a cycle with readings.</p>".to_string(),
        Some(alert) => now_body(&alert),
    };
    page(StatusCode::OK, "Now", Some((&user, &csrf)), &body)
}

fn now_body(alert: &Value) -> String {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let kwh = |v: &Value| v.as_f64().map_or_else(|| "–".to_string(), |x| format!("{:.1}", x / 1000.0));
    let mut rows = String::new();
    for r in alert["rows"].as_array().into_iter().flatten() {
        let over = r["over_capacity"].as_bool() == Some(true);
        rows.push_str(&format!(
            "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            if over { " class=\"over\"" } else { "" },
            escape(&text(&r["meter_id"])),
            escape(&text(&r["name"])),
            kwh(&r["consumed_kwh"]),
            kwh(&r["projected_kwh"]),
            kwh(&r["capacity_kwh"]),
            kwh(&r["extra_capacity_kwh"].as_f64().filter(|x| *x > 0.0).map_or(Value::Null, Value::from)),
            if over { "OVER" } else { "" },
        ));
    }
    let freshness = match (alert["data_age_hours"].as_f64(), alert["stale"].as_bool()) {
        (Some(h), Some(true)) => format!(
            "<p class=\"stale\">Data is stale: the last reading known ended {h:.1} h before the alert.</p>"
        ),
        (Some(h), _) => format!("<p>The last reading known ended {h:.1} h before the alert.</p>"),
        _ => "<p class=\"stale\">No reading known for this gas day.</p>".to_string(),
    };
    format!(
        "<p>As of <time>{}</time> · {} · energies in MWh</p>{freshness}\
         <table id=\"alert\"><tr><th>meter</th><th>name</th><th>so far</th><th>projected</th><th>capacity</th><th>buy</th><th></th></tr>{rows}</table>\
         <p><img id=\"alert-picture\" src=\"/now.png\" alt=\"the capacity alert as mailed\" width=\"540\"></p>",
        escape(&text(&alert["at"])),
        escape(&text(&alert["how"])),
    )
}

async fn now_png(State(web): State<Arc<Web>>, headers: HeaderMap) -> Response {
    if web.session(&headers).is_none() {
        return to_login();
    }
    match std::fs::read(web.home.join("alerts/latest.png")) {
        Ok(bytes) => with_headers(([(header::CONTENT_TYPE, "image/png")], bytes).into_response()),
        Err(_) => with_headers(StatusCode::NOT_FOUND.into_response()),
    }
}

async fn api_now(State(web): State<Arc<Web>>, headers: HeaderMap) -> Response {
    if web.session(&headers).is_none() {
        return with_headers(
            (StatusCode::UNAUTHORIZED, axum::Json(json!({ "error": "login required" }))).into_response(),
        );
    }
    let body = latest(&web).unwrap_or(Value::Null);
    with_headers(axum::Json(json!({ "alert": body })).into_response())
}
