//! Signing in against the embedded identity service the way a browser-based MCP client does:
//! dynamic registration, the authorization endpoint's sign-in form, code + PKCE for tokens.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use sha2::{Digest, Sha256};

const REDIRECT: &str = "http://127.0.0.1:9/callback";

fn encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (byte as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(name, value)| format!("{name}={}", encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Signs `username` in at `issuer` and returns the token response (access, refresh, id tokens).
pub async fn sign_in(
    issuer: &str,
    username: &str,
    password: &str,
    acr_values: Option<&str>,
) -> Value {
    try_sign_in(issuer, username, password, acr_values)
        .await
        .unwrap_or_else(|refusal| panic!("{username} cannot sign in: {refusal}"))
}

/// Like [`sign_in`]; a refused sign-in is the sign-in page's status and text.
pub async fn try_sign_in(
    issuer: &str,
    username: &str,
    password: &str,
    acr_values: Option<&str>,
) -> Result<Value, String> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    let registered: Value = http
        .post(format!("{issuer}/connect/register"))
        .json(&serde_json::json!({"redirect_uris": [REDIRECT], "client_name": "octomesh-tests"}))
        .send()
        .await
        .expect("registration answers")
        .json()
        .await
        .expect("registration is JSON");
    let client_id = registered["client_id"]
        .as_str()
        .expect("a client id")
        .to_owned();
    let verifier = format!("verifier-{}", "x".repeat(48));
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let mut fields = vec![
        ("response_type", "code"),
        ("client_id", client_id.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
        ("scope", "openid profile octo_api offline_access"),
    ];
    if let Some(acr_values) = acr_values {
        fields.push(("acr_values", acr_values));
    }
    let page = http
        .get(format!("{issuer}/connect/authorize?{}", form(&fields)))
        .send()
        .await
        .expect("the sign-in page answers");
    let cookie = page
        .headers()
        .get("set-cookie")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .expect("a CSRF cookie")
        .to_owned();
    let html = page.text().await.expect("HTML");
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a CSRF field")
        .to_owned();
    fields.extend([
        ("csrf", csrf.as_str()),
        ("username", username),
        ("password", password),
        ("decision", "approve"),
    ]);
    let back = http
        .post(format!("{issuer}/connect/authorize"))
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&fields))
        .send()
        .await
        .expect("the sign-in answers");
    let Some(location) = back
        .headers()
        .get("location")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
    else {
        let status = back.status();
        return Err(format!(
            "{status}: {}",
            back.text().await.unwrap_or_default()
        ));
    };
    let code = location
        .split("code=")
        .nth(1)
        .and_then(|rest| rest.split('&').next())
        .unwrap_or_else(|| panic!("no code in {location}"))
        .to_owned();
    Ok(http
        .post(format!("{issuer}/connect/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("grant_type", "authorization_code"),
            ("client_id", &client_id),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
        ]))
        .send()
        .await
        .expect("the token endpoint answers")
        .json()
        .await
        .expect("a token response"))
}

/// The claims of a JWT (its payload, not verified).
pub fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT has a payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url"))
        .expect("JSON claims")
}

/// Approves a device sign-in on the identity service's verification page, as a browser would
/// (CSRF cookie and field, credentials, approve). Returns the page's text.
pub async fn approve_device(
    verification_uri_complete: &str,
    username: &str,
    password: &str,
) -> String {
    let http = reqwest::Client::new();
    let page = http
        .get(verification_uri_complete)
        .send()
        .await
        .expect("the page answers");
    let cookie = page.headers()["set-cookie"]
        .to_str()
        .expect("a cookie")
        .split(';')
        .next()
        .expect("a pair")
        .to_owned();
    let html = page.text().await.expect("HTML");
    let field = |name: &str| {
        html.split(&format!("name=\"{name}\" value=\""))
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_default()
            .to_owned()
    };
    let (csrf, user_code) = (field("csrf"), field("user_code"));
    let action = verification_uri_complete.split('?').next().expect("a URL");
    http.post(action)
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("csrf", &csrf),
            ("user_code", &user_code),
            ("username", username),
            ("password", password),
            ("decision", "approve"),
        ]))
        .send()
        .await
        .expect("the page answers")
        .text()
        .await
        .expect("HTML")
}

/// Signs `client`'s session in to `tenant` with the device-flow tools, `user` approving on the
/// identity service's verification page in headless Chromium; `check_auth_status`'s final answer.
pub async fn device_sign_in(
    client: &crate::McpClient,
    tenant: &str,
    user: &str,
    password: &str,
) -> Value {
    let started = client
        .call_tool("authenticate", serde_json::json!({"tenantId": tenant}))
        .await;
    let complete = started["structuredContent"]["verificationUriComplete"]
        .as_str()
        .unwrap_or_else(|| panic!("authenticate answered {started}"))
        .to_owned();
    let browser = crate::peers::run(
        "PEER_NODE",
        "tests/peers/device_login.mjs",
        &[&complete, user, password],
        &[],
    )
    .await;
    crate::peers::assert_ok("headless Chromium on the device page", &browser);
    poll_until_signed_in(client, 1).await
}

/// Polls `check_auth_status` (first after `first_wait` seconds, then as it says) until the
/// session is signed in.
pub async fn poll_until_signed_in(client: &crate::McpClient, first_wait: u64) -> Value {
    let mut wait = first_wait;
    let mut done = Value::Null;
    for _ in 0..8 {
        tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
        done = client
            .call_tool("check_auth_status", serde_json::json!({}))
            .await["structuredContent"]
            .clone();
        if done["isAuthenticated"] == true {
            break;
        }
        wait = done["retryAfterSeconds"].as_u64().unwrap_or(1);
    }
    assert_eq!(done["isAuthenticated"], true, "{done}");
    done
}
