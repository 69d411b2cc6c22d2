//! The service's log: one JSON object per line, on standard output and appended to
//! `home/log/serve.jsonl` (the web page's ingestion log reads it back).
//!
//! Each line has `time` (the wall clock), `at` (the cycle's time, which differs from the wall
//! clock only when a cycle is replayed with `--now`), `env`, `step` (`ingest`, `sftp`,
//! `alert`, `nominate`, `retrain`, `mail`, `cycle`), `event`, and the step's own fields.
//! Secrets never reach it: configuration errors name environment variables, not their values.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};

use super::error::{Error, Result};

/// Where the service writes its log.
#[derive(Debug)]
pub struct Log {
    env: String,
    file: Option<Mutex<File>>,
    path: Option<PathBuf>,
    echo: bool,
}

impl Log {
    /// A log for environment `env`, appended to `path` (created with its folder) and, when
    /// `echo`, printed on standard output.
    pub fn open(env: &str, path: &Path, echo: bool) -> Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(Error::io(dir, "creating the folder"))?;
        }
        let file =
            OpenOptions::new().create(true).append(true).open(path).map_err(Error::io(path, "opening"))?;
        Ok(Self { env: env.to_string(), file: Some(Mutex::new(file)), path: Some(path.to_path_buf()), echo })
    }

    /// A log that only prints (for tests and tools).
    pub fn stdout(env: &str) -> Self {
        Self { env: env.to_string(), file: None, path: None, echo: true }
    }

    /// The file the log is appended to.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Writes one line: `step` and `event` at the cycle time `at`, with `fields` (a JSON
    /// object; other values are put under `detail`).
    pub fn event(&self, at: DateTime<Utc>, step: &str, event: &str, fields: Value) {
        let mut line = Map::new();
        line.insert("time".into(), Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true).into());
        line.insert("at".into(), at.to_rfc3339_opts(SecondsFormat::Secs, true).into());
        line.insert("env".into(), self.env.clone().into());
        line.insert("step".into(), step.into());
        line.insert("event".into(), event.into());
        match fields {
            Value::Object(map) => line.extend(map),
            Value::Null => {}
            other => {
                line.insert("detail".into(), other);
            }
        }
        let text = Value::Object(line).to_string();
        if self.echo {
            // A closed standard output must not stop the service.
            let _ = writeln!(std::io::stdout().lock(), "{text}");
        }
        if let Some(Ok(mut f)) = self.file.as_ref().map(Mutex::lock) {
            let _ = writeln!(f, "{text}");
        }
    }

    /// Logs an error with its causes, outermost first.
    pub fn error(&self, at: DateTime<Utc>, step: &str, err: &dyn std::error::Error) {
        self.event(at, step, "error", serde_json::json!({ "error": chain(err) }));
    }
}

/// An error and its causes in one line, outermost first.
pub fn chain(err: &dyn std::error::Error) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}
