//! Per-session sign-ins of the device-flow tools: the pending device code, the session's tokens,
//! and tokens exchanged for other tenants. Every value is sealed with the session key
//! (XChaCha20-Poly1305, the key name bound as associated data), so the store never holds a token
//! in the clear. In memory for one replica (bounded), or in Redis so that any replica sharing the
//! session key serves the session.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use super::redis::Redis;
use crate::session::SessionKey;

/// Most values the in-memory store holds.
const MAX_ENTRIES: usize = 200_000;

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as u64)
}

/// A device sign-in in progress.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct Pending {
    pub(crate) device_code: String,
    pub(crate) tenant: String,
    pub(crate) interval_secs: u64,
    /// Unix milliseconds.
    pub(crate) next_poll_ms: u64,
    pub(crate) expires_ms: u64,
}

/// Tokens of a session (or of one tenant of it).
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct SessionToken {
    pub(crate) access_token: String,
    pub(crate) refresh_token: Option<String>,
    /// Unix milliseconds.
    pub(crate) expires_ms: u64,
    pub(crate) tenant: String,
}

enum Backend {
    Memory(Mutex<HashMap<String, (Vec<u8>, Instant)>>),
    Redis(Redis),
}

pub(crate) struct SessionTokens {
    key: SessionKey,
    /// How long sign-in state outlives its last use (the session lifetime).
    idle: Duration,
    backend: Backend,
}

fn hex(session: [u8; 16]) -> String {
    session.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn key(session: [u8; 16], kind: &str) -> String {
    format!("octomesh:session:{}:{kind}", hex(session))
}

impl SessionTokens {
    pub(crate) fn in_memory(key: SessionKey, idle: Duration) -> SessionTokens {
        SessionTokens {
            key,
            idle,
            backend: Backend::Memory(Mutex::new(HashMap::new())),
        }
    }

    pub(crate) fn in_redis(
        key: SessionKey,
        idle: Duration,
        url: &str,
    ) -> Result<SessionTokens, String> {
        Ok(SessionTokens {
            key,
            idle,
            backend: Backend::Redis(Redis::new(url)?),
        })
    }

    async fn put<T: Serialize>(
        &self,
        name: &str,
        value: &T,
        lifetime: Duration,
    ) -> Result<(), String> {
        let plain = serde_json::to_vec(value).map_err(|_| "cannot encode a token".to_owned())?;
        let sealed = self.key.seal(name.as_bytes(), &plain);
        match &self.backend {
            Backend::Memory(entries) => {
                let mut entries = entries.lock().await;
                if entries.len() >= MAX_ENTRIES {
                    let now = Instant::now();
                    entries.retain(|_, (_, expires)| *expires > now);
                    if entries.len() >= MAX_ENTRIES {
                        let drop: Vec<String> =
                            entries.keys().take(MAX_ENTRIES / 10).cloned().collect();
                        for name in drop {
                            entries.remove(&name);
                        }
                    }
                }
                entries.insert(name.to_owned(), (sealed, Instant::now() + lifetime));
                Ok(())
            }
            Backend::Redis(redis) => redis.set(name, &sealed, lifetime.as_secs()).await,
        }
    }

    async fn take<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, String> {
        let sealed = match &self.backend {
            Backend::Memory(entries) => {
                let entries = entries.lock().await;
                entries
                    .get(name)
                    .filter(|(_, expires)| *expires > Instant::now())
                    .map(|(sealed, _)| sealed.clone())
            }
            Backend::Redis(redis) => redis.get(name).await?,
        };
        Ok(sealed
            .and_then(|sealed| self.key.open(name.as_bytes(), &sealed))
            .and_then(|plain| serde_json::from_slice(&plain).ok()))
    }

    async fn remove(&self, name: &str) -> Result<(), String> {
        match &self.backend {
            Backend::Memory(entries) => {
                entries.lock().await.remove(name);
                Ok(())
            }
            Backend::Redis(redis) => redis.delete(name).await,
        }
    }

    fn lifetime_until(&self, expires_ms: u64) -> Duration {
        Duration::from_millis(expires_ms.saturating_sub(now_ms())).max(Duration::from_secs(1))
    }

    pub(crate) async fn set_pending(
        &self,
        session: [u8; 16],
        pending: &Pending,
    ) -> Result<(), String> {
        let lifetime = self.lifetime_until(pending.expires_ms);
        self.put(&key(session, "pending"), pending, lifetime).await
    }

    pub(crate) async fn pending(&self, session: [u8; 16]) -> Result<Option<Pending>, String> {
        self.take(&key(session, "pending")).await
    }

    pub(crate) async fn clear_pending(&self, session: [u8; 16]) -> Result<(), String> {
        self.remove(&key(session, "pending")).await
    }

    /// The session is signed in. It stays so for the session's lifetime (the refresh token renews
    /// the access token).
    pub(crate) async fn set_home(
        &self,
        session: [u8; 16],
        token: &SessionToken,
    ) -> Result<(), String> {
        self.remove(&key(session, "pending")).await?;
        self.put(&key(session, "home"), token, self.idle).await
    }

    pub(crate) async fn home(&self, session: [u8; 16]) -> Result<Option<SessionToken>, String> {
        self.take(&key(session, "home")).await
    }

    pub(crate) async fn set_exchanged(
        &self,
        session: [u8; 16],
        token: &SessionToken,
    ) -> Result<(), String> {
        let lifetime = self.lifetime_until(token.expires_ms);
        self.put(
            &key(session, &format!("tenant:{}", token.tenant)),
            token,
            lifetime,
        )
        .await
    }

    pub(crate) async fn exchanged(
        &self,
        session: [u8; 16],
        tenant: &str,
    ) -> Result<Option<SessionToken>, String> {
        self.take(&key(session, &format!("tenant:{tenant}"))).await
    }
}
