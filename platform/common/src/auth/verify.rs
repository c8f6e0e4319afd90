//! Checking an access token: the identity service checks its own with its key; every other
//! service checks them against the keys the identity service publishes (discovery → `jwks_uri`),
//! fetched on first use and again when a token names a key it has not seen (at most every few
//! seconds), as any OpenID relying party does. No service reads the identity service's files.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation};

use super::claims::{API_AUDIENCE, AccessClaims};

/// A check of a token by whoever holds the signing key.
pub type LocalCheck = Arc<dyn Fn(&str) -> Option<AccessClaims> + Send + Sync>;

/// How a service checks bearer tokens.
#[derive(Clone)]
pub enum TokenVerifier {
    /// The identity service itself: its own key.
    Local(LocalCheck),
    /// Any other service: the identity service's published keys.
    Remote(Arc<RemoteKeys>),
}

impl std::fmt::Debug for TokenVerifier {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenVerifier::Local(_) => formatter.write_str("TokenVerifier::Local"),
            TokenVerifier::Remote(keys) => {
                write!(formatter, "TokenVerifier::Remote({})", keys.issuer)
            }
        }
    }
}

impl TokenVerifier {
    /// Tokens of the identity service at `issuer` (its base URL).
    pub fn remote(issuer: &str) -> TokenVerifier {
        TokenVerifier::Remote(Arc::new(RemoteKeys::new(issuer)))
    }

    /// The claims of `token` when it is valid (signature, issuer, expiry, audience `octoAPI`).
    pub async fn verify(&self, token: &str) -> Option<AccessClaims> {
        match self {
            TokenVerifier::Local(check) => check(token),
            TokenVerifier::Remote(keys) => keys.verify(token).await,
        }
    }
}

/// Least time between two fetches of the key set.
const REFETCH_AFTER: Duration = Duration::from_secs(5);
/// Longest a fetch may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest discovery document or key set accepted.
const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

/// The identity service's published keys, by `kid`.
pub struct RemoteKeys {
    issuer: String,
    client: reqwest::Client,
    keys: tokio::sync::RwLock<HashMap<String, (DecodingKey, jsonwebtoken::Algorithm)>>,
    last_fetch: Mutex<Option<Instant>>,
    fetching: tokio::sync::Mutex<()>,
}

impl RemoteKeys {
    fn new(issuer: &str) -> RemoteKeys {
        RemoteKeys {
            issuer: issuer.trim_end_matches('/').to_owned(),
            client: crate::fetch::client(FETCH_TIMEOUT),
            keys: tokio::sync::RwLock::new(HashMap::new()),
            last_fetch: Mutex::new(None),
            fetching: tokio::sync::Mutex::new(()),
        }
    }

    async fn verify(&self, token: &str) -> Option<AccessClaims> {
        let kid = jsonwebtoken::decode_header(token).ok()?.kid?;
        if !self.keys.read().await.contains_key(&kid) {
            self.refresh().await;
        }
        let keys = self.keys.read().await;
        let (key, algorithm) = keys.get(&kid)?;
        let mut validation = Validation::new(*algorithm);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[API_AUDIENCE]);
        validation.leeway = 5;
        jsonwebtoken::decode::<AccessClaims>(token, key, &validation)
            .ok()
            .map(|data| data.claims)
    }

    /// Fetches the key set again unless that was done a moment ago.
    async fn refresh(&self) {
        let _one_at_a_time = self.fetching.lock().await;
        {
            let mut last = self.last_fetch.lock().expect("never poisoned");
            if last.is_some_and(|at| at.elapsed() < REFETCH_AFTER) {
                return;
            }
            *last = Some(Instant::now());
        }
        match self.fetch().await {
            Ok(keys) => *self.keys.write().await = keys,
            Err(problem) => {
                tracing::warn!(issuer = %self.issuer, "Cannot fetch the identity service's keys: {problem}.");
            }
        }
    }

    async fn fetch(
        &self,
    ) -> Result<HashMap<String, (DecodingKey, jsonwebtoken::Algorithm)>, String> {
        let discovery: serde_json::Value = self
            .get_json(&format!("{}/.well-known/openid-configuration", self.issuer))
            .await?;
        let jwks_uri = discovery
            .get("jwks_uri")
            .and_then(serde_json::Value::as_str)
            .ok_or("the discovery document has no jwks_uri")?;
        // The keys must come from the issuer itself, not from wherever a document points.
        if !jwks_uri.starts_with(&format!("{}/", self.issuer)) {
            return Err(format!("jwks_uri {jwks_uri} is not under the issuer"));
        }
        let set: JwkSet = serde_json::from_value(self.get_json(jwks_uri).await?)
            .map_err(|error| format!("the key set does not parse: {error}"))?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let (Some(kid), Ok(key)) = (jwk.common.key_id.clone(), DecodingKey::from_jwk(jwk))
            else {
                continue;
            };
            let algorithm = match &jwk.algorithm {
                jsonwebtoken::jwk::AlgorithmParameters::EllipticCurve(_) => {
                    jsonwebtoken::Algorithm::ES256
                }
                jsonwebtoken::jwk::AlgorithmParameters::RSA(_) => jsonwebtoken::Algorithm::RS256,
                _ => continue,
            };
            keys.insert(kid, (key, algorithm));
        }
        Ok(keys)
    }

    async fn get_json(&self, url: &str) -> Result<serde_json::Value, String> {
        crate::fetch::json(self.client.get(url), MAX_DOCUMENT_BYTES)
            .await
            .map_err(|problem| format!("{url}: {problem}"))
    }
}
