//! The grants of the token endpoint, independent of HTTP: device authorization (RFC 8628),
//! refresh with rotation, client credentials, token exchange (RFC 8693) with
//! `acr_values=tenant:{id}`. Errors are RFC 6749 error codes with a description that says what to do.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::Identity;
use super::clients::{Client, GrantType};
use super::keys::{digest, random_token};
use super::tokens::{
    ACCESS_TOKEN_SECONDS, Grant, issue_access, issue_id_token, now, verify_access,
};
use super::users::{ALL_TENANTS, User};

/// How long a device code may be used.
pub const DEVICE_CODE_SECONDS: u64 = 600;
/// The polling interval a device client is told.
pub const POLL_INTERVAL_SECONDS: u64 = 5;
/// How long a refresh token lives.
pub const REFRESH_TOKEN_SECONDS: u64 = 30 * 24 * 3600;

pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
pub const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

/// Scopes this identity service knows.
pub const SCOPES: [&str; 8] = [
    "openid",
    "profile",
    "email",
    "role",
    "offline_access",
    "octo_api",
    "octo_api.read_only",
    "octo_api.data_model_management",
];

/// An OAuth error (RFC 6749 §5.2, RFC 8628 §3.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub code: &'static str,
    pub description: String,
}

impl OAuthError {
    pub(crate) fn new(code: &'static str, description: impl Into<String>) -> OAuthError {
        OAuthError {
            code,
            description: description.into(),
        }
    }
}

/// A token request's form fields.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct TokenRequest {
    pub grant_type: String,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub client_secret: Option<String>,
    #[serde(default)]
    pub device_code: Option<String>,
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub acr_values: Option<String>,
    #[serde(default)]
    pub subject_token: Option<String>,
    #[serde(default)]
    pub subject_token_type: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub redirect_uri: Option<String>,
    #[serde(default)]
    pub code_verifier: Option<String>,
    #[serde(default)]
    pub resource: Option<String>,
}

/// A successful token response.
#[derive(Debug, Clone, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: u64,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_token_type: Option<&'static str>,
}

/// The answer to a device authorization request.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceAuthorization {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: String,
    pub expires_in: u64,
    pub interval: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum DeviceState {
    Pending,
    Approved(String),
    Denied,
}

#[derive(Debug, Clone)]
struct PendingDevice {
    user_code: String,
    client_id: String,
    scope: String,
    tenant: Option<String>,
    expires: Instant,
    last_poll: Option<Instant>,
    state: DeviceState,
}

/// Device codes waiting for approval (in memory: a restart ends pending sign-ins).
#[derive(Default)]
pub(crate) struct PendingDevices {
    by_device_code: HashMap<String, PendingDevice>,
}

/// Unambiguous letters for user codes (no vowels, no look-alikes).
const USER_CODE_LETTERS: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";

fn user_code() -> String {
    let mut bytes = [0u8; 8];
    getrandom::getrandom(&mut bytes).expect("the OS provides randomness");
    let letters: String = bytes
        .iter()
        .map(|byte| USER_CODE_LETTERS[*byte as usize % USER_CODE_LETTERS.len()] as char)
        .collect();
    format!("{}-{}", &letters[..4], &letters[4..])
}

/// `tenant:{id}` out of `acr_values`.
pub(crate) fn requested_tenant(acr_values: Option<&str>) -> Option<String> {
    acr_values?
        .split_whitespace()
        .find_map(|value| value.strip_prefix("tenant:"))
        .filter(|tenant| !tenant.is_empty())
        .map(str::to_owned)
}

/// The scopes asked for, checked; the default when none are named.
fn scopes(requested: Option<&str>, default: &str) -> Result<String, OAuthError> {
    let requested = requested
        .filter(|text| !text.trim().is_empty())
        .unwrap_or(default);
    let mut scopes: Vec<&str> = Vec::new();
    for scope in requested.split_whitespace() {
        if !SCOPES.contains(&scope) {
            return Err(OAuthError::new(
                "invalid_scope",
                format!("unknown scope `{scope}`; known: {}", SCOPES.join(" ")),
            ));
        }
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    Ok(scopes.join(" "))
}

const REFRESH_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    client_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    expires INTEGER NOT NULL,
    used INTEGER NOT NULL DEFAULT 0
);
";

pub(crate) fn init_refresh_tokens(db: &Connection) -> rusqlite::Result<()> {
    db.execute_batch(REFRESH_SCHEMA)
}

