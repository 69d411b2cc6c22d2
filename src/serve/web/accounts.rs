//! *Users* (admins only): the users of the pages, adding one with a role and a password,
//! removing one. A removed user's sessions end at once.

use std::sync::Arc;

use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;

use super::app::{Visitor, Web};
use super::html::{self, escape, head, page, row, see_other};
use crate::serve::users::{Role, Users};

fn users(web: &Web) -> Result<Users, String> {
    Users::load(&Users::path_in(web.home())).map_err(|e| e.to_string())
}

fn failed(v: &Visitor, message: &str) -> Response {
    html::not_done(Some(v.nav()), message, "/users")
}

/// `GET /users`.
pub async fn page_users(State(web): State<Arc<Web>>, headers: HeaderMap) -> Response {
    let v = match web.page_guard(&headers, Role::Admin) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let list = match users(&web) {
        Ok(u) => u,
        Err(e) => return failed(&v, &e),
    };
    let csrf = escape(&v.csrf);
    let mut table = head(&["name", "role", "since", ""], 2);
    for u in list.list() {
        let remove = if u.name == v.user {
            String::new()
        } else {
            format!(
                "<form class=\"inline\" method=\"post\" action=\"/users/remove\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
                 <input type=\"hidden\" name=\"name\" value=\"{}\"><button>Remove</button></form>",
                escape(&u.name)
            )
        };
        table.push_str(&row(
            &[escape(&u.name), u.role.as_str().into(), u.created_at.format("%Y-%m-%d").to_string(), remove],
            2,
            "",
        ));
    }
    let body = format!(
        "<table id=\"users\">{table}</table>\
         <form method=\"post\" action=\"/users/add\"><fieldset><legend>Add a user</legend>\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <label>Name <input name=\"name\" required></label> \
         <label>Role <select name=\"role\"><option>buyer</option><option>analyst</option><option>admin</option></select></label> \
         <label>Password <input name=\"password\" type=\"password\" autocomplete=\"new-password\" required></label> \
         <button>Add</button></fieldset></form>"
    );
    page(StatusCode::OK, "Users", Some(v.nav()), &body)
}

/// `GET /api/users` (admins): names, roles and dates, never the hashes.
pub async fn api(State(web): State<Arc<Web>>, headers: HeaderMap) -> Response {
    if let Err(r) = web.api_guard(&headers, Role::Admin) {
        return *r;
    }
    match users(&web) {
        Ok(list) => html::json(json!({
            "users": list.list().iter().map(|u| json!({ "name": u.name, "role": u.role.as_str(), "created_at": u.created_at })).collect::<Vec<_>>()
        })),
        Err(e) => html::json(json!({ "error": e })),
    }
}

/// The form adding a user.
#[derive(Deserialize)]
pub struct AddForm {
    csrf: String,
    name: String,
    role: String,
    password: String,
}

/// `POST /users/add` (admins).
pub async fn add(State(web): State<Arc<Web>>, headers: HeaderMap, Form(form): Form<AddForm>) -> Response {
    let v = match web.form_guard(&headers, Role::Admin, &form.csrf) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let role: Role = match form.role.parse() {
        Ok(r) => r,
        Err(e) => return failed(&v, &e.to_string()),
    };
    let path = Users::path_in(web.home());
    let (name, password) = (form.name.clone(), form.password);
    let added = tokio::task::spawn_blocking(move || {
        Users::load(&path).and_then(|mut u| u.add(&name, role, &password, Utc::now()).map(|_| ()))
    })
    .await;
    match added {
        Ok(Ok(())) => {
            web.log().event(
                Utc::now(),
                "web",
                "user added",
                json!({ "by": v.user, "user": form.name, "role": role.as_str() }),
            );
            see_other("/users")
        }
        Ok(Err(e)) => failed(&v, &e.to_string()),
        Err(e) => failed(&v, &e.to_string()),
    }
}

/// The form removing a user.
#[derive(Deserialize)]
pub struct RemoveForm {
    csrf: String,
    name: String,
}

/// `POST /users/remove` (admins; not oneself).
pub async fn remove(
    State(web): State<Arc<Web>>,
    headers: HeaderMap,
    Form(form): Form<RemoveForm>,
) -> Response {
    let v = match web.form_guard(&headers, Role::Admin, &form.csrf) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    if form.name == v.user {
        return failed(&v, "You cannot remove yourself.");
    }
    match users(&web).and_then(|mut u| u.remove(&form.name).map_err(|e| e.to_string())) {
        Ok(true) => {
            web.end_sessions_of(&form.name);
            web.log().event(Utc::now(), "web", "user removed", json!({ "by": v.user, "user": form.name }));
            see_other("/users")
        }
        Ok(false) => failed(&v, &format!("No user {}.", form.name)),
        Err(e) => failed(&v, &e),
    }
}
