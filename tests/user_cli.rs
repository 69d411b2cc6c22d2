//! `vader user`: users added with an argon2 hash, listed, removed; bad roles and short
//! passwords refused with a message; no default account.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn vader(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vader"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn vader");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write the password");
    child.wait_with_output().expect("wait")
}

#[test]
fn users_are_added_listed_and_removed_with_hashed_passwords() {
    let dir = tempfile::tempdir().expect("tmp");
    let config = dir.path().join("serve.toml");
    std::fs::write(&config, "data = \"data\"\n[env.test]\nhome = \"home\"\n").expect("config");
    let config = config.to_str().expect("a UTF-8 path");
    let env = ["--config", config, "--env", "test"];
    let list = |extra: &[&str]| vader(&[&["user", "list"][..], extra].concat(), "");

    let none = list(&env);
    assert!(none.status.success());
    assert!(none.stdout.is_empty(), "no default account");

    let added = vader(
        &[&["user", "add", "alice", "--role", "analyst"][..], &env].concat(),
        "correct horse battery\n",
    );
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let listed = String::from_utf8_lossy(&list(&env).stdout).to_string();
    assert!(listed.starts_with("alice\tanalyst\t"), "{listed}");
    let file = std::fs::read_to_string(dir.path().join("home/users.json")).expect("users file");
    assert!(file.contains("$argon2id$") && !file.contains("correct horse"), "{file}");

    let bad_role =
        vader(&[&["user", "add", "bob", "--role", "root"][..], &env].concat(), "correct horse battery\n");
    assert_eq!(bad_role.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("expected buyer, analyst or admin"));
    let short = vader(&[&["user", "add", "bob", "--role", "buyer"][..], &env].concat(), "short\n");
    assert_eq!(short.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 12 characters"));

    let removed = vader(&[&["user", "remove", "alice"][..], &env].concat(), "");
    assert!(removed.status.success());
    assert!(list(&env).stdout.is_empty());
    let again = vader(&[&["user", "remove", "alice"][..], &env].concat(), "");
    assert_eq!(again.status.code(), Some(2));
}
