//! Outgoing mail: build the message, keep it in a queue on disk, send it over SMTP.
//!
//! A mail is formatted once, when it is queued ([`MailQueue::enqueue`]), and stored as the
//! exact bytes that will go over the wire, so that what was sent can be audited later and a
//! mail survives a restart or an SMTP outage. [`MailQueue::flush`] sends what is waiting, in
//! the order it was queued, over one SMTP connection upgraded with STARTTLS before any
//! credential is sent.
//!
//! The queue directory holds, for each waiting mail, `<id>.eml` (the RFC 5322 message) and
//! `<id>.json` (its envelope: from, to, subject, queued_at). Sent mails move to `sent/`, mails
//! that the server refused for good (a `5xx` answer to that mail) move to `failed/` with a
//! `<id>.error` note: no mail is ever deleted.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use lettre::address::{Address, Envelope};
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Attachment as MimeAttachment, Body, Mailbox, Message, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, SmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use serde::{Deserialize, Serialize};

/// How mail leaves: an SMTP server. The password comes from an environment variable only.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    /// The server's host name (or IP address); also the name its TLS certificate must carry.
    pub host: String,
    /// The server's port (default 587, the submission port).
    #[serde(default = "default_port")]
    pub port: u16,
    /// The sender address, e.g. `vader@example.com` or `Vader <vader@example.com>`.
    pub from: String,
    /// The user to authenticate as; no authentication when absent.
    #[serde(default)]
    pub user: Option<String>,
    /// Name of the environment variable holding the password (required when `user` is set).
    #[serde(default)]
    pub password_env: Option<String>,
    /// Upgrade with STARTTLS before authenticating (default true). False only for a local
    /// relay, and then no credentials may be sent: such a config is refused.
    #[serde(default = "default_true")]
    pub starttls: bool,
    /// Extra root certificate (PEM) to trust, for a private CA or a test server's
    /// self-signed certificate; the system roots are trusted too.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Timeout, in seconds, for connecting and for each SMTP command (default 20).
    #[serde(default = "default_timeout")]
    pub timeout_s: u64,
}

fn default_port() -> u16 {
    587
}

fn default_true() -> bool {
    true
}

fn default_timeout() -> u64 {
    20
}

/// An inline image of a mail, shown in the HTML body through `<img src="cid:...">`.
#[derive(Debug, Clone)]
pub struct InlineImage {
    /// The Content-ID without angle brackets; the HTML refers to it as `cid:<cid>`.
    pub cid: String,
    /// The PNG file's bytes.
    pub bytes: Vec<u8>,
}

