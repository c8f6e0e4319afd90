//! Per-session sign-ins of the device-flow tools: the pending device code, the session's tokens,
//! and tokens exchanged for other tenants. Values are sealed with the session key (authenticated
//! encryption), so a dump of the store reveals no token; bounded in sessions and entries.
//! In memory: one replica. (A Redis store for several replicas is the next step.)

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::session::SessionKey;

/// Most sessions with sign-in state.
const MAX_SESSIONS: usize = 100_000;
/// Most tenants one session keeps exchanged tokens for.
const MAX_EXCHANGED: usize = 64;

/// A device sign-in in progress.
pub(crate) struct Pending {
    pub(crate) device_code: String,
    pub(crate) tenant: String,
    pub(crate) interval: Duration,
    pub(crate) next_poll: Instant,
    pub(crate) expires: Instant,
}

/// Tokens of a session (or of one tenant of it), opened.
#[derive(Clone)]
pub(crate) struct SessionToken {
    pub(crate) access_token: String,
    pub(crate) refresh_token: Option<String>,
    pub(crate) expires: Instant,
    pub(crate) tenant: String,
}

struct SealedPending {
    device_code: Vec<u8>,
    tenant: String,
    interval: Duration,
    next_poll: Instant,
    expires: Instant,
}

struct SealedToken {
    access_token: Vec<u8>,
    refresh_token: Option<Vec<u8>>,
    expires: Instant,
    tenant: String,
}

#[derive(Default)]
struct Entry {
    pending: Option<SealedPending>,
    home: Option<SealedToken>,
    exchanged: HashMap<String, SealedToken>,
    touched: Option<Instant>,
}

pub(crate) struct SessionTokens {
    key: SessionKey,
    idle: Duration,
    entries: Mutex<HashMap<[u8; 16], Entry>>,
}

const ACCESS: &[u8] = b"octomesh session access token";
const REFRESH: &[u8] = b"octomesh session refresh token";
const DEVICE: &[u8] = b"octomesh session device code";

impl SessionTokens {
    pub(crate) fn new(key: SessionKey, idle: Duration) -> SessionTokens {
        SessionTokens {
            key,
            idle,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn with<T>(&self, session: [u8; 16], work: impl FnOnce(&mut Entry) -> T) -> T {
        let mut entries = self.entries.lock().expect("never poisoned");
        if entries.len() >= MAX_SESSIONS && !entries.contains_key(&session) {
            let idle = self.idle;
            entries.retain(|_, entry| entry.touched.is_some_and(|at| at.elapsed() < idle));
        }
        let entry = entries.entry(session).or_default();
        entry.touched = Some(Instant::now());
        work(entry)
    }

    fn seal_token(&self, token: &SessionToken) -> SealedToken {
        SealedToken {
            access_token: self.key.seal(ACCESS, token.access_token.as_bytes()),
            refresh_token: token
                .refresh_token
                .as_ref()
                .map(|refresh| self.key.seal(REFRESH, refresh.as_bytes())),
            expires: token.expires,
            tenant: token.tenant.clone(),
        }
    }

    fn open_token(&self, sealed: &SealedToken) -> Option<SessionToken> {
        let text = |purpose, bytes: &[u8]| {
            self.key
                .open(purpose, bytes)
                .and_then(|plain| String::from_utf8(plain).ok())
        };
        Some(SessionToken {
            access_token: text(ACCESS, &sealed.access_token)?,
            refresh_token: match &sealed.refresh_token {
                Some(bytes) => Some(text(REFRESH, bytes)?),
                None => None,
            },
            expires: sealed.expires,
            tenant: sealed.tenant.clone(),
        })
    }

    pub(crate) fn set_pending(&self, session: [u8; 16], pending: Pending) {
        let sealed = SealedPending {
            device_code: self.key.seal(DEVICE, pending.device_code.as_bytes()),
            tenant: pending.tenant,
            interval: pending.interval,
            next_poll: pending.next_poll,
            expires: pending.expires,
        };
        self.with(session, |entry| entry.pending = Some(sealed));
    }

    pub(crate) fn pending(&self, session: [u8; 16]) -> Option<Pending> {
        self.with(session, |entry| {
            let sealed = entry.pending.as_ref()?;
            let device_code = self
                .key
                .open(DEVICE, &sealed.device_code)
                .and_then(|plain| String::from_utf8(plain).ok())?;
            Some(Pending {
                device_code,
                tenant: sealed.tenant.clone(),
                interval: sealed.interval,
                next_poll: sealed.next_poll,
                expires: sealed.expires,
            })
        })
    }

    pub(crate) fn clear_pending(&self, session: [u8; 16]) {
        self.with(session, |entry| entry.pending = None);
    }

    /// The session is signed in: its home token; exchanged tokens of an earlier sign-in go.
    pub(crate) fn set_home(&self, session: [u8; 16], token: &SessionToken) {
        let sealed = self.seal_token(token);
        self.with(session, |entry| {
            entry.pending = None;
            entry.home = Some(sealed);
            entry.exchanged.clear();
        });
    }

    pub(crate) fn home(&self, session: [u8; 16]) -> Option<SessionToken> {
        let sealed = self.with(session, |entry| {
            entry.home.as_ref().map(|sealed| SealedToken {
                access_token: sealed.access_token.clone(),
                refresh_token: sealed.refresh_token.clone(),
                expires: sealed.expires,
                tenant: sealed.tenant.clone(),
            })
        })?;
        self.open_token(&sealed)
    }

    pub(crate) fn set_exchanged(&self, session: [u8; 16], token: &SessionToken) {
        let sealed = self.seal_token(token);
        self.with(session, |entry| {
            if entry.exchanged.len() >= MAX_EXCHANGED {
                entry.exchanged.clear();
            }
            entry.exchanged.insert(sealed.tenant.clone(), sealed);
        });
    }

    pub(crate) fn exchanged(&self, session: [u8; 16], tenant: &str) -> Option<SessionToken> {
        let sealed = self.with(session, |entry| {
            entry.exchanged.get(tenant).map(|sealed| SealedToken {
                access_token: sealed.access_token.clone(),
                refresh_token: None,
                expires: sealed.expires,
                tenant: sealed.tenant.clone(),
            })
        })?;
        self.open_token(&sealed)
    }
}
