//! End to end: `vader serve --once` cycles with a fake clock (`--now`) through two gas days,
//! against a real OpenSSH server and a real SMTP server (STARTTLS and authentication) on
//! loopback. Files arrive by SFTP and in the local inbox (good, duplicate, conflicting,
//! malformed); a meter is driven over its capacity; the SFTP server goes down, then the SMTP
//! server. Checked: the store, the quarantine, the archive, the mails (the PNG decodes and is
//! the picture of the alert computed independently from the same readings), the nominations
//! files, the registry and the log.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use mail_parser::MimeHeaders;
use support::site::{self, CAPACITY_L18442, Reading, ts};

const PASSWORD_VAR: &str = "VADER_TEST_SMTP_PASSWORD";

struct Run {
    config: PathBuf,
    password: String,
}

impl Run {
    /// One cycle at `now`; returns whether every job succeeded.
    fn cycle(&self, now: &str) -> bool {
        let out = Command::new(env!("CARGO_BIN_EXE_vader"))
            .args(["serve", "--once", "--quiet", "--env", "test", "--now", now, "--config"])
            .arg(&self.config)
            .env(PASSWORD_VAR, &self.password)
            .output()
            .expect("run vader serve");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.code().is_some_and(|c| c <= 1), "vader serve at {now} crashed: {stderr}");
        assert!(!stderr.contains(&self.password), "the password reached stderr");
        out.status.success()
    }
}

fn rows_between(all: &[Reading], from: &str, to: &str) -> Vec<Reading> {
    let (a, b) = (ts(from), ts(to));
    all.iter().filter(|r| r.1 >= a && r.1 < b).cloned().collect()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

/// A part of a mail: content type, bytes, file name.
type Part = (String, Vec<u8>, Option<String>);

/// The subject, the HTML body and the other parts of a mail.
fn parts(raw: &[u8]) -> (String, String, Vec<Part>) {
    let message = mail_parser::MessageParser::default().parse(raw).expect("a MIME message");
    let subject = message.subject().unwrap_or_default().to_string();
    let html = message.body_html(0).map(|h| h.to_string()).unwrap_or_default();
    let mut out = Vec::new();
    for part in message.attachments() {
        let ctype = part
            .content_type()
            .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or_default()))
            .unwrap_or_default();
        out.push((ctype, part.contents().to_vec(), part.attachment_name().map(str::to_string)));
    }
    (subject, html, out)
}

/// The alert as of `now`, computed by the library from the readings delivered so far (not
/// from the store): the picture the mail must carry.
fn expected_png(dir: &Path, data: &Path, delivered: &[Reading], now: &str) -> Vec<u8> {
    let folder = dir.join("expected");
    std::fs::create_dir_all(&folder).expect("folder");
    for f in ["meters.csv", "weather.parquet"] {
        std::fs::copy(data.join(f), folder.join(f)).expect("copy");
    }
    let mut rows = delivered.to_vec();
    rows.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    rows.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    site::write_csv(&folder.join("readings.csv"), &rows);
    let dataset = vader::features::Dataset::open(&folder).expect("dataset");
    let at = chrono::DateTime::parse_from_rfc3339(now).expect("time").with_timezone(&chrono::Utc);
    let alert =
        vader::api::capacity(&dataset, &vader::api::CapacityRequest::day_one_rule(Some(at))).expect("alert");
    assert_eq!(alert.over(), 1, "the independent alert sees L18442 over capacity");
    vader::picture::alert_png(&alert).expect("picture")
}

