//! `vader serve`'s outgoing mail against a real SMTP server on loopback (aiosmtpd, STARTTLS
//! required, then AUTH): the message arrives whole (text, HTML with its inline PNG, the CSV
//! attachment), a wrong password or an untrusted certificate leaves the mail queued without
//! the secret in the error, mails wait for a stopped server and then go in order, a mail
//! refused for good is set aside without blocking the others, and a config that would send a
//! password in clear is refused.
//!
//! The tests print "skipped: ..." and pass when Python with aiosmtpd or `openssl` is missing,
//! unless `VADER_REQUIRE_SERVICES=1` (see tests/support/smtp.rs).

#![cfg(feature = "serve")]

mod support;

use std::path::Path;
use std::sync::Once;

use mail_parser::{MessageParser, MimeHeaders};
use support::smtp::{self, Smtp};
use vader::serve::mail::{Attachment, InlineImage, MailError, MailQueue, OutgoingMail, SmtpConfig};

/// A valid 1x1 RGBA PNG.
const PNG_1X1: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00,
    0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00,
    0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x90, 0x2f, 0xdf, 0xf2, 0x1f, 0x00, 0x04,
    0x4d, 0x02, 0x4a, 0x13, 0x43, 0xa7, 0xea, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42,
    0x60, 0x82,
];

const CSV: &[u8] = b"hour,forecast_mwh,capacity_mwh\n06:00,41.2,45.0\n07:00,47.9,45.0\n";

/// The environment variable holding the test servers' password.
const PASSWORD_VAR: &str = "VADER_TEST_SMTP_PASSWORD";
/// The environment variable holding a wrong password.
const WRONG_VAR: &str = "VADER_TEST_SMTP_WRONG_PASSWORD";
const WRONG_PASSWORD: &str = "wrong-secret-4711-xyzzy";

/// Puts both passwords in the environment, once for the whole test process.
#[allow(unsafe_code)]
fn set_password_vars() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: these variables are set once, before any test reads them; other threads of
        // the test process read the environment only through std, which locks it.
        unsafe {
            std::env::set_var(PASSWORD_VAR, smtp::password());
            std::env::set_var(WRONG_VAR, WRONG_PASSWORD);
        }
    });
}

/// The server, or `None` after saying why the test is skipped.
fn server(dir: &Path) -> Option<Smtp> {
    set_password_vars();
    let server = smtp::start(dir);
    if server.is_none() {
        println!(
            "skipped: no SMTP test server (needs `openssl` and a Python with aiosmtpd, see \
             tests/requirements-servers.txt and VADER_PYTHON)"
        );
    }
    server
}

fn config(server: &Smtp) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".to_owned(),
        port: server.port,
        from: "Vader <vader@example.com>".to_owned(),
        user: Some(server.user.clone()),
        password_env: Some(PASSWORD_VAR.to_owned()),
        starttls: true,
        ca_file: Some(server.ca_file.clone()),
        timeout_s: 10,
    }
}

fn mail(subject: &str) -> OutgoingMail {
    OutgoingMail {
        to: vec!["buyer@example.com".to_owned(), "Site Ops <ops@example.com>".to_owned()],
        subject: subject.to_owned(),
        text: "Tomorrow 07:00 is over capacity by 2.9 MWh.".to_owned(),
        html: "<p>Tomorrow 07:00 is over capacity by 2.9 MWh.</p><img src=\"cid:chart\" alt=\"chart\">"
            .to_owned(),
        inline_png: Some(InlineImage { cid: "chart".to_owned(), bytes: PNG_1X1.to_vec() }),
        attachments: vec![Attachment {
            filename: "forecast.csv".to_owned(),
            content_type: "text/csv".to_owned(),
            bytes: CSV.to_vec(),
        }],
    }
}

