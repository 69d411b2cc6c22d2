//! Pulling meter files from an SFTP server: a synchronous facade over `russh` + `russh-sftp`.
//!
//! [`pull`] connects (host key checked against a known_hosts file, always), authenticates with a
//! private key and/or a password taken from environment variables, lists one remote folder and
//! downloads the new `.csv` / `.parquet` files into a local inbox, atomically (`.<name>.part`
//! then rename). A whole session is retried with exponential backoff on network, authentication
//! or I/O failures; configuration and host-key problems fail at once.

use std::collections::HashSet;
use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use russh::client;
use russh::keys::{
    HashAlg, PrivateKey, PrivateKeyWithHashAlg, PublicKey, PublicKeyOrCertificate, load_secret_key,
    parse_public_key_base64,
};
use russh_sftp::client::SftpSession;
use tokio::io::AsyncReadExt as _;

/// Where meter files are pulled from: an SFTP server. Secrets come from environment variables only.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SftpConfig {
    /// Server host name or IP address.
    pub host: String,
    /// Server TCP port (default 22).
    #[serde(default = "default_port")]
    pub port: u16,
    /// Login name.
    pub user: String,
    /// Private key file (OpenSSH format); optional if `password_env` is given.
    #[serde(default)]
    pub key_file: Option<PathBuf>,
    /// Name of the environment variable holding the key's passphrase.
    #[serde(default)]
    pub key_passphrase_env: Option<String>,
    /// Name of the environment variable holding the password.
    #[serde(default)]
    pub password_env: Option<String>,
    /// OpenSSH known_hosts file that must hold the server's host key (lines
    /// `host key-type base64` or `[host]:port key-type base64`). Unknown or changed host key =
    /// refusal.
    pub known_hosts: PathBuf,
    /// Remote folder listed for files.
    pub remote_dir: String,
    /// Attempts per cycle (default 3).
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// First backoff between attempts, in ms (default 1000, doubling after each attempt).
    #[serde(default = "default_backoff_ms")]
    pub backoff_ms: u64,
    /// Connection / operation timeout, seconds (default 30).
    #[serde(default = "default_timeout_s")]
    pub timeout_s: u64,
}

fn default_port() -> u16 {
    22
}
fn default_retries() -> u32 {
    3
}
fn default_backoff_ms() -> u64 {
    1000
}
fn default_timeout_s() -> u64 {
    30
}

impl SftpConfig {
    /// `host:port`, as named in errors.
    pub fn addr(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// A file on the server, as listed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct RemoteFile {
    /// File name inside `remote_dir` (no folder part).
    pub name: String,
    /// Size in bytes, as listed (0 if the server did not say).
    pub size: u64,
    /// Modification time, Unix seconds, as listed (0 if the server did not say).
    pub mtime: u64,
}

impl RemoteFile {
    /// Key used to remember a file as fetched: `name|size|mtime`.
    pub fn key(&self) -> String {
        format!("{}|{}|{}", self.name, self.size, self.mtime)
    }
}

/// A file fetched into the inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The file as listed on the server.
    pub remote: RemoteFile,
    /// Where it now is: `inbox/<name>`, or `inbox/<stem>-N.<ext>` if that name was taken.
    pub local: PathBuf,
}

