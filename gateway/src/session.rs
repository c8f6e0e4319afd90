//! Sealed, self-describing session ids.
//!
//! A session id is the authenticated encryption (XChaCha20-Poly1305) of the session's claims under
//! a key every gateway replica shares. Any replica can open any session, so no sticky routing and
//! no shared session table are needed; forging or altering an id fails authentication.
//! What must change during a session (log level, termination) lives in the shared store.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};

use crate::mcp::version::ProtocolVersion;

const FORMAT_VERSION: u8 = 1;
const NONCE_LEN: usize = 24;
/// Longest accepted session id, in characters; anything longer is not ours.
const MAX_ID_LEN: usize = 256;

/// The key that seals session ids. Its `Debug` never prints the key.
#[derive(Clone)]
pub struct SessionKey(Key);

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKey(***)")
    }
}

impl SessionKey {
    /// A fresh random key: sessions then live only as long as this process.
    pub fn random() -> SessionKey {
        SessionKey(XChaCha20Poly1305::generate_key(&mut OsRng))
    }

    /// A key from its base64 (standard or URL-safe) text: 32 bytes.
    pub fn from_base64(text: &str) -> Result<SessionKey, String> {
        let text = text.trim();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .or_else(|_| URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')))
            .map_err(|_| "the session key is not base64".to_owned())?;
        if bytes.len() != 32 {
            return Err(format!(
                "the session key must be 32 bytes of base64, got {} bytes; \
                 make one with `head -c 32 /dev/urandom | base64`",
                bytes.len()
            ));
        }
        Ok(SessionKey(*Key::from_slice(&bytes)))
    }

    /// The key's bytes, for what else it seals (file-transfer capabilities). Never logged.
    pub(crate) fn to_bytes(&self) -> [u8; 32] {
        self.0.into()
    }

    /// A cipher under this key that seals values of a given purpose (the purpose is bound as
    /// associated data, so a value sealed for one purpose does not open as another).
    pub(crate) fn seal(&self, purpose: &[u8], plaintext: &[u8]) -> Vec<u8> {
        use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, Payload};
        let cipher = XChaCha20Poly1305::new(&self.0);
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let mut sealed = nonce.to_vec();
        sealed.extend(
            cipher
                .encrypt(
                    &nonce,
                    Payload {
                        msg: plaintext,
                        aad: purpose,
                    },
                )
                .expect("encryption into a Vec cannot fail"),
        );
        sealed
    }

    /// Opens what [`SessionKey::seal`] sealed for `purpose`.
    pub(crate) fn open(&self, purpose: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        use chacha20poly1305::aead::{Aead, KeyInit, Payload};
        if sealed.len() < 24 {
            return None;
        }
        let (nonce, ciphertext) = sealed.split_at(24);
        XChaCha20Poly1305::new(&self.0)
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: purpose,
                },
            )
            .ok()
    }
}

/// What a session id says about its session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SessionClaims {
    /// Random and unique: the session's identity in the shared store.
    pub(crate) session_uid: [u8; 16],
    /// Seconds since the Unix epoch.
    pub(crate) issued_at: u64,
    pub(crate) protocol_version: ProtocolVersion,
}

/// Why a session id was refused. Every variant means 404 to the client: start a new session.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum SessionError {
    #[error("the session id is malformed")]
    Malformed,
    #[error("the session id was not issued by this server")]
    Forged,
    #[error("the session has expired")]
    Expired,
}

/// Seals and opens session ids.
#[derive(Clone)]
pub(crate) struct SessionSealer {
    cipher: XChaCha20Poly1305,
    lifetime: Duration,
}

impl SessionSealer {
    pub(crate) fn new(key: &SessionKey, lifetime: Duration) -> SessionSealer {
        SessionSealer {
            cipher: XChaCha20Poly1305::new(&key.0),
            lifetime,
        }
    }

    /// A new session for `protocol_version`.
    pub(crate) fn mint(&self, protocol_version: ProtocolVersion) -> (String, SessionClaims) {
        let mut session_uid = [0u8; 16];
        getrandom_fill(&mut session_uid);
        let claims = SessionClaims {
            session_uid,
            issued_at: now_secs(),
            protocol_version,
        };
        (self.seal(&claims), claims)
    }

