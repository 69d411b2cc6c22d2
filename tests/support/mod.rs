//! Test servers on loopback for the tests of `vader serve`: an SSH/SFTP server and an SMTP server.

#![allow(dead_code)]

pub mod smtp;
pub mod sshd;