/// Why a pull failed. Messages name the server (`host:port`), the remote path, the environment
/// variable (never its value) or the local file involved.
#[derive(Debug, thiserror::Error)]
pub enum SftpError {
    /// The configuration cannot work (e.g. neither `key_file` nor `password_env` given).
    #[error("sftp configuration: {reason}")]
    Config {
        /// What is wrong.
        reason: String,
    },
    /// The known_hosts file could not be read.
    #[error("cannot read known_hosts file {}: {source}", path.display())]
    KnownHosts {
        /// The known_hosts file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The TCP connection or the SSH handshake failed (server down, refused, reset...).
    #[error("cannot connect to sftp server {addr}: {reason}")]
    Connect {
        /// `host:port`.
        addr: String,
        /// What happened.
        reason: String,
    },
    /// The server's host key is not listed for this host in the known_hosts file.
    #[error(
        "host key of {addr} ({key_type} {fingerprint}) is not in known_hosts file {}: refusing to \
         connect; after checking the fingerprint with the server's operator, add a line \
         `{host_field} <key-type> <base64>` (e.g. from `ssh-keyscan -p PORT HOST`; hashed \
         `|1|` entries and `@cert-authority` lines are not used)",
        known_hosts.display()
    )]
    HostKeyUnknown {
        /// `host:port`.
        addr: String,
        /// The known_hosts file.
        known_hosts: PathBuf,
        /// The host field a line for this server must have (`host` or `[host]:port`).
        host_field: String,
        /// Algorithm of the key the server presented.
        key_type: String,
        /// SHA-256 fingerprint of the key the server presented.
        fingerprint: String,
    },
    /// The server presented a key different from (or revoked in) the known_hosts file: possibly
    /// a man-in-the-middle, or the server was reinstalled.
    #[error(
        "HOST KEY MISMATCH for {addr}: it presented {key_type} {fingerprint}, which differs from \
         (or is revoked at) line {line} of known_hosts file {}; refusing to connect (if the server \
         really changed its key, replace that line)",
        known_hosts.display()
    )]
    HostKeyMismatch {
        /// `host:port`.
        addr: String,
        /// The known_hosts file.
        known_hosts: PathBuf,
        /// 1-based line of the conflicting entry.
        line: usize,
        /// Algorithm of the key the server presented.
        key_type: String,
        /// SHA-256 fingerprint of the key the server presented.
        fingerprint: String,
    },
    /// The server rejected every configured authentication method.
    #[error("authentication of user {user:?} at {addr} failed (tried: {tried})")]
    Auth {
        /// Login name.
        user: String,
        /// `host:port`.
        addr: String,
        /// Methods tried, e.g. `public key ~/.ssh/id, password from $SFTP_PASSWORD`.
        tried: String,
    },
    /// An environment variable named in the configuration is unset (or not valid UTF-8).
    #[error("environment variable {var} is not set (or not valid UTF-8)")]
    Secret {
        /// Name of the variable.
        var: String,
    },
    /// The private key file could not be read or decrypted.
    #[error("cannot load private key {}: {reason}", path.display())]
    Key {
        /// The key file.
        path: PathBuf,
        /// Why (wrong passphrase, unsupported format, missing file...).
        reason: String,
    },
    /// An SFTP operation on a remote path failed (no such folder, permission denied...).
    #[error("sftp {addr}: {path}: {reason}")]
    Sftp {
        /// `host:port`.
        addr: String,
        /// The remote path.
        path: String,
        /// The server's or library's message.
        reason: String,
    },
    /// A local file operation in the inbox failed.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// The local path.
        path: PathBuf,
        /// What was being done (`create`, `write`, `rename`...).
        action: &'static str,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A connection step or an operation took longer than `timeout_s`.
    #[error("timed out after {secs} s while {during} ({addr})")]
    Timeout {
        /// `host:port`.
        addr: String,
        /// The step (`connecting`, `authenticating`, `reading /in/a.csv`...).
        during: String,
        /// The configured timeout.
        secs: u64,
    },
}

impl SftpError {
    /// Whether retrying the session can help: true for connection, authentication, SFTP, local
    /// I/O and timeout failures; false for configuration, secrets, keys and host-key refusals.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            SftpError::Connect { .. }
                | SftpError::Auth { .. }
                | SftpError::Sftp { .. }
                | SftpError::Io { .. }
                | SftpError::Timeout { .. }
        )
    }
}

