//! Test servers on loopback for the tests of `vader serve` (an SSH/SFTP server and an SMTP
//! server) and the small site they serve.

#![allow(dead_code)]

pub mod site;
pub mod smtp;
pub mod sshd;
