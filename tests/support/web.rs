//! The pages of `vader serve` for the tests: a site serviced by two cycles of the binary, the
//! pages started on loopback over it, and a small HTTP/1.1 client.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::Command;

use super::site::{self, ts};
use vader::serve::web::{self, Web, WebConfig};
use vader::serve::{Config, Service};

/// A reply.
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: Vec<(String, String)>,
    /// The body (unchunked).
    pub body: Vec<u8>,
}

impl Reply {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Every `Set-Cookie`.
    pub fn cookies(&self) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The value a `Set-Cookie` gives `name`.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies().into_iter().find_map(|c| {
            c.strip_prefix(&format!("{name}=")).map(|v| v.split(';').next().unwrap_or_default().to_string())
        })
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).to_string()
    }
}

/// One HTTP/1.1 request (`Connection: close`).
pub fn request(addr: SocketAddr, method: &str, path: &str, cookie: &str, form: Option<&str>) -> Reply {
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

pub fn unchunk(mut data: &[u8]) -> Vec<u8> {
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
pub fn csrf(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a CSRF field") + "name=\"csrf\" value=\"".len();
    page[at..].split('"').next().unwrap_or_default().to_string()
}

/// Logs `name` in; the session cookie (`vader_session=...`).
pub fn login(addr: SocketAddr, name: &str, password: &str) -> String {
    let form = request(addr, "GET", "/login", "", None);
    let token = csrf(&form.text());
    let body = format!("name={name}&password={}&csrf={token}", password.replace(' ', "+"));
    let ok = request(addr, "POST", "/login", &format!("vader_login={token}"), Some(&body));
    assert_eq!(ok.status, 303, "{name} logs in");
    format!("vader_session={}", ok.cookie("vader_session").expect("a session cookie"))
}

/// The site's readings of January and February 2025 in the inbox; two cycles of the service
/// (the eve of 20 February after the gas deadline, and the morning after the day), so that
/// day's nominations are made, then priced.
pub fn serviced_site(dir: &std::path::Path) -> std::path::PathBuf {
    site::data_folder(dir);
    let inbox = dir.join("home/inbox");
    std::fs::create_dir_all(&inbox).expect("inbox");
    let rows: Vec<_> = site::readings()
        .into_iter()
        .filter(|r| r.1 >= ts("2025-01-01T00:00:00Z") && r.1 < ts("2025-03-01T00:00:00Z"))
        .collect();
    site::write_csv(&inbox.join("winter.csv"), &rows);
    std::fs::write(inbox.join("broken.csv"), "meter_id,timestamp\nL18442,yesterday\n").expect("broken file");
    let config = dir.join("serve.toml");
    std::fs::write(
        &config,
        "data = \"data\"\n[models]\ngas-day = \"ridge\"\nab_days = 14\ncalibration_days = 14\n[env.test]\nhome = \"home\"\n",
    )
    .expect("config");
    for now in ["2025-02-19T15:00:00Z", "2025-02-21T08:00:00Z"] {
        let ran = Command::new(env!("CARGO_BIN_EXE_vader"))
            .args(["serve", "--once", "--quiet", "--env", "test", "--now", now, "--config"])
            .arg(&config)
            .status()
            .expect("a cycle");
        // The broken file fails nothing: it is quarantined.
        assert!(ran.success(), "cycle at {now}");
    }
    config
}

/// Starts the pages of the environment `test` of `config`; their address.
pub fn start_pages(config: &std::path::Path) -> SocketAddr {
    let service = Service::open(Config::load(config, "test").expect("config"), false).expect("service");
    let settings = WebConfig { listen: "127.0.0.1:0".into(), secure_cookies: true, session_hours: 1 };
    let web = Web::new(std::sync::Arc::new(service), settings);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    std::thread::spawn(move || web::serve(&web, listener));
    addr
}
