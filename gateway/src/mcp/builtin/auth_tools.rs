//! The device flow as tools, for MCP clients that do not speak OAuth themselves:
//! `authenticate(tenantId)` → a user code and where to enter it; `check_auth_status` → pending /
//! slow down / denied / expired / signed in; `whoami`; `list_tenants`. The session's tokens stay
//! in the gateway (sealed), never in a tool result.

use std::time::{SystemTime, UNIX_EPOCH};

use octomesh_proto::v1;
use serde_json::{Map, Value, json};

use super::spec::read_only;
use super::{only, success, text_argument};
use crate::auth::TokenClaims;
use crate::auth::device::Poll;
use crate::auth::session_tokens::{Pending, SessionToken, now_ms};
use crate::mcp::error::error_result;
use crate::mcp::handler::Env;

pub(super) const AUTHENTICATE: &str = "authenticate";
pub(super) const CHECK: &str = "check_auth_status";
pub(super) const WHOAMI: &str = "whoami";
pub(super) const LIST_TENANTS: &str = "list_tenants";

/// The message every tool that needs a sign-in answers without one.
pub(crate) const NOT_AUTHENTICATED: &str = "Not authenticated. Call authenticate(tenantId) to sign in on the device flow, open the URL it returns, then call check_auth_status.";

pub(super) fn specs() -> Vec<v1::ToolSpec> {
    vec![
        read_only(
            AUTHENTICATE,
            "Sign in",
            "Start signing this session in to a tenant with the OAuth device flow: returns a user \
             code and the URL where the user enters it (and a complete URL with the code filled in). \
             Then call check_auth_status until it reports the session signed in.",
            json!({"tenantId": {"type": "string", "description": "The tenant to sign in to."}}),
            &["tenantId"],
            json!({
                "tenantId": {"type": "string"}, "userCode": {"type": "string"},
                "verificationUri": {"type": "string"}, "verificationUriComplete": {"type": "string"},
                "expiresInSeconds": {"type": "integer"}, "pollIntervalSeconds": {"type": "integer"},
                "message": {"type": "string"},
            }),
        ),
        read_only(
            CHECK,
            "Sign-in status",
            "Check the sign-in started with authenticate: pending (call again after \
             retryAfterSeconds), denied, expired, or signed in.",
            json!({}),
            &[],
            json!({
                "isAuthenticated": {"type": "boolean"}, "isPending": {"type": "boolean"},
                "retryAfterSeconds": {"type": "integer"}, "tenantId": {"type": "string"},
                "user": {"type": "string"}, "message": {"type": "string"},
            }),
        ),
        read_only(
            WHOAMI,
            "Who am I",
            "Describe the signed-in user: name, email, roles, scopes, home tenant and the tenants \
             the user may use.",
            json!({}),
            &[],
            json!({
                "subject": {"type": "string"}, "name": {"type": "string"}, "email": {"type": "string"},
                "tenantId": {"type": "string"}, "allowedTenants": {"type": "array", "items": {"type": "string"}},
                "roles": {"type": "array", "items": {"type": "string"}},
                "scopes": {"type": "array", "items": {"type": "string"}},
                "expiresAtUnix": {"type": "integer"}, "secondsLeft": {"type": "integer"},
            }),
        ),
        read_only(
            LIST_TENANTS,
            "List tenants",
            "List the tenants the signed-in user may use (the home tenant first).",
            json!({}),
            &[],
            json!({"tenants": {"type": "array", "items": {"type": "string"}}, "count": {"type": "integer"}}),
        ),
    ]
}

fn session(env: &Env) -> Result<[u8; 16], Value> {
    env.session
        .as_ref()
        .map(|session| session.session_uid)
        .ok_or_else(|| {
            error_result(
                "The device-flow tools need a session (MCP 2025 revisions): in stateless mode sign in \
                 with OAuth and send a bearer token instead.",
            )
        })
}

/// The members of `fields` without the `null` ones: an absent claim (an account without an email,
/// a service token without a subject) is left out rather than sent as `null`, which the output
/// schemas (strings) and the original's envelope do not allow.
fn payload(fields: Value) -> Map<String, Value> {
    match fields {
        Value::Object(mut map) => {
            map.retain(|_, value| !value.is_null());
            map
        }
        _ => Map::new(),
    }
}