/// Lists `remote_dir` (regular files only, names ending in `.csv` or `.parquet`, case-insensitive,
/// not starting with `.`, sorted by name), skips those for which `already(&remote)` is true,
/// downloads each other one to `inbox/.<name>.part` then renames it to `inbox/<name>` (atomic: a
/// kill leaves no partial file under a real name; if `inbox/<name>` exists already,
/// `inbox/<stem>-2.<ext>`, `-3`, ... is used).
///
/// Calls `on_fetched(&Fetched)` right after each rename (the caller records it as seen there),
/// and returns all fetched files. Whole-session retries: on a connection, authentication, SFTP or
/// I/O failure, up to `retries` attempts are made with backoff `backoff_ms * 2^k` (sleep),
/// calling `on_retry(attempt, &error)` (attempt = 1 for the first failed one) before each sleep;
/// after the last attempt the error is returned. Files fetched by a failed attempt were already
/// reported through `on_fetched` and are not fetched again by the next attempt. Host-key,
/// configuration, key and secret errors are returned at once.
pub fn pull(
    cfg: &SftpConfig,
    inbox: &Path,
    already: &dyn Fn(&RemoteFile) -> bool,
    on_fetched: &mut dyn FnMut(&Fetched),
    on_retry: &mut dyn FnMut(u32, &SftpError),
) -> Result<Vec<Fetched>, SftpError> {
    let prepared = Prepared::new(cfg)?;
    std::fs::create_dir_all(inbox).map_err(|source| SftpError::Io {
        path: inbox.to_path_buf(),
        action: "create folder",
        source,
    })?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|source| {
        SftpError::Io { path: inbox.to_path_buf(), action: "start the network runtime for", source }
    })?;

    let attempts = cfg.retries.max(1);
    let mut fetched: Vec<Fetched> = Vec::new();
    let mut done: HashSet<String> = HashSet::new();
    for attempt in 1..=attempts {
        let mut session = Session {
            cfg,
            prepared: &prepared,
            inbox,
            already,
            on_fetched: &mut *on_fetched,
            fetched: &mut fetched,
            done: &mut done,
        };
        match runtime.block_on(session.run()) {
            Ok(()) => return Ok(fetched),
            Err(e) if attempt < attempts && e.is_retryable() => {
                on_retry(attempt, &e);
                let factor = 1u64.checked_shl(attempt - 1).unwrap_or(u64::MAX);
                let wait = cfg.backoff_ms.saturating_mul(factor);
                std::thread::sleep(Duration::from_millis(wait));
            }
            Err(e) => return Err(e),
        }
    }
    // `attempts >= 1`, so the loop always returns; kept for the type checker.
    Ok(fetched)
}

/// Everything read locally before connecting: fails fast, without a network round trip.
struct Prepared {
    known: Arc<KnownHosts>,
    key: Option<(PathBuf, Arc<PrivateKey>)>,
    password: Option<(String, String)>,
}

impl Prepared {
    fn new(cfg: &SftpConfig) -> Result<Self, SftpError> {
        if cfg.key_file.is_none() && cfg.password_env.is_none() {
            return Err(SftpError::Config {
                reason: format!(
                    "no authentication method for {}: set key_file and/or password_env",
                    cfg.addr()
                ),
            });
        }
        let known = Arc::new(KnownHosts::load(cfg)?);
        let key = match &cfg.key_file {
            None => None,
            Some(path) => {
                let passphrase = cfg.key_passphrase_env.as_deref().map(secret).transpose()?;
                let key = load_secret_key(path, passphrase.as_deref()).map_err(|e| {
                    let reason = match (&e, &cfg.key_passphrase_env) {
                        (russh::keys::Error::KeyIsEncrypted, None) => {
                            format!("{e} (set key_passphrase_env)")
                        }
                        (russh::keys::Error::IO(_), _) | (_, None) => e.to_string(),
                        (_, Some(var)) => format!("{e} (is the passphrase in ${var} right?)"),
                    };
                    SftpError::Key { path: path.clone(), reason }
                })?;
                Some((path.clone(), Arc::new(key)))
            }
        };
        let password = match &cfg.password_env {
            None => None,
            Some(var) => Some((var.clone(), secret(var)?)),
        };
        Ok(Prepared { known, key, password })
    }
}

