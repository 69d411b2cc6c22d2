//! Logging in and out. The login form carries a CSRF token bound to a cookie of its own;
//! the right password opens a new session (a new cookie at every login); five failures in
//! five minutes from one address or for one name answer `429` until the window passes. The
//! log names the user and the address, never a password or a session token.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Form, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;

use super::app::{LOGIN_COOKIE, SESSION_COOKIE, Web, cookie, same, token};
use super::html::{escape, page, see_other, to_login};
use crate::serve::users::Users;

fn login_page(web: &Web, status: StatusCode, message: &str) -> Response {
    let csrf = token();
    let body = format!(
        "<form method=\"post\" action=\"/login\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <p><label>Name <input id=\"name\" name=\"name\" autocomplete=\"username\" required></label></p>\
         <p><label>Password <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required></label></p>\
         <p><button id=\"login\">Log in</button></p></form>{}",
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

/// `GET /login`.
pub async fn login_form(State(web): State<Arc<Web>>, headers: HeaderMap) -> Response {
    if web.visitor(&headers).is_some() {
        return see_other("/now");
    }
    login_page(&web, StatusCode::OK, "")
}

/// The login form's fields.
#[derive(Deserialize)]
pub struct LoginForm {
    name: String,
    password: String,
    csrf: String,
}

/// `POST /login`.
pub async fn login(
    State(web): State<Arc<Web>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let now = Utc::now();
    let address = addr.ip().to_string();
    if !cookie(&headers, LOGIN_COOKIE).is_some_and(|c| same(&c, &form.csrf)) {
        web.log().event(now, "web", "login refused", json!({ "reason": "CSRF token", "address": address }));
        return page(
            StatusCode::FORBIDDEN,
            "Forbidden",
            None,
            "<p>The form expired; <a href=\"/login\">log in again</a>.</p>",
        );
    }
    let keys = [format!("ip:{address}"), format!("user:{}", form.name)];
    if web.limited(&keys) {
        web.log().event(
            now,
            "web",
            "login refused",
            json!({ "reason": "too many failures", "user": form.name, "address": address }),
        );
        return login_page(
            &web,
            StatusCode::TOO_MANY_REQUESTS,
            "Too many failed logins: wait a few minutes.",
        );
    }
    let path = Users::path_in(web.home());
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
        web.log().event(now, "web", "login failed", json!({ "user": form.name, "address": address }));
        return login_page(&web, StatusCode::UNAUTHORIZED, "Wrong name or password.");
    };
    let session = web.open_session(&user, role);
    web.log().event(now, "web", "login", json!({ "user": user, "role": role.as_str(), "address": address }));
    let mut response = see_other("/now");
    response
        .headers_mut()
        .append(header::SET_COOKIE, web.cookie(SESSION_COOKIE, &session, web.session_seconds()));
    response.headers_mut().append(header::SET_COOKIE, web.cookie(LOGIN_COOKIE, "", 0));
    response
}

/// A form that only carries the CSRF token.
#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// `POST /logout`.
pub async fn logout(State(web): State<Arc<Web>>, headers: HeaderMap, Form(form): Form<CsrfForm>) -> Response {
    let Some(v) = web.visitor(&headers) else { return to_login() };
    if !same(&v.csrf, &form.csrf) {
        return page(StatusCode::FORBIDDEN, "Forbidden", None, "<p>Missing or wrong form token.</p>");
    }
    web.end_session(&v.token);
    web.log().event(Utc::now(), "web", "logout", json!({ "user": v.user }));
    let mut response = to_login();
    response.headers_mut().append(header::SET_COOKIE, web.cookie(SESSION_COOKIE, "", 0));
    response
}
