//! Accounts: users with argon2 password hashes, roles and the tenants they may use. A new data
//! directory gets an `admin` account whose password is given (`OCTOMESH_ADMIN_PASSWORD`) or drawn
//! and shown once.

use std::sync::Mutex;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::IdentityError;

/// Every role of the platform (the admin has them all).
pub const ROLES: [&str; 14] = [
    "AdminPanelManagement",
    "BotManagement",
    "TenantManagement",
    "Development",
    "UserManagement",
    "CommunicationManagement",
    "DashboardManagement",
    "DashboardViewer",
    "ReportingManagement",
    "ReportingViewer",
    "DataModelManagement",
    "StreamDataAdmin",
    "StreamDataWriter",
    "StreamDataReader",
];

/// The tenants entry that means every tenant.
pub const ALL_TENANTS: &str = "*";

/// An account, without its password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub roles: Vec<String>,
    /// Tenant ids, or [`ALL_TENANTS`]; the first is the home tenant.
    pub tenants: Vec<String>,
    /// Groups, e.g. [`TENANT_OWNERS`].
    pub groups: Vec<String>,
}

pub struct Users {
    db: Mutex<Connection>,
    /// A hash to verify against when the user does not exist, so both cases cost the same.
    decoy: String,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    display_name TEXT NOT NULL,
    email TEXT,
    roles TEXT NOT NULL,
    tenants TEXT NOT NULL,
    groups TEXT NOT NULL DEFAULT '[]'
);
";

/// The group of tenant owners (the admin's).
pub const TENANT_OWNERS: &str = "TenantOwners";

fn hash(password: &str) -> Result<String, IdentityError> {
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt)
        .map_err(|error| IdentityError::Io(format!("no randomness: {error}")))?;
    let salt =
        SaltString::encode_b64(&salt).map_err(|error| IdentityError::Io(error.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| IdentityError::Io(format!("cannot hash the password: {error}")))
}

fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

impl Users {
    pub(crate) fn open(db: Connection) -> Result<Users, IdentityError> {
        db.execute_batch(SCHEMA)?;
        // Accounts made before groups existed.
        let has_groups = db.prepare("SELECT groups FROM users LIMIT 0").is_ok();
        if !has_groups {
            db.execute_batch("ALTER TABLE users ADD COLUMN groups TEXT NOT NULL DEFAULT '[]'")?;
        }
        Ok(Users {
            db: Mutex::new(db),
            decoy: hash(&super::keys::random_token(16))?,
        })
    }

    fn db(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.db.lock().expect("the users lock is never poisoned")
    }

    /// Creates `admin` when there are no users; returns the password when it was drawn here.
    pub(crate) fn ensure_admin(
        &self,
        password: Option<&str>,
    ) -> Result<Option<String>, IdentityError> {
        let count: i64 = self
            .db()
            .query_row("SELECT COUNT(*) FROM users", [], |row| row.get(0))?;
        if count > 0 {
            return Ok(None);
        }
        let drawn = password.is_none().then(|| super::keys::random_token(15));
        let password = password.or(drawn.as_deref()).unwrap_or_default();
        self.create(
            "admin",
            password,
            "Administrator",
            None,
            &ROLES.map(str::to_owned),
            &[
                octomesh_platform_common::tenant::SYSTEM_TENANT.to_owned(),
                ALL_TENANTS.to_owned(),
            ],
        )?;
        self.set_groups("admin", &[TENANT_OWNERS.to_owned()])?;
        Ok(drawn)
    }

    /// Puts a user in exactly these groups.
    pub fn set_groups(&self, username: &str, groups: &[String]) -> Result<(), IdentityError> {
        let changed = self.db().execute(
            "UPDATE users SET groups = ?1 WHERE username = ?2",
            params![serde_json::to_string(groups).unwrap_or_default(), username],
        )?;
        if changed == 0 {
            return Err(IdentityError::Invalid(vec![format!(
                "there is no user `{username}`"
            )]));
        }
        Ok(())
    }

