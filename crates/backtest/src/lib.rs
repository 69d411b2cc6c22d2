#![doc = include_str!("../README.md")]

pub mod capacity;

pub use capacity::{AlertParams, AlertRow, AlertStatus, capacity_alert};
