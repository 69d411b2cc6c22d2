//! `vader serve`: the buyer's day run by itself, on one machine.
//!
//! Each cycle ([`Service::cycle`]) does, in order, what is due at its time:
//!
//! 1. **ingest**: pull new files from the SFTP server into the inbox ([`sftp`]), then read,
//!    validate and store every file of the inbox ([`ingest`], [`store`]);
//! 2. **retrain**: train a first champion for a target that has none; once a week, backtest
//!    the challengers against the champion's recipe and promote one only on an A/B verdict of
//!    `adopt challenger` ([`retrain`], [`registry`]);
//! 3. **alert**: once per alert slot (every hour by default), the capacity alert with the rule
//!    or the `rest-of-gas-day` champion; a mail to each site's buyers when a meter is projected
//!    over capacity ([`alert`]);
//! 4. **nominate**: at each commodity's deadline, day D's nominations with the champion and its
//!    cost-optimal decision, written to the outbox ([`nominate`]);
//! 5. **mail**: send what is queued ([`mail`]).
//!
//! A job that fails is logged and the others go on: an SFTP server that is down leaves the
//! alert running on what is stored (and saying so), an SMTP server that is down leaves mail
//! queued on disk. Everything the service keeps lives under the environment's `home` folder.

pub mod alert;
pub mod config;
pub mod error;
pub mod ingest;
pub mod log;
pub mod mail;
pub mod nominate;
pub mod registry;
pub mod retrain;
pub mod sftp;
pub mod state;
pub mod store;

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde_json::json;
use vader_features::{Dataset, Input, Meters, Tables};

pub use config::Config;
pub use error::{Error, Result};

use ingest::Folders;
use log::Log;
use mail::MailQueue;
use registry::Registry;
use state::State;
use store::Store;

/// One environment of the service, opened.
#[derive(Debug)]
pub struct Service {
    /// Its configuration.
    pub config: Config,
    /// Its log.
    pub log: Log,
    /// The readings store.
    pub store: Store,
    /// The model registry.
    pub registry: Registry,
    /// Mail waiting for the SMTP server.
    pub queue: MailQueue,
    /// Inbox, archive and quarantine.
    pub folders: Folders,
}

/// What one cycle did, for callers and tests (the log says it too).
#[derive(Debug)]
pub struct Cycle {
    /// The files ingested.
    pub ingested: ingest::Ingested,
    /// Remote files fetched, or the SFTP error after every retry.
    pub fetched: std::result::Result<usize, String>,
    /// The alert, when one ran.
    pub alert: Option<alert::AlertRun>,
    /// Nomination files written.
    pub nominations: Vec<PathBuf>,
    /// Models promoted.
    pub promoted: Vec<registry::Entry>,
    /// Mails sent and left waiting.
    pub mail: (usize, usize),
    /// Jobs that failed, with their error.
    pub failed: Vec<(String, String)>,
}

impl Service {
    /// Opens the environment's folders (creating them), its log, store and registry.
    pub fn open(config: Config, echo: bool) -> Result<Self> {
        let home = config.home.clone();
        std::fs::create_dir_all(&home).map_err(Error::io(&home, "creating the folder"))?;
        let folders = Folders {
            inbox: config.inbox.clone(),
            archive: home.join("archive"),
            quarantine: home.join("quarantine"),
        };
        for dir in [&folders.inbox, &folders.archive, &folders.quarantine] {
            std::fs::create_dir_all(dir).map_err(Error::io(dir, "creating the folder"))?;
        }
        Ok(Self {
            log: Log::open(&config.env, &home.join("log").join("serve.jsonl"), echo)?,
            store: Store::open(home.join("store"))?,
            registry: Registry::open(home.join("registry"))?,
            queue: MailQueue::new(home.join("mail")),
            folders,
            config,
        })
    }

    /// The environment's state file.
    pub fn state_path(&self) -> PathBuf {
        self.config.home.join("state.json")
    }

    /// The meters of the data folder.
    pub fn meters(&self) -> Result<Meters> {
        let tables = Tables::site_files(&self.config.data, Input::frame("store", Default::default()))?;
        Ok(Meters::read(tables.meters)?)
    }

    /// The data as the service knows it: the data folder's meters (and weather, closures, ...)
    /// with the stored readings; `None` while the store is empty.
    pub fn dataset(&self) -> Result<Option<Dataset>> {
        if self.store.is_empty()? {
            return Ok(None);
        }
        let readings = Input::frame("store", self.store.readings_frame()?);
        let mut tables = Tables::site_files(&self.config.data, readings)?;
        tables.name = self.store.root().to_path_buf();
        Ok(Some(Dataset::from_tables(tables)?))
    }