#[test]
fn a_mail_with_an_image_and_an_attachment_arrives_whole() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(server) = server(dir.path()) else { return };
    let smtp = config(&server);
    smtp.check_connection().expect("connect, STARTTLS and log in");

    let queue = MailQueue::new(dir.path().join("outbox"));
    let id = queue.enqueue(&mail("Capacity alert: gas day 2025-01-15"), &smtp.from).expect("enqueue");
    assert_eq!(queue.pending().expect("pending"), std::slice::from_ref(&id));

    let flushed = queue.flush(&smtp).expect("flush");
    assert!(flushed.error.is_none(), "{:?}", flushed.error);
    assert_eq!(flushed.sent, std::slice::from_ref(&id));
    assert_eq!(flushed.pending, 0);
    assert!(queue.pending().expect("pending").is_empty());
    let audit = std::fs::read(dir.path().join("outbox/sent").join(format!("{id}.eml"))).expect("sent copy");
    assert!(dir.path().join("outbox/sent").join(format!("{id}.json")).exists());

    let received = server.messages();
    assert_eq!(received.len(), 1);
    // SMTP ends the data with CRLF "." CRLF: the server keeps that last CRLF.
    assert!(
        received[0].strip_suffix(b"\r\n") == Some(&audit[..]),
        "the server got exactly the bytes kept in sent/ ({} bytes received, {} kept)",
        received[0].len(),
        audit.len()
    );
    let message = MessageParser::default().parse(&received[0]).expect("a parsable message");
    assert_eq!(message.subject(), Some("Capacity alert: gas day 2025-01-15"));
    let to: Vec<&str> = message.to().expect("To").iter().filter_map(|a| a.address.as_deref()).collect();
    assert_eq!(to, ["buyer@example.com", "ops@example.com"]);
    assert_eq!(
        message.from().and_then(|f| f.first()).and_then(|a| a.address.as_deref()),
        Some("vader@example.com")
    );
    assert!(message.body_text(0).expect("text body").contains("over capacity by 2.9 MWh"));
    assert!(message.body_html(0).expect("html body").contains("src=\"cid:chart\""));

    let png = message.parts.iter().find(|p| p.content_id() == Some("chart")).expect("the inline image");
    assert!(png.is_content_type("image", "png"));
    assert_eq!(png.contents(), PNG_1X1);
    let csv = message
        .attachments()
        .find(|p| p.attachment_name() == Some("forecast.csv"))
        .expect("the CSV attachment");
    assert!(csv.is_content_type("text", "csv"));
    assert_eq!(csv.contents(), CSV);
}

#[test]
fn a_wrong_password_leaves_the_mail_queued_and_unrevealed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(server) = server(dir.path()) else { return };
    let smtp = SmtpConfig { password_env: Some(WRONG_VAR.to_owned()), ..config(&server) };
    let queue = MailQueue::new(dir.path().join("outbox"));
    let id = queue.enqueue(&mail("wrong password"), &smtp.from).expect("enqueue");

    let flushed = queue.flush(&smtp).expect("flush runs");
    let error = flushed.error.expect("authentication fails");
    assert!(matches!(error, MailError::Smtp { .. }), "{error:?}");
    assert!(flushed.sent.is_empty() && flushed.failed.is_empty());
    assert_eq!(flushed.pending, 1);
    assert_eq!(queue.pending().expect("pending"), [id]);
    let text = format!("{error} {error:?}");
    assert!(text.contains(&server.addr()), "the error names the server: {text}");
    assert!(!text.contains(WRONG_PASSWORD) && !text.contains(smtp::password()), "{text}");
    assert!(server.messages().is_empty());

    let err = smtp.check_connection().expect_err("the check fails too");
    assert!(!err.to_string().contains(WRONG_PASSWORD));
}

#[test]
fn an_untrusted_certificate_stops_before_the_password() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(server) = server(dir.path()) else { return };
    let smtp = SmtpConfig { ca_file: None, ..config(&server) };
    let queue = MailQueue::new(dir.path().join("outbox"));
    queue.enqueue(&mail("untrusted"), &smtp.from).expect("enqueue");

    let flushed = queue.flush(&smtp).expect("flush runs");
    let error = flushed.error.expect("the self-signed certificate is refused");
    let text = error.to_string();
    assert!(text.contains(&server.addr()) && text.to_lowercase().contains("certificate"), "{text}");
    assert!(!text.contains(smtp::password()));
    assert_eq!(flushed.pending, 1);
    assert!(server.messages().is_empty());
}