    /// Adds an account.
    pub fn create(
        &self,
        username: &str,
        password: &str,
        display_name: &str,
        email: Option<&str>,
        roles: &[String],
        tenants: &[String],
    ) -> Result<User, IdentityError> {
        let valid_name = !username.is_empty()
            && username.len() <= 64
            && username
                .chars()
                .all(|char| char.is_ascii_alphanumeric() || "._-@".contains(char));
        if !valid_name {
            return Err(IdentityError::Invalid(vec![format!(
                "`{username}` is not a user name: use 1-64 letters, digits, '.', '_', '-' or '@'"
            )]));
        }
        if password.chars().count() < 8 {
            return Err(IdentityError::Invalid(vec![
                "a password has at least 8 characters".into(),
            ]));
        }
        let inserted = self.db().execute(
            "INSERT OR IGNORE INTO users (username, password_hash, display_name, email, roles, tenants) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                username,
                hash(password)?,
                display_name,
                email,
                serde_json::to_string(roles).unwrap_or_default(),
                serde_json::to_string(tenants).unwrap_or_default()
            ],
        )?;
        if inserted == 0 {
            return Err(IdentityError::Invalid(vec![format!(
                "user `{username}` exists"
            )]));
        }
        Ok(User {
            username: username.to_owned(),
            display_name: display_name.to_owned(),
            email: email.map(str::to_owned),
            roles: roles.to_vec(),
            tenants: tenants.to_vec(),
            groups: Vec::new(),
        })
    }

    /// The account, if the password is right.
    pub(crate) fn sign_in(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<User>, IdentityError> {
        let stored: Option<String> = self
            .db()
            .query_row(
                "SELECT password_hash FROM users WHERE username = ?1",
                [username],
                |row| row.get(0),
            )
            .optional()?;
        let matches = verify(password, stored.as_deref().unwrap_or(&self.decoy));
        if stored.is_some() && matches {
            self.get(username)
        } else {
            Ok(None)
        }
    }

    pub(crate) fn get(&self, username: &str) -> Result<Option<User>, IdentityError> {
        Ok(self
            .db()
            .query_row(
                "SELECT username, display_name, email, roles, tenants, groups FROM users WHERE username = ?1",
                [username],
                |row| {
                    let roles: String = row.get(3)?;
                    let tenants: String = row.get(4)?;
                    let groups: String = row.get(5)?;
                    Ok(User {
                        username: row.get(0)?,
                        display_name: row.get(1)?,
                        email: row.get(2)?,
                        roles: serde_json::from_str(&roles).unwrap_or_default(),
                        tenants: serde_json::from_str(&tenants).unwrap_or_default(),
                        groups: serde_json::from_str(&groups).unwrap_or_default(),
                    })
                },
            )
            .optional()?)
    }

    /// The accounts that are members of `tenant` (named in their tenant list), with their hashes.
    pub(crate) fn members_of(
        &self,
        tenant: &str,
    ) -> Result<Vec<crate::tenant_identity::ExportedUser>, IdentityError> {
        let db = self.db();
        let mut statement = db.prepare(
            "SELECT username, display_name, email, roles, tenants, groups, password_hash FROM users ORDER BY username",
        )?;
        let rows = statement.query_map([], |row| {
            let tenants: String = row.get(4)?;
            let roles: String = row.get(3)?;
            let groups: String = row.get(5)?;
            Ok((
                serde_json::from_str::<Vec<String>>(&tenants).unwrap_or_default(),
                crate::tenant_identity::ExportedUser {
                    username: row.get(0)?,
                    display_name: row.get(1)?,
                    email: row.get(2)?,
                    roles: serde_json::from_str(&roles).unwrap_or_default(),
                    groups: serde_json::from_str(&groups).unwrap_or_default(),
                    password_hash: row.get(6)?,
                },
            ))
        })?;
        let mut members = Vec::new();
        for row in rows {
            let (tenants, user) = row?;
            if tenants.iter().any(|named| named == tenant) {
                members.push(user);
            }
        }
        Ok(members)
    }

    /// Makes `users` members of `tenant` in one transaction: an existing account is granted the
    /// tenant (its password, roles and groups stay); a missing one is created with its hash.
    /// (created, granted); a bad account refuses them all.
    pub(crate) fn grant_members(
        &self,
        tenant: &str,
        users: &[crate::tenant_identity::ExportedUser],
    ) -> Result<(usize, usize), IdentityError> {
        let mut problems = Vec::new();
        for user in users {
            let valid_name = !user.username.is_empty()
                && user.username.len() <= 64
                && user
                    .username
                    .chars()
                    .all(|char| char.is_ascii_alphanumeric() || "._-@".contains(char));
            if !valid_name {
                problems.push(format!("`{}` is not a user name", user.username));
            }
            if PasswordHash::new(&user.password_hash).is_err() {
                problems.push(format!(
                    "the password hash of `{}` is not a PHC string",
                    user.username
                ));
            }
            if let Some(role) = user
                .roles
                .iter()
                .find(|role| !ROLES.contains(&role.as_str()))
            {
                problems.push(format!("`{}` has the unknown role `{role}`", user.username));
            }
        }
        if !problems.is_empty() {
            return Err(IdentityError::Invalid(problems));
        }
        let mut db = self.db();
        let transaction = db.transaction()?;
        let (mut created, mut granted) = (0, 0);
        for user in users {
            let tenants: Option<String> = transaction
                .query_row(
                    "SELECT tenants FROM users WHERE username = ?1",
                    [&user.username],
                    |row| row.get(0),
                )
                .optional()?;
            match tenants {
                Some(tenants) => {
                    let mut tenants: Vec<String> =
                        serde_json::from_str(&tenants).unwrap_or_default();
                    if !tenants
                        .iter()
                        .any(|named| named == tenant || named == ALL_TENANTS)
                    {
                        tenants.push(tenant.to_owned());
                        transaction.execute(
                            "UPDATE users SET tenants = ?1 WHERE username = ?2",
                            params![
                                serde_json::to_string(&tenants).unwrap_or_default(),
                                user.username
                            ],
                        )?;
                        granted += 1;
                    }
                }
                None => {
                    transaction.execute(
                        "INSERT INTO users (username, password_hash, display_name, email, roles, tenants, groups) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        params![
                            user.username,
                            user.password_hash,
                            user.display_name,
                            user.email,
                            serde_json::to_string(&user.roles).unwrap_or_default(),
                            serde_json::to_string(&[tenant]).unwrap_or_default(),
                            serde_json::to_string(&user.groups).unwrap_or_default(),
                        ],
                    )?;
                    created += 1;
                }
            }
        }
        transaction.commit()?;
        Ok((created, granted))
    }
}
