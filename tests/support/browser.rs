//! A headless Chromium for the tests, driven over WebDriver: Debian's `chromium` and its
//! `chromedriver` (`apt-get install chromium chromium-driver`), started on loopback; no
//! browser is downloaded. The browser runs with its background networking off, so that it
//! contacts nothing but the pages under test.
//!
//! Without them [`start`] gives `None` and the tests skip, unless `VADER_REQUIRE_SERVICES=1`,
//! where it panics with an install hint. `VADER_CHROMIUM` and `VADER_CHROMEDRIVER` name other
//! binaries.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running chromedriver.
pub struct Driver {
    child: Child,
    /// Its WebDriver address.
    pub url: String,
    /// The browser binary it launches.
    pub chromium: PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn binary(var: &str, names: &[&str]) -> Option<PathBuf> {
    if let Ok(path) = std::env::var(var) {
        return Some(PathBuf::from(path));
    }
    names.iter().map(|n| PathBuf::from("/usr/bin").join(n)).find(|p| p.is_file())
}

/// Starts chromedriver on a free loopback port; `None` when Chromium or its driver is missing
/// (and `VADER_REQUIRE_SERVICES` is not `1`).
pub fn start() -> Option<Driver> {
    let (Some(chromium), Some(driver)) = (
        binary("VADER_CHROMIUM", &["chromium", "chromium-browser"]),
        binary("VADER_CHROMEDRIVER", &["chromedriver"]),
    ) else {
        if std::env::var("VADER_REQUIRE_SERVICES").as_deref() == Ok("1") {
            panic!(
                "VADER_REQUIRE_SERVICES=1 but Chromium is missing: apt-get install chromium chromium-driver"
            );
        }
        eprintln!("skipped: no chromium and chromedriver (apt-get install chromium chromium-driver)");
        return None;
    };
    let port = TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
    let child = Command::new(&driver)
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", driver.display()));
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(20), "chromedriver did not listen in 20 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(Driver { child, url: format!("http://127.0.0.1:{port}"), chromium })
}

/// The capabilities of a headless Chromium that stays on loopback, `width` × `height`.
pub fn capabilities(driver: &Driver, width: u32, height: u32) -> serde_json::Map<String, serde_json::Value> {
    let args = [
        "--headless=new".to_string(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-dev-shm-usage".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-default-apps".into(),
        "--disable-sync".into(),
        "--disable-extensions".into(),
        "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication".into(),
        "--no-first-run".into(),
        "--no-default-browser-check".into(),
        "--metrics-recording-only".into(),
        "--password-store=basic".into(),
        format!("--window-size={width},{height}"),
    ];
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({ "binary": driver.chromium.display().to_string(), "args": args }),
    );
    caps
}
