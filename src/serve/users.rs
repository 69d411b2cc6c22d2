//! The people who may use the service's pages, in `HOME/users.json`: a name, a role and an
//! argon2id hash of the password (never the password). There is no default account: the first
//! user is added with `vader user add NAME --role admin`.
//!
//! | role | may |
//! | --- | --- |
//! | `buyer` | read the pages |
//! | `analyst` | also run backtests and promote models |
//! | `admin` | also manage users |

use std::path::{Path, PathBuf};

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::error::{Error, Result};
use super::state::{read_json, write_json};

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads the pages.
    Buyer,
    /// Also runs backtests and promotes models.
    Analyst,
    /// Also manages users.
    Admin,
}

impl Role {
    /// The role's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Buyer => "buyer",
            Self::Analyst => "analyst",
            Self::Admin => "admin",
        }
    }

    /// Whether this role may do what `needed` may (roles are ordered buyer < analyst < admin).
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }
}

impl std::str::FromStr for Role {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        match text {
            "buyer" => Ok(Self::Buyer),
            "analyst" => Ok(Self::Analyst),
            "admin" => Ok(Self::Admin),
            other => Err(Error::Config(format!("role {other:?}: expected buyer, analyst or admin"))),
        }
    }
}

/// One user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// The login name.
    pub name: String,
    /// What the user may do.
    pub role: Role,
    /// The argon2id hash of the password, in the PHC string format.
    pub hash: String,
    /// When the user was added.
    pub created_at: DateTime<Utc>,
}

/// The users file of an environment.
#[derive(Debug, Clone)]
pub struct Users {
    path: PathBuf,
    users: Vec<User>,
}

impl Users {
    /// The users file of the environment whose home is `home`.
    pub fn path_in(home: &Path) -> PathBuf {
        home.join("users.json")
    }

    /// Reads the users file (none yet: no user).
    pub fn load(path: &Path) -> Result<Self> {
        Ok(Self { path: path.to_path_buf(), users: read_json(path)?.unwrap_or_default() })
    }

    /// Every user, sorted by name.
    pub fn list(&self) -> &[User] {
        &self.users
    }

    /// Adds a user with `password` (hashed with argon2id and a random salt) and saves the file.
    pub fn add(&mut self, name: &str, role: Role, password: &str, now: DateTime<Utc>) -> Result<&User> {
        check_name(name)?;
        if self.users.iter().any(|u| u.name == name) {
            return Err(Error::Config(format!("user {name} exists already (remove it first)")));
        }
        if password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(Error::Config(format!(
                "the password must have at least {MIN_PASSWORD_CHARS} characters"
            )));
        }
        let salt = SaltString::generate(&mut OsRng);
        let hash = Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| Error::Config(format!("hashing the password failed: {e}")))?
            .to_string();
        self.users.push(User { name: name.to_string(), role, hash, created_at: now });
        self.users.sort_by(|a, b| a.name.cmp(&b.name));
        self.save()?;
        self.users
            .iter()
            .find(|u| u.name == name)
            .ok_or_else(|| Error::Config(format!("user {name} was not added")))
    }

    /// Removes a user and saves the file; whether it existed.
    pub fn remove(&mut self, name: &str) -> Result<bool> {
        let before = self.users.len();
        self.users.retain(|u| u.name != name);
        if self.users.len() == before {
            return Ok(false);
        }
        self.save()?;
        Ok(true)
    }

    /// The user `name` if `password` is theirs. An unknown name costs the same hashing as a
    /// wrong password, so that timing does not tell which names exist.
    pub fn verify(&self, name: &str, password: &str) -> Option<&User> {
        let user = self.users.iter().find(|u| u.name == name);
        let hash: &str = match user {
            Some(u) => &u.hash,
            None => dummy_hash(),
        };
        let parsed = PasswordHash::new(hash).ok()?;
        let ok = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
        user.filter(|_| ok)
    }

    fn save(&self) -> Result<()> {
        write_json(&self.path, &self.users)?;
        restrict(&self.path)
    }
}

/// A hash of no one's password (a random one), verified against when the name is unknown.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        let password = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_str().as_bytes(), &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

/// Names of 1 to 64 lowercase letters, digits, `.`, `_` or `-`.
fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(Error::Config(format!("user name {name:?}: 1 to 64 of a-z, 0-9, '.', '_', '-'")))
    }
}

/// Only the owner may read the users file.
#[cfg(unix)]
fn restrict(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(Error::io(path, "restricting"))
}

#[cfg(not(unix))]
fn restrict(_path: &Path) -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_logs_in_with_their_password_only() -> Result<()> {
        let dir = tempfile::tempdir().map_err(Error::io("tmp", "creating"))?;
        let path = Users::path_in(dir.path());
        let mut users = Users::load(&path)?;
        assert!(users.list().is_empty(), "no default account");
        users.add("alice", Role::Analyst, "correct horse battery", Utc::now())?;
        let again = Users::load(&path)?;
        assert_eq!(again.verify("alice", "correct horse battery").map(|u| u.role), Some(Role::Analyst));
        assert!(again.verify("alice", "correct horse battery!").is_none());
        assert!(again.verify("bob", "correct horse battery").is_none());
        let text = std::fs::read_to_string(&path).map_err(Error::io(&path, "reading"))?;
        assert!(!text.contains("correct horse") && text.contains("$argon2id$"), "{text}");
        assert!(users.add("alice", Role::Buyer, "another long password", Utc::now()).is_err());
        assert!(users.add("bob", Role::Buyer, "short", Utc::now()).is_err());
        assert!(users.add("Bob Smith", Role::Buyer, "a long enough password", Utc::now()).is_err());
        assert!(users.remove("alice")?);
        assert!(!users.remove("alice")?);
        assert!(Users::load(&path)?.verify("alice", "correct horse battery").is_none());
        Ok(())
    }

    #[test]
    fn roles_are_ordered() {
        assert!(Role::Admin.allows(Role::Analyst) && Role::Analyst.allows(Role::Buyer));
        assert!(!Role::Buyer.allows(Role::Analyst));
    }
}
