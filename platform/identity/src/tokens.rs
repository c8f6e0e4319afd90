//! Access and ID tokens: RFC 9068 JWTs signed ES256, with the claims OctoMesh services read
//! (`sub`, `tenant_id`, `allowed_tenants`, `role`, `scope`, names, email).

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, Header, Validation};

use super::keys::{SigningKey, random_token};

pub use octomesh_platform_common::auth::{API_AUDIENCE, AccessClaims};

/// Access token lifetime.
pub const ACCESS_TOKEN_SECONDS: u64 = 3600;

/// What an access token is issued for.
pub(crate) struct Grant<'a> {
    pub subject: Option<&'a super::users::User>,
    pub client_id: &'a str,
    pub scope: &'a str,
    pub tenant_id: &'a str,
    pub allowed_tenants: &'a [String],
    /// Extra audiences (RFC 8707 resource indicators).
    pub resources: &'a [String],
}

pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

pub(crate) fn issue_access(
    key: &SigningKey,
    issuer: &str,
    grant: &Grant<'_>,
) -> (String, AccessClaims) {
    let now = now();
    let mut aud = vec![API_AUDIENCE.to_owned()];
    aud.extend(grant.resources.iter().cloned());
    let claims = AccessClaims {
        iss: issuer.to_owned(),
        sub: grant.subject.map(|user| user.username.clone()),
        aud,
        exp: now + ACCESS_TOKEN_SECONDS,
        iat: now,
        nbf: now,
        jti: random_token(16),
        client_id: grant.client_id.to_owned(),
        scope: grant.scope.to_owned(),
        tenant_id: grant.tenant_id.to_owned(),
        allowed_tenants: grant.allowed_tenants.join(" "),
        role: grant
            .subject
            .map(|user| user.roles.clone())
            .unwrap_or_default(),
        preferred_username: grant.subject.map(|user| user.username.clone()),
        name: grant.subject.map(|user| user.display_name.clone()),
        email: grant.subject.and_then(|user| user.email.clone()),
        groups: grant
            .subject
            .map(|user| user.groups.clone())
            .unwrap_or_default(),
    };
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(key.kid.clone());
    header.typ = Some("at+jwt".into());
    let token = jsonwebtoken::encode(&header, &claims, &key.encoding)
        .expect("ES256 signing with a valid key cannot fail");
    (token, claims)
}

/// An OpenID Connect ID token for `user`.
pub(crate) fn issue_id_token(
    key: &SigningKey,
    issuer: &str,
    user: &super::users::User,
    client_id: &str,
    nonce: Option<&str>,
) -> String {
    let now = now();
    let claims = serde_json::json!({
        "iss": issuer, "sub": user.username, "aud": client_id, "exp": now + ACCESS_TOKEN_SECONDS,
        "iat": now, "auth_time": now, "nonce": nonce, "name": user.display_name,
        "preferred_username": user.username, "email": user.email,
    });
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(key.kid.clone());
    jsonwebtoken::encode(&header, &claims, &key.encoding)
        .expect("ES256 signing with a valid key cannot fail")
}

/// Checks one of our own access tokens (signature, issuer, expiry, audience `octoAPI`).
pub(crate) fn verify_access(key: &SigningKey, issuer: &str, token: &str) -> Option<AccessClaims> {
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[API_AUDIENCE]);
    validation.leeway = 5;
    jsonwebtoken::decode::<AccessClaims>(token, &key.decoding, &validation)
        .ok()
        .map(|data| data.claims)
}