#[test]
fn two_gas_days_with_sftp_smtp_faults_and_an_overrun() {
    let dir = tempfile::tempdir().expect("tmp");
    let dir = dir.path();
    let Some(mut sshd) = support::sshd::Sshd::start(&dir.join("sshd")) else {
        eprintln!("skipped: sshd not installed (apt-get install openssh-server)");
        return;
    };
    let Some(mut smtp) = support::smtp::start(&dir.join("smtp")) else {
        eprintln!("skipped: no SMTP test server (aiosmtpd, openssl)");
        return;
    };
    let data = site::data_folder(dir);
    let inbox = dir.join("home/inbox");
    std::fs::create_dir_all(&inbox).expect("inbox");
    let config = dir.join("serve.toml");
    std::fs::write(
        &config,
        format!(
            r#"
data = "data"

[alert]
resend_growth = 0.10

[models]
gas-day = "ridge"
challengers = ["persistence"]
ab_days = 14
calibration_days = 28

[env.test]
home = "home"
recipients = {{ estuary = ["buyer@refinery.example"], "*" = ["desk@refinery.example"] }}
sftp = {{ host = "127.0.0.1", port = {sftp_port}, user = "{user}", key_file = "{key}", known_hosts = "{known}", remote_dir = "{remote}", retries = 2, backoff_ms = 10, timeout_s = 5 }}
smtp = {{ host = "127.0.0.1", port = {smtp_port}, from = "vader@refinery.example", user = "{smtp_user}", password_env = "{PASSWORD_VAR}", ca_file = "{ca}", timeout_s = 5 }}
"#,
            sftp_port = sshd.port,
            user = sshd.user,
            key = sshd.key_file.display(),
            known = sshd.known_hosts.display(),
            remote = sshd.remote_dir.display(),
            smtp_port = smtp.port,
            smtp_user = smtp.user,
            ca = smtp.ca_file.display(),
        ),
    )
    .expect("config");
    let run = Run { config, password: smtp.password.clone() };
    let home = dir.join("home");
    let all = site::readings();
    let mut delivered: Vec<Reading> = Vec::new();

    // Day 1, 06:30 Paris: two months of history arrive by SFTP (a note beside it is not a
    // meter file and stays on the server).
    let history = rows_between(&all, "2025-01-01T00:00:00Z", "2025-03-01T00:00:00Z");
    site::write_csv(&sshd.remote_dir.join("history-2025-02.csv"), &history);
    std::fs::write(sshd.remote_dir.join("notes.txt"), "not a meter file").expect("note");
    delivered.extend(history.iter().cloned());
    assert!(run.cycle("2025-03-01T05:30:00Z"));
    let store = vader::serve::store::Store::open(home.join("store")).expect("store");
    assert_eq!(store.len().expect("count"), history.len());
    let registry = vader::serve::registry::Registry::open(home.join("registry")).expect("registry");
    let index = registry.index().expect("index");
    assert_eq!(index.models.len(), 1);
    assert_eq!(
        (index.models[0].recipe.as_str(), index.models[0].promoted_by.as_str()),
        ("ridge", "bootstrap")
    );
    assert!(home.join("alerts/latest.png").is_file());

    // Day 1, 14:10 Paris: the morning's readings, a duplicate file, a conflicting reading and
    // a malformed file, in the local inbox; the SFTP file is not fetched twice.
    let morning = rows_between(&all, "2025-03-01T00:00:00Z", "2025-03-01T11:00:00Z");
    site::write_csv(&inbox.join("day-2025-03-01.csv"), &morning);
    delivered.extend(morning.iter().cloned());
    let dup = rows_between(&all, "2025-02-10T00:00:00Z", "2025-02-11T00:00:00Z");
    site::write_csv(&inbox.join("dup.csv"), &dup);
    let original =
        dup.iter().find(|r| r.0 == "L18442" && r.1 == ts("2025-02-10T12:00:00Z")).expect("reading").clone();
    let next =
        all.iter().find(|r| r.0 == "L18442" && r.1 == ts("2025-03-01T11:00:00Z")).expect("reading").clone();
    site::write_csv(
        &inbox.join("conflict.csv"),
        &[(original.0.clone(), original.1, original.2 + 1000.0), next.clone()],
    );
    delivered.push(next.clone());
    std::fs::write(inbox.join("malformed.csv"), "meter_id,timestamp,energy_kwh\nL18442,not-a-time,5\n")
        .expect("write");
    assert!(run.cycle("2025-03-01T13:10:00Z"));
    assert_eq!(store.len().expect("count"), history.len() + morning.len() + 1);
    let stored = store.read_partition("L18442", "2025-02").expect("partition");
    let kept = stored.iter().find(|r| r.timestamp == original.1).expect("stored reading");
    assert_eq!(kept.energy_kwh, original.2, "a conflicting reading never overwrites the stored one");
    let conflicts =
        std::fs::read_to_string(home.join("quarantine/conflict.csv.conflicts.csv")).expect("conflict report");
    assert!(
        conflicts.contains(&format!(
            "L18442,2025-02-10T12:00:00Z,{},history-2025-02.csv,{}",
            original.2,
            original.2 + 1000.0
        )),
        "{conflicts}"
    );
    assert_eq!(
        files_in(&home.join("quarantine")),
        ["conflict.csv.conflicts.csv", "malformed.csv", "malformed.csv.error.txt"]
    );
    let why = std::fs::read_to_string(home.join("quarantine/malformed.csv.error.txt")).expect("error report");
    assert!(why.contains("not-a-time"), "{why}");
    assert!(files_in(&inbox).is_empty());
    assert_eq!(
        files_in(&home.join("archive/2025-03-01")),
        ["conflict.csv", "day-2025-03-01.csv", "dup.csv", "history-2025-02.csv"]
    );
    let nominations =
        std::fs::read_to_string(home.join("outbox/nominations-gas-day-2025-03-02.csv")).expect("nominations");
    let lines: Vec<&str> = nominations.lines().collect();
    assert_eq!(lines[0], vader::api::nominate::NOMINATION_COLUMNS.join(","));
    assert_eq!(lines.len(), 3, "{nominations}");
    assert!(lines[1].starts_with("L18442,") && lines[2].starts_with("L18447,"));
    for line in &lines[1..] {
        let cells: Vec<&str> = line.split(',').collect();
        let tau: f64 = cells[10].parse().expect("a cost-optimal quantile level");
        assert!((tau - 0.5).abs() < 1e-9, "symmetric default gas prices nominate the median: {line}");
        assert!(cells[11].parse::<f64>().expect("a nomination") > 0.0);
    }
    let log = std::fs::read_to_string(home.join("log/serve.jsonl")).expect("log");
    assert!(
        log.lines().any(|l| l.contains("\"file\":\"dup.csv\"") && l.contains("\"added\":0")),
        "dup.csv added nothing"
    );
    assert!(smtp.messages().is_empty(), "no overrun yet, no mail");

    // Day 2, 11:00 Paris, SFTP down: the night's readings with L18442 far over its capacity
    // arrive in the inbox; the alert mails the buyers.
    sshd.stop();
    let mut night = rows_between(&all, "2025-03-01T11:00:00Z", "2025-03-02T08:00:00Z");
    for r in night.iter_mut().filter(|r| r.0 == "L18442" && r.1 >= ts("2025-03-02T00:00:00Z")) {
        r.2 = CAPACITY_L18442 / 24.0 * 1.5;
    }
    site::write_csv(&inbox.join("day-2025-03-02.csv"), &night);
    delivered.extend(night.iter().filter(|r| r.1 != next.1 || r.0 != next.0).cloned());
    assert!(!run.cycle("2025-03-02T10:00:00Z"), "the SFTP failure is reported");
    let mails = smtp.messages();
    assert_eq!(mails.len(), 1, "one mail for the overrun");
    let (subject, html, attached) = parts(&mails[0]);
    assert!(subject.contains("estuary: 1 meter(s) over capacity, gas day 2025-03-02"), "{subject}");
    assert!(!subject.contains("stale"), "{subject}");
    assert!(html.contains("cid:alert") && html.contains("L18442"), "{html}");
    let png = attached.iter().find(|p| p.0 == "image/png").expect("inline picture");
    let decoder = png::Decoder::new(std::io::Cursor::new(png.1.clone()));
    let mut reader = decoder.read_info().expect("the PNG decodes");
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).expect("frame");
    assert_eq!(info.width, 1080);
    let channels = info.color_type.samples();
    let alert_rows = pixels.chunks(channels).filter(|p| p[..3] == [255, 227, 227]).count();
    assert!(alert_rows > 1000, "the picture shows a meter over capacity in red");
    assert_eq!(
        png.1,
        expected_png(dir, &data, &delivered, "2025-03-02T10:00:00Z"),
        "the picture is the alert's"
    );
    let csv =
        attached.iter().find(|p| p.2.as_deref().is_some_and(|n| n.ends_with(".csv"))).expect("CSV attached");
    let csv = String::from_utf8_lossy(&csv.1);
    assert!(csv.lines().any(|l| l.starts_with("L18442,") && l.contains(",true,")), "{csv}");

    // 12:00 Paris, SMTP down too: the same overrun is not mailed again.
    smtp.stop();
    assert!(!run.cycle("2025-03-02T11:00:00Z"));
    // 16:00 Paris: a bigger overrun, data four hours old: a second mail, queued on disk.
    let mut later = rows_between(&all, "2025-03-02T08:00:00Z", "2025-03-02T11:00:00Z");
    for r in later.iter_mut().filter(|r| r.0 == "L18442") {
        r.2 = CAPACITY_L18442 / 24.0 * 2.5;
    }
    site::write_csv(&inbox.join("day-2025-03-02-late.csv"), &later);
    assert!(!run.cycle("2025-03-02T15:00:00Z"));
    assert_eq!(
        files_in(&home.join("mail")).iter().filter(|n| n.ends_with(".eml")).count(),
        1,
        "one mail waiting"
    );
    assert!(home.join("outbox/nominations-gas-day-2025-03-03.csv").is_file(), "a late deadline is caught up");
    // 17:00 Paris: both servers back; the queued mail goes out.
    smtp.restart();
    sshd.restart();
    assert!(run.cycle("2025-03-02T16:00:00Z"));
    let mails = smtp.messages();
    assert_eq!(mails.len(), 2);
    let (subject, _, _) = parts(&mails[1]);
    assert!(subject.contains("(stale data)"), "{subject}");
    assert!(String::from_utf8_lossy(&mails[1]).contains("Data is stale"));
    assert!(files_in(&home.join("mail")).iter().all(|n| !n.ends_with(".eml")));

    // Monday 07:00 Paris: the weekly job backtests the challenger against the champion and
    // records the verdict; a new champion version is registered either way.
    assert!(run.cycle("2025-03-03T06:00:00Z"));
    let index = registry.index().expect("index");
    assert_eq!(index.verdicts.len(), 1);
    assert_eq!(
        (index.verdicts[0].champion.as_str(), index.verdicts[0].challenger.as_str()),
        ("ridge", "persistence")
    );
    let champion = index.models.last().expect("champion");
    let expected = if index.verdicts[0].verdict == "adopt challenger" { "persistence" } else { "ridge" };
    assert_eq!(champion.recipe, expected);
    assert_eq!(
        index.models.iter().filter(|m| m.status == vader::serve::registry::Status::Champion).count(),
        1
    );
    let log = std::fs::read_to_string(home.join("log/serve.jsonl")).expect("log");
    assert!(!log.contains(&smtp.password), "no secret in the log");
    for line in log.lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("every log line is JSON");
    }
}
