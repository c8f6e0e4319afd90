//! Transfer capabilities: the sealed token in a transfer URL.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};

/// Bound as associated data: a token sealed for transfers opens as nothing else.
const PURPOSE: &[u8] = b"octomesh-file-transfer/v1";
/// Longest token accepted (a real one is about 250 characters).
const MAX_TOKEN_CHARS: usize = 2048;

/// Whether a transfer takes bytes or gives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Kind {
    Upload,
    Download,
}

/// What a transfer URL grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Capability {
    /// 128 random bits, as 32 hex digits: the transfer's id.
    pub transfer_id: String,
    pub kind: Kind,
    /// The tenant the transfer belongs to: only that tenant's tools may consume it.
    pub tenant: String,
    /// Who prepared it: only they may consume or cancel it.
    pub principal: String,
    /// Seconds since the Unix epoch.
    pub expires_at: u64,
}

/// Why a token does not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CapabilityError {
    #[error("the transfer URL is not one this server issued")]
    Forged,
    #[error("the transfer URL has expired")]
    Expired,
}

/// The key that seals capabilities (the gateway's session key: replicas share it).
#[derive(Clone)]
pub struct TransferKey(Key);

impl std::fmt::Debug for TransferKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("TransferKey(***)")
    }
}

impl TransferKey {
    pub fn new(bytes: [u8; 32]) -> TransferKey {
        TransferKey(*Key::from_slice(&bytes))
    }

    /// The transfer key that belongs to a gateway's session key: a one-way derivation, so the
    /// workers that publish downloads are given this key and never the session key itself.
    pub fn derived_from_session_key(session_key: &[u8; 32]) -> TransferKey {
        use sha2::Digest as _;
        let mut hash = sha2::Sha256::new();
        hash.update(b"octomesh-file-transfer-key/v1\0");
        hash.update(session_key);
        TransferKey::new(hash.finalize().into())
    }

    /// A key given as base64 of 32 bytes (`--file-transfer-key`).
    pub fn from_base64(text: &str) -> Result<TransferKey, String> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|_| "the file-transfer key is not base64 (make one with `head -c 32 /dev/urandom | base64`)".to_owned())?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|bytes: Vec<u8>| {
            format!(
                "the file-transfer key has {} bytes; it needs 32 (`head -c 32 /dev/urandom | base64`)",
                bytes.len()
            )
        })?;
        Ok(TransferKey::new(bytes))
    }

    /// The key as base64, to hand to a worker process.
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0.as_slice())
    }

    /// `capability` as the token of a URL.
    pub fn seal(&self, capability: &Capability) -> String {
        let mut nonce = [0u8; 24];
        getrandom::getrandom(&mut nonce).expect("the system has a random source");
        let plaintext = serde_json::to_vec(capability).expect("a capability serialises");
        let ciphertext = XChaCha20Poly1305::new(&self.0)
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &plaintext,
                    aad: PURPOSE,
                },
            )
            .expect("encryption into a Vec cannot fail");
        let mut sealed = nonce.to_vec();
        sealed.extend(ciphertext);
        URL_SAFE_NO_PAD.encode(sealed)
    }

    /// The capability `token` carries, if this key sealed it and it has not expired at `now`.
    pub fn open(&self, token: &str, now: u64) -> Result<Capability, CapabilityError> {
        if token.len() > MAX_TOKEN_CHARS {
            return Err(CapabilityError::Forged);
        }
        let sealed = URL_SAFE_NO_PAD
            .decode(token)
            .map_err(|_| CapabilityError::Forged)?;
        if sealed.len() < 24 {
            return Err(CapabilityError::Forged);
        }
        let (nonce, ciphertext) = sealed.split_at(24);
        let plaintext = XChaCha20Poly1305::new(&self.0)
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: PURPOSE,
                },
            )
            .map_err(|_| CapabilityError::Forged)?;
        let capability: Capability =
            serde_json::from_slice(&plaintext).map_err(|_| CapabilityError::Forged)?;
        if capability.expires_at <= now {
            return Err(CapabilityError::Expired);
        }
        Ok(capability)
    }
}

/// A fresh transfer id: 128 random bits as 32 hex digits.
pub fn new_transfer_id() -> String {
    let mut random = [0u8; 16];
    getrandom::getrandom(&mut random).expect("the system has a random source");
    random.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Whether `id` looks like a transfer id (so it can name an object path safely).
pub fn is_transfer_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|byte| byte.is_ascii_hexdigit() && !byte.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capability() -> Capability {
        Capability {
            transfer_id: new_transfer_id(),
            kind: Kind::Upload,
            tenant: "demo".into(),
            principal: "admin".into(),
            expires_at: 2_000,
        }
    }

    #[test]
    fn a_sealed_capability_opens_only_with_its_key_and_before_it_expires() {
        let key = TransferKey::new([7; 32]);
        let token = key.seal(&capability());
        assert_eq!(key.open(&token, 1_000), Ok(capability_with(&token, &key)));
        assert_eq!(key.open(&token, 2_000), Err(CapabilityError::Expired));
        assert_eq!(
            TransferKey::new([8; 32]).open(&token, 1_000),
            Err(CapabilityError::Forged)
        );
        let mut tampered = token.clone().into_bytes();
        let last = tampered.len() - 5;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        assert_eq!(key.open(&tampered, 1_000), Err(CapabilityError::Forged));
        assert_eq!(key.open("not-a-token", 1_000), Err(CapabilityError::Forged));
        assert_eq!(
            key.open(&"A".repeat(5_000), 1_000),
            Err(CapabilityError::Forged)
        );
    }

    fn capability_with(token: &str, key: &TransferKey) -> Capability {
        key.open(token, 0).unwrap()
    }

    #[test]
    fn transfer_ids_are_128_random_bits() {
        let (a, b) = (new_transfer_id(), new_transfer_id());
        assert!(is_transfer_id(&a) && is_transfer_id(&b));
        assert_ne!(a, b);
        assert!(!is_transfer_id("../etc/passwd"));
    }
}