    pub(crate) fn seal(&self, claims: &SessionClaims) -> String {
        let mut plaintext = Vec::with_capacity(26);
        plaintext.push(FORMAT_VERSION);
        plaintext.extend_from_slice(&claims.session_uid);
        plaintext.extend_from_slice(&claims.issued_at.to_be_bytes());
        plaintext.push(claims.protocol_version.index());
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let ciphertext = self
            .cipher
            .encrypt(&nonce, plaintext.as_slice())
            .expect("encryption of a small buffer cannot fail");
        let mut sealed = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        URL_SAFE_NO_PAD.encode(sealed)
    }

    pub(crate) fn open(&self, session_id: &str) -> Result<SessionClaims, SessionError> {
        if session_id.is_empty() || session_id.len() > MAX_ID_LEN {
            return Err(SessionError::Malformed);
        }
        let sealed = URL_SAFE_NO_PAD
            .decode(session_id)
            .map_err(|_| SessionError::Malformed)?;
        if sealed.len() <= NONCE_LEN {
            return Err(SessionError::Malformed);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let plaintext = self
            .cipher
            .decrypt(XNonce::from_slice(nonce), ciphertext)
            .map_err(|_| SessionError::Forged)?;
        if plaintext.len() != 26 || plaintext[0] != FORMAT_VERSION {
            return Err(SessionError::Forged);
        }
        let session_uid: [u8; 16] = plaintext[1..17].try_into().expect("length checked above");
        let issued_at = u64::from_be_bytes(plaintext[17..25].try_into().expect("length checked"));
        let protocol_version =
            ProtocolVersion::from_index(plaintext[25]).ok_or(SessionError::Forged)?;
        if now_secs().saturating_sub(issued_at) > self.lifetime.as_secs() {
            return Err(SessionError::Expired);
        }
        Ok(SessionClaims {
            session_uid,
            issued_at,
            protocol_version,
        })
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0)
}

fn getrandom_fill(buffer: &mut [u8]) {
    use chacha20poly1305::aead::rand_core::RngCore;
    OsRng.fill_bytes(buffer);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer() -> SessionSealer {
        SessionSealer::new(&SessionKey::random(), Duration::from_secs(3600))
    }

    #[test]
    fn a_sealed_id_opens_to_its_claims_on_any_replica_with_the_key() {
        let key = SessionKey::random();
        let replica_a = SessionSealer::new(&key, Duration::from_secs(60));
        let replica_b = SessionSealer::new(&key, Duration::from_secs(60));
        let (id, claims) = replica_a.mint(ProtocolVersion::V2025_06_18);
        assert_eq!(replica_b.open(&id), Ok(claims));
        assert!(id.bytes().all(|byte| (0x21..=0x7e).contains(&byte)));
    }

    #[test]
    fn another_key_or_a_flipped_bit_is_refused() {
        let (id, _) = sealer().mint(ProtocolVersion::V2025_11_25);
        assert_eq!(sealer().open(&id), Err(SessionError::Forged));
        let mut bytes = URL_SAFE_NO_PAD.decode(&id).unwrap();
        *bytes.last_mut().unwrap() ^= 1;
        let tampered = URL_SAFE_NO_PAD.encode(bytes);
        let own = SessionSealer::new(&SessionKey::random(), Duration::from_secs(1));
        assert_eq!(own.open(&tampered), Err(SessionError::Forged));
        assert_eq!(own.open("not base64 !"), Err(SessionError::Malformed));
        assert_eq!(own.open(""), Err(SessionError::Malformed));
    }

    #[test]
    fn an_old_session_expires() {
        let sealer = sealer();
        let claims = SessionClaims {
            session_uid: [7; 16],
            issued_at: now_secs() - 7200,
            protocol_version: ProtocolVersion::V2025_11_25,
        };
        assert_eq!(
            sealer.open(&sealer.seal(&claims)),
            Err(SessionError::Expired)
        );
    }

    #[test]
    fn keys_parse_from_base64_and_say_what_is_wrong() {
        assert!(SessionKey::from_base64(&"A".repeat(43)).is_ok());
        let error = SessionKey::from_base64("c2hvcnQ=").unwrap_err();
        assert!(error.contains("32 bytes"), "{error}");
        assert!(format!("{:?}", SessionKey::random()).contains("***"));
    }
}
