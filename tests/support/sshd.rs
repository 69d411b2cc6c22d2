//! A throwaway OpenSSH server on loopback for the SFTP tests: its own host key, a user key
//! authorised for the current user, `internal-sftp`, everything under one temporary folder.

use std::fs;
use std::io::ErrorKind;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SSHD: &str = "/usr/sbin/sshd";

/// A running `sshd -D` on 127.0.0.1; killed on drop.
pub struct Sshd {
    /// Host to connect to (`127.0.0.1`).
    pub host: String,
    /// TCP port it listens on.
    pub port: u16,
    /// Login name (the current user).
    pub user: String,
    /// Private key (ed25519, no passphrase) authorised for `user`.
    pub key_file: PathBuf,
    /// known_hosts file holding `[127.0.0.1]:PORT <host key>`.
    pub known_hosts: PathBuf,
    /// Folder to drop files in; absolute, usable as the remote folder.
    pub remote_dir: PathBuf,
    /// sshd's stderr (`-e`).
    pub log: PathBuf,
    config: PathBuf,
    child: Child,
    running: bool,
}

impl Sshd {
    /// Starts a server with keys and config in `dir`. `None` when `/usr/sbin/sshd` or
    /// `ssh-keygen` is missing, unless `VADER_REQUIRE_SERVICES=1` (then it panics).
    pub fn start(dir: &Path) -> Option<Sshd> {
        let have_keygen =
            match Command::new("ssh-keygen").arg("-?").stdout(Stdio::null()).stderr(Stdio::null()).status() {
                Ok(_) => true,
                Err(e) => e.kind() != ErrorKind::NotFound,
            };
        if !Path::new(SSHD).exists() || !have_keygen {
            if std::env::var("VADER_REQUIRE_SERVICES").as_deref() == Ok("1") {
                panic!(
                    "{SSHD} or ssh-keygen not found but VADER_REQUIRE_SERVICES=1: \
                     run `apt-get install openssh-server`"
                );
            }
            return None;
        }
        fs::create_dir_all(dir).expect("create the sshd folder");
        let dir = fs::canonicalize(dir).expect("canonicalize the sshd folder");
        let host_key = dir.join("host_key");
        let key_file = dir.join("user_key");
        for key in [&host_key, &key_file] {
            let _ = fs::remove_file(key);
            let _ = fs::remove_file(pub_of(key));
            keygen(key);
        }
        let authorized = dir.join("authorized_keys");
        fs::copy(pub_of(&key_file), &authorized).expect("write authorized_keys");
        let remote_dir = dir.join("remote");
        fs::create_dir_all(&remote_dir).expect("create the remote folder");

        let user = String::from_utf8(Command::new("id").arg("-un").output().expect("run `id -un`").stdout)
            .expect("user name is UTF-8")
            .trim()
            .to_string();
        let root = user == "root";
        if root {
            fs::create_dir_all("/run/sshd").expect("create /run/sshd");
        }

        let port = {
            let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
            listener.local_addr().expect("local address").port()
        };
        let config = dir.join("sshd_config");
        let mut text = format!(
            "ListenAddress 127.0.0.1\n\
             Port {port}\n\
             HostKey {}\n\
             AuthorizedKeysFile {}\n\
             PubkeyAuthentication yes\n\
             PasswordAuthentication no\n\
             KbdInteractiveAuthentication no\n\
             UsePAM no\n\
             StrictModes no\n\
             PidFile {}\n\
             LogLevel VERBOSE\n\
             Subsystem sftp internal-sftp\n",
            host_key.display(),
            authorized.display(),
            dir.join("sshd.pid").display(),
        );
        if root {
            text.push_str("PermitRootLogin prohibit-password\n");
        }
        fs::write(&config, text).expect("write sshd_config");

        let host_pub = fs::read_to_string(pub_of(&host_key)).expect("host key");
        let known_hosts = dir.join("known_hosts");
        fs::write(&known_hosts, format!("[127.0.0.1]:{port} {}\n", host_pub.trim()))
            .expect("write known_hosts");

        let log = dir.join("sshd.log");
        let child = spawn(&config, &log);
        let mut sshd = Sshd {
            host: "127.0.0.1".to_string(),
            port,
            user,
            key_file,
            known_hosts,
            remote_dir,
            log,
            config,
            child,
            running: true,
        };
        sshd.wait_ready();
        Some(sshd)
    }

    /// Stops the server (kill + wait); the port then refuses connections.
    pub fn stop(&mut self) {
        if self.running {
            let _ = self.child.kill();
            let _ = self.child.wait();
            self.running = false;
        }
    }

    /// Starts the server again on the same port, with the same keys.
    pub fn restart(&mut self) {
        self.stop();
        self.child = spawn(&self.config, &self.log);
        self.running = true;
        self.wait_ready();
    }

    /// Writes, at `path`, a known_hosts file that lists a freshly generated key (not this
    /// server's) for this server's address.
    pub fn write_wrong_known_hosts(&self, path: &Path) {
        let key = path.with_extension("other_key");
        let _ = fs::remove_file(&key);
        let _ = fs::remove_file(pub_of(&key));
        keygen(&key);
        let other = fs::read_to_string(pub_of(&key)).expect("other key");
        fs::write(path, format!("[127.0.0.1]:{} {}\n", self.port, other.trim()))
            .expect("write the wrong known_hosts");
    }

    /// sshd's log so far.
    pub fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits (at most ~10 s) until the port accepts connections.
    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                self.running = false;
                panic!("sshd exited ({status}):\n{}", self.log_text());
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            if Instant::now() > deadline {
                panic!("sshd did not listen on port {} within 10 s:\n{}", self.port, self.log_text());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `path` + `.pub`, where ssh-keygen writes the public half.
fn pub_of(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".pub");
    PathBuf::from(name)
}

fn keygen(path: &Path) {
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "vader-test", "-f"])
        .arg(path)
        .stdin(Stdio::null())
        .status()
        .expect("run ssh-keygen");
    assert!(status.success(), "ssh-keygen failed for {}", path.display());
}

fn spawn(config: &Path, log: &Path) -> Child {
    let log = fs::OpenOptions::new().create(true).append(true).open(log).expect("open the sshd log");
    Command::new(SSHD)
        .args(["-D", "-e", "-f"])
        .arg(config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start sshd")
}