/// A file attached to a mail.
#[derive(Debug, Clone)]
pub struct Attachment {
    /// The file name shown to the reader (no path, no quotes).
    pub filename: String,
    /// Its MIME type, e.g. `text/csv`.
    pub content_type: String,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

/// A mail to send: text and HTML alternatives, an optional inline PNG referenced from the
/// HTML as `cid:<cid>`, attachments.
#[derive(Debug, Clone)]
pub struct OutgoingMail {
    /// The recipients' addresses (at least one).
    pub to: Vec<String>,
    /// The subject line.
    pub subject: String,
    /// The plain-text version of the body.
    pub text: String,
    /// The HTML version of the body.
    pub html: String,
    /// An image shown inside the HTML body.
    pub inline_png: Option<InlineImage>,
    /// Files attached to the mail.
    pub attachments: Vec<Attachment>,
}

/// What can go wrong with outgoing mail. Messages name the server (`host:port`), the file or
/// the environment variable's *name*; never a password.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// A sender or recipient address that does not parse.
    #[error("invalid mail address {address:?}: {reason}")]
    Address {
        /// The address as given.
        address: String,
        /// Why it is refused.
        reason: String,
    },
    /// The message could not be built (no recipient, a bad content type, a bad file name...).
    #[error("cannot build the mail: {0}")]
    Build(String),
    /// The password's environment variable is missing or empty.
    #[error("the SMTP password is missing: environment variable {var} is not set or empty")]
    Secret {
        /// The variable's name.
        var: String,
    },
    /// The SMTP configuration is refused.
    #[error("invalid SMTP configuration: {0}")]
    Config(String),
    /// A file or directory of the queue could not be read or written.
    #[error("cannot {action} {}: {source}", .path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What was being done, e.g. "write", "move".
        action: &'static str,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The connection to the SMTP server failed, or the server refused it (greeting,
    /// STARTTLS, certificate, authentication) or answered a mail with a temporary error.
    #[error("SMTP server {addr}: {reason}")]
    Smtp {
        /// `host:port`.
        addr: String,
        /// The cause, e.g. the server's answer.
        reason: String,
    },
    /// The server refused one mail for good (a `5xx` answer); the mail was moved to `failed/`.
    #[error("SMTP server {addr} refused mail {id} (kept in failed/): {reason}")]
    Rejected {
        /// `host:port`.
        addr: String,
        /// The mail's queue id.
        id: String,
        /// The server's answer.
        reason: String,
    },
    /// A queued mail whose files cannot be used (unreadable envelope); moved to `failed/`.
    #[error("queued mail {} is unusable (kept in failed/): {reason}", .path.display())]
    Queue {
        /// The envelope file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The extra root certificate (`ca_file`) cannot be read or used.
    #[error("TLS certificate {}: {reason}", .path.display())]
    Tls {
        /// The PEM file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

impl SmtpConfig {
    /// `host:port`, as errors name the server.
    pub fn addr(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// Checks the configuration without connecting: a host, a valid sender, a password
    /// variable exactly when there is a user, and no credentials without STARTTLS.
    pub fn validate(&self) -> Result<(), MailError> {
        if self.host.trim().is_empty() {
            return Err(MailError::Config("`host` is empty".into()));
        }
        parse_mailbox(&self.from)?;
        match (&self.user, &self.password_env) {
            (Some(_), None) => {
                return Err(MailError::Config(
                    "`user` is set but `password_env` (the name of the environment variable holding \
                     the password) is not"
                        .into(),
                ));
            }
            (None, Some(_)) => {
                return Err(MailError::Config("`password_env` is set but `user` is not".into()));
            }
            (Some(user), Some(var)) => {
                if user.is_empty() || var.is_empty() {
                    return Err(MailError::Config("`user` and `password_env` must not be empty".into()));
                }
                if !self.starttls {
                    return Err(MailError::Config(format!(
                        "`starttls = false` with `user` set would send the password in clear to {}; \
                         keep STARTTLS or use an unauthenticated local relay",
                        self.addr()
                    )));
                }
            }
            (None, None) => {}
        }
        Ok(())
    }

    /// Connects, upgrades with STARTTLS, authenticates and says goodbye: checks that mail can
    /// leave, without sending any.
    pub fn check_connection(&self) -> Result<(), MailError> {
        let session = Session::new(self)?;
        let mut conn = session.connect()?;
        conn.quit().map_err(|e| session.smtp_error(&e))?;
        Ok(())
    }

    /// The password, read from the environment; `None` without a user.
    fn credentials(&self) -> Result<Option<Credentials>, MailError> {
        let (Some(user), Some(var)) = (&self.user, &self.password_env) else {
            return Ok(None);
        };
        match std::env::var(var) {
            Ok(password) if !password.is_empty() => Ok(Some(Credentials::new(user.clone(), password))),
            _ => Err(MailError::Secret { var: var.clone() }),
        }
    }

    /// The TLS parameters for STARTTLS: system roots plus `ca_file`.
    fn tls_parameters(&self) -> Result<TlsParameters, MailError> {
        let mut builder = TlsParameters::builder(self.host.clone());
        if let Some(path) = &self.ca_file {
            let pem = fs::read(path)
                .map_err(|e| MailError::Tls { path: path.clone(), reason: format!("cannot read: {e}") })?;
            let cert = Certificate::from_pem(&pem).map_err(|e| MailError::Tls {
                path: path.clone(),
                reason: format!("not a PEM certificate: {e}"),
            })?;
            builder = builder.add_root_certificate(cert);
        }
        builder.build().map_err(|e| MailError::Tls {
            path: self.ca_file.clone().unwrap_or_default(),
            reason: format!("cannot set up TLS: {e}"),
        })
    }
}

/// One SMTP configuration made ready to connect: TLS parameters and credentials resolved.
struct Session<'a> {
    config: &'a SmtpConfig,
    tls: Option<TlsParameters>,
    credentials: Option<Credentials>,
    /// The password, only to scrub it from the server's answers.
    secret: Option<String>,
}

impl<'a> Session<'a> {
    fn new(config: &'a SmtpConfig) -> Result<Self, MailError> {
        config.validate()?;
        let credentials = config.credentials()?;
        let secret = match (&config.password_env, &credentials) {
            (Some(var), Some(_)) => std::env::var(var).ok(),
            _ => None,
        };
        let tls = if config.starttls { Some(config.tls_parameters()?) } else { None };
        Ok(Session { config, tls, credentials, secret })
    }

    /// Opens a connection: greeting, EHLO, STARTTLS (required when configured), AUTH.
    fn connect(&self) -> Result<SmtpConnection, MailError> {
        let hello = ClientId::default();
        let timeout = Some(Duration::from_secs(self.config.timeout_s.max(1)));
        let mut conn = SmtpConnection::connect(
            (self.config.host.as_str(), self.config.port),
            timeout,
            &hello,
            None,
            None,
        )
        .map_err(|e| self.smtp_error(&e))?;
        if let Some(tls) = &self.tls {
            conn.starttls(tls, &hello).map_err(|e| self.smtp_error(&e))?;
        }
        if let Some(credentials) = &self.credentials
            && let Err(e) = conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials)
        {
            conn.abort();
            return Err(self.smtp_error(&e));
        }
        Ok(conn)
    }

    /// The error's text with the password, should a server ever echo it, blanked out.
    fn reason(&self, e: &lettre::transport::smtp::Error) -> String {
        let mut reason = e.to_string();
        if let Some(secret) = self.secret.as_deref().filter(|s| s.len() >= 3) {
            reason = reason.replace(secret, "***");
        }
        reason
    }

    fn smtp_error(&self, e: &lettre::transport::smtp::Error) -> MailError {
        MailError::Smtp { addr: self.config.addr(), reason: self.reason(e) }
    }
}

fn parse_mailbox(address: &str) -> Result<Mailbox, MailError> {
    address
        .trim()
        .parse::<Mailbox>()
        .map_err(|e| MailError::Address { address: address.to_owned(), reason: e.to_string() })
}

/// A file's bytes as a base64 body: kept exactly (lettre would send a text file with bare LF
/// line ends as 7bit, which strict servers refuse or rewrite).
fn base64_body(bytes: &[u8]) -> Result<Body, MailError> {
    Body::new_with_encoding(bytes.to_vec(), ContentTransferEncoding::Base64)
        .map_err(|_| MailError::Build("cannot encode an attachment as base64".into()))
}

fn content_type(text: &str) -> Result<ContentType, MailError> {
    ContentType::parse(text).map_err(|e| MailError::Build(format!("bad content type {text:?}: {e}")))
}

impl OutgoingMail {
    /// Builds the message from `from`: multipart/mixed [ multipart/alternative [ text/plain,
    /// multipart/related [ text/html, image/png ] ], attachments... ] (text/html alone in
    /// place of multipart/related when there is no inline image).
    pub fn to_message(&self, from: &str) -> Result<Message, MailError> {
        if self.to.is_empty() {
            return Err(MailError::Build("the mail has no recipient".into()));
        }
        let mut builder = Message::builder().from(parse_mailbox(from)?).subject(self.subject.clone());
        for to in &self.to {
            builder = builder.to(parse_mailbox(to)?);
        }
        let html = SinglePart::html(self.html.clone());
        let alternative = MultiPart::alternative().singlepart(SinglePart::plain(self.text.clone()));
        let alternative = match &self.inline_png {
            Some(image) => {
                let cid = &image.cid;
                if cid.is_empty()
                    || cid.chars().any(|c| c.is_whitespace() || c.is_control() || "<>\"".contains(c))
                {
                    return Err(MailError::Build(format!("bad Content-ID {cid:?}")));
                }
                let png = MimeAttachment::new_inline(cid.clone())
                    .body(base64_body(&image.bytes)?, content_type("image/png")?);
                alternative.multipart(MultiPart::related().singlepart(html).singlepart(png))
            }
            None => alternative.singlepart(html),
        };
        let mut mixed = MultiPart::mixed().multipart(alternative);
        for attachment in &self.attachments {
            let name = &attachment.filename;
            if name.is_empty() || name.chars().any(|c| c.is_control() || "\"\\/".contains(c)) {
                return Err(MailError::Build(format!("bad attachment file name {name:?}")));
            }
            let part = MimeAttachment::new(name.clone())
                .body(base64_body(&attachment.bytes)?, content_type(&attachment.content_type)?);
            mixed = mixed.singlepart(part);
        }
        builder.message_id(None).multipart(mixed).map_err(|e| MailError::Build(e.to_string()))
    }

    /// The formatted RFC 5322 message from `from`, as it would be queued and sent.
    pub fn format(&self, from: &str) -> Result<Vec<u8>, MailError> {
        Ok(self.to_message(from)?.formatted())
    }
}

/// The `<id>.json` of a queued mail.
#[derive(Debug, Serialize, Deserialize)]
struct QueuedEnvelope {
    /// The envelope sender (bare address).
    from: String,
    /// The envelope recipients (bare addresses).
    to: Vec<String>,
    /// The subject, for people reading the queue.
    subject: String,
    /// When the mail was queued.
    queued_at: DateTime<Utc>,
}

impl QueuedEnvelope {
    fn envelope(&self) -> Result<Envelope, String> {
        let from = self.from.parse::<Address>().map_err(|e| format!("sender {:?}: {e}", self.from))?;
        let to = self
            .to
            .iter()
            .map(|a| a.parse::<Address>().map_err(|e| format!("recipient {a:?}: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        Envelope::new(Some(from), to).map_err(|e| e.to_string())
    }
}

/// What [`MailQueue::flush`] did.
#[derive(Debug)]
pub struct Flushed {
    /// The ids sent (now in `sent/`), in order.
    pub sent: Vec<String>,
    /// The ids refused for good by the server or unusable (now in `failed/`, with a note).
    pub failed: Vec<String>,
    /// How many mails are still waiting.
    pub pending: usize,
    /// The error that stopped the flush (the rest stay queued), or else the last mail refused.
    pub error: Option<MailError>,
}

/// Serialises flushes within the process, so that no mail is sent twice by two threads.
static FLUSH: Mutex<()> = Mutex::new(());
/// The last id's time, in microseconds: ids strictly increase within the process.
static LAST_ID: Mutex<i64> = Mutex::new(0);
/// Files without their `.json` younger than this may be an enqueue in progress: kept.
const ORPHAN_AGE: Duration = Duration::from_secs(60);

/// Mails waiting on disk for the SMTP server: each one a `<id>.eml` (the formatted RFC 5322
/// message) plus `<id>.json` (envelope: from, to, subject, queued_at). Both are written
/// atomically (temp file, then rename), the `.json` last, so a mail exists only when its
/// `.json` does. Ids sort in queue order (UTC time to the microsecond, then the process id),
/// so mails go out in the order queued.
#[derive(Debug, Clone)]
pub struct MailQueue {
    dir: PathBuf,
}

impl MailQueue {
    /// The queue kept in `dir` (created on the first [`enqueue`](Self::enqueue)).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        MailQueue { dir: dir.into() }
    }

    /// The queue's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Formats and stores `mail` from `from`; returns its id.
    pub fn enqueue(&self, mail: &OutgoingMail, from: &str) -> Result<String, MailError> {
        let message = mail.to_message(from)?;
        let envelope = message.envelope();
        let record = QueuedEnvelope {
            from: envelope.from().map(ToString::to_string).unwrap_or_default(),
            to: envelope.to().iter().map(ToString::to_string).collect(),
            subject: mail.subject.clone(),
            queued_at: Utc::now(),
        };
        let json = serde_json::to_vec_pretty(&record)
            .map_err(|e| MailError::Build(format!("cannot write the envelope: {e}")))?;
        fs::create_dir_all(&self.dir).map_err(|e| io_error(&self.dir, "create", e))?;
        let id = next_id();
        write_atomic(&self.dir, &format!("{id}.eml"), &message.formatted())?;
        write_atomic(&self.dir, &format!("{id}.json"), &json)?;
        sync_dir(&self.dir);
        Ok(id)
    }

    /// Ids waiting, in queue order.
    pub fn pending(&self) -> Result<Vec<String>, MailError> {
        let mut ids: Vec<String> = self
            .files()?
            .into_iter()
            .filter_map(|name| name.strip_suffix(".json").map(str::to_owned))
            .filter(|id| !id.starts_with('.'))
            .collect();
        ids.sort();
        Ok(ids)
    }

    /// Sends every waiting mail in order over one SMTP connection; a sent mail is moved to
    /// `sent/` (kept for audit). Stops at the first connection failure or temporary refusal
    /// (the rest stay queued) and reports it in [`Flushed::error`]. A mail the server refuses
    /// for good (`5xx`) is moved to `failed/` with a note, so it cannot block the queue, and
    /// the next ones go on over a new connection. Never loses a mail; a mail may go twice
    /// only if the process dies between the server's acceptance and the move to `sent/`.
    ///
    /// Errors before any mail is tried (configuration, missing password, bad `ca_file`, an
    /// unreadable queue) are returned as `Err`.
    pub fn flush(&self, smtp: &SmtpConfig) -> Result<Flushed, MailError> {
        let _guard = FLUSH.lock().unwrap_or_else(PoisonError::into_inner);
        let session = Session::new(smtp)?;
        self.remove_orphans(ORPHAN_AGE)?;
        let mut flushed = Flushed { sent: Vec::new(), failed: Vec::new(), pending: 0, error: None };
        let mut conn: Option<SmtpConnection> = None;
        for id in self.pending()? {
            let json_path = self.dir.join(format!("{id}.json"));
            let eml_path = self.dir.join(format!("{id}.eml"));
            let envelope = fs::read(&json_path)
                .map_err(|e| e.to_string())
                .and_then(|bytes| serde_json::from_slice::<QueuedEnvelope>(&bytes).map_err(|e| e.to_string()))
                .and_then(|record| record.envelope());
            let envelope = match envelope {
                Ok(envelope) => envelope,
                Err(reason) => {
                    self.move_to("failed", &id, Some(&reason))?;
                    flushed.failed.push(id);
                    flushed.error = Some(MailError::Queue { path: json_path, reason });
                    continue;
                }
            };
            let bytes = match fs::read(&eml_path) {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    let reason = format!("{} is missing", eml_path.display());
                    self.move_to("failed", &id, Some(&reason))?;
                    flushed.failed.push(id);
                    flushed.error = Some(MailError::Queue { path: json_path, reason });
                    continue;
                }
                Err(e) => return Err(io_error(&eml_path, "read", e)),
            };
            if conn.is_none() {
                match session.connect() {
                    Ok(connection) => conn = Some(connection),
                    Err(e) => {
                        flushed.error = Some(e);
                        break;
                    }
                }
            }
            let Some(connection) = conn.as_mut() else { break };
            match connection.send(&envelope, &bytes) {
                Ok(_) => {
                    self.move_to("sent", &id, None)?;
                    flushed.sent.push(id);
                }
                Err(e) if e.is_permanent() => {
                    // lettre has closed the connection; the next mail opens a new one.
                    conn = None;
                    let reason = session.reason(&e);
                    self.move_to("failed", &id, Some(&reason))?;
                    flushed.error = Some(MailError::Rejected { addr: smtp.addr(), id: id.clone(), reason });
                    flushed.failed.push(id);
                }
                Err(e) => {
                    flushed.error = Some(session.smtp_error(&e));
                    conn = None;
                    break;
                }
            }
        }
        if let Some(mut connection) = conn {
            let _ = connection.quit();
        }
        flushed.pending = self.pending()?.len();
        Ok(flushed)
    }

    /// The names of the plain files in the queue directory (none when it does not exist).
    fn files(&self) -> Result<Vec<String>, MailError> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_error(&self.dir, "list", e)),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| io_error(&self.dir, "list", e))?;
            if entry.file_type().map(|t| t.is_file()).unwrap_or(false)
                && let Ok(name) = entry.file_name().into_string()
            {
                names.push(name);
            }
        }
        Ok(names)
    }

    /// Moves `<id>.json` (first: the mail stops being pending) then `<id>.eml` into `sub/`,
    /// with a `<id>.error` note when given.
    fn move_to(&self, sub: &str, id: &str, note: Option<&str>) -> Result<(), MailError> {
        let target = self.dir.join(sub);
        fs::create_dir_all(&target).map_err(|e| io_error(&target, "create", e))?;
        if let Some(note) = note {
            write_atomic(&target, &format!("{id}.error"), format!("{note}\n").as_bytes())?;
        }
        for ext in ["json", "eml"] {
            let from = self.dir.join(format!("{id}.{ext}"));
            match fs::rename(&from, target.join(format!("{id}.{ext}"))) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && ext == "eml" => {}
                Err(e) => return Err(io_error(&from, "move", e)),
            }
        }
        sync_dir(&self.dir);
        Ok(())
    }

    /// Removes what an interrupted enqueue left (temp files, a `.eml` without its `.json`)
    /// once older than `age`; a `.eml` whose `.json` already went to `sent/` or `failed/`
    /// (an interrupted move) joins it there instead.
    fn remove_orphans(&self, age: Duration) -> Result<(), MailError> {
        let names = self.files()?;
        let now = SystemTime::now();
        for name in &names {
            let orphan = if name.starts_with('.') && name.ends_with(".tmp") {
                true
            } else if let Some(id) = name.strip_suffix(".eml") {
                !names.contains(&format!("{id}.json"))
            } else {
                false
            };
            if !orphan {
                continue;
            }
            let path = self.dir.join(name);
            let old = fs::metadata(&path)
                .and_then(|m| m.modified())
                .map(|t| now.duration_since(t).unwrap_or_default() >= age)
                .unwrap_or(false);
            if !old {
                continue;
            }
            if let Some(id) = name.strip_suffix(".eml")
                && let Some(sub) = ["sent", "failed"]
                    .into_iter()
                    .find(|sub| self.dir.join(sub).join(format!("{id}.json")).exists())
            {
                let to = self.dir.join(sub).join(name);
                fs::rename(&path, &to).map_err(|e| io_error(&path, "move", e))?;
                continue;
            }
            fs::remove_file(&path).map_err(|e| io_error(&path, "remove", e))?;
        }
        Ok(())
    }
}