pub(super) async fn authenticate(env: &Env, arguments: &Map<String, Value>) -> Value {
    if let Err(refusal) = only(arguments, &["tenantId"]) {
        return refusal;
    }
    let tenant = match text_argument(arguments, "tenantId") {
        Ok(Some(tenant)) if !tenant.trim().is_empty() => tenant.trim().to_owned(),
        Ok(_) => {
            return error_result(
                "Invalid arguments: `tenantId` is required (the tenant to sign in to).",
            );
        }
        Err(refusal) => return refusal,
    };
    let Some(authority) = env.state.authority.as_ref() else {
        return error_result(
            "This server runs without sign-in (--no-auth): every call is already allowed.",
        );
    };
    let session = match session(env) {
        Ok(session) => session,
        Err(refusal) => return refusal,
    };
    let start = match authority.start_device(&tenant).await {
        Ok(start) => start,
        Err(error) => return error_result(&format!("Could not start the sign-in: {error}.")),
    };
    let interval = start.interval.max(1);
    let pending = Pending {
        device_code: start.device_code.clone(),
        tenant: tenant.clone(),
        interval_secs: interval,
        next_poll_ms: now_ms() + interval * 1000,
        expires_ms: now_ms() + start.expires_in * 1000,
    };
    if let Err(error) = env
        .state
        .session_tokens
        .set_pending(session, &pending)
        .await
    {
        return error_result(&format!("Could not start the sign-in: {error}."));
    }
    let complete = start
        .verification_uri_complete
        .clone()
        .unwrap_or_else(|| start.verification_uri.clone());
    success(payload(json!({
        "tenantId": tenant,
        "userCode": start.user_code,
        "verificationUri": start.verification_uri,
        "verificationUriComplete": complete,
        "expiresInSeconds": start.expires_in,
        "pollIntervalSeconds": interval,
        "message": format!(
            "Open {complete} (or {} and enter {}), sign in and approve; then call check_auth_status.",
            start.verification_uri, start.user_code
        ),
    })))
}

fn pending_answer(retry_after_ms: u64, tenant: &str) -> Value {
    success(payload(json!({
        "isAuthenticated": false,
        "isPending": true,
        "retryAfterSeconds": retry_after_ms.div_ceil(1000).max(1),
        "tenantId": tenant,
        "message": "Waiting for the user to approve the sign-in; call check_auth_status again after retryAfterSeconds.",
    })))
}

pub(super) async fn check(env: &Env, arguments: &Map<String, Value>) -> Value {
    if let Err(refusal) = only(arguments, &[]) {
        return refusal;
    }
    let Some(authority) = env.state.authority.as_ref() else {
        return error_result(
            "This server runs without sign-in (--no-auth): every call is already allowed.",
        );
    };
    let session = match session(env) {
        Ok(session) => session,
        Err(refusal) => return refusal,
    };
    let tokens = &env.state.session_tokens;
    let store_failed = |error: String| error_result(&format!("The sign-in store failed: {error}."));
    let mut pending = match tokens.pending(session).await {
        Ok(Some(pending)) => pending,
        Ok(None) => {
            return match tokens.home(session).await {
                Ok(Some(home)) => signed_in(authority, &home).await,
                Ok(None) => {
                    error_result("No sign-in in progress. Call authenticate(tenantId) first.")
                }
                Err(error) => store_failed(error),
            };
        }
        Err(error) => return store_failed(error),
    };
    let now = now_ms();
    if pending.expires_ms <= now {
        let _ = tokens.clear_pending(session).await;
        return error_result("The sign-in code expired. Call authenticate(tenantId) again.");
    }
    if pending.next_poll_ms > now {
        return pending_answer(pending.next_poll_ms - now, &pending.tenant);
    }
    let outcome = authority.poll_device(&pending.device_code).await;
    let wait = |pending: &mut Pending, slower: bool| {
        if slower {
            pending.interval_secs += 5;
        }
        pending.next_poll_ms = now_ms() + pending.interval_secs * 1000;
    };
    match outcome {
        Ok(poll @ (Poll::Pending | Poll::SlowDown)) => {
            wait(&mut pending, matches!(poll, Poll::SlowDown));
            if let Err(error) = tokens.set_pending(session, &pending).await {
                return store_failed(error);
            }
            pending_answer(pending.interval_secs * 1000, &pending.tenant)
        }
        Ok(Poll::Denied) => {
            let _ = tokens.clear_pending(session).await;
            error_result("The user denied the sign-in. Call authenticate(tenantId) to try again.")
        }
        Ok(Poll::Expired) => {
            let _ = tokens.clear_pending(session).await;
            error_result("The sign-in code expired. Call authenticate(tenantId) again.")
        }
        Ok(Poll::Done(granted)) => {
            let home = SessionToken {
                access_token: granted.access_token,
                refresh_token: granted.refresh_token,
                expires_ms: now_ms() + granted.expires_in * 1000,
                tenant: pending.tenant.clone(),
            };
            if let Err(error) = tokens.set_home(session, &home).await {
                return store_failed(error);
            }
            signed_in(authority, &home).await
        }
        Err(error) => error_result(&format!("Could not check the sign-in: {error}.")),
    }
}

