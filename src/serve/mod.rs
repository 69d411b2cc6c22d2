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
//! 5. **value**: price every decision taken whose day is now complete against its reference
//!    (the day-one rule, persistence), the euros saved per site and month ([`ledger`]);
//! 6. **mail**: send what is queued ([`mail`]).
//!
//! A job that fails is logged and the others go on: an SFTP server that is down leaves the
//! alert running on what is stored (and saying so), an SMTP server that is down leaves mail
//! queued on disk. Everything the service keeps lives under the environment's `home` folder,
//! the users who may read its pages too ([`users`]); the pages ([`web`]) read what the cycles
//! write.

pub mod alert;
pub mod config;
pub mod cycle;
pub mod error;
pub mod files;
pub mod ingest;
pub mod ledger;
pub mod log;
pub mod mail;
pub mod nominate;
pub mod registry;
pub mod retrain;
pub mod service;
pub mod sftp;
pub mod state;
pub mod store;
pub mod users;
pub mod web;

pub use config::Config;
pub use cycle::Cycle;
pub use error::{Error, Result};
pub use service::Service;