    /// Runs every job due at `now`, once.
    pub fn cycle(&self, now: DateTime<Utc>) -> Result<Cycle> {
        let started = std::time::Instant::now();
        let mut state = State::load(&self.state_path())?;
        let mut cycle = Cycle {
            ingested: ingest::Ingested::default(),
            fetched: Ok(0),
            alert: None,
            nominations: Vec::new(),
            promoted: Vec::new(),
            mail: (0, 0),
            failed: Vec::new(),
        };
        let failed = |step: &str, err: &Error, log: &Log| {
            log.error(now, step, err);
            cycle_failure(step, err)
        };

        // 1. Ingest.
        cycle.fetched = self.pull(now, &mut state).map_err(|e| failed("sftp", &e, &self.log).1);
        match self.meters().and_then(|meters| ingest::ingest(&self.folders, &self.store, &meters, now, &self.log)) {
            Ok(done) => cycle.ingested = done,
            Err(e) => cycle.failed.push(failed("ingest", &e, &self.log)),
        }
        let data = match self.dataset() {
            Ok(Some(data)) => Some(data),
            Ok(None) => {
                self.log.event(now, "cycle", "no readings stored yet", json!({}));
                None
            }
            Err(e) => {
                cycle.failed.push(failed("store", &e, &self.log));
                None
            }
        };
        if let Some(data) = &data {
            // 2. Models.
            match retrain::run(self, data, now, &mut state) {
                Ok(promoted) => cycle.promoted = promoted,
                Err(e) => cycle.failed.push(failed("retrain", &e, &self.log)),
            }
            state.save(&self.state_path())?;
            // 3. The alert.
            match alert::run(self, data, now, &mut state) {
                Ok(run) => cycle.alert = run,
                Err(e) => cycle.failed.push(failed("alert", &e, &self.log)),
            }
            state.save(&self.state_path())?;
            // 4. Nominations.
            match nominate::run(self, data, now, &mut state) {
                Ok(files) => cycle.nominations = files,
                Err(e) => cycle.failed.push(failed("nominate", &e, &self.log)),
            }
            state.save(&self.state_path())?;
        }
        // 5. Mail.
        cycle.mail = self.flush_mail(now);
        state.save(&self.state_path())?;
        self.log.event(
            now,
            "cycle",
            "done",
            json!({
                "seconds": started.elapsed().as_secs_f64(),
                "files": cycle.ingested.files.len(),
                "added": cycle.ingested.added(),
                "mail_sent": cycle.mail.0,
                "mail_waiting": cycle.mail.1,
                "failed": cycle.failed.iter().map(|f| f.0.clone()).collect::<Vec<_>>(),
            }),
        );
        Ok(cycle)
    }

    /// Pulls new files from the SFTP server into the inbox, remembering each one as soon as it
    /// is in (a kill between the two fetches it again, which ingestion absorbs).
    fn pull(&self, now: DateTime<Utc>, state: &mut State) -> Result<usize> {
        let Some(sftp) = &self.config.sftp else { return Ok(0) };
        let seen = state.sftp_seen.clone();
        let state_path = self.state_path();
        let mut fetched_keys = Vec::new();
        let mut save_error = None;
        let fetched = sftp::pull(
            sftp,
            &self.folders.inbox,
            &|remote| seen.contains(&remote.key()),
            &mut |f| {
                fetched_keys.push(f.remote.key());
                state.sftp_seen.insert(f.remote.key());
                if let Err(e) = state.save(&state_path) {
                    save_error = Some(e);
                }
                self.log.event(now, "sftp", "fetched", json!({ "file": f.remote.name, "bytes": f.remote.size }));
            },
            &mut |attempt, err| {
                self.log.event(now, "sftp", "retry", json!({ "attempt": attempt, "error": log::chain(err) }));
            },
        )?;
        if let Some(e) = save_error {
            return Err(e);
        }
        Ok(fetched.len())
    }

    /// Sends the queued mail; (sent, still waiting).
    fn flush_mail(&self, now: DateTime<Utc>) -> (usize, usize) {
        let waiting = self.queue.pending().map(|p| p.len()).unwrap_or(0);
        let Some(smtp) = &self.config.smtp else {
            if waiting > 0 {
                self.log.event(now, "mail", "no SMTP server configured", json!({ "waiting": waiting }));
            }
            return (0, waiting);
        };
        if waiting == 0 {
            return (0, 0);
        }
        match self.queue.flush(smtp) {
            Ok(flushed) => {
                for id in &flushed.sent {
                    self.log.event(now, "mail", "sent", json!({ "id": id }));
                }
                if let Some(err) = &flushed.error {
                    self.log.event(now, "mail", "queued", json!({ "waiting": flushed.pending, "error": log::chain(err) }));
                }
                (flushed.sent.len(), flushed.pending)
            }
            Err(e) => {
                self.log.error(now, "mail", &e);
                (0, waiting)
            }
        }
    }
}

fn cycle_failure(step: &str, err: &Error) -> (String, String) {
    (step.to_string(), log::chain(err))
}