/// The value of environment variable `var`.
fn secret(var: &str) -> Result<String, SftpError> {
    std::env::var(var).map_err(|_| SftpError::Secret { var: var.to_string() })
}

/// The known_hosts entries that name this server.
struct KnownHosts {
    path: PathBuf,
    addr: String,
    host_field: String,
    /// `(line, revoked, key)` for each entry whose host patterns match.
    entries: Vec<(usize, bool, PublicKey)>,
}

/// What the host-key check concluded.
#[derive(Debug)]
enum Verdict {
    Trusted,
    Unknown { key_type: String, fingerprint: String },
    Mismatch { line: usize, key_type: String, fingerprint: String },
}

impl KnownHosts {
    fn load(cfg: &SftpConfig) -> Result<Self, SftpError> {
        let path = cfg.known_hosts.clone();
        let text = std::fs::read_to_string(&path)
            .map_err(|source| SftpError::KnownHosts { path: path.clone(), source })?;
        let host_field =
            if cfg.port == 22 { cfg.host.clone() } else { format!("[{}]:{}", cfg.host, cfg.port) };
        let bracketed = format!("[{}]:{}", cfg.host, cfg.port);
        let mut entries = Vec::new();
        let mut hashed = false;
        for (i, raw) in text.lines().enumerate() {
            let mut fields = raw.split_whitespace();
            let Some(mut hosts) = fields.next() else {
                continue;
            };
            if hosts.starts_with('#') {
                continue;
            }
            let mut revoked = false;
            if let Some(marker) = hosts.strip_prefix('@') {
                match marker {
                    "revoked" => revoked = true,
                    _ => continue, // @cert-authority: host certificates are not used
                }
                let Some(h) = fields.next() else { continue };
                hosts = h;
            }
            let (Some(_key_type), Some(b64)) = (fields.next(), fields.next()) else {
                continue;
            };
            if hosts.starts_with("|1|") {
                hashed = true;
                continue;
            }
            let applies = host_patterns_match(hosts, &host_field)
                || (cfg.port == 22 && host_patterns_match(hosts, &bracketed));
            if !applies {
                continue;
            }
            // Key types this client does not know are skipped, as OpenSSH does.
            if let Ok(key) = parse_public_key_base64(b64) {
                entries.push((i + 1, revoked, key));
            }
        }
        if hashed && entries.is_empty() {
            // Hashed host names (`ssh-keygen -H`): russh knows how to match those.
            if let Ok(found) = russh::keys::known_hosts::known_host_keys_path(&cfg.host, cfg.port, &path) {
                entries.extend(found.into_iter().map(|(line, key)| (line, false, key)));
            }
        }
        Ok(KnownHosts { path, addr: cfg.addr(), host_field, entries })
    }

    /// Algorithms the known entries are for, as preferences for the key exchange (so that a
    /// server with several host keys presents one we know).
    fn preferred_algorithms(&self) -> Vec<russh::keys::Algorithm> {
        let default = russh::Preferred::default().key;
        default
            .iter()
            .filter(|alg| {
                self.entries.iter().any(|(_, revoked, k)| {
                    !revoked
                        && match (k.algorithm(), alg) {
                            (russh::keys::Algorithm::Rsa { .. }, russh::keys::Algorithm::Rsa { .. }) => true,
                            (a, b) => a == **b,
                        }
                })
            })
            .cloned()
            .collect()
    }

    fn check(&self, presented: &PublicKey) -> Verdict {
        let key_type = presented.algorithm().as_str().to_string();
        let fingerprint = presented.fingerprint(HashAlg::Sha256).to_string();
        let same = |k: &PublicKey| k.key_data() == presented.key_data();
        if let Some((line, _, _)) = self.entries.iter().find(|(_, r, k)| *r && same(k)) {
            return Verdict::Mismatch { line: *line, key_type, fingerprint };
        }
        if self.entries.iter().any(|(_, r, k)| !*r && same(k)) {
            return Verdict::Trusted;
        }
        let same_type = self
            .entries
            .iter()
            .find(|(_, r, k)| !*r && k.algorithm().as_str() == presented.algorithm().as_str());
        match same_type {
            Some((line, _, _)) => Verdict::Mismatch { line: *line, key_type, fingerprint },
            None => Verdict::Unknown { key_type, fingerprint },
        }
    }

