//! Test servers on loopback for the tests of `vader serve` (an SSH/SFTP server and an SMTP
//! server, a browser) and the small site they serve.

#![allow(dead_code)]

pub mod browser;
pub mod site;
pub mod smtp;
pub mod sshd;
pub mod web;