fn io_error(path: &Path, action: &'static str, source: std::io::Error) -> MailError {
    MailError::Io { path: path.to_owned(), action, source }
}

/// A new queue id: UTC time to the microsecond (strictly increasing within the process),
/// then the process id, e.g. `20250114T063000.123456Z-0004242`.
fn next_id() -> String {
    let now = Utc::now().timestamp_micros();
    let micros = {
        let mut last = LAST_ID.lock().unwrap_or_else(PoisonError::into_inner);
        *last = now.max(*last + 1);
        *last
    };
    let time = DateTime::<Utc>::from_timestamp_micros(micros).unwrap_or_else(Utc::now);
    format!("{}-{:07}", time.format("%Y%m%dT%H%M%S%.6fZ"), std::process::id())
}

/// Writes `dir/name` whole or not at all ([`super::files::write_atomic`]).
fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), MailError> {
    let path = dir.join(name);
    super::files::write_atomic(&path, bytes).map_err(|e| io_error(&path, "write", e))
}

/// Makes renames in `dir` durable (best effort: not every platform can sync a directory).
fn sync_dir(dir: &Path) {
    if let Ok(handle) = File::open(dir) {
        let _ = handle.sync_all();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use mail_parser::MimeHeaders;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n-not-really-";

    fn mail() -> OutgoingMail {
        OutgoingMail {
            to: vec!["buyer@example.com".into(), "Ops <ops@example.com>".into()],
            subject: "Capacity alert: 12 % over".into(),
            text: "Gas day plan.".into(),
            html: "<p>Gas day plan.</p><img src=\"cid:chart\">".into(),
            inline_png: Some(InlineImage { cid: "chart".into(), bytes: PNG.to_vec() }),
            attachments: vec![Attachment {
                filename: "plan.csv".into(),
                content_type: "text/csv".into(),
                bytes: b"hour,mwh\n6,12.5\n".to_vec(),
            }],
        }
    }

    fn config(toml_like: serde_json::Value) -> SmtpConfig {
        serde_json::from_value(toml_like).unwrap()
    }

    #[test]
    fn the_message_has_the_documented_structure() {
        let bytes = mail().format("Vader <vader@example.com>").unwrap();
        let bare_lf = bytes.windows(2).filter(|w| w[1] == b'\n' && w[0] != b'\r').count();
        assert_eq!(bare_lf, 0, "every line ends with CRLF, attachments included");
        let parsed = mail_parser::MessageParser::default().parse(&bytes).unwrap();
        assert_eq!(parsed.subject(), Some("Capacity alert: 12 % over"));
        assert!(parsed.message_id().is_some());
        let kinds: Vec<String> = parsed
            .parts
            .iter()
            .map(|p| {
                let ct = p.content_type().unwrap();
                format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or(""))
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "multipart/mixed",
                "multipart/alternative",
                "text/plain",
                "multipart/related",
                "text/html",
                "image/png",
                "text/csv"
            ]
        );
        assert_eq!(parsed.parts[5].contents(), PNG);
        assert_eq!(parsed.parts[5].content_id(), Some("chart"));
        assert_eq!(parsed.attachment(1).unwrap().attachment_name(), Some("plan.csv"));
    }

    #[test]
    fn without_an_image_the_html_stands_alone() {
        let mut m = mail();
        m.inline_png = None;
        m.attachments.clear();
        let bytes = m.format("vader@example.com").unwrap();
        let parsed = mail_parser::MessageParser::default().parse(&bytes).unwrap();
        let kinds: Vec<String> = parsed
            .parts
            .iter()
            .map(|p| p.content_type().unwrap().subtype().unwrap_or("").to_owned())
            .collect();
        assert_eq!(kinds, ["mixed", "alternative", "plain", "html"]);
    }

    #[test]
    fn bad_input_is_refused_with_a_reason() {
        let mut m = mail();
        m.to.push("not an address".into());
        assert!(matches!(m.format("vader@example.com"), Err(MailError::Address { .. })));
        assert!(matches!(mail().format("nobody"), Err(MailError::Address { .. })));
        let mut m = mail();
        m.to.clear();
        assert!(matches!(m.format("vader@example.com"), Err(MailError::Build(_))));
        let mut m = mail();
        m.attachments[0].content_type = "nonsense".into();
        assert!(matches!(m.format("vader@example.com"), Err(MailError::Build(_))));
        let mut m = mail();
        m.attachments[0].filename = "a\"b.csv".into();
        assert!(matches!(m.format("vader@example.com"), Err(MailError::Build(_))));
    }

    #[test]
    fn config_defaults_and_refusals() {
        let c = config(serde_json::json!({"host": "smtp.example.com", "from": "vader@example.com"}));
        assert_eq!((c.port, c.starttls, c.timeout_s), (587, true, 20));
        c.validate().unwrap();
        let clear = config(serde_json::json!({"host": "relay", "from": "vader@example.com", "user": "u",
            "password_env": "X", "starttls": false}));
        assert!(matches!(clear.validate(), Err(MailError::Config(_))));
        let no_env = config(serde_json::json!({"host": "h", "from": "vader@example.com", "user": "u"}));
        assert!(matches!(no_env.validate(), Err(MailError::Config(_))));
        assert!(
            serde_json::from_value::<SmtpConfig>(
                serde_json::json!({"host": "h", "from": "a@b.c", "password": "x"})
            )
            .is_err()
        );
        let missing = config(serde_json::json!({"host": "h", "from": "vader@example.com", "user": "u",
            "password_env": "VADER_TEST_SURELY_UNSET_PASSWORD"}));
        let err = MailQueue::new("/nonexistent/queue").flush(&missing).unwrap_err();
        assert!(matches!(err, MailError::Secret { ref var } if var == "VADER_TEST_SURELY_UNSET_PASSWORD"));
    }

    #[test]
    fn the_queue_keeps_order_and_cleans_leftovers() {
        let dir = tempfile::tempdir().unwrap();
        let queue = MailQueue::new(dir.path().join("outbox"));
        assert!(queue.pending().unwrap().is_empty());
        let ids: Vec<String> = (0..5).map(|_| queue.enqueue(&mail(), "vader@example.com").unwrap()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        assert_eq!(queue.pending().unwrap(), ids);
        let record: QueuedEnvelope =
            serde_json::from_slice(&fs::read(queue.dir().join(format!("{}.json", ids[0]))).unwrap()).unwrap();
        assert_eq!(record.to, ["buyer@example.com", "ops@example.com"]);
        assert_eq!(record.from, "vader@example.com");

        // An interrupted enqueue (no .json) and a temp file are not mails, and go once old.
        fs::write(queue.dir().join("20000101T000000.000000Z-0000001.eml"), b"x").unwrap();
        fs::write(queue.dir().join(".x.json.tmp"), b"x").unwrap();
        assert_eq!(queue.pending().unwrap().len(), 5);
        queue.remove_orphans(Duration::from_secs(3600)).unwrap();
        assert_eq!(queue.files().unwrap().len(), 12);
        queue.remove_orphans(Duration::ZERO).unwrap();
        assert_eq!(queue.files().unwrap().len(), 10);

        // An interrupted move to sent/ is completed rather than deleted.
        queue.move_to("sent", &ids[0], None).unwrap();
        fs::rename(
            queue.dir().join("sent").join(format!("{}.eml", ids[0])),
            queue.dir().join(format!("{}.eml", ids[0])),
        )
        .unwrap();
        queue.remove_orphans(Duration::ZERO).unwrap();
        assert!(queue.dir().join("sent").join(format!("{}.eml", ids[0])).exists());
        assert_eq!(queue.pending().unwrap().len(), 4);
    }
}
