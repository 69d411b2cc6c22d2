//! The pages' shared state: the service they show, the sessions, the login limit, the
//! background job; and the guards every handler starts with.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use argon2::password_hash::rand_core::{OsRng, RngCore};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::html::{self, Nav, with_headers};
use crate::serve::log::Log;
use crate::serve::service::Service;
use crate::serve::users::Role;

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
pub const MAX_FAILURES: usize = 5;
/// The window of the login limit.
pub const ATTEMPT_WINDOW: Duration = Duration::from_secs(300);
/// The session cookie's name.
pub const SESSION_COOKIE: &str = "vader_session";
/// The login form's CSRF cookie's name.
pub const LOGIN_COOKIE: &str = "vader_login";

struct Session {
    user: String,
    role: Role,
    csrf: String,
    expires: Instant,
}

/// The answer to a request a guard refused (boxed: a response is large).
pub type Refused = Box<Response>;

/// A logged-in user on one request.
#[derive(Debug, Clone)]
pub struct Visitor {
    /// The session token (never logged).
    pub token: String,
    /// The user's name.
    pub user: String,
    /// The user's role.
    pub role: Role,
    /// The session's CSRF token, for the forms of the page.
    pub csrf: String,
}

/// The analyst's job running in the background (one at a time), or the last one.
#[derive(Debug, Clone, Serialize)]
pub struct Job {
    /// What it does, in words.
    pub what: String,
    /// Who started it.
    pub by: String,
    /// When.
    pub started: DateTime<Utc>,
    /// `running`, `done` or `failed`.
    pub status: String,
    /// What it produced (a report's name, a model version) or why it failed.
    pub outcome: String,
}

/// The pages of one environment.
pub struct Web {
    /// The service shown.
    pub service: Arc<Service>,
    /// The settings.
    pub config: WebConfig,
    sessions: Mutex<HashMap<String, Session>>,
    failures: Mutex<HashMap<String, Vec<Instant>>>,
    job: Mutex<Option<Job>>,
}

impl Visitor {
    /// The navigation of this visitor's pages.
    pub fn nav(&self) -> Nav<'_> {
        Nav { user: &self.user, role: self.role, csrf: &self.csrf }
    }
}

impl std::fmt::Debug for Web {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Web")
            .field("home", &self.home())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Web {
    /// The pages of `service`.
    pub fn new(service: Arc<Service>, config: WebConfig) -> Arc<Self> {
        Arc::new(Self {
            service,
            config,
            sessions: Mutex::new(HashMap::new()),
            failures: Mutex::new(HashMap::new()),
            job: Mutex::new(None),
        })
    }

    /// The environment's folder.
    pub fn home(&self) -> &Path {
        &self.service.config.home
    }

    /// The service's log.
    pub fn log(&self) -> &Log {
        &self.service.log
    }

    /// The visitor of a request, if its session cookie names a live session.
    pub fn visitor(&self, headers: &HeaderMap) -> Option<Visitor> {
        let token = cookie(headers, SESSION_COOKIE)?;
        let mut sessions = self.sessions.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        sessions.retain(|_, s| s.expires > now);
        sessions.get(&token).map(|s| Visitor {
            token: token.clone(),
            user: s.user.clone(),
            role: s.role,
            csrf: s.csrf.clone(),
        })
    }

    /// A page's visitor with at least `role`: else a redirect to the login (no session) or
    /// `403`.
    pub fn page_guard(&self, headers: &HeaderMap, role: Role) -> Result<Visitor, Refused> {
        let Some(v) = self.visitor(headers) else { return Err(Box::new(html::to_login())) };
        if !v.role.allows(role) {
            return Err(Box::new(self.forbidden(&v, role)));
        }
        Ok(v)
    }

    /// An API call's visitor with at least `role`: else `401` (no session) or `403`, as JSON.
    pub fn api_guard(&self, headers: &HeaderMap, role: Role) -> Result<Visitor, Refused> {
        let Some(v) = self.visitor(headers) else {
            return Err(Box::new(with_headers(
                (StatusCode::UNAUTHORIZED, axum::Json(json!({ "error": "login required" }))).into_response(),
            )));
        };
        if !v.role.allows(role) {
            return Err(Box::new(with_headers(
                (
                    StatusCode::FORBIDDEN,
                    axum::Json(json!({ "error": format!("{} role required", role.as_str()) })),
                )
                    .into_response(),
            )));
        }
        Ok(v)
    }

    /// A form's visitor: a page visitor with at least `role` whose form carries the session's
    /// CSRF token (else `403`).
    pub fn form_guard(&self, headers: &HeaderMap, role: Role, csrf: &str) -> Result<Visitor, Refused> {
        let v = self.page_guard(headers, role)?;
        if !same(&v.csrf, csrf) {
            return Err(Box::new(html::page(
                StatusCode::FORBIDDEN,
                "Forbidden",
                None,
                "<p>Missing or wrong form token.</p>",
            )));
        }
        Ok(v)
    }

    fn forbidden(&self, v: &Visitor, role: Role) -> Response {
        self.log().event(
            Utc::now(),
            "web",
            "forbidden",
            json!({ "user": v.user, "role": v.role.as_str(), "needed": role.as_str() }),
        );
        html::page(
            StatusCode::FORBIDDEN,
            "Forbidden",
            Some(v.nav()),
            &format!("<p>This needs the {} role; you are {}.</p>", role.as_str(), v.role.as_str()),
        )
    }

    /// Opens a session for `user`; its token.
    pub fn open_session(&self, user: &str, role: Role) -> String {
        let session = token();
        let ttl = Duration::from_secs(self.config.session_hours * 3600);
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner).insert(
            session.clone(),
            Session { user: user.to_string(), role, csrf: token(), expires: Instant::now() + ttl },
        );
        session
    }

