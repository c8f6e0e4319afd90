//! The identity service's signing key: an ES256 (P-256) key, created once per data directory and
//! kept there (`identity/signing-key.der`, owner-only), published as a JWKS.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{DecodingKey, EncodingKey};
use p256::SecretKey;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::error::IdentityError;

/// The key that signs every token, with its id and public forms.
pub(crate) struct SigningKey {
    pub(crate) kid: String,
    pub(crate) encoding: EncodingKey,
    pub(crate) decoding: DecodingKey,
    jwk: Value,
}

impl SigningKey {
    /// Loads the key from `dir`, or creates it there.
    pub(crate) fn load_or_create(dir: &Path) -> Result<SigningKey, IdentityError> {
        let io = |what: &str, error: std::io::Error| {
            IdentityError::Io(format!("{what} {}: {error}", dir.display()))
        };
        std::fs::create_dir_all(dir).map_err(|error| io("cannot create", error))?;
        let path = dir.join("signing-key.der");
        let secret = match std::fs::read(&path) {
            Ok(der) => SecretKey::from_pkcs8_der(&der).map_err(|_| {
                IdentityError::Io(format!(
                    "{} is not a P-256 key; move it away to have a new one made",
                    path.display()
                ))
            })?,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let secret = random_secret()?;
                let der = secret.to_pkcs8_der().map_err(|error| {
                    IdentityError::Io(format!("cannot encode the key: {error}"))
                })?;
                write_private(&path, der.as_bytes())
                    .map_err(|error| io("cannot write into", error))?;
                secret
            }
            Err(error) => return Err(io("cannot read the signing key in", error)),
        };
        SigningKey::from_secret(&secret)
    }

    fn from_secret(secret: &SecretKey) -> Result<SigningKey, IdentityError> {
        let der = secret
            .to_pkcs8_der()
            .map_err(|error| IdentityError::Io(format!("cannot encode the key: {error}")))?;
        let point = secret.public_key().to_encoded_point(false);
        let (Some(x), Some(y)) = (point.x(), point.y()) else {
            return Err(IdentityError::Io(
                "the public key has no coordinates".into(),
            ));
        };
        let x = URL_SAFE_NO_PAD.encode(x);
        let y = URL_SAFE_NO_PAD.encode(y);
        // RFC 7638 thumbprint as the key id.
        let thumbprint = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
        let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(thumbprint.as_bytes()));
        let decoding = DecodingKey::from_ec_components(&x, &y)
            .map_err(|error| IdentityError::Io(format!("cannot use the public key: {error}")))?;
        Ok(SigningKey {
            encoding: EncodingKey::from_ec_der(der.as_bytes()),
            decoding,
            jwk: json!({"kty": "EC", "crv": "P-256", "x": x, "y": y, "kid": kid, "use": "sig", "alg": "ES256"}),
            kid,
        })
    }

    /// `{"keys": [...]}`.
    pub(crate) fn jwks(&self) -> Value {
        json!({"keys": [self.jwk]})
    }
}

fn random_secret() -> Result<SecretKey, IdentityError> {
    for _ in 0..8 {
        let mut bytes = [0u8; 32];
        getrandom::getrandom(&mut bytes)
            .map_err(|error| IdentityError::Io(format!("no randomness: {error}")))?;
        if let Ok(secret) = SecretKey::from_slice(&bytes) {
            return Ok(secret);
        }
    }
    Err(IdentityError::Io("could not draw a P-256 key".into()))
}

/// Writes a file only its owner can read.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// `n` random bytes as URL-safe base64 (tokens, codes, CSRF values).
pub(crate) fn random_token(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    getrandom::getrandom(&mut bytes).expect("the OS provides randomness");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 of a secret, hex, for storing refresh tokens and client secrets.
pub(crate) fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
