//! One environment of the service, opened: its configuration, log, store, registry, mail
//! queue and folders. [`Service::cycle`](super::cycle) runs the jobs over it.

use std::path::PathBuf;

use vader_features::{Dataset, Input, Meters, Tables};

use super::config::Config;
use super::error::{Error, Result};
use super::ingest::Folders;
use super::log::Log;
use super::mail::MailQueue;
use super::registry::Registry;
use super::store::Store;

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
}