impl Identity {
    /// `POST /connect/deviceauthorization`.
    pub fn device_authorization(
        &self,
        client_id: Option<&str>,
        client_secret: Option<&str>,
        scope: Option<&str>,
        acr_values: Option<&str>,
    ) -> Result<DeviceAuthorization, OAuthError> {
        let client = self.client(client_id, client_secret)?;
        client.allows(GrantType::DeviceCode)?;
        let scope = scopes(scope, "openid profile email role octo_api offline_access")?;
        let device_code = random_token(32);
        let user_code = user_code();
        let pending = PendingDevice {
            user_code: user_code.clone(),
            client_id: client.id.to_owned(),
            scope,
            tenant: requested_tenant(acr_values),
            expires: Instant::now() + Duration::from_secs(DEVICE_CODE_SECONDS),
            last_poll: None,
            state: DeviceState::Pending,
        };
        let mut devices = self.devices();
        devices
            .by_device_code
            .retain(|_, device| device.expires > Instant::now());
        devices.by_device_code.insert(device_code.clone(), pending);
        let verification_uri = format!("{}/device", self.issuer);
        Ok(DeviceAuthorization {
            verification_uri_complete: format!("{verification_uri}?user_code={user_code}"),
            verification_uri,
            device_code,
            user_code,
            expires_in: DEVICE_CODE_SECONDS,
            interval: POLL_INTERVAL_SECONDS,
        })
    }

    /// The device sign-in a user code belongs to: its tenant, for the verification page.
    pub(crate) fn device_request(&self, user_code: &str) -> Option<Option<String>> {
        let user_code = normalise_user_code(user_code);
        self.devices()
            .by_device_code
            .values()
            .find(|device| {
                device.user_code == user_code
                    && device.state == DeviceState::Pending
                    && device.expires > Instant::now()
            })
            .map(|device| device.tenant.clone())
    }

    /// The verification page's decision: the user signs in and approves or denies.
    pub(crate) fn decide_device(
        &self,
        user_code: &str,
        username: &str,
        password: &str,
        approve: bool,
    ) -> Result<String, String> {
        let user_code = normalise_user_code(user_code);
        let tenant = self.device_request(&user_code).ok_or(
            "That code is unknown or has expired. Start the sign-in again on your device.",
        )?;
        let user = self
            .users
            .sign_in(username, password)
            .map_err(|_| "The sign-in failed; try again.".to_owned())?
            .ok_or("Wrong user name or password.")?;
        if approve
            && let Some(tenant) = &tenant
            && !self.user_tenants(&user).contains(tenant)
        {
            return Err(format!(
                "{} has no access to tenant `{tenant}`. Ask an administrator, or sign in as another user.",
                user.username
            ));
        }
        let mut devices = self.devices();
        let device = devices
            .by_device_code
            .values_mut()
            .find(|device| device.user_code == user_code)
            .ok_or("That code has just expired. Start the sign-in again on your device.")?;
        device.state = if approve {
            DeviceState::Approved(user.username.clone())
        } else {
            DeviceState::Denied
        };
        Ok(user.display_name)
    }

    /// `POST /connect/token`.
    pub fn token(&self, request: &TokenRequest) -> Result<TokenResponse, OAuthError> {
        let client = self.client(
            request.client_id.as_deref(),
            request.client_secret.as_deref(),
        )?;
        match request.grant_type.as_str() {
            DEVICE_CODE_GRANT => {
                client.allows(GrantType::DeviceCode)?;
                self.device_code_grant(&client, request)
            }
            "refresh_token" => {
                client.allows(GrantType::RefreshToken)?;
                self.refresh_grant(&client, request)
            }
            "client_credentials" => {
                client.allows(GrantType::ClientCredentials)?;
                self.client_credentials_grant(&client, request)
            }
            TOKEN_EXCHANGE_GRANT => {
                client.allows(GrantType::TokenExchange)?;
                self.exchange_grant(&client, request)
            }
            "authorization_code" => {
                client.allows(GrantType::AuthorizationCode)?;
                self.authorization_code_grant(&client, request)
            }
            other => Err(OAuthError::new(
                "unsupported_grant_type",
                format!("grant type `{other}` is not supported"),
            )),
        }
    }

