//! The service's configuration: one TOML file with the settings common to every environment
//! and an `[env.dev]` and `[env.prod]` section each (SFTP, SMTP, recipients, store, schedule).
//!
//! Secrets (the SMTP and SFTP passwords, a key's passphrase) are never in the file: it names
//! the environment variables that hold them (`password_env = "VADER_SMTP_PASSWORD"`), and a
//! file with a `password`, `passphrase`, `secret` or `token` key is refused. Relative paths are
//! relative to the file's folder.
//!
//! ```toml
//! data = "datasets/refinery"       # meters.csv (and weather); readings come from the store
//!
//! [schedule]
//! alert_every_minutes = 60
//! gas_deadline = "14:00"            # D-1, in the meters' time zone
//! electricity_deadline = "11:00"
//! retrain = "Mon 06:00"              # weekly
//!
//! [models]
//! gas-day = "ridge"                  # the first champion, trained when the registry has none
//! challengers = ["gbm"]
//!
//! [env.prod]
//! home = "/var/lib/vader"            # store, inbox, archive, quarantine, outbox, registry, state
//! recipients = { "*" = ["gas-desk@example.com"] }
//! smtp = { host = "smtp.example.com", port = 587, from = "vader@example.com", user = "vader", password_env = "VADER_SMTP_PASSWORD" }
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{NaiveTime, Weekday};
use serde::Deserialize;

use super::error::{Error, Result};
use super::mail::SmtpConfig;
use super::sftp::SftpConfig;
use super::web::WebConfig;

/// The file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    data: PathBuf,
    #[serde(default)]
    schedule: Schedule,
    #[serde(default)]
    alert: AlertSettings,
    #[serde(default)]
    models: ModelSettings,
    #[serde(default)]
    env: BTreeMap<String, EnvFile>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct EnvFile {
    home: PathBuf,
    inbox: Option<PathBuf>,
    sftp: Option<SftpConfig>,
    smtp: Option<SmtpConfig>,
    #[serde(default)]
    recipients: BTreeMap<String, Vec<String>>,
    schedule: Option<Schedule>,
    #[serde(default)]
    mail_nominations: bool,
    web: Option<WebConfig>,
}

/// When each job runs.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Schedule {
    /// The capacity alert runs once in each slot of this many minutes (default 60).
    pub alert_every_minutes: u32,
    /// Gas nominations for day D are made at this time on D-1, local time (default 14:00).
    pub gas_deadline: String,
    /// Electricity schedules for day D are made at this time on D-1 (default 11:00).
    pub electricity_deadline: String,
    /// The weekly retraining: a weekday and a local time (default `Mon 06:00`).
    pub retrain: String,
    /// Data older than this many hours at a decision is called stale (default 3).
    pub stale_after_hours: u32,
    /// Seconds between cycles of the long-running service (default 60).
    pub tick_s: u64,
}

impl Default for Schedule {
    fn default() -> Self {
        Self {
            alert_every_minutes: 60,
            gas_deadline: "14:00".into(),
            electricity_deadline: "11:00".into(),
            retrain: "Mon 06:00".into(),
            stale_after_hours: 3,
            tick_s: 60,
        }
    }
}

impl Schedule {
    /// The deadline of a commodity as a local time of day.
    pub fn deadline(&self, gas: bool) -> Result<NaiveTime> {
        let text = if gas { &self.gas_deadline } else { &self.electricity_deadline };
        parse_time(text)
    }

    /// The weekly retraining slot.
    pub fn retrain_slot(&self) -> Result<(Weekday, NaiveTime)> {
        let bad = || {
            Error::Config(format!(
                "schedule.retrain = {:?}: expected a weekday and a time, e.g. \"Mon 06:00\"",
                self.retrain
            ))
        };
        let (day, time) = self.retrain.trim().split_once(' ').ok_or_else(bad)?;
        let day: Weekday = day.parse().map_err(|_| bad())?;
        Ok((day, parse_time(time.trim())?))
    }

    fn check(&self) -> Result<()> {
        if self.alert_every_minutes == 0 || 1440 % self.alert_every_minutes != 0 {
            return Err(Error::Config(format!(
                "schedule.alert_every_minutes = {}: must divide a day (15, 30, 60, 120, ...)",
                self.alert_every_minutes
            )));
        }
        self.deadline(true)?;
        self.deadline(false)?;
        self.retrain_slot()?;
        Ok(())
    }
}