    /// Ends the session `token`.
    pub fn end_session(&self, token: &str) {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner).remove(token);
    }

    /// Ends every session of `user` (removed, or given another role).
    pub fn end_sessions_of(&self, user: &str) {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner).retain(|_, s| s.user != user);
    }

    /// Whether any of `keys` reached the login limit.
    pub fn limited(&self, keys: &[String]) -> bool {
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        keys.iter().any(|k| {
            let list = failures.entry(k.clone()).or_default();
            list.retain(|t| now.duration_since(*t) < ATTEMPT_WINDOW);
            list.len() >= MAX_FAILURES
        })
    }

    /// Counts a failed login against `keys`.
    pub fn fail(&self, keys: &[String]) {
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        for k in keys {
            failures.entry(k.clone()).or_default().push(Instant::now());
        }
    }

    /// A `Set-Cookie` value: `HttpOnly`, `SameSite=Strict`, `Secure` unless configured off.
    pub fn cookie(&self, name: &str, value: &str, max_age_s: u64) -> HeaderValue {
        let secure = if self.config.secure_cookies { "; Secure" } else { "" };
        let text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_s}{secure}");
        HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
    }

    /// The session lifetime, seconds.
    pub fn session_seconds(&self) -> u64 {
        self.config.session_hours * 3600
    }

    /// The background job, if one ran.
    pub fn job(&self) -> Option<Job> {
        self.job.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Starts `work` in the background as `what` for `by`, unless a job is running (`false`).
    pub fn start_job(
        self: &Arc<Self>,
        what: String,
        by: &str,
        work: impl FnOnce(&Service) -> Result<String, String> + Send + 'static,
    ) -> bool {
        {
            let mut job = self.job.lock().unwrap_or_else(PoisonError::into_inner);
            if job.as_ref().is_some_and(|j| j.status == "running") {
                return false;
            }
            *job = Some(Job {
                what: what.clone(),
                by: by.to_string(),
                started: Utc::now(),
                status: "running".into(),
                outcome: String::new(),
            });
        }
        self.log().event(Utc::now(), "web", "job started", json!({ "job": what, "user": by }));
        let web = Arc::clone(self);
        std::thread::spawn(move || {
            let result = work(&web.service);
            let (status, outcome) = match result {
                Ok(o) => ("done", o),
                Err(e) => ("failed", e),
            };
            web.log().event(
                Utc::now(),
                "web",
                "job finished",
                json!({ "job": what, "status": status, "outcome": outcome }),
            );
            if let Some(job) = web.job.lock().unwrap_or_else(PoisonError::into_inner).as_mut() {
                job.status = status.into();
                job.outcome = outcome;
            }
        });
        true
    }
}

/// 32 random bytes as hex.
pub fn token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A request cookie's value.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
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
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