    fn device_code_grant(
        &self,
        client: &Client,
        request: &TokenRequest,
    ) -> Result<TokenResponse, OAuthError> {
        let device_code = request
            .device_code
            .as_deref()
            .ok_or_else(|| OAuthError::new("invalid_request", "`device_code` is required"))?;
        let (username, scope, tenant) = {
            let mut devices = self.devices();
            let device = devices
                .by_device_code
                .get_mut(device_code)
                .filter(|device| device.client_id == client.id)
                .ok_or_else(|| OAuthError::new("invalid_grant", "unknown device code"))?;
            if device.expires <= Instant::now() {
                devices.by_device_code.remove(device_code);
                return Err(OAuthError::new(
                    "expired_token",
                    "the device code expired; start again",
                ));
            }
            let now = Instant::now();
            let too_fast = device.last_poll.is_some_and(|last| {
                now.duration_since(last) < Duration::from_secs(POLL_INTERVAL_SECONDS - 1)
            });
            device.last_poll = Some(now);
            match device.state.clone() {
                DeviceState::Pending if too_fast => {
                    return Err(OAuthError::new(
                        "slow_down",
                        format!("poll at most every {POLL_INTERVAL_SECONDS} s"),
                    ));
                }
                DeviceState::Pending => {
                    return Err(OAuthError::new(
                        "authorization_pending",
                        "the user has not approved yet",
                    ));
                }
                DeviceState::Denied => {
                    devices.by_device_code.remove(device_code);
                    return Err(OAuthError::new(
                        "access_denied",
                        "the user denied the sign-in",
                    ));
                }
                DeviceState::Approved(username) => {
                    let approved = devices
                        .by_device_code
                        .remove(device_code)
                        .expect("just found");
                    (username, approved.scope, approved.tenant)
                }
            }
        };
        let user = self.user(&username)?;
        self.user_tokens(client, &user, &scope, tenant.as_deref(), &[], None)
    }