fn parse_time(text: &str) -> Result<NaiveTime> {
    NaiveTime::parse_from_str(text, "%H:%M")
        .map_err(|_| Error::Config(format!("{text:?}: expected a local time as HH:MM")))
}

/// How the capacity alert projects and when it mails.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertSettings {
    /// Hours averaged by the day-one rule (default 5).
    pub hours: usize,
    /// Project with the registry's `rest-of-gas-day` champion when there is one (default true).
    pub use_champion: bool,
    /// A second mail for the same meter and gas day only when the projected overrun grew by
    /// this share of the last one mailed (default 0.10).
    pub resend_growth: f64,
    /// Readings without `received_at` are known this many seconds after their interval ends.
    pub delay_s: i64,
}

impl Default for AlertSettings {
    fn default() -> Self {
        Self { hours: 5, use_champion: true, resend_growth: 0.10, delay_s: crate::api::time::DEFAULT_DELAY_S }
    }
}

/// Which models the registry starts with and challenges with.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelSettings {
    /// First champion of the gas nominations, trained when the registry has none (default:
    /// none, and then no gas nomination until a champion is registered).
    #[serde(rename = "gas-day")]
    pub gas_day: Option<String>,
    /// First champion of the electricity schedules.
    #[serde(rename = "electricity-day")]
    pub electricity_day: Option<String>,
    /// First champion of the capacity alert's projection (`intraday-5h`, `ridge`, ...); without
    /// one the alert projects with the day-one rule.
    #[serde(rename = "rest-of-gas-day")]
    pub rest_of_gas_day: Option<String>,
    /// Recipes trained each week and A/B-tested against the champion's recipe.
    pub challengers: Vec<String>,
    /// Days of the A/B backtest (default 56).
    pub ab_days: u32,
    /// Days of walk-forward residuals stored in a model file to calibrate its quantiles (default 56).
    pub calibration_days: u32,
}

impl Default for ModelSettings {
    fn default() -> Self {
        Self {
            gas_day: None,
            electricity_day: None,
            rest_of_gas_day: None,
            challengers: Vec::new(),
            ab_days: 56,
            calibration_days: 56,
        }
    }
}

/// Everything one environment of the service needs, paths made absolute.
#[derive(Debug, Clone)]
pub struct Config {
    /// The environment's name (`dev`, `prod`).
    pub env: String,
    /// The data folder: meters (and weather); its own readings file, if any, is not used.
    pub data: PathBuf,
    /// The environment's folder: `store/`, `inbox/`, `archive/`, `quarantine/`, `outbox/`,
    /// `registry/`, `mail/`, `state.json`.
    pub home: PathBuf,
    /// Where meter files are dropped locally (default `home/inbox`).
    pub inbox: PathBuf,
    /// The SFTP server files are pulled from, if any.
    pub sftp: Option<SftpConfig>,
    /// The SMTP server mail leaves through, if any (without it, mail stays queued).
    pub smtp: Option<SmtpConfig>,
    /// Recipients by site; `*` receives every site's mail.
    pub recipients: BTreeMap<String, Vec<String>>,
    /// Mail the nominations file to the recipients too.
    pub mail_nominations: bool,
    /// When jobs run.
    pub schedule: Schedule,
    /// The alert's settings.
    pub alert: AlertSettings,
    /// The models' settings.
    pub models: ModelSettings,
    /// The pages, served by the long-running service when set.
    pub web: Option<WebConfig>,
}

/// Keys that hold secrets, refused in the file.
const SECRET_KEYS: [&str; 4] = ["password", "passphrase", "secret", "token"];

