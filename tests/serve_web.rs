//! The pages over real HTTP on loopback. Security: every route without a session redirects to
//! the login (pages) or answers 401 (API); a buyer on an analyst's or an admin's action gets
//! 403; report files outside the reports folder are refused; the session cookie is HttpOnly,
//! SameSite=Strict, Secure and new at each login; forms need their CSRF token; failed logins
//! are limited; neither a password nor a session token reaches the log. Content: the pages
//! show what the service's cycles computed (the alert, the nominations priced against what was
//! consumed, the value, the registry, the ingestion), and an analyst's backtest and promotion
//! run for real.

mod support;

use support::web::{csrf, login, request, serviced_site, start_pages};
use vader::serve::users::{Role, Users};

const PAGES: [&str; 9] = [
    "/now",
    "/now.png",
    "/nominations",
    "/models",
    "/value",
    "/data",
    "/users",
    "/reports/any/report.html",
    "/",
];
const APIS: [&str; 6] =
    ["/api/now", "/api/nominations", "/api/models", "/api/value", "/api/data", "/api/users"];
const ACTIONS: [&str; 6] =
    ["/models/backtest", "/models/promote", "/models/reinstate", "/users/add", "/users/remove", "/logout"];

#[test]
fn pages_need_a_session_roles_and_forms_their_token() {
    let dir = tempfile::tempdir().expect("tmp");
    let dir = dir.path();
    let config = serviced_site(dir);
    let home = dir.join("home");
    let password = "correct horse battery staple";
    let mut users = Users::load(&Users::path_in(&home)).expect("users");
    users.add("alice", Role::Buyer, password, chrono::Utc::now()).expect("add alice");
    users.add("bob", Role::Analyst, "bob's long password", chrono::Utc::now()).expect("add bob");
    users.add("carol", Role::Admin, "carol's long password", chrono::Utc::now()).expect("add carol");
    let addr = start_pages(&config);

    // Without a session: pages redirect to the login, the API answers 401, actions redirect.
    for path in PAGES {
        let reply = request(addr, "GET", path, "", None);
        let expected = if path == "/" { "/now" } else { "/login" };
        assert_eq!((reply.status, reply.header("location")), (303, Some(expected)), "{path}");
    }
    for path in APIS {
        assert_eq!(request(addr, "GET", path, "", None).status, 401, "{path}");
    }
    for path in ACTIONS {
        let reply = request(
            addr,
            "POST",
            path,
            "",
            Some(
                "csrf=x&target=gas-day&challengers=ols&recipe=ols&reason=r&version=1&name=x&role=buyer&password=xxxxxxxxxxxx",
            ),
        );
        assert_eq!((reply.status, reply.header("location")), (303, Some("/login")), "{path}");
    }

    // The login form sets its own CSRF cookie; a post without it is refused.
    let form = request(addr, "GET", "/login", "", None);
    assert_eq!(form.status, 200);
    let login_cookie = form.cookie("vader_login").expect("the form's cookie");
    let token = csrf(&form.text());
    assert_eq!(token, login_cookie);
    let body = format!("name=alice&password={}&csrf={token}", password.replace(' ', "+"));
    assert_eq!(request(addr, "POST", "/login", "", Some(&body)).status, 403, "no CSRF cookie");
    let cookie = format!("vader_login={login_cookie}");
    let wrong =
        request(addr, "POST", "/login", &cookie, Some(&format!("name=alice&password=nope&csrf={token}")));
    assert_eq!(wrong.status, 401);
    assert!(wrong.cookie("vader_session").is_none());

    // The right password: a new session cookie, HttpOnly, SameSite=Strict, Secure.
    let ok = request(addr, "POST", "/login", &cookie, Some(&body));
    assert_eq!((ok.status, ok.header("location")), (303, Some("/now")));
    let session = ok.cookie("vader_session").expect("a session cookie");
    assert_ne!(session, login_cookie, "the session cookie is new at login");
    let set = ok.cookies().into_iter().find(|c| c.starts_with("vader_session=")).expect("set-cookie");
    for flag in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
        assert!(set.contains(flag), "{set}");
    }
    let alice = format!("vader_session={session}");

    // The Now page: the alert the cycle computed, per site, its picture, the same as JSON.
    let now = request(addr, "GET", "/now", &alice, None);
    assert_eq!(now.status, 200);
    let html = now.text();
    assert!(
        html.contains("L18442")
            && html.contains("src=\"/now.png\"")
            && html.contains("data-site=\"estuary\""),
        "{html}"
    );
    assert_eq!(now.header("cache-control"), Some("no-store"));
    let png = request(addr, "GET", "/now.png", &alice, None);
    assert_eq!((png.status, png.header("content-type")), (200, Some("image/png")));
    assert_eq!(png.body, std::fs::read(home.join("alerts/latest.png")).expect("picture"));
    let api = request(addr, "GET", "/api/now", &alice, None);
    let json: serde_json::Value = serde_json::from_slice(&api.body).expect("JSON");
    assert_eq!(json["alert"]["rows"].as_array().map(Vec::len), Some(2));

    // Nominations: 20 February nominated on the eve and priced once the gas day was in,
    // against persistence at the same deadline.
    let api = request(addr, "GET", "/api/nominations", &alice, None);
    let json: serde_json::Value = serde_json::from_slice(&api.body).expect("JSON");
    let rows = json["nominations"].as_array().expect("nominations");
    let day: Vec<_> = rows.iter().filter(|r| r["day"] == "2025-02-20").collect();
    assert_eq!(day.len(), 2, "{json}");
    for r in &day {
        let (nominated, actual) =
            (r["nominated_kwh"].as_f64().expect("nominated"), r["actual_kwh"].as_f64().expect("priced"));
        let (cost, reference) =
            (r["cost_eur"].as_f64().expect("cost"), r["persistence_cost_eur"].as_f64().expect("reference"));
        // The SPEC's gas imbalance at 35 EUR/MWh and 2 % either side.
        assert!((cost - (nominated - actual).abs() / 1000.0 * 0.7).abs() < 1e-6, "{r}");
        assert!((r["saved_eur"].as_f64().expect("saved") - (reference - cost)).abs() < 1e-9);
    }
    let page = request(addr, "GET", "/nominations", &alice, None).text();
    assert!(page.contains("2025-02-20") && page.contains("ridge v1"), "{page}");

    // Value: the month of the estuary site, the total the sum of what the days saved.
    let api = request(addr, "GET", "/api/value", &alice, None);
    let json: serde_json::Value = serde_json::from_slice(&api.body).expect("JSON");
    let months = json["value"]["months"].as_array().expect("months");
    assert_eq!(months.len(), 1, "{json}");
    assert_eq!((months[0]["site"].as_str(), months[0]["month"].as_str()), (Some("estuary"), Some("2025-02")));
    assert_eq!(months[0]["nomination_days"], 2);
    assert!(months[0]["capacity_days"].as_u64().unwrap_or(0) >= 2, "{json}");
    let saved: f64 = day.iter().map(|r| r["saved_eur"].as_f64().unwrap_or(f64::NAN)).sum();
    assert!((months[0]["nominations_saved_eur"].as_f64().expect("saved") - saved).abs() < 1e-6);
    assert!(request(addr, "GET", "/value", &alice, None).text().contains("id=\"total-saved\""));

    // Data: the malformed file in the quarantine with its reason, the ingestion log, validation.
    let data = request(addr, "GET", "/data", &alice, None).text();
    assert!(data.contains("broken.csv") && data.contains("winter.csv") && data.contains("L18447"), "{data}");

    // A buyer reads but does not act: 403 on every analyst's and admin's route.
    let models = request(addr, "GET", "/models", &alice, None).text();
    assert!(models.contains("<b>champion</b>") && !models.contains("/models/promote"), "{models}");
    let alice_csrf = csrf(&models);
    for (path, form) in [
        ("/models/backtest", format!("csrf={alice_csrf}&target=gas-day&challengers=persistence")),
        ("/models/promote", format!("csrf={alice_csrf}&target=gas-day&recipe=persistence&reason=cheaper")),
        ("/models/reinstate", format!("csrf={alice_csrf}&version=1&reason=back")),
        ("/users/add", format!("csrf={alice_csrf}&name=eve&role=admin&password=eve's+long+password")),
        ("/users/remove", format!("csrf={alice_csrf}&name=bob")),
    ] {
        assert_eq!(request(addr, "POST", path, &alice, Some(&form)).status, 403, "{path}");
    }
    assert_eq!(request(addr, "GET", "/users", &alice, None).status, 403);
    assert_eq!(request(addr, "GET", "/api/users", &alice, None).status, 403);
    assert_eq!(Users::load(&Users::path_in(&home)).expect("users").list().len(), 3, "nobody added");

    // An analyst: a form without the session's token is refused; with it, an A/B backtest runs
    // and keeps its report, then a recipe is trained and promoted, then v1 is reinstated.
    let bob = login(addr, "bob", "bob's long password");
    let bob_csrf = csrf(&request(addr, "GET", "/models", &bob, None).text());
    let forged = request(
        addr,
        "POST",
        "/models/backtest",
        &bob,
        Some("csrf=forged&target=gas-day&challengers=persistence"),
    );
    assert_eq!(forged.status, 403);
    let job = |done_with: &str| {
        for _ in 0..600 {
            let api: serde_json::Value =
                serde_json::from_slice(&request(addr, "GET", "/api/models", &bob, None).body).expect("JSON");
            if api["job"]["status"] != "running" {
                assert_eq!(api["job"]["status"], "done", "{api}");
                assert!(api["job"]["outcome"].as_str().is_some_and(|o| o.contains(done_with)), "{api}");
                return api;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("the job did not finish in a minute");
    };
    let started = request(
        addr,
        "POST",
        "/models/backtest",
        &bob,
        // The champion's own recipe and a repeated challenger: each is replayed once.
        Some(&format!("csrf={bob_csrf}&target=gas-day&challengers=ridge,persistence+persistence")),
    );
    assert_eq!((started.status, started.header("location")), (303, Some("/models")));
    let api = job("backtest-gas-day-");
    assert_eq!(api["job"]["what"].as_str(), Some("A/B backtest of ridge, persistence for gas-day"));
    let report = api["job"]["outcome"].as_str().expect("report").to_string();
    let verdict = api["registry"]["verdicts"].as_array().and_then(|v| v.last()).expect("a verdict").clone();
    assert_eq!(
        (verdict["challenger"].as_str(), verdict["report"].as_str()),
        (Some("persistence"), Some(report.as_str()))
    );
    let html = request(addr, "GET", &format!("/reports/{report}/report.html"), &alice, None);
    assert_eq!((html.status, html.header("content-type")), (200, Some("text/html; charset=utf-8")));
    assert!(html.text().contains("persistence"));
    let plot = request(addr, "GET", &format!("/reports/{report}/euros.png"), &alice, None);
    assert_eq!((plot.status, plot.header("content-type")), (200, Some("image/png")));
    // Report paths that leave the folder, or name a file the report does not have a kind for.
    for path in [
        format!("/reports/{report}/..%2F..%2Fusers.json"),
        "/reports/..%2F..%2F/users.json".to_string(),
        "/reports/%2e%2e/users.json".to_string(),
        format!("/reports/{report}/%2e%2e%2f%2e%2e%2fusers.json"),
        format!("/reports/{report}/forecasts.parquet"),
        "/reports/../users.json".to_string(),
        format!("/reports/{report}/..%5c..%5cusers.json"),
    ] {
        let reply = request(addr, "GET", &path, &alice, None);
        assert_eq!(reply.status, 404, "{path}");
        assert!(!reply.text().contains("argon2"), "{path}");
    }
    let promoted = request(
        addr,
        "POST",
        "/models/promote",
        &bob,
        Some(&format!("csrf={bob_csrf}&target=gas-day&recipe=persistence&reason=cheaper+to+run")),
    );
    assert_eq!(promoted.status, 303);
    let api = job("v2 is the gas-day champion");
    let v2 = api["registry"]["models"].as_array().and_then(|m| m.last()).expect("v2").clone();
    assert_eq!(
        (v2["recipe"].as_str(), v2["promoted_by"].as_str(), v2["status"].as_str()),
        (Some("persistence"), Some("bob"), Some("champion"))
    );
    let back = request(
        addr,
        "POST",
        "/models/reinstate",
        &bob,
        Some(&format!("csrf={bob_csrf}&version=1&reason=ridge+is+better")),
    );
    assert_eq!(back.status, 303);
    let index: serde_json::Value =
        serde_json::from_slice(&request(addr, "GET", "/api/models", &alice, None).body).expect("JSON");
    let statuses: Vec<_> = index["registry"]["models"]
        .as_array()
        .expect("models")
        .iter()
        .map(|m| m["status"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(statuses, ["champion", "retired"]);
    assert_eq!(request(addr, "GET", "/users", &bob, None).status, 403, "an analyst does not manage users");

    // An admin adds a user (who can log in) and removes alice, whose session ends at once.
    let carol = login(addr, "carol", "carol's long password");
    let carol_csrf = csrf(&request(addr, "GET", "/users", &carol, None).text());
    let added = request(
        addr,
        "POST",
        "/users/add",
        &carol,
        Some(&format!("csrf={carol_csrf}&name=dave&role=buyer&password=dave's+long+password")),
    );
    assert_eq!(added.status, 303);
    let dave = login(addr, "dave", "dave's long password");
    assert_eq!(request(addr, "GET", "/now", &dave, None).status, 200);
    let removed =
        request(addr, "POST", "/users/remove", &carol, Some(&format!("csrf={carol_csrf}&name=alice")));
    assert_eq!(removed.status, 303);
    assert_eq!(request(addr, "GET", "/now", &alice, None).status, 303, "a removed user's session ends");

    // Log out needs the session's token.
    let html = request(addr, "GET", "/now", &dave, None).text();
    assert_eq!(request(addr, "POST", "/logout", &dave, Some("csrf=forged")).status, 403);
    let out = request(addr, "POST", "/logout", &dave, Some(&format!("csrf={}", csrf(&html))));
    assert_eq!(out.status, 303);
    assert_eq!(request(addr, "GET", "/now", &dave, None).status, 303, "the session ended");

    // Five failures from one address (alice's wrong password above and four here), and even
    // the right password waits.
    for _ in 0..4 {
        let r = request(
            addr,
            "POST",
            "/login",
            &format!("vader_login={login_cookie}"),
            Some(&format!("name=bob&password=nope&csrf={token}")),
        );
        assert_eq!(r.status, 401);
    }
    let body = format!("name=bob&password=bob's+long+password&csrf={token}");
    let limited = request(addr, "POST", "/login", &format!("vader_login={login_cookie}"), Some(&body));
    assert_eq!(limited.status, 429);
    assert!(limited.cookie("vader_session").is_none());

    let log = std::fs::read_to_string(home.join("log/serve.jsonl")).expect("log");
    assert!(log.contains("\"event\":\"login\"") && log.contains("\"event\":\"login failed\""));
    assert!(log.contains("\"event\":\"report refused\"") && log.contains("\"event\":\"forbidden\""));
    for secret in [
        "horse",
        "long password",
        "long+password",
        &session,
        bob.trim_start_matches("vader_session="),
        carol.trim_start_matches("vader_session="),
    ] {
        assert!(!log.contains(secret), "no password or session token in the log");
    }
}