#[test]
fn mails_wait_for_a_stopped_server_then_go_in_order() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(mut server) = server(dir.path()) else { return };
    let smtp = config(&server);
    let queue = MailQueue::new(dir.path().join("outbox"));

    server.stop();
    let first = queue.enqueue(&mail("first"), &smtp.from).expect("enqueue");
    let second = queue.enqueue(&mail("second"), &smtp.from).expect("enqueue");
    let flushed = queue.flush(&smtp).expect("flush runs");
    let error = flushed.error.expect("nobody listens");
    assert!(matches!(error, MailError::Smtp { ref addr, .. } if *addr == server.addr()), "{error:?}");
    assert!(flushed.sent.is_empty());
    assert_eq!(flushed.pending, 2);
    assert_eq!(queue.pending().expect("pending"), [first.clone(), second.clone()]);

    server.restart();
    let flushed = queue.flush(&smtp).expect("flush");
    assert!(flushed.error.is_none(), "{:?}", flushed.error);
    assert_eq!(flushed.sent, [first, second]);
    assert_eq!(flushed.pending, 0);
    let subjects: Vec<String> = server
        .messages()
        .iter()
        .map(|m| {
            let message = MessageParser::default().parse(m).expect("a parsable message");
            message.subject().unwrap_or_default().to_owned()
        })
        .collect();
    assert_eq!(subjects, ["first", "second"]);

    // Nothing left: a flush with an empty queue does not even connect.
    server.stop();
    let flushed = queue.flush(&smtp).expect("flush");
    assert!(flushed.error.is_none() && flushed.sent.is_empty() && flushed.pending == 0);
}

#[test]
fn a_mail_refused_for_good_is_set_aside_and_the_rest_goes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(server) = server(dir.path()) else { return };
    let smtp = config(&server);
    let queue = MailQueue::new(dir.path().join("outbox"));
    let first = queue.enqueue(&mail("first"), &smtp.from).expect("enqueue");
    let refused = OutgoingMail { to: vec!["nobody@refused.example".to_owned()], ..mail("refused") };
    let refused = queue.enqueue(&refused, &smtp.from).expect("enqueue");
    let third = queue.enqueue(&mail("third"), &smtp.from).expect("enqueue");

    let flushed = queue.flush(&smtp).expect("flush");
    assert_eq!(flushed.sent, [first, third]);
    assert_eq!(flushed.failed, std::slice::from_ref(&refused));
    assert_eq!(flushed.pending, 0);
    let error = flushed.error.expect("the refusal is reported");
    assert!(matches!(error, MailError::Rejected { ref id, .. } if *id == refused), "{error:?}");
    assert!(error.to_string().contains("550"), "{error}");
    let failed = dir.path().join("outbox/failed");
    for ext in ["eml", "json", "error"] {
        assert!(failed.join(format!("{refused}.{ext}")).exists(), "failed/{refused}.{ext}");
    }
    assert_eq!(server.messages().len(), 2);
}

#[test]
fn a_password_without_starttls_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    set_password_vars();
    let smtp = SmtpConfig {
        host: "127.0.0.1".to_owned(),
        port: 2525,
        from: "vader@example.com".to_owned(),
        user: Some("vader".to_owned()),
        password_env: Some(PASSWORD_VAR.to_owned()),
        starttls: false,
        ca_file: None,
        timeout_s: 5,
    };
    assert!(matches!(smtp.validate(), Err(MailError::Config(_))));
    let queue = MailQueue::new(dir.path().join("outbox"));
    let id = queue.enqueue(&mail("never in clear"), &smtp.from).expect("enqueue");
    let err = queue.flush(&smtp).expect_err("the config is refused");
    assert!(matches!(err, MailError::Config(_)), "{err:?}");
    assert!(err.to_string().contains("starttls"), "{err}");
    assert_eq!(queue.pending().expect("pending"), [id]);
}
