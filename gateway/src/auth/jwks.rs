//! The trusted authority: its discovery document and JWKS, fetched on first use and again when a
//! token names a key id not seen yet (at most every 10 s), and bearer-token validation.

use std::time::{Duration, Instant};

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::Mutex;

use super::AuthConfig;

/// Algorithms accepted (asymmetric only: never `none` or a shared secret).
const ALGORITHMS: [Algorithm; 8] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
];

/// Least time between two JWKS fetches caused by unknown key ids.
const REFRESH_FLOOR: Duration = Duration::from_secs(10);

#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    jwks_uri: String,
}

struct Keys {
    issuer: String,
    jwks_uri: String,
    set: JwkSet,
    fetched: Instant,
}

/// What the gateway reads from a valid token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TokenClaims {
    pub(crate) subject: Option<String>,
    pub(crate) tenant_id: Option<String>,
    pub(crate) allowed_tenants: Vec<String>,
    pub(crate) name: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) roles: Vec<String>,
    pub(crate) scopes: Vec<String>,
    /// Seconds since the Unix epoch.
    pub(crate) expires_at: u64,
}

impl TokenClaims {
    /// Service tokens (no `sub`) may use any tenant, as upstream.
    pub(crate) fn may_use_tenant(&self, tenant: &str) -> bool {
        self.subject.is_none()
            || self.tenant_id.as_deref() == Some(tenant)
            || self.allowed_tenants.iter().any(|allowed| allowed == tenant)
    }
}

pub(crate) struct Authority {
    pub(crate) config: AuthConfig,
    pub(super) http: reqwest::Client,
    keys: Mutex<Option<Keys>>,
}

/// A claim that may be a space-separated string or an array of strings.
fn words(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(text)) => text.split_whitespace().map(str::to_owned).collect(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

impl Authority {
    pub(crate) fn new(config: AuthConfig) -> Authority {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .build()
            .expect("a plain HTTP client builds");
        Authority {
            config,
            http,
            keys: Mutex::new(None),
        }
    }

    async fn fetch(&self) -> Result<Keys, String> {
        let url = format!("{}/.well-known/openid-configuration", self.config.authority);
        let discovery: Discovery = self
            .http
            .get(&url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|_| "the authority's discovery document is unreachable".to_owned())?
            .json()
            .await
            .map_err(|_| "the authority's discovery document is not valid".to_owned())?;
        let set: JwkSet = self
            .http
            .get(&discovery.jwks_uri)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|_| "the authority's JWKS is unreachable".to_owned())?
            .json()
            .await
            .map_err(|_| "the authority's JWKS is not valid".to_owned())?;
        Ok(Keys {
            issuer: discovery.issuer,
            jwks_uri: discovery.jwks_uri,
            set,
            fetched: Instant::now(),
        })
    }

    /// The key for `kid`, and the issuer; refetches once when the key is unknown.
    async fn key(&self, kid: Option<&str>) -> Result<(jsonwebtoken::jwk::Jwk, String), String> {
        let mut keys = self.keys.lock().await;
        for attempt in 0..2 {
            let stale = keys
                .as_ref()
                .is_none_or(|keys| attempt == 1 && keys.fetched.elapsed() >= REFRESH_FLOOR);
            if stale {
                *keys = Some(self.fetch().await?);
            }
            let current = keys.as_ref().expect("fetched above");
            let found = match kid {
                Some(kid) => current.set.find(kid).cloned(),
                None if current.set.keys.len() == 1 => current.set.keys.first().cloned(),
                None => None,
            };
            if let Some(jwk) = found {
                return Ok((jwk, current.issuer.clone()));
            }
            if current.fetched.elapsed() < REFRESH_FLOOR && attempt == 0 && !stale {
                // Fetched moments ago: a refetch would find nothing new.
                break;
            }
        }
        let uri = keys
            .as_ref()
            .map(|keys| keys.jwks_uri.clone())
            .unwrap_or_default();
        Err(format!("its key is not in the authority's JWKS ({uri})"))
    }

    /// Validates a bearer token: signature, issuer, expiry, audience when configured.
    pub(crate) async fn validate(&self, token: &str) -> Result<TokenClaims, String> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|_| "it is not a JWT".to_owned())?;
        if !ALGORITHMS.contains(&header.alg) {
            return Err(format!("its algorithm {:?} is not accepted", header.alg));
        }
        let (jwk, issuer) = self.key(header.kid.as_deref()).await?;
        let key = DecodingKey::from_jwk(&jwk)
            .map_err(|_| "the authority's key is not usable".to_owned())?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[issuer]);
        validation.leeway = 30;
        match &self.config.audience {
            Some(audience) => validation.set_audience(&[audience]),
            None => validation.validate_aud = false,
        }
        let data = jsonwebtoken::decode::<Value>(token, &key, &validation).map_err(|error| {
            match error.kind() {
                ErrorKind::ExpiredSignature => "it has expired",
                ErrorKind::InvalidIssuer => "it was issued by another authority",
                ErrorKind::InvalidAudience => "it is for another audience",
                ErrorKind::InvalidSignature => "its signature does not verify",
                ErrorKind::ImmatureSignature => "it is not valid yet",
                _ => "it is malformed",
            }
            .to_owned()
        })?;
        let claims = data.claims;
        Ok(TokenClaims {
            subject: claims.get("sub").and_then(Value::as_str).map(str::to_owned),
            tenant_id: claims
                .get("tenant_id")
                .and_then(Value::as_str)
                .map(str::to_owned),
            allowed_tenants: words(claims.get("allowed_tenants")),
            name: claims
                .get("name")
                .or_else(|| claims.get("preferred_username"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            email: claims
                .get("email")
                .and_then(Value::as_str)
                .map(str::to_owned),
            roles: words(claims.get("role")),
            scopes: words(claims.get("scope")),
            expires_at: claims.get("exp").and_then(Value::as_u64).unwrap_or(0),
        })
    }
}
