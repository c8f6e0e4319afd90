//! Authorization code with PKCE (RFC 7636, S256 only): how browser-based MCP clients such as
//! Claude Code sign in. Codes are single-use, bound to client, redirect URI and verifier, and live
//! 60 seconds.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::Identity;
use super::clients::{Client, GrantType};
use super::flows::{OAuthError, TokenRequest, TokenResponse, requested_tenant};
use super::keys::random_token;

const CODE_SECONDS: u64 = 60;

/// The parameters of an authorization request.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct AuthorizeRequest {
    #[serde(default)]
    pub(crate) response_type: Option<String>,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub redirect_uri: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub code_challenge: Option<String>,
    #[serde(default)]
    pub code_challenge_method: Option<String>,
    #[serde(default)]
    pub resource: Option<String>,
    #[serde(default)]
    pub nonce: Option<String>,
    #[serde(default)]
    pub acr_values: Option<String>,
}

struct PendingCode {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    username: String,
    scope: String,
    tenant: Option<String>,
    resource: Option<String>,
    nonce: Option<String>,
    expires: Instant,
}

#[derive(Default)]
pub(crate) struct PendingCodes {
    by_code: HashMap<String, PendingCode>,
}

/// A checked authorization request: where to send the browser back, and whether the request
/// itself is acceptable.
pub(crate) struct Checked {
    pub redirect_uri: String,
}

impl Identity {
    /// Checks the client and redirect URI first (an error here must not redirect), then the rest.
    pub(crate) fn check_authorize(
        &self,
        request: &AuthorizeRequest,
    ) -> Result<Checked, (Option<String>, OAuthError)> {
        let client = self
            .client(request.client_id.as_deref(), None)
            .map_err(|error| (None, error))?;
        let redirect_uri = request
            .redirect_uri
            .clone()
            .filter(|uri| client.redirect_allowed(uri))
            .ok_or_else(|| {
                (
                    None,
                    OAuthError::new(
                        "invalid_request",
                        "the redirect_uri is not registered for this client",
                    ),
                )
            })?;
        let back = |error: OAuthError| (Some(redirect_uri.clone()), error);
        client.allows(GrantType::AuthorizationCode).map_err(back)?;
        if request.response_type.as_deref() != Some("code") {
            return Err(back(OAuthError::new(
                "unsupported_response_type",
                "only response_type=code is supported",
            )));
        }
        if request.code_challenge.as_deref().is_none_or(str::is_empty)
            || request.code_challenge_method.as_deref() != Some("S256")
        {
            return Err(back(OAuthError::new(
                "invalid_request",
                "PKCE is required: send code_challenge with code_challenge_method=S256",
            )));
        }
        Ok(Checked { redirect_uri })
    }

    /// After the user signed in on the login page: a code for the client.
    pub(crate) fn grant_code(
        &self,
        request: &AuthorizeRequest,
        username: &str,
        password: &str,
    ) -> Result<String, String> {
        let checked = self
            .check_authorize(request)
            .map_err(|(_, error)| error.description)?;
        let user = self
            .users
            .sign_in(username, password)
            .map_err(|_| "The sign-in failed; try again.".to_owned())?
            .ok_or("Wrong user name or password.")?;
        let scope = request
            .scope
            .clone()
            .unwrap_or_else(|| "openid profile octo_api offline_access".into());
        for scope in scope.split_whitespace() {
            if !super::flows::SCOPES.contains(&scope) {
                return Err(format!(
                    "The application asked for an unknown scope `{scope}`."
                ));
            }
        }
        let tenant = requested_tenant(request.acr_values.as_deref());
        if let Some(tenant) = &tenant
            && !self.user_tenants(&user).contains(tenant)
        {
            return Err(format!(
                "{} has no access to tenant `{tenant}`.",
                user.username
            ));
        }
        let code = random_token(32);
        let mut codes = self.codes.lock().expect("never poisoned");
        codes
            .by_code
            .retain(|_, pending| pending.expires > Instant::now());
        codes.by_code.insert(
            code.clone(),
            PendingCode {
                client_id: request.client_id.clone().unwrap_or_default(),
                redirect_uri: checked.redirect_uri,
                challenge: request.code_challenge.clone().unwrap_or_default(),
                username: user.username,
                scope,
                tenant,
                resource: request.resource.clone(),
                nonce: request.nonce.clone(),
                expires: Instant::now() + Duration::from_secs(CODE_SECONDS),
            },
        );
        Ok(code)
    }

    pub(crate) fn authorization_code_grant(
        &self,
        client: &Client,
        request: &TokenRequest,
    ) -> Result<TokenResponse, OAuthError> {
        let code = request
            .code
            .as_deref()
            .ok_or_else(|| OAuthError::new("invalid_request", "`code` is required"))?;
        let pending = self
            .codes
            .lock()
            .expect("never poisoned")
            .by_code
            .remove(code)
            .ok_or_else(|| {
                OAuthError::new("invalid_grant", "unknown or used authorization code")
            })?;
        if pending.expires <= Instant::now() || pending.client_id != client.id {
            return Err(OAuthError::new(
                "invalid_grant",
                "the authorization code is not valid",
            ));
        }
        if request.redirect_uri.as_deref() != Some(pending.redirect_uri.as_str()) {
            return Err(OAuthError::new(
                "invalid_grant",
                "redirect_uri differs from the authorization request",
            ));
        }
        let verifier = request.code_verifier.as_deref().ok_or_else(|| {
            OAuthError::new("invalid_request", "`code_verifier` is required (PKCE)")
        })?;
        if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != pending.challenge {
            return Err(OAuthError::new(
                "invalid_grant",
                "the code_verifier does not match the code_challenge",
            ));
        }
        let user = self
            .users
            .get(&pending.username)
            .ok()
            .flatten()
            .ok_or_else(|| OAuthError::new("invalid_grant", "the user no longer exists"))?;
        let resources: Vec<String> = pending
            .resource
            .into_iter()
            .chain(request.resource.clone())
            .collect();
        self.user_tokens(
            client,
            &user,
            &pending.scope,
            pending.tenant.as_deref(),
            &resources,
            pending.nonce.as_deref(),
        )
    }
}