async fn signed_in(authority: &crate::auth::Authority, home: &SessionToken) -> Value {
    match authority.validate(&home.access_token).await {
        Ok(claims) => success(payload(json!({
            "isAuthenticated": true,
            "isPending": false,
            "tenantId": claims.tenant_id.clone().unwrap_or_else(|| home.tenant.clone()),
            "user": claims.name.clone().or(claims.subject.clone()),
            "message": "Signed in: tools now act as this user.",
        }))),
        Err(error) => error_result(&format!(
            "The sign-in returned a token that is not valid: {error}."
        )),
    }
}

/// The claims of the caller's bearer token or the session's sign-in.
pub(super) async fn claims(env: &Env) -> Result<TokenClaims, Value> {
    let Some(authority) = env.state.authority.as_ref() else {
        return Err(error_result(
            "This server runs without sign-in (--no-auth): there is no signed-in user.",
        ));
    };
    let token = match (&env.caller.token, &env.session) {
        (Some(token), _) => Some(token.clone()),
        (None, Some(session)) => env
            .state
            .session_tokens
            .home(session.session_uid)
            .await
            .map_err(|error| error_result(&format!("The sign-in store failed: {error}.")))?
            .map(|home| home.access_token),
        (None, None) => None,
    };
    let token = token.ok_or_else(|| error_result(NOT_AUTHENTICATED))?;
    authority
        .validate(&token)
        .await
        .map_err(|error| error_result(&format!("Not authenticated: the sign-in is no longer valid ({error}). Call authenticate(tenantId) again.")))
}

pub(super) async fn whoami(env: &Env, arguments: &Map<String, Value>) -> Value {
    if let Err(refusal) = only(arguments, &[]) {
        return refusal;
    }
    match claims(env).await {
        Ok(claims) => success(payload(json!({
            "subject": claims.subject,
            "name": claims.name,
            "email": claims.email,
            "tenantId": claims.tenant_id,
            "allowedTenants": claims.allowed_tenants,
            "roles": claims.roles,
            "scopes": claims.scopes,
            "expiresAtUnix": claims.expires_at,
            "secondsLeft": claims.expires_at.saturating_sub(
                SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_secs())
            ),
        }))),
        Err(refusal) => refusal,
    }
}

pub(super) async fn list_tenants(env: &Env, arguments: &Map<String, Value>) -> Value {
    if let Err(refusal) = only(arguments, &[]) {
        return refusal;
    }
    match claims(env).await {
        Ok(claims) => {
            let mut tenants: Vec<String> = claims.tenant_id.into_iter().collect();
            for tenant in claims.allowed_tenants {
                if !tenants.contains(&tenant) {
                    tenants.push(tenant);
                }
            }
            success(payload(json!({"count": tenants.len(), "tenants": tenants})))
        }
        Err(refusal) => refusal,
    }
}
