//! The embedded identity service (OctoMesh's `octo-identity-services`), one of the platform's
//! five services: a small OpenID provider. Discovery, JWKS, device authorization with a
//! server-rendered verification page, the token endpoint (device code, refresh with rotation,
//! client credentials, token exchange with `acr_values=tenant:{id}`, authorization code + PKCE),
//! dynamic client registration, and accounts with argon2 hashes.
//!
//! Keys, accounts and refresh tokens persist in `identity/` under the data directory; pending
//! device and authorization codes live in memory. Which tenants exist it asks the asset
//! repository ([`tenants`]), over its REST contract.

mod authorize;
pub mod clients;
mod error;
pub mod flows;
mod http;
mod keys;
mod page;
pub mod tenant_identity;
pub mod tenants;
pub mod tokens;
pub mod users;

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::Connection;

use clients::{Client, Clients};
pub use error::IdentityError;
use flows::{OAuthError, PendingDevices};
use keys::SigningKey;
use users::Users;

pub use http::router;
pub use tenants::TenantDirectory;
pub use tokens::AccessClaims;

use octomesh_platform_common::service::{self, ServiceKind};
use octomesh_platform_common::{Guard, TokenVerifier};

/// The service this crate is.
pub const SERVICE: ServiceKind = ServiceKind::Identity;

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
    tenants: TenantDirectory,
    /// The identity service's part of the data directory, locked while it is open.
    _dir: octomesh_platform_common::data_dir::ServiceDir,
}

impl Identity {
    /// Opens (creating on first use) the identity data in `data_dir/identity`; `tenants` says
    /// which tenants exist.
    pub fn open(
        data_dir: &Path,
        issuer: &str,
        tenants: TenantDirectory,
        admin_password: Option<&str>,
    ) -> Result<(Identity, FirstRun), IdentityError> {
        let service_dir = octomesh_platform_common::data_dir::ServiceDir::open(
            data_dir,
            SERVICE.name(),
            "identity",
        )
        .map_err(IdentityError::Io)?;
        let dir = service_dir.path.clone();
        let key = SigningKey::load_or_create(&dir)?;
        let secrets_dir = dir.join("clients");
        std::fs::create_dir_all(&secrets_dir).map_err(|error| {
            IdentityError::Io(format!("cannot create {}: {error}", secrets_dir.display()))
        })?;
        let mut service_secrets = Vec::new();
        for client_id in clients::SERVICE_CLIENTS {
            let path = secrets_dir.join(format!("{client_id}.secret"));
            let secret = match std::fs::read_to_string(&path) {
                Ok(secret) => secret.trim().to_owned(),
                Err(_) => {
                    let secret = keys::random_token(32);
                    keys::write_private(&path, secret.as_bytes()).map_err(|error| {
                        IdentityError::Io(format!("cannot write {}: {error}", path.display()))
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
                tenants,
                _dir: service_dir,
            },
            FirstRun { admin_password },
        ))
    }

    /// The accounts.
    pub fn users(&self) -> &Users {
        &self.users
    }

    /// Lists the tenants again (before a token is issued: one may have just been created).
    pub(crate) async fn refresh_tenants(&self) {
        self.tenants
            .refresh(|| {
                tokens::issue_access(
                    &self.key,
                    &self.issuer,
                    &tokens::Grant {
                        subject: None,
                        client_id: tenants::IDENTITY_SERVICE_CLIENT,
                        scope: "octo_api.read_only",
                        tenant_id: octomesh_platform_common::tenant::SYSTEM_TENANT,
                        allowed_tenants: &[],
                        resources: &[],
                    },
                )
                .0
            })
            .await;
    }

    /// The tenants as last listed.
    pub(crate) fn tenant_ids(&self) -> Vec<String> {
        self.tenants.ids()
    }

    /// An access token for `username` through `client_id` in `tenant` (default: the home tenant),
    /// without a sign-in: for whoever holds this service in process (tests, benchmarks).
    pub fn issue_user_token(
        &self,
        client_id: &str,
        username: &str,
        scope: &str,
        tenant: Option<&str>,
    ) -> Result<String, flows::OAuthError> {
        let client = self.clients.authenticate(Some(client_id), None)?;
        let user = self
            .users
            .get(username)
            .ok()
            .flatten()
            .ok_or_else(|| flows::OAuthError::new("invalid_grant", "no such user"))?;
        Ok(self
            .user_tokens(&client, &user, scope, tenant, &[], None)?
            .access_token)
    }

    /// Checks an access token this service issued.
    pub fn verify(&self, token: &str) -> Option<AccessClaims> {
        tokens::verify_access(&self.key, &self.issuer, token)
    }

    /// The public keys.
    pub fn jwks(&self) -> serde_json::Value {
        self.key.jwks()
    }

    /// The secret of the service client `client_id` (one of [`clients::SERVICE_CLIENTS`]), for
    /// a service that runs in this process beside this one (the host hands the bot its own).
    pub fn service_client_secret(&self, client_id: &str) -> Option<String> {
        if !clients::SERVICE_CLIENTS.contains(&client_id) {
            return None;
        }
        let path = self
            ._dir
            .path
            .join("clients")
            .join(format!("{client_id}.secret"));
        let secret = std::fs::read_to_string(path).ok()?;
        let secret = secret.trim();
        (!secret.is_empty()).then(|| secret.to_owned())
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

/// Serves the identity service on `listener` until `shutdown` completes; with `enforce_auth`, its
/// own API routes (diagnostics) need its tokens.
pub async fn serve(
    listener: tokio::net::TcpListener,
    identity: Arc<Identity>,
    enforce_auth: bool,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let verifier = enforce_auth.then(|| {
        let own = Arc::clone(&identity);
        TokenVerifier::Local(Arc::new(move |token: &str| own.verify(token)))
    });
    let guard = Guard::new(verifier);
    let tenant_data = axum::Router::new()
        .route(
            "/system/v1/tenants/{tenant}/identity",
            axum::routing::get(tenant_identity::export).post(tenant_identity::import),
        )
        .layer(axum::middleware::from_fn_with_state(
            guard.clone(),
            octomesh_platform_common::auth::check,
        ))
        .with_state(Arc::clone(&identity));
    let routes = service::finish(
        SERVICE,
        service::common_routes(SERVICE, guard)
            .merge(tenant_data)
            .merge(router(identity)),
    );
    octomesh_platform_common::serve(listener, routes, shutdown).await
}

#[cfg(test)]
mod tests;
