#![doc = include_str!("../README.md")]

mod error;
pub mod intraday;

pub use error::{Error, Result};
pub use intraday::{IntradayState, ProjectionRule};
