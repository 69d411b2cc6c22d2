//! The pages' HTML: one layout with its navigation, the security headers every answer
//! carries, and the small formatting helpers of the tables.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::Value;

pub use crate::serve::alert::escape;
use crate::serve::users::Role;

/// Who the navigation is for.
#[derive(Debug, Clone, Copy)]
pub struct Nav<'a> {
    /// The user's name.
    pub user: &'a str,
    /// Their role (admins see the Users link).
    pub role: Role,
    /// The session's CSRF token (the logout form).
    pub csrf: &'a str,
}

const STYLE: &str = "body{font-family:sans-serif;margin:2em;color:#212529}nav{margin-bottom:1em}nav a{margin-right:.6em}\
table{border-collapse:collapse;margin-bottom:1em}td,th{padding:4px 8px;border-bottom:1px solid #dee2e6;text-align:right}\
td.l,th.l{text-align:left}tr.over{background:#ffe3e3;color:#c92a2a}.stale,.bad{color:#c92a2a;font-weight:bold}.good{color:#2b8a3e}\
form.inline{display:inline}fieldset{margin-bottom:1em;border:1px solid #dee2e6}";

/// A page with the common layout and headers.
pub fn page(status: StatusCode, title: &str, nav: Option<Nav<'_>>, body: &str) -> Response {
    let nav = nav.map_or_else(String::new, |n| {
        let users = if n.role.allows(Role::Admin) { "<a href=\"/users\">Users</a>" } else { "" };
        format!(
            "<nav><b>vader</b> · <a href=\"/now\">Now</a><a href=\"/nominations\">Nominations</a><a href=\"/models\">Models</a>\
             <a href=\"/value\">Value</a><a href=\"/data\">Data</a>{users} · {} ({}) \
             <form class=\"inline\" method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><button>Log out</button></form></nav>",
            escape(n.user),
            n.role.as_str(),
            escape(n.csrf)
        )
    });
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>{} · vader</title><style>{STYLE}</style></head><body>{nav}<h1>{}</h1>{body}</body></html>",
        escape(title),
        escape(title)
    );
    with_headers((status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response())
}

/// Adds the headers every answer carries: no caching, no sniffing, no framing, scripts only
/// from the site (there are none).
pub fn with_headers(mut response: Response) -> Response {
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

/// The redirect of a page asked for without a session.
pub fn to_login() -> Response {
    with_headers(Redirect::to("/login").into_response())
}

/// A redirect after a form (303, so the browser follows with GET).
pub fn see_other(path: &str) -> Response {
    with_headers(Redirect::to(path).into_response())
}

/// JSON with the common headers.
pub fn json(value: Value) -> Response {
    with_headers(axum::Json(value).into_response())
}

/// A `404` page.
pub fn not_found(nav: Option<Nav<'_>>) -> Response {
    page(StatusCode::NOT_FOUND, "Not found", nav, "<p>Nothing here.</p>")
}

/// A `400` page saying why an action was not done, with a link back to `back`.
pub fn not_done(nav: Option<Nav<'_>>, message: &str, back: &str) -> Response {
    page(
        StatusCode::BAD_REQUEST,
        "Not done",
        nav,
        &format!("<p class=\"bad\">{}</p><p><a href=\"{}\">Back</a></p>", escape(message), escape(back)),
    )
}

/// kWh as MWh with one decimal, or `–`.
pub fn mwh(kwh: Option<f64>) -> String {
    kwh.filter(|x| x.is_finite()).map_or_else(|| "–".to_string(), |x| format!("{:.1}", x / 1000.0))
}

/// Euros with no decimals, or `–`.
pub fn eur(value: Option<f64>) -> String {
    value.filter(|x| x.is_finite()).map_or_else(|| "–".to_string(), |x| format!("{x:.0}"))
}

/// A saving in euros, green when positive and red when negative.
pub fn saving(value: Option<f64>) -> String {
    match value.filter(|x| x.is_finite()) {
        Some(x) if x > 0.5 => format!("<span class=\"good\">+{x:.0}</span>"),
        Some(x) if x < -0.5 => format!("<span class=\"bad\">{x:.0}</span>"),
        Some(x) => format!("{x:.0}"),
        None => "–".to_string(),
    }
}

/// One table row of already escaped cells; the first `left` cells aligned left.
pub fn row(cells: &[String], left: usize, class: &str) -> String {
    let mut out = if class.is_empty() { "<tr>".to_string() } else { format!("<tr class=\"{class}\">") };
    for (i, c) in cells.iter().enumerate() {
        if i < left {
            out.push_str(&format!("<td class=\"l\">{c}</td>"));
        } else {
            out.push_str(&format!("<td>{c}</td>"));
        }
    }
    out.push_str("</tr>");
    out
}

/// A table head; the first `left` columns aligned left.
pub fn head(names: &[&str], left: usize) -> String {
    let mut out = "<tr>".to_string();
    for (i, n) in names.iter().enumerate() {
        let class = if i < left { " class=\"l\"" } else { "" };
        out.push_str(&format!("<th{class}>{}</th>", escape(n)));
    }
    out.push_str("</tr>");
    out
}
