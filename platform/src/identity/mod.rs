//! The embedded identity service: a small OpenID provider for the platform. Discovery, JWKS,
//! device authorization with a server-rendered verification page, the token endpoint (device code,
//! refresh with rotation, client credentials, token exchange with `acr_values=tenant:{id}`,
//! authorization code + PKCE), dynamic client registration, and accounts with argon2 hashes.
//!
//! Keys, accounts and refresh tokens persist in `identity/` under the data directory; pending
//! device and authorization codes live in memory.

mod authorize;
pub mod clients;
pub mod flows;
mod http;
mod keys;
mod page;
pub mod tokens;
pub mod users;

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::Connection;

use crate::store::{Platform, StoreError};
use clients::{Client, Clients};
use flows::{OAuthError, PendingDevices};
use keys::SigningKey;
use users::Users;

pub use http::router;
pub use tokens::AccessClaims;

/// What opening the identity service produced beside it: secrets to show once.
#[derive(Debug, Default)]
pub struct FirstRun {
    /// The drawn password of the new `admin` account.
    pub admin_password: Option<String>,
}

pub struct Identity {
    /// The issuer URL (this service's base URL).
    pub issuer: String,
    key: SigningKey,
    users: Users,
    pub(crate) clients: Clients,
    db: Mutex<Connection>,
    devices: Mutex<PendingDevices>,
    codes: Mutex<authorize::PendingCodes>,
    platform: Arc<Platform>,
}

impl Identity {
    /// Opens (creating on first use) the identity data in `data_dir/identity`.
    pub fn open(
        data_dir: &Path,
        issuer: &str,
        platform: Arc<Platform>,
        admin_password: Option<&str>,
    ) -> Result<(Identity, FirstRun), StoreError> {
        let dir = data_dir.join("identity");
        let key = SigningKey::load_or_create(&dir)?;
        let secrets_dir = dir.join("clients");
        std::fs::create_dir_all(&secrets_dir).map_err(|error| {
            StoreError::Io(format!("cannot create {}: {error}", secrets_dir.display()))
        })?;
        let mut service_secrets = Vec::new();
        for client_id in clients::SERVICE_CLIENTS {
            let path = secrets_dir.join(format!("{client_id}.secret"));
            let secret = match std::fs::read_to_string(&path) {
                Ok(secret) => secret.trim().to_owned(),
                Err(_) => {
                    let secret = keys::random_token(32);
                    keys::write_private(&path, secret.as_bytes()).map_err(|error| {
                        StoreError::Io(format!("cannot write {}: {error}", path.display()))
                    })?;
                    secret
                }
            };
            service_secrets.push((client_id.to_owned(), secret));
        }
        let open = || Connection::open(dir.join("identity.sqlite"));
        let users = Users::open(open()?)?;
        let admin_password = users.ensure_admin(admin_password)?;
        let db = open()?;
        flows::init_refresh_tokens(&db)?;
        Ok((
            Identity {
                issuer: issuer.trim_end_matches('/').to_owned(),
                key,
                users,
                clients: Clients::new(&service_secrets),
                db: Mutex::new(db),
                devices: Mutex::new(PendingDevices::default()),
                codes: Mutex::new(authorize::PendingCodes::default()),
                platform,
            },
            FirstRun { admin_password },
        ))
    }

    /// The accounts.
    pub fn users(&self) -> &Users {
        &self.users
    }

    /// Checks an access token this service issued.
    pub fn verify(&self, token: &str) -> Option<AccessClaims> {
        tokens::verify_access(&self.key, &self.issuer, token)
    }

    /// The public keys.
    pub fn jwks(&self) -> serde_json::Value {
        self.key.jwks()
    }

    fn client(
        &self,
        client_id: Option<&str>,
        secret: Option<&str>,
    ) -> Result<Arc<Client>, OAuthError> {
        self.clients.authenticate(client_id, secret)
    }

    fn devices(&self) -> MutexGuard<'_, PendingDevices> {
        self.devices.lock().expect("never poisoned")
    }

    fn db(&self) -> MutexGuard<'_, Connection> {
        self.db.lock().expect("never poisoned")
    }
}

#[cfg(test)]
mod tests;