    fn error(&self, verdict: &Verdict) -> Option<SftpError> {
        match verdict {
            Verdict::Trusted => None,
            Verdict::Unknown { key_type, fingerprint } => Some(SftpError::HostKeyUnknown {
                addr: self.addr.clone(),
                known_hosts: self.path.clone(),
                host_field: self.host_field.clone(),
                key_type: key_type.clone(),
                fingerprint: fingerprint.clone(),
            }),
            Verdict::Mismatch { line, key_type, fingerprint } => Some(SftpError::HostKeyMismatch {
                addr: self.addr.clone(),
                known_hosts: self.path.clone(),
                line: *line,
                key_type: key_type.clone(),
                fingerprint: fingerprint.clone(),
            }),
        }
    }
}

/// Whether a known_hosts host field (comma-separated patterns with `*`, `?` and `!negation`)
/// matches `name`.
fn host_patterns_match(patterns: &str, name: &str) -> bool {
    let mut matched = false;
    for pattern in patterns.split(',') {
        if let Some(negated) = pattern.strip_prefix('!') {
            if glob_match(negated.as_bytes(), name.as_bytes()) {
                return false;
            }
        } else if glob_match(pattern.as_bytes(), name.as_bytes()) {
            matched = true;
        }
    }
    matched
}

/// `*` / `?` wildcard match, ASCII case-insensitive (host names).
fn glob_match(pattern: &[u8], name: &[u8]) -> bool {
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        if p < pattern.len() && (pattern[p] == b'?' || pattern[p].eq_ignore_ascii_case(&name[n])) {
            p += 1;
            n += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, n));
            p += 1;
        } else if let Some((sp, sn)) = star {
            p = sp + 1;
            n = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// The russh client handler: verifies the host key and records the verdict.
struct Verifier {
    known: Arc<KnownHosts>,
    verdict: Arc<OnceLock<Verdict>>,
}

impl client::Handler for Verifier {
    type Error = russh::Error;

    async fn check_server_key(&mut self, server_key: &PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        let verdict = match server_key {
            PublicKeyOrCertificate::PublicKey { key, .. } => self.known.check(key),
            // Not advertised by this client, so not expected; refuse if it happens anyway.
            PublicKeyOrCertificate::Certificate(cert) => Verdict::Unknown {
                key_type: cert.algorithm().to_certificate_type(),
                fingerprint: "(host certificate)".to_string(),
            },
        };
        let trusted = matches!(verdict, Verdict::Trusted);
        let _ = self.verdict.set(verdict);
        Ok(trusted)
    }
}

/// One attempt: connect, authenticate, list, download.
struct Session<'a> {
    cfg: &'a SftpConfig,
    prepared: &'a Prepared,
    inbox: &'a Path,
    already: &'a dyn Fn(&RemoteFile) -> bool,
    on_fetched: &'a mut dyn FnMut(&Fetched),
    fetched: &'a mut Vec<Fetched>,
    done: &'a mut HashSet<String>,
}

