//! The pages' security over real HTTP on loopback: every route without a session redirects to
//! the login (pages) or answers 401 (API); the session cookie is HttpOnly, SameSite=Strict,
//! Secure and new at each login; forms need their CSRF token; failed logins are limited;
//! neither a password nor a session token reaches the log. The *Now* page shows the alert the
//! service computed, and its picture.

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::Command;

use support::site::{self, ts};
use vader::serve::users::{Role, Users};
use vader::serve::web::{Web, WebConfig};

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn cookies(&self) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The value a `Set-Cookie` gives `name`.
    fn cookie(&self, name: &str) -> Option<String> {
        self.cookies().into_iter().find_map(|c| {
            c.strip_prefix(&format!("{name}=")).map(|v| v.split(';').next().unwrap_or_default().to_string())
        })
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).to_string()
    }
}

/// One HTTP/1.1 request (`Connection: close`).
fn request(addr: SocketAddr, method: &str, path: &str, cookie: &str, form: Option<&str>) -> Reply {
    let mut stream = TcpStream::connect(addr).expect("connect");
    let body = form.unwrap_or_default();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if !cookie.is_empty() {
        head.push_str(&format!("Cookie: {cookie}\r\n"));
    }
    if form.is_some() {
        head.push_str(&format!(
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("send");
    stream.write_all(body.as_bytes()).expect("send");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read");
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a header block");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut lines = head.lines();
    let status =
        lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).expect("a status");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked")) {
        body = unchunk(&body);
    }
    Reply { status, headers, body }
}

fn unchunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&data[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[end + 2 + size + 2..];
    }
    out
}

/// The CSRF token of the form in a page.
fn csrf(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a CSRF field") + "name=\"csrf\" value=\"".len();
    page[at..].split('"').next().unwrap_or_default().to_string()
}

#[test]
fn pages_need_a_session_and_forms_their_token() {
    let dir = tempfile::tempdir().expect("tmp");
    let dir = dir.path();
    // A cycle of the service computes the alert the page shows.
    site::data_folder(dir);
    let inbox = dir.join("home/inbox");
    std::fs::create_dir_all(&inbox).expect("inbox");
    let rows: Vec<_> = site::readings()
        .into_iter()
        .filter(|r| r.1 >= ts("2025-02-01T00:00:00Z") && r.1 < ts("2025-02-10T00:00:00Z"))
        .collect();
    site::write_csv(&inbox.join("february.csv"), &rows);
    let config = dir.join("serve.toml");
    std::fs::write(&config, "data = \"data\"\n[env.test]\nhome = \"home\"\n").expect("config");
    let ran = Command::new(env!("CARGO_BIN_EXE_vader"))
        .args(["serve", "--once", "--quiet", "--env", "test", "--now", "2025-02-09T12:00:00Z", "--config"])
        .arg(&config)
        .status()
        .expect("a cycle");
    assert!(ran.success());
    let home = dir.join("home");
    let password = "correct horse battery staple";
    Users::load(&Users::path_in(&home))
        .expect("users")
        .add("alice", Role::Buyer, password, chrono::Utc::now())
        .expect("add alice");

    let log = vader::serve::log::Log::open("test", &home.join("log/serve.jsonl"), false).expect("log");
    let settings = WebConfig { listen: "127.0.0.1:0".into(), secure_cookies: true, session_hours: 1 };
    let web = Web::new(home.clone(), settings, log);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    std::thread::spawn(move || web.serve(listener));

    // Without a session: pages redirect to the login, the API answers 401.
    for path in ["/now", "/now.png"] {
        let reply = request(addr, "GET", path, "", None);
        assert_eq!((reply.status, reply.header("location")), (303, Some("/login")), "{path}");
    }
    assert_eq!(request(addr, "GET", "/api/now", "", None).status, 401);
    assert_eq!(request(addr, "POST", "/logout", "", Some("csrf=x")).status, 303);

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
    let cookie = format!("vader_session={session}");

    // The Now page: the alert the cycle computed, its picture, the same as JSON.
    let now = request(addr, "GET", "/now", &cookie, None);
    assert_eq!(now.status, 200);
    let html = now.text();
    assert!(html.contains("L18442") && html.contains("src=\"/now.png\""), "{html}");
    assert_eq!(now.header("cache-control"), Some("no-store"));
    let png = request(addr, "GET", "/now.png", &cookie, None);
    assert_eq!((png.status, png.header("content-type")), (200, Some("image/png")));
    assert_eq!(png.body, std::fs::read(home.join("alerts/latest.png")).expect("picture"));
    let api = request(addr, "GET", "/api/now", &cookie, None);
    let json: serde_json::Value = serde_json::from_slice(&api.body).expect("JSON");
    assert_eq!(json["alert"]["rows"].as_array().map(Vec::len), Some(2));

    // Log out needs the session's token.
    assert_eq!(request(addr, "POST", "/logout", &cookie, Some("csrf=forged")).status, 403);
    let out = request(addr, "POST", "/logout", &cookie, Some(&format!("csrf={}", csrf(&html))));
    assert_eq!(out.status, 303);
    assert_eq!(request(addr, "GET", "/now", &cookie, None).status, 303, "the session ended");

    // Five failures for one name, and even the right password waits.
    for _ in 0..4 {
        let r = request(
            addr,
            "POST",
            "/login",
            &format!("vader_login={login_cookie}"),
            Some(&format!("name=alice&password=nope&csrf={token}")),
        );
        assert_eq!(r.status, 401);
    }
    let limited = request(addr, "POST", "/login", &format!("vader_login={login_cookie}"), Some(&body));
    assert_eq!(limited.status, 429);
    assert!(limited.cookie("vader_session").is_none());

    let log = std::fs::read_to_string(home.join("log/serve.jsonl")).expect("log");
    assert!(log.contains("\"event\":\"login\"") && log.contains("\"event\":\"login failed\""));
    assert!(!log.contains("horse") && !log.contains(&session), "no password or session token in the log");
}
