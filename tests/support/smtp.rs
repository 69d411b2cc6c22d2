//! A real SMTP server on loopback for the mail tests: `tests/support/smtp_server.py`
//! (aiosmtpd) with STARTTLS required, then AUTH (PLAIN or LOGIN) for one user, with a
//! self-signed certificate for `127.0.0.1` and `localhost` made by the `openssl` command.
//! Every accepted message is saved as `maildir/<n>.eml`; recipients at `refused.example` are
//! refused for good (550), to test permanent rejections.
//!
//! Needs a Python with aiosmtpd (`tests/requirements-servers.txt`; the interpreter is
//! `$VADER_PYTHON`, else `python3`) and `openssl`. Without them [`start`] gives `None` and the
//! tests skip, unless `VADER_REQUIRE_SERVICES=1`, where it panics with an install hint.

use std::fs;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{OnceLock, mpsc};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long the server may take to say "ready".
const READY_TIMEOUT: Duration = Duration::from_secs(15);

/// A running SMTP test server on 127.0.0.1; killed on drop.
pub struct Smtp {
    /// TCP port it listens on (kept across [`Smtp::restart`]).
    pub port: u16,
    /// The only user it accepts.
    pub user: String,
    /// That user's password (the same for every server of the process: [`password`]).
    pub password: String,
    /// Its self-signed certificate (PEM), to trust as `ca_file`.
    pub ca_file: PathBuf,
    /// Where it saves each message it accepts, as `<n>.eml`.
    pub maildir: PathBuf,
    key_file: PathBuf,
    log: PathBuf,
    python: String,
    child: Option<Child>,
}

fn python() -> String {
    std::env::var("VADER_PYTHON").ok().filter(|p| !p.is_empty()).unwrap_or_else(|| "python3".to_owned())
}

/// The password of every server of this test process: made up at random-ish once, so that a
/// test can put it in one environment variable once, whatever the number of servers.
pub fn password() -> &'static str {
    static PASSWORD: OnceLock<String> = OnceLock::new();
    PASSWORD.get_or_init(|| {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        format!("pw-{nanos:x}-{}", std::process::id())
    })
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_server.py")
}

/// `None` (skip) or a panic (when `VADER_REQUIRE_SERVICES=1`) for a missing prerequisite.
fn missing(what: &str) -> Option<Smtp> {
    if std::env::var("VADER_REQUIRE_SERVICES").as_deref() == Ok("1") {
        panic!(
            "VADER_REQUIRE_SERVICES=1 but {what}: install `openssl` (apt-get install openssl) and \
             aiosmtpd (`$VADER_PYTHON -m pip install -r tests/requirements-servers.txt`, with \
             VADER_PYTHON pointing at that interpreter)"
        );
    }
    None
}

/// Starts a server with its files under `dir`; `None` when Python with aiosmtpd or `openssl`
/// is missing (and `VADER_REQUIRE_SERVICES` is not `1`).
pub fn start(dir: &Path) -> Option<Smtp> {
    let python = python();
    let has_aiosmtpd = Command::new(&python)
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !has_aiosmtpd {
        return missing(&format!("`{python}` cannot import aiosmtpd"));
    }
    let has_openssl = Command::new("openssl")
        .arg("version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !has_openssl {
        return missing("the `openssl` command is missing");
    }

    let base = dir.join("smtp");
    let maildir = base.join("maildir");
    fs::create_dir_all(&maildir).expect("create the SMTP test directories");
    let ca_file = base.join("cert.pem");
    let key_file = base.join("key.pem");
    let out = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
        // A leaf, not a CA: rustls (webpki) refuses a CA certificate used as the server's own
        // (`CaUsedAsEndEntity`), and `req -x509` marks it CA:TRUE unless told otherwise.
        .args(["-addext", "basicConstraints=critical,CA:FALSE", "-addext", "extendedKeyUsage=serverAuth"])
        .arg("-keyout")
        .arg(&key_file)
        .arg("-out")
        .arg(&ca_file)
        .output()
        .expect("run openssl");
    assert!(out.status.success(), "openssl req failed: {}", String::from_utf8_lossy(&out.stderr));

    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("find a free port on 127.0.0.1")
        .port();
    let mut smtp = Smtp {
        port,
        user: "vader-test".to_owned(),
        password: password().to_owned(),
        ca_file,
        maildir,
        key_file,
        log: base.join("server.log"),
        python,
        child: None,
    };
    smtp.spawn();
    Some(smtp)
}

impl Smtp {
    /// Runs the server and waits for its "ready" line; panics with its log if it fails.
    fn spawn(&mut self) {
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("open the SMTP server's log");
        let mut child = Command::new(&self.python)
            .arg(script())
            .arg("--port")
            .arg(self.port.to_string())
            .arg("--cert")
            .arg(&self.ca_file)
            .arg("--key")
            .arg(&self.key_file)
            .args(["--user", &self.user, "--password", &self.password, "--maildir"])
            .arg(&self.maildir)
            // The server stops when its stdin closes, i.e. when this process goes away.
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("start the SMTP test server");
        let stdout = child.stdout.take().expect("the server's stdout is piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            // Drain stdout for the server's whole life, telling when "ready" comes.
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if line.trim() == "ready" {
                    let _ = tx.send(());
                }
            }
        });
        let ready = rx.recv_timeout(READY_TIMEOUT).is_ok();
        self.child = Some(child);
        if !ready {
            self.stop();
            panic!(
                "the SMTP test server on port {} did not get ready within {:?}; its log:\n{}",
                self.port,
                READY_TIMEOUT,
                fs::read_to_string(&self.log).unwrap_or_default()
            );
        }
    }

    /// `host:port` of the server.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Stops the server (its saved messages stay); nothing listens on the port until
    /// [`Smtp::restart`].
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again, on the same port, user and certificate.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    /// The messages received so far, in order of arrival (sorted by file name).
    pub fn messages(&self) -> Vec<Vec<u8>> {
        let mut names: Vec<PathBuf> = fs::read_dir(&self.maildir)
            .expect("list the maildir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        names.sort();
        names.iter().map(|p| fs::read(p).expect("read a received message")).collect()
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        self.stop();
    }
}