    fn refresh_grant(
        &self,
        client: &Client,
        request: &TokenRequest,
    ) -> Result<TokenResponse, OAuthError> {
        let presented = request
            .refresh_token
            .as_deref()
            .ok_or_else(|| OAuthError::new("invalid_request", "`refresh_token` is required"))?;
        let hash = digest(presented);
        let db = self.db();
        let row: Option<(String, String, String, String, i64, bool)> = db
            .query_row(
                "SELECT username, client_id, scope, tenant_id, expires, used FROM refresh_tokens WHERE token_hash = ?1",
                [&hash],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?)),
            )
            .optional()
            .map_err(|_| OAuthError::new("server_error", "the token store failed"))?;
        let Some((username, client_id, scope, tenant, expires, used)) = row else {
            return Err(OAuthError::new("invalid_grant", "unknown refresh token"));
        };
        if client_id != client.id {
            return Err(OAuthError::new(
                "invalid_grant",
                "the refresh token belongs to another client",
            ));
        }
        if used {
            // A rotated token presented again: someone holds a copy. End the whole family.
            let _ = db.execute(
                "DELETE FROM refresh_tokens WHERE username = ?1 AND client_id = ?2",
                params![username, client_id],
            );
            return Err(OAuthError::new(
                "invalid_grant",
                "the refresh token was already used; sign in again",
            ));
        }
        if expires as u64 <= now() {
            return Err(OAuthError::new(
                "invalid_grant",
                "the refresh token expired; sign in again",
            ));
        }
        db.execute(
            "UPDATE refresh_tokens SET used = 1 WHERE token_hash = ?1",
            [&hash],
        )
        .map_err(|_| OAuthError::new("server_error", "the token store failed"))?;
        drop(db);
        let user = self.user(&username)?;
        let tenant = requested_tenant(request.acr_values.as_deref()).unwrap_or(tenant);
        self.user_tokens(client, &user, &scope, Some(&tenant), &[], None)
    }

    fn client_credentials_grant(
        &self,
        client: &Client,
        request: &TokenRequest,
    ) -> Result<TokenResponse, OAuthError> {
        let scope = scopes(request.scope.as_deref(), "octo_api")?;
        let tenant = requested_tenant(request.acr_values.as_deref())
            .unwrap_or_else(|| octomesh_platform_common::tenant::SYSTEM_TENANT.to_owned());
        let allowed = self.tenant_ids();
        if !allowed.contains(&tenant) {
            return Err(OAuthError::new(
                "invalid_target",
                format!("there is no tenant `{tenant}`"),
            ));
        }
        let (access_token, _) = issue_access(
            &self.key,
            &self.issuer,
            &Grant {
                subject: None,
                client_id: &client.id,
                scope: &scope,
                tenant_id: &tenant,
                allowed_tenants: &allowed,
                resources: &[],
            },
        );
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: ACCESS_TOKEN_SECONDS,
            scope,
            refresh_token: None,
            id_token: None,
            issued_token_type: None,
        })
    }

    fn exchange_grant(
        &self,
        client: &Client,
        request: &TokenRequest,
    ) -> Result<TokenResponse, OAuthError> {
        if request
            .subject_token_type
            .as_deref()
            .is_some_and(|kind| kind != ACCESS_TOKEN_TYPE)
        {
            return Err(OAuthError::new(
                "invalid_request",
                format!("`subject_token_type` must be {ACCESS_TOKEN_TYPE}"),
            ));
        }
        let subject = request
            .subject_token
            .as_deref()
            .and_then(|token| verify_access(&self.key, &self.issuer, token))
            .ok_or_else(|| OAuthError::new("invalid_grant", "the subject token is not valid"))?;
        let username = subject.sub.as_deref().ok_or_else(|| {
            OAuthError::new("invalid_grant", "a service token cannot be exchanged")
        })?;
        let tenant = requested_tenant(request.acr_values.as_deref()).ok_or_else(|| {
            OAuthError::new(
                "invalid_request",
                "name the tenant as `acr_values=tenant:{id}`",
            )
        })?;
        let user = self.user(username)?;
        let mut response =
            self.user_tokens(client, &user, &subject.scope, Some(&tenant), &[], None)?;
        response.refresh_token = None;
        response.id_token = None;
        response.issued_token_type = Some(ACCESS_TOKEN_TYPE);
        Ok(response)
    }

    fn user(&self, username: &str) -> Result<User, OAuthError> {
        self.users
            .get(username)
            .ok()
            .flatten()
            .ok_or_else(|| OAuthError::new("invalid_grant", "the user no longer exists"))
    }

    /// The tenants `user` may use, `*` expanded to every tenant.
    pub(crate) fn user_tenants(&self, user: &User) -> Vec<String> {
        if user.tenants.iter().any(|tenant| tenant == ALL_TENANTS) {
            let mut all = self.tenant_ids();
            if let Some(home) = user.tenants.first().filter(|home| *home != ALL_TENANTS) {
                all.retain(|tenant| tenant != home);
                all.insert(0, home.clone());
            }
            all
        } else {
            user.tenants.clone()
        }
    }

    /// Tokens for a signed-in user in `tenant` (default: the home tenant).
    pub(crate) fn user_tokens(
        &self,
        client: &Client,
        user: &User,
        scope: &str,
        tenant: Option<&str>,
        resources: &[String],
        nonce: Option<&str>,
    ) -> Result<TokenResponse, OAuthError> {
        let allowed = self.user_tenants(user);
        let tenant = match tenant {
            Some(tenant) if allowed.iter().any(|id| id == tenant) => tenant.to_owned(),
            Some(tenant) => {
                return Err(OAuthError::new(
                    "access_denied",
                    format!("{} has no access to tenant `{tenant}`", user.username),
                ));
            }
            None => allowed
                .first()
                .cloned()
                .ok_or_else(|| OAuthError::new("access_denied", "the user has no tenant"))?,
        };
        let (access_token, _) = issue_access(
            &self.key,
            &self.issuer,
            &Grant {
                subject: Some(user),
                client_id: &client.id,
                scope,
                tenant_id: &tenant,
                allowed_tenants: &allowed,
                resources,
            },
        );
        let refresh_token = if scope
            .split_whitespace()
            .any(|scope| scope == "offline_access")
            && client.grants.contains(&GrantType::RefreshToken)
        {
            let token = random_token(32);
            self.db()
                .execute(
                    "INSERT INTO refresh_tokens (token_hash, username, client_id, scope, tenant_id, expires) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![digest(&token), user.username, client.id, scope, tenant, (now() + REFRESH_TOKEN_SECONDS) as i64],
                )
                .map_err(|_| OAuthError::new("server_error", "the token store failed"))?;
            Some(token)
        } else {
            None
        };
        let id_token = scope
            .split_whitespace()
            .any(|scope| scope == "openid")
            .then(|| issue_id_token(&self.key, &self.issuer, user, &client.id, nonce));
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: ACCESS_TOKEN_SECONDS,
            scope: scope.to_owned(),
            refresh_token,
            id_token,
            issued_token_type: None,
        })
    }
}

fn normalise_user_code(code: &str) -> String {
    let letters: String = code
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|char| char.to_ascii_uppercase())
        .collect();
    if letters.len() == 8 {
        format!("{}-{}", &letters[..4], &letters[4..])
    } else {
        letters
    }
}