impl Config {
    /// Reads environment `env` of the configuration file `path`.
    pub fn load(path: &Path, env: &str) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(Error::io(path, "reading"))?;
        Self::parse(&text, path, env)
    }

    /// Parses the configuration `text` (read from `path`, whose folder relative paths start
    /// from) for environment `env`.
    pub fn parse(text: &str, path: &Path, env: &str) -> Result<Self> {
        let value: toml::Value =
            toml::from_str(text).map_err(|e| Error::Config(format!("{}: {e}", path.display())))?;
        if let Some(key) = secret_key(&value, "") {
            return Err(Error::Config(format!(
                "{}: `{key}`: secrets are read from environment variables only; name the variable (e.g. `password_env = \"VADER_SMTP_PASSWORD\"`) and set it in the service's environment",
                path.display()
            )));
        }
        let file: File =
            toml::from_str(text).map_err(|e| Error::Config(format!("{}: {e}", path.display())))?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let abs = |p: &Path| if p.is_absolute() { p.to_path_buf() } else { base.join(p) };
        let names: Vec<&str> = file.env.keys().map(String::as_str).collect();
        let chosen = file.env.get(env).ok_or_else(|| {
            Error::Config(format!(
                "{}: no [env.{env}] section (sections: {})",
                path.display(),
                if names.is_empty() { "none".to_string() } else { names.join(", ") }
            ))
        })?;
        let home = abs(&chosen.home);
        let schedule = chosen.schedule.clone().unwrap_or(file.schedule);
        schedule.check()?;
        let mut sftp = chosen.sftp.clone();
        if let Some(s) = sftp.as_mut() {
            s.known_hosts = abs(&s.known_hosts);
            s.key_file = s.key_file.as_deref().map(abs);
        }
        let mut smtp = chosen.smtp.clone();
        if let Some(s) = smtp.as_mut() {
            s.ca_file = s.ca_file.as_deref().map(abs);
        }
        Ok(Self {
            env: env.to_string(),
            data: abs(&file.data),
            inbox: chosen.inbox.as_deref().map_or_else(|| home.join("inbox"), abs),
            home,
            sftp,
            smtp,
            recipients: chosen.recipients.clone(),
            mail_nominations: chosen.mail_nominations,
            schedule,
            alert: file.alert,
            models: file.models,
            web: chosen.web.clone(),
        })
    }

    /// The recipients of a site's mail: its own and those of `*`, without repeats.
    pub fn recipients_of(&self, site: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for list in [self.recipients.get(site), self.recipients.get("*")].into_iter().flatten() {
            for r in list {
                if !out.contains(r) {
                    out.push(r.clone());
                }
            }
        }
        out
    }
}

/// The first key that names a secret, with its path (`env.prod.smtp.password`).
fn secret_key(value: &toml::Value, at: &str) -> Option<String> {
    let toml::Value::Table(table) = value else { return None };
    for (key, inner) in table {
        let path = if at.is_empty() { key.clone() } else { format!("{at}.{key}") };
        if SECRET_KEYS.contains(&key.as_str()) {
            return Some(path);
        }
        if let Some(found) = secret_key(inner, &path) {
            return Some(found);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
data = "data"
[env.dev]
home = "var/dev"
recipients = { "*" = ["desk@example.com"], estuary = ["a@example.com", "desk@example.com"] }
[env.prod]
home = "/var/lib/vader"
schedule = { alert_every_minutes = 30 }
"#;

    #[test]
    fn environments_share_settings_and_keep_their_own() -> Result<()> {
        let dev = Config::parse(BASE, Path::new("/etc/vader/serve.toml"), "dev")?;
        assert_eq!(dev.home, Path::new("/etc/vader/var/dev"));
        assert_eq!(dev.inbox, Path::new("/etc/vader/var/dev/inbox"));
        assert_eq!(dev.data, Path::new("/etc/vader/data"));
        assert_eq!(dev.schedule.alert_every_minutes, 60);
        assert_eq!(dev.recipients_of("estuary"), ["a@example.com", "desk@example.com"]);
        let prod = Config::parse(BASE, Path::new("/etc/vader/serve.toml"), "prod")?;
        assert_eq!(prod.home, Path::new("/var/lib/vader"));
        assert_eq!(prod.schedule.alert_every_minutes, 30);
        let missing =
            Config::parse(BASE, Path::new("serve.toml"), "test").map(|_| ()).err().map(|e| e.to_string());
        assert_eq!(missing.as_deref(), Some("serve.toml: no [env.test] section (sections: dev, prod)"));
        Ok(())
    }

    #[test]
    fn a_secret_in_the_file_is_refused_without_echoing_it() {
        let text = format!(
            "{BASE}\n[env.test]\nhome = \"x\"\nsmtp = {{ host = \"h\", from = \"a@b\", password = \"hunter2\" }}\n"
        );
        let err =
            Config::parse(&text, Path::new("serve.toml"), "test").map(|_| ()).err().map(|e| e.to_string());
        let err = err.unwrap_or_default();
        assert!(err.contains("env.test.smtp.password"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
    }
}