impl Session<'_> {
    fn timeout(&self) -> Duration {
        Duration::from_secs(self.cfg.timeout_s.max(1))
    }

    /// Runs `fut` under the configured timeout.
    async fn timed<T>(
        &self,
        during: impl fmt::Display,
        fut: impl Future<Output = Result<T, SftpError>>,
    ) -> Result<T, SftpError> {
        match tokio::time::timeout(self.timeout(), fut).await {
            Ok(result) => result,
            Err(_) => Err(SftpError::Timeout {
                addr: self.cfg.addr(),
                during: during.to_string(),
                secs: self.cfg.timeout_s.max(1),
            }),
        }
    }

    async fn run(&mut self) -> Result<(), SftpError> {
        let handle = self.timed("connecting", self.connect()).await?;
        let result = self.transfer(&handle).await;
        let _ = tokio::time::timeout(
            Duration::from_secs(2),
            handle.disconnect(russh::Disconnect::ByApplication, "", "en"),
        )
        .await;
        result
    }

    async fn connect(&self) -> Result<client::Handle<Verifier>, SftpError> {
        let cfg = self.cfg;
        let addr = cfg.addr();
        let known = Arc::clone(&self.prepared.known);
        let mut config =
            client::Config { inactivity_timeout: Some(self.timeout() * 2), ..Default::default() };
        let preferred = known.preferred_algorithms();
        if !preferred.is_empty() {
            config.preferred.key = preferred.into();
        }
        let verdict = Arc::new(OnceLock::new());
        let handler = Verifier { known: Arc::clone(&known), verdict: Arc::clone(&verdict) };
        let connected = client::connect(Arc::new(config), (cfg.host.as_str(), cfg.port), handler).await;
        let mut handle = match connected {
            Ok(handle) => handle,
            Err(e) => {
                if let Some(err) = verdict.get().and_then(|v| known.error(v)) {
                    return Err(err);
                }
                return Err(SftpError::Connect { addr, reason: e.to_string() });
            }
        };
        let connect_err = |e: russh::Error| SftpError::Connect { addr: cfg.addr(), reason: e.to_string() };

        let mut tried = Vec::new();
        if let Some((path, key)) = &self.prepared.key {
            tried.push(format!("public key {}", path.display()));
            let hash = if key.algorithm().is_rsa() {
                handle.best_supported_rsa_hash().await.map_err(connect_err)?.flatten()
            } else {
                None
            };
            let auth = handle
                .authenticate_publickey(cfg.user.clone(), PrivateKeyWithHashAlg::new(Arc::clone(key), hash))
                .await
                .map_err(connect_err)?;
            if auth.success() {
                return Ok(handle);
            }
        }
        if let Some((var, password)) = &self.prepared.password {
            tried.push(format!("password from ${var}"));
            let auth = handle
                .authenticate_password(cfg.user.clone(), password.clone())
                .await
                .map_err(connect_err)?;
            if auth.success() {
                return Ok(handle);
            }
        }
        Err(SftpError::Auth { user: cfg.user.clone(), addr, tried: tried.join(", ") })
    }

    async fn transfer(&mut self, handle: &client::Handle<Verifier>) -> Result<(), SftpError> {
        let addr = self.cfg.addr();
        let dir = self.cfg.remote_dir.trim_end_matches('/');
        let dir = if dir.is_empty() && self.cfg.remote_dir.starts_with('/') {
            "/"
        } else if dir.is_empty() {
            "."
        } else {
            dir
        };
        let sftp_err = |path: &str, e: &dyn fmt::Display| SftpError::Sftp {
            addr: addr.clone(),
            path: path.to_string(),
            reason: e.to_string(),
        };
        let sftp = self
            .timed("opening the sftp subsystem", async {
                let channel = handle.channel_open_session().await.map_err(|e| sftp_err(dir, &e))?;
                channel.request_subsystem(true, "sftp").await.map_err(|e| sftp_err(dir, &e))?;
                let config = russh_sftp::client::Config {
                    request_timeout_secs: self.cfg.timeout_s.max(1),
                    ..Default::default()
                };
                SftpSession::new_with_config(channel.into_stream(), config)
                    .await
                    .map_err(|e| sftp_err(dir, &e))
            })
            .await?;

        let listing = self
            .timed(format!("listing {dir}"), async {
                sftp.read_dir(dir).await.map_err(|e| sftp_err(dir, &e))
            })
            .await?;
        let mut files: Vec<RemoteFile> = listing
            .filter(|entry| entry.file_type().is_file())
            .filter_map(|entry| {
                let name = entry.file_name();
                let meta = entry.metadata();
                wanted(&name).then(|| RemoteFile {
                    name,
                    size: meta.size.unwrap_or(0),
                    mtime: meta.mtime.map(u64::from).unwrap_or(0),
                })
            })
            .collect();
        files.sort();

        for remote in files {
            if self.done.contains(&remote.key()) || (self.already)(&remote) {
                continue;
            }
            let path =
                if dir == "/" { format!("/{}", remote.name) } else { format!("{dir}/{}", remote.name) };
            let part = self.inbox.join(format!(".{}.part", remote.name));
            let copied = self.download(&sftp, &path, &part).await;
            if let Err(e) = copied {
                let _ = std::fs::remove_file(&part);
                return Err(e);
            }
            let local = super::files::free_name(self.inbox, &remote.name);
            std::fs::rename(&part, &local).map_err(|source| SftpError::Io {
                path: local.clone(),
                action: "rename the downloaded .part file to",
                source,
            })?;
            let fetched = Fetched { remote, local };
            (self.on_fetched)(&fetched);
            self.done.insert(fetched.remote.key());
            self.fetched.push(fetched);
        }
        let _ = sftp.close().await;
        Ok(())
    }

    /// Copies remote `path` to local `part`, flushed to disk.
    async fn download(&self, sftp: &SftpSession, path: &str, part: &Path) -> Result<(), SftpError> {
        let addr = self.cfg.addr();
        let sftp_err = |e: &dyn fmt::Display| SftpError::Sftp {
            addr: addr.clone(),
            path: path.to_string(),
            reason: e.to_string(),
        };
        let io_err =
            |action: &'static str| move |source| SftpError::Io { path: part.to_path_buf(), action, source };
        let mut remote = self
            .timed(format!("opening {path}"), async { sftp.open(path).await.map_err(|e| sftp_err(&e)) })
            .await?;
        let mut out = std::fs::File::create(part).map_err(io_err("create"))?;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = self
                .timed(format!("reading {path}"), async {
                    remote.read(&mut buf).await.map_err(|e| sftp_err(&e))
                })
                .await?;
            if n == 0 {
                break;
            }
            out.write_all(&buf[..n]).map_err(io_err("write"))?;
        }
        out.sync_all().map_err(io_err("flush"))?;
        Ok(())
    }
}

