//! `vader serve`'s SFTP pull against a real `sshd` on loopback (skipped when OpenSSH is not
//! installed, unless `VADER_REQUIRE_SERVICES=1`).

mod support;

use std::collections::HashSet;
use std::path::Path;

use support::sshd::Sshd;
use vader::serve::sftp::{self, Fetched, RemoteFile, SftpConfig, SftpError};

fn config(sshd: &Sshd) -> SftpConfig {
    SftpConfig {
        host: sshd.host.clone(),
        port: sshd.port,
        user: sshd.user.clone(),
        key_file: Some(sshd.key_file.clone()),
        key_passphrase_env: None,
        password_env: None,
        known_hosts: sshd.known_hosts.clone(),
        remote_dir: sshd.remote_dir.to_string_lossy().into_owned(),
        retries: 3,
        backoff_ms: 10,
        timeout_s: 10,
    }
}

/// Pulls with `already`, counting callbacks; returns (result, on_fetched calls, on_retry calls).
fn pull(
    cfg: &SftpConfig,
    inbox: &Path,
    already: &dyn Fn(&RemoteFile) -> bool,
) -> (Result<Vec<Fetched>, SftpError>, Vec<Fetched>, Vec<u32>) {
    let mut seen = Vec::new();
    let mut retries = Vec::new();
    let result = sftp::pull(cfg, inbox, already, &mut |f| seen.push(f.clone()), &mut |attempt, _| {
        retries.push(attempt)
    });
    (result, seen, retries)
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read the inbox")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn pull_over_real_sshd() {
    let tmp = std::env::temp_dir().join(format!("vader-serve-sftp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).expect("temp dir");
    let Some(mut sshd) = Sshd::start(&tmp.join("sshd")) else {
        println!("skipped: sshd not installed");
        return;
    };
    let inbox = tmp.join("inbox");
    let a: Vec<u8> = b"date,value\n2024-01-01,1.5\n".to_vec();
    let b: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect(); // several reads
    std::fs::write(sshd.remote_dir.join("a.csv"), &a).expect("write a.csv");
    std::fs::write(sshd.remote_dir.join("b.parquet"), &b).expect("write b.parquet");
    std::fs::write(sshd.remote_dir.join("notes.txt"), b"ignored").expect("write notes.txt");
    let cfg = config(&sshd);

    // First pull: both meter files, exact bytes, nothing partial left.
    let (result, seen, retries) = pull(&cfg, &inbox, &|_| false);
    let fetched = result.unwrap_or_else(|e| panic!("pull failed: {e}\n{}", sshd.log_text()));
    assert_eq!(fetched, seen, "on_fetched sees every returned file");
    assert!(retries.is_empty());
    let names: Vec<&str> = fetched.iter().map(|f| f.remote.name.as_str()).collect();
    assert_eq!(names, ["a.csv", "b.parquet"]);
    assert_eq!(fetched[0].remote.size, a.len() as u64);
    assert!(fetched[0].remote.mtime > 0);
    assert_eq!(std::fs::read(inbox.join("a.csv")).expect("a.csv"), a);
    assert_eq!(std::fs::read(inbox.join("b.parquet")).expect("b.parquet"), b);
    assert_eq!(listing(&inbox), ["a.csv", "b.parquet"], "no .part left");

    // Second pull, remembering the first: nothing.
    let keys: HashSet<String> = fetched.iter().map(|f| f.remote.key()).collect();
    let already = |f: &RemoteFile| keys.contains(&f.key());
    let (result, seen, _) = pull(&cfg, &inbox, &already);
    assert!(result.expect("second pull").is_empty() && seen.is_empty());

    // A file changed on the server gets fetched again, under a free name.
    std::fs::write(sshd.remote_dir.join("a.csv"), b"date,value\n").expect("rewrite a.csv");
    let (result, _, _) = pull(&cfg, &inbox, &already);
    let again = result.expect("third pull");
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].local, inbox.join("a-2.csv"));
    assert_eq!(std::fs::read(&again[0].local).expect("a-2.csv"), b"date,value\n");

    // Wrong host key: refused at once, nothing fetched.
    let wrong = tmp.join("wrong_known_hosts");
    sshd.write_wrong_known_hosts(&wrong);
    let bad = SftpConfig { known_hosts: wrong.clone(), ..cfg.clone() };
    let (result, seen, retries) = pull(&bad, &inbox, &|_| false);
    let err = result.expect_err("wrong host key must be refused");
    assert!(matches!(err, SftpError::HostKeyMismatch { .. }), "unexpected error: {err}");
    assert!(err.to_string().contains(&wrong.display().to_string()));
    assert!(seen.is_empty() && retries.is_empty());

    // No entry for this server at all: unknown host key.
    let empty = tmp.join("empty_known_hosts");
    std::fs::write(&empty, "# nothing\n").expect("write empty known_hosts");
    let unknown = SftpConfig { known_hosts: empty, ..cfg.clone() };
    let (result, seen, _) = pull(&unknown, &inbox, &|_| false);
    let err = result.expect_err("unknown host key must be refused");
    assert!(matches!(err, SftpError::HostKeyUnknown { .. }), "unexpected error: {err}");
    assert!(seen.is_empty());

    // Server down: `retries` attempts, on_retry before each of the retries-1 sleeps.
    sshd.stop();
    let (result, seen, retries) = pull(&cfg, &inbox, &|_| false);
    let err = result.expect_err("server is down");
    assert!(matches!(err, SftpError::Connect { .. }), "unexpected error: {err}");
    assert!(err.to_string().contains(&format!("127.0.0.1:{}", sshd.port)));
    assert_eq!(retries, [1, 2]);
    assert!(seen.is_empty());

    // Back up: works again.
    sshd.restart();
    std::fs::write(sshd.remote_dir.join("c.csv"), b"c\n").expect("write c.csv");
    let mut keys = keys;
    keys.extend(again.iter().map(|f| f.remote.key()));
    let already = |f: &RemoteFile| keys.contains(&f.key());
    let (result, _, _) = pull(&cfg, &inbox, &already);
    let names: Vec<String> = result.expect("pull after restart").into_iter().map(|f| f.remote.name).collect();
    assert_eq!(names, ["c.csv"]);
    assert!(!listing(&inbox).iter().any(|n| n.ends_with(".part")));

    drop(sshd);
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn refusals_without_a_server() {
    let tmp = std::env::temp_dir().join(format!("vader-serve-sftp-nosrv-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("temp dir");
    let known_hosts = tmp.join("known_hosts");
    std::fs::write(&known_hosts, "# empty\n").expect("write known_hosts");
    // A listener that accepts and never speaks SSH.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = silent.local_addr().expect("address").port();
    let cfg = SftpConfig {
        host: "127.0.0.1".into(),
        port,
        user: "u".into(),
        key_file: None,
        key_passphrase_env: None,
        password_env: Some("VADER_TEST_SFTP_PASSWORD_SURELY_UNSET".into()),
        known_hosts,
        remote_dir: "/in".into(),
        retries: 1,
        backoff_ms: 10,
        timeout_s: 1,
    };

    // A secret named but unset: refused before any network traffic, naming the variable.
    let (result, _, retries) = pull(&cfg, &tmp.join("inbox"), &|_| false);
    let err = result.expect_err("unset secret");
    assert!(matches!(err, SftpError::Secret { .. }), "unexpected error: {err}");
    assert!(err.to_string().contains("VADER_TEST_SFTP_PASSWORD_SURELY_UNSET"));
    assert!(retries.is_empty());

    // A server that never answers: a timeout, within bounds.
    let key = tmp.join("no_such_key");
    let cfg = SftpConfig { key_file: Some(key.clone()), password_env: None, ..cfg };
    let (result, _, _) = pull(&cfg, &tmp.join("inbox"), &|_| false);
    let err = result.expect_err("missing key file");
    assert!(matches!(err, SftpError::Key { .. }), "unexpected error: {err}");
    let _ = std::fs::remove_file(&key);
    let status = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .status();
    if !matches!(status, Ok(s) if s.success()) {
        println!("skipped the timeout case: ssh-keygen not installed");
        return;
    }
    let started = std::time::Instant::now();
    let (result, _, _) = pull(&cfg, &tmp.join("inbox"), &|_| false);
    let err = result.expect_err("silent server");
    assert!(matches!(err, SftpError::Timeout { .. }), "unexpected error: {err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    drop(silent);
    let _ = std::fs::remove_dir_all(&tmp);
}
