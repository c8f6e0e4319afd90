//! The identity service through its router: discovery, the device flow with the verification
//! page, refresh rotation, token exchange, client credentials, authorization code + PKCE.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tower::ServiceExt;

use super::Identity;
use super::clients::{MCP_DEVICE_CLIENT, SERVICE_CLIENT};
use crate::TenantDirectory;

const ISSUER: &str = "http://127.0.0.1:5001";
const ADMIN_PASSWORD: &str = "correct horse battery";

struct Fixture {
    dir: std::path::PathBuf,
    identity: Arc<Identity>,
    router: axum::Router,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn fixture(name: &str) -> Fixture {
    let dir = std::env::temp_dir().join(format!("octomesh-identity-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let tenants = TenantDirectory::fixed(&["octosystem", "plant-a", "plant-b"]);
    let (identity, first) = Identity::open(&dir, ISSUER, tenants, Some(ADMIN_PASSWORD)).unwrap();
    assert_eq!(first.admin_password, None, "a given password is not drawn");
    identity
        .users()
        .create(
            "operator",
            "operator-pass",
            "Olga Operator",
            Some("olga@example.test"),
            &["StreamDataReader".to_owned()],
            &["plant-a".to_owned()],
        )
        .unwrap();
    let identity = Arc::new(identity);
    let router = super::router(Arc::clone(&identity));
    Fixture {
        dir,
        identity,
        router,
    }
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
}

async fn send(router: &axum::Router, request: Request<Body>) -> Answer {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    Answer {
        status,
        headers,
        text: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(name, value)| {
            let encoded: String = value
                .bytes()
                .map(|byte| match byte {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                        (byte as char).to_string()
                    }
                    other => format!("%{other:02X}"),
                })
                .collect();
            format!("{name}={encoded}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

async fn post_form(
    router: &axum::Router,
    path: &str,
    fields: &[(&str, &str)],
    cookie: Option<&str>,
) -> Answer {
    let mut request =
        Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    send(router, request.body(Body::from(form(fields))).unwrap()).await
}

/// The CSRF cookie and the form's hidden value from a page.
fn csrf(answer: &Answer) -> (String, String) {
    let cookie = answer.headers[header::SET_COOKIE].to_str().unwrap();
    let pair = cookie.split(';').next().unwrap().to_owned();
    let value = pair.split_once('=').unwrap().1.to_owned();
    assert!(
        answer.text.contains(&value),
        "the form carries the CSRF value"
    );
    (pair, value)
}

#[tokio::test]
async fn discovery_and_keys_are_published() {
    let fx = fixture("discovery");
    let answer = send(
        &fx.router,
        Request::get("/.well-known/openid-configuration")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let discovery = answer.json();
    assert_eq!(discovery["issuer"], ISSUER);
    assert_eq!(
        discovery["device_authorization_endpoint"],
        format!("{ISSUER}/connect/deviceauthorization")
    );
    assert_eq!(discovery["code_challenge_methods_supported"][0], "S256");
    let jwks = send(
        &fx.router,
        Request::get("/.well-known/openid-configuration/jwks")
            .body(Body::empty())
            .unwrap(),
    )
    .await
    .json();
    assert_eq!(jwks["keys"][0]["kty"], "EC");
    assert_eq!(jwks["keys"][0]["alg"], "ES256");
}

#[tokio::test]
async fn the_device_flow_signs_in_through_the_page_and_refresh_tokens_rotate() {
    let fx = fixture("device");
    let started = post_form(
        &fx.router,
        "/connect/deviceauthorization",
        &[
            ("client_id", MCP_DEVICE_CLIENT),
            ("scope", "openid profile octo_api offline_access"),
            ("acr_values", "tenant:plant-b"),
        ],
        None,
    )
    .await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.text);
    let started = started.json();
    let device_code = started["device_code"].as_str().unwrap().to_owned();
    let user_code = started["user_code"].as_str().unwrap().to_owned();
    assert_eq!(started["verification_uri"], format!("{ISSUER}/device"));
    let poll = [
        ("grant_type", super::flows::DEVICE_CODE_GRANT),
        ("client_id", MCP_DEVICE_CLIENT),
        ("device_code", device_code.as_str()),
    ];
    let pending = post_form(&fx.router, "/connect/token", &poll, None).await;
    assert_eq!(pending.json()["error"], "authorization_pending");
    let too_fast = post_form(&fx.router, "/connect/token", &poll, None).await;
    assert_eq!(too_fast.json()["error"], "slow_down");

    // The complete URL pre-fills the code and names the tenant.
    let page = send(
        &fx.router,
        Request::get(format!("/device?user_code={user_code}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(
        page.text.contains(&user_code) && page.text.contains("plant-b"),
        "{}",
        page.text
    );
    let (cookie, value) = csrf(&page);
    let forged = post_form(
        &fx.router,
        "/device",
        &[
            ("csrf", "other"),
            ("user_code", &user_code),
            ("username", "admin"),
            ("password", ADMIN_PASSWORD),
        ],
        Some(&cookie),
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let wrong = post_form(
        &fx.router,
        "/device",
        &[
            ("csrf", &value),
            ("user_code", &user_code),
            ("username", "admin"),
            ("password", "nope"),
        ],
        Some(&cookie),
    )
    .await;
    assert!(wrong.text.contains("Wrong user name or password"));
    let lowercase = user_code.to_lowercase().replace('-', "");
    let approved = post_form(
        &fx.router,
        "/device",
        &[
            ("csrf", &value),
            ("user_code", &lowercase),
            ("username", "admin"),
            ("password", ADMIN_PASSWORD),
            ("decision", "approve"),
        ],
        Some(&cookie),
    )
    .await;
    assert!(
        approved.text.contains("Signed in as Administrator"),
        "{}",
        approved.text
    );

    tokio::time::sleep(std::time::Duration::from_secs(
        super::flows::POLL_INTERVAL_SECONDS,
    ))
    .await;
    let tokens = post_form(&fx.router, "/connect/token", &poll, None).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.text);
    assert_eq!(tokens.headers[header::CACHE_CONTROL], "no-store");
    let tokens = tokens.json();
    let claims = fx
        .identity
        .verify(tokens["access_token"].as_str().unwrap())
        .unwrap();
    assert_eq!(claims.sub.as_deref(), Some("admin"));
    assert_eq!(claims.tenant_id, "plant-b");
    assert!(claims.may_use_tenant("plant-a") && claims.may_use_tenant("octosystem"));
    assert!(claims.role.contains(&"TenantManagement".to_owned()));
    assert_eq!(claims.scope, "openid profile octo_api offline_access");
    assert_eq!(claims.groups, ["TenantOwners"]);
    assert!(tokens["id_token"].is_string());
    let used = post_form(&fx.router, "/connect/token", &poll, None).await;
    assert_eq!(
        used.json()["error"],
        "invalid_grant",
        "a device code is single-use"
    );

    let first_refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let refresh = |token: &str| {
        vec![
            ("grant_type".to_owned(), "refresh_token".to_owned()),
            ("client_id".to_owned(), MCP_DEVICE_CLIENT.to_owned()),
            ("refresh_token".to_owned(), token.to_owned()),
        ]
    };
    let rotated = post_form(
        &fx.router,
        "/connect/token",
        &as_refs(&refresh(&first_refresh)),
        None,
    )
    .await
    .json();
    let second_refresh = rotated["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(second_refresh, first_refresh);
    assert_eq!(
        fx.identity
            .verify(rotated["access_token"].as_str().unwrap())
            .unwrap()
            .tenant_id,
        "plant-b"
    );
    let replayed = post_form(
        &fx.router,
        "/connect/token",
        &as_refs(&refresh(&first_refresh)),
        None,
    )
    .await
    .json();
    assert_eq!(replayed["error"], "invalid_grant");
    let family_gone = post_form(
        &fx.router,
        "/connect/token",
        &as_refs(&refresh(&second_refresh)),
        None,
    )
    .await
    .json();
    assert_eq!(
        family_gone["error"], "invalid_grant",
        "a replayed token ends the whole family"
    );
}

#[tokio::test]
async fn tokens_are_exchanged_only_for_tenants_the_user_may_use() {
    let fx = fixture("exchange");
    let client = fx
        .identity
        .clients
        .authenticate(Some(MCP_DEVICE_CLIENT), None)
        .unwrap();
    let olga = fx.identity.users().get("operator").unwrap().unwrap();
    let home = fx
        .identity
        .user_tokens(&client, &olga, "openid octo_api", None, &[], None)
        .unwrap();
    assert_eq!(
        fx.identity.verify(&home.access_token).unwrap().tenant_id,
        "plant-a"
    );
    let exchange = |tenant: &'static str, token: String| {
        vec![
            ("grant_type", super::flows::TOKEN_EXCHANGE_GRANT.to_owned()),
            ("client_id", MCP_DEVICE_CLIENT.to_owned()),
            ("subject_token", token),
            (
                "subject_token_type",
                super::flows::ACCESS_TOKEN_TYPE.to_owned(),
            ),
            ("acr_values", format!("tenant:{tenant}")),
        ]
    };
    let fields = exchange("plant-b", home.access_token.clone());
    let refused = post_form(
        &fx.router,
        "/connect/token",
        &fields
            .iter()
            .map(|(a, b)| (*a, b.as_str()))
            .collect::<Vec<_>>(),
        None,
    )
    .await
    .json();
    assert_eq!(refused["error"], "access_denied", "{refused}");

    let admin = fx.identity.users().get("admin").unwrap().unwrap();
    let admin_home = fx
        .identity
        .user_tokens(&client, &admin, "openid octo_api", None, &[], None)
        .unwrap();
    let fields = exchange("plant-b", admin_home.access_token);
    let exchanged = post_form(
        &fx.router,
        "/connect/token",
        &fields
            .iter()
            .map(|(a, b)| (*a, b.as_str()))
            .collect::<Vec<_>>(),
        None,
    )
    .await
    .json();
    assert_eq!(
        exchanged["issued_token_type"],
        super::flows::ACCESS_TOKEN_TYPE
    );
    assert_eq!(
        fx.identity
            .verify(exchanged["access_token"].as_str().unwrap())
            .unwrap()
            .tenant_id,
        "plant-b"
    );
    let fields = exchange("plant-b", "forged.token.value".into());
    let forged = post_form(
        &fx.router,
        "/connect/token",
        &fields
            .iter()
            .map(|(a, b)| (*a, b.as_str()))
            .collect::<Vec<_>>(),
        None,
    )
    .await
    .json();
    assert_eq!(forged["error"], "invalid_grant");
}

#[tokio::test]
async fn service_clients_authenticate_with_their_secret() {
    let fx = fixture("service");
    let secret =
        std::fs::read_to_string(fx.dir.join("identity/clients/octo-platform-service.secret"))
            .unwrap();
    let fields = [
        ("grant_type", "client_credentials"),
        ("client_id", SERVICE_CLIENT),
        ("client_secret", secret.trim()),
        ("acr_values", "tenant:plant-a"),
    ];
    let granted = post_form(&fx.router, "/connect/token", &fields, None).await;
    assert_eq!(granted.status, StatusCode::OK, "{}", granted.text);
    let claims = fx
        .identity
        .verify(granted.json()["access_token"].as_str().unwrap())
        .unwrap();
    assert_eq!(claims.sub, None);
    assert_eq!(claims.tenant_id, "plant-a");
    let fields = [
        ("grant_type", "client_credentials"),
        ("client_id", SERVICE_CLIENT),
        ("client_secret", "guess"),
    ];
    let refused = post_form(&fx.router, "/connect/token", &fields, None).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused.json()["error"], "invalid_client");
    let fields = [
        ("grant_type", "client_credentials"),
        ("client_id", MCP_DEVICE_CLIENT),
    ];
    assert_eq!(
        post_form(&fx.router, "/connect/token", &fields, None)
            .await
            .json()["error"],
        "unauthorized_client"
    );
}

#[tokio::test]
async fn a_registered_client_signs_in_with_authorization_code_and_pkce() {
    let fx = fixture("pkce");
    let registered = send(
        &fx.router,
        Request::post("/connect/register")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                r#"{"redirect_uris": ["http://127.0.0.1:33418/callback"], "client_name": "test"}"#,
            ))
            .unwrap(),
    )
    .await;
    assert_eq!(
        registered.status,
        StatusCode::CREATED,
        "{}",
        registered.text
    );
    let client_id = registered.json()["client_id"].as_str().unwrap().to_owned();
    let verifier = "a-verifier-of-enough-length-for-pkce-0123456789";
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    // Loopback redirect URIs match on any port (RFC 8252).
    let redirect = "http://127.0.0.1:40000/callback";
    let query = form(&[
        ("response_type", "code"),
        ("client_id", &client_id),
        ("redirect_uri", redirect),
        ("state", "xyz"),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
        ("scope", "openid octo_api offline_access"),
        ("resource", "http://127.0.0.1:8080/mcp"),
    ]);
    let page = send(
        &fx.router,
        Request::get(format!("/connect/authorize?{query}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let (cookie, value) = csrf(&page);
    let mut fields: Vec<(&str, &str)> = vec![
        ("response_type", "code"),
        ("client_id", &client_id),
        ("redirect_uri", redirect),
        ("state", "xyz"),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
        ("scope", "openid octo_api offline_access"),
        ("resource", "http://127.0.0.1:8080/mcp"),
        ("csrf", &value),
        ("username", "admin"),
        ("password", ADMIN_PASSWORD),
        ("decision", "approve"),
    ];
    let back = post_form(&fx.router, "/connect/authorize", &fields, Some(&cookie)).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.text);
    let location = back.headers[header::LOCATION].to_str().unwrap().to_owned();
    assert!(
        location.starts_with(redirect) && location.ends_with("&state=xyz"),
        "{location}"
    );
    let code = location
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();

    let token = |verifier: &'static str, code: String| {
        vec![
            ("grant_type", "authorization_code".to_owned()),
            ("client_id", client_id.clone()),
            ("code", code),
            ("redirect_uri", redirect.to_owned()),
            ("code_verifier", verifier.to_owned()),
        ]
    };
    let wrong = post_form(
        &fx.router,
        "/connect/token",
        &fields_of(&token(
            "wrong-verifier-wrong-verifier-wrong-verifier",
            code.clone(),
        )),
        None,
    )
    .await
    .json();
    assert_eq!(wrong["error"], "invalid_grant", "{wrong}");

    // A new sign-in: the failed exchange used up the code.
    fields.retain(|(name, _)| *name != "csrf");
    let page = send(
        &fx.router,
        Request::get(format!("/connect/authorize?{query}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let (cookie, value) = csrf(&page);
    fields.push(("csrf", &value));
    let back = post_form(&fx.router, "/connect/authorize", &fields, Some(&cookie)).await;
    let location = back.headers[header::LOCATION].to_str().unwrap().to_owned();
    let code = location
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    let granted = post_form(
        &fx.router,
        "/connect/token",
        &fields_of(&token(verifier, code.clone())),
        None,
    )
    .await;
    assert_eq!(granted.status, StatusCode::OK, "{}", granted.text);
    let granted = granted.json();
    let claims = fx
        .identity
        .verify(granted["access_token"].as_str().unwrap())
        .unwrap();
    assert!(
        claims.aud.contains(&"http://127.0.0.1:8080/mcp".to_owned()),
        "{claims:?}"
    );
    assert!(granted["refresh_token"].is_string());
    let reused = post_form(
        &fx.router,
        "/connect/token",
        &fields_of(&token(verifier, code)),
        None,
    )
    .await
    .json();
    assert_eq!(reused["error"], "invalid_grant", "a code is single-use");

    // An unregistered redirect URI is an error page, never a redirect.
    let evil = form(&[
        ("response_type", "code"),
        ("client_id", &client_id),
        ("redirect_uri", "https://evil.example/cb"),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ]);
    let refused = send(
        &fx.router,
        Request::get(format!("/connect/authorize?{evil}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.headers.get(header::LOCATION).is_none());
}

#[test]
fn a_new_data_directory_draws_an_admin_password_once() {
    let dir = std::env::temp_dir().join(format!("octomesh-identity-first-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (identity, first) =
        Identity::open(&dir, ISSUER, TenantDirectory::fixed(&["octosystem"]), None).unwrap();
    let password = first.admin_password.expect("drawn");
    assert!(
        identity
            .users()
            .sign_in("admin", &password)
            .unwrap()
            .is_some()
    );
    assert!(
        identity
            .users()
            .sign_in("admin", "not-it")
            .unwrap()
            .is_none()
    );
    let kid = identity.jwks()["keys"][0]["kid"].clone();
    drop(identity);
    let (again, first) =
        Identity::open(&dir, ISSUER, TenantDirectory::fixed(&["octosystem"]), None).unwrap();
    assert_eq!(first.admin_password, None, "only once");
    assert_eq!(
        again.jwks()["keys"][0]["kid"],
        kid,
        "the signing key persists"
    );
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(dir.join("identity/signing-key.der"))
            .unwrap()
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    let _ = std::fs::remove_dir_all(&dir);
}

fn as_refs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect()
}

fn fields_of<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'a str, &'a str)> {
    fields.iter().map(|(a, b)| (*a, b.as_str())).collect()
}
