//! One cycle of the service: every job due at its time, in order (see [`super`]).

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde_json::json;
use vader_features::{Dataset, ValidationReport};

use super::error::{Error, Result};
use super::log::{self, Log};
use super::service::Service;
use super::state::State;
use super::{alert, ingest, ledger, nominate, registry, retrain, sftp};
use crate::api::prices::PriceSources;

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
    /// Euros the decisions saved to date (`ledger/value.json`), when computed.
    pub saved_eur: Option<f64>,
    /// Mails sent and left waiting.
    pub mail: (usize, usize),
    /// Jobs that failed, with their error.
    pub failed: Vec<(String, String)>,
}

impl Service {
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
            saved_eur: None,
            mail: (0, 0),
            failed: Vec::new(),
        };
        let failed = |step: &str, err: &Error, log: &Log| {
            log.error(now, step, err);
            cycle_failure(step, err)
        };

        // 1. Ingest (after clearing what a killed predecessor left half-written).
        match self.store.sweep() {
            Ok(0) => {}
            Ok(n) => self.log.event(now, "ingest", "swept", json!({ "temporary_files": n })),
            Err(e) => cycle.failed.push(failed("ingest", &e, &self.log)),
        }
        cycle.fetched = self.pull(now, &mut state).map_err(|e| {
            let failure = failed("sftp", &e, &self.log);
            cycle.failed.push(failure.clone());
            failure.1
        });
        match self
            .meters()
            .and_then(|meters| ingest::ingest(&self.folders, &self.store, &meters, now, &self.log))
        {
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
            // 5. What the decisions saved, and what validation finds, as readings arrive.
            match self.account(data, now) {
                Ok(value) => cycle.saved_eur = Some(value.total_saved_eur),
                Err(e) => cycle.failed.push(failed("value", &e, &self.log)),
            }
        }
        // 6. Mail.
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

    /// Prices the decisions taken so far ([`ledger::update`]) and writes the store's
    /// validation report (`ledger/validation.json`) for the pages.
    fn account(&self, data: &Dataset, now: DateTime<Utc>) -> Result<ledger::Value> {
        let prices = PriceSources::default().read()?.params;
        let value = ledger::update(&self.config.home, data, &prices, self.config.alert.delay_s, now)?;
        ledger::write(&self.config.home, "validation", &ValidationReport::of(data))?;
        self.log.event(
            now,
            "value",
            "updated",
            json!({ "saved_eur": value.total_saved_eur, "months": value.months.len() }),
        );
        Ok(value)
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
                self.log.event(
                    now,
                    "sftp",
                    "fetched",
                    json!({ "file": f.remote.name, "bytes": f.remote.size }),
                );
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
                    self.log.event(
                        now,
                        "mail",
                        "queued",
                        json!({ "waiting": flushed.pending, "error": log::chain(err) }),
                    );
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