/// Whether a listed name is a meter file to fetch: `*.csv` / `*.parquet`, not hidden, a plain
/// name (no path separator).
fn wanted(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    !name.starts_with('.')
        && !name.contains(['/', '\\', '\0'])
        && (lower.ends_with(".csv") || lower.ends_with(".parquet"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_patterns() {
        assert!(host_patterns_match("example.com", "example.com"));
        assert!(host_patterns_match("a,[127.0.0.1]:2222", "[127.0.0.1]:2222"));
        assert!(!host_patterns_match("[127.0.0.1]:2222", "[127.0.0.1]:22"));
        assert!(host_patterns_match("*.example.com", "sftp.example.com"));
        assert!(!host_patterns_match("*.example.com,!sftp.example.com", "sftp.example.com"));
        assert!(host_patterns_match("sftp?.EXAMPLE.com", "sftp1.example.com"));
    }

    #[test]
    fn names() {
        assert!(wanted("a.csv") && wanted("B.PARQUET"));
        assert!(!wanted("notes.txt") && !wanted(".a.csv") && !wanted("a.csv.part"));
    }

    #[test]
    fn key_and_defaults() {
        let f = RemoteFile { name: "a.csv".into(), size: 3, mtime: 9 };
        assert_eq!(f.key(), "a.csv|3|9");
        let cfg: SftpConfig = toml::from_str(
            "host = 'h'\nuser = 'u'\nknown_hosts = 'k'\nremote_dir = '/in'\npassword_env = 'P'",
        )
        .expect("config");
        assert_eq!((cfg.port, cfg.retries, cfg.backoff_ms, cfg.timeout_s), (22, 3, 1000, 30));
    }
}
