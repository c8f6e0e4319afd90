//! Which backend token a tool call carries: the request's bearer token, else the session's
//! device-flow sign-in — renewed when it is about to expire, and exchanged (RFC 8693) when the call
//! is for another tenant than the one signed in to.

use super::Caller;
use super::session_tokens::{SessionToken, now_ms};
use crate::state::AppState;

/// Renew a token that expires sooner than this (milliseconds).
const RENEW_BEFORE_MS: u64 = 60_000;

pub(crate) async fn call_token(
    state: &AppState,
    caller: &Caller,
    session: Option<[u8; 16]>,
    tenant: Option<&str>,
) -> Result<Option<String>, String> {
    if let Some(token) = &caller.token {
        return Ok(Some(token.clone()));
    }
    let (Some(session), Some(authority)) = (session, state.authority.as_ref()) else {
        return Ok(None);
    };
    let Some(mut home) = state.session_tokens.home(session).await? else {
        return Ok(None);
    };
    if home.expires_ms <= now_ms() + RENEW_BEFORE_MS {
        let Some(refresh) = home.refresh_token.clone() else {
            return Err("Not authenticated: the session's sign-in expired. Call authenticate(tenantId) again.".into());
        };
        let tokens = authority.refresh(&refresh).await.map_err(|error| {
            format!("Not authenticated: {error}. Call authenticate(tenantId) again.")
        })?;
        home = SessionToken {
            access_token: tokens.access_token,
            refresh_token: tokens.refresh_token.or(Some(refresh)),
            expires_ms: now_ms() + tokens.expires_in * 1000,
            tenant: home.tenant,
        };
        state.session_tokens.set_home(session, &home).await?;
    }
    let Some(tenant) = tenant.filter(|tenant| *tenant != home.tenant) else {
        return Ok(Some(home.access_token));
    };
    if let Some(exchanged) = state.session_tokens.exchanged(session, tenant).await?
        && exchanged.expires_ms > now_ms() + RENEW_BEFORE_MS
    {
        return Ok(Some(exchanged.access_token));
    }
    let tokens = authority.exchange(&home.access_token, tenant).await?;
    let exchanged = SessionToken {
        access_token: tokens.access_token,
        refresh_token: None,
        expires_ms: now_ms() + tokens.expires_in * 1000,
        tenant: tenant.to_owned(),
    };
    state
        .session_tokens
        .set_exchanged(session, &exchanged)
        .await?;
    Ok(Some(exchanged.access_token))
}

/// The `sub` of a token this gateway obtained itself (the session's sign-in, from the
/// authority's token endpoint), read without checking its signature again.
pub(crate) fn subject_of(token: &str) -> Option<String> {
    use base64::Engine as _;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("sub")?.as_str().map(str::to_owned)
}
