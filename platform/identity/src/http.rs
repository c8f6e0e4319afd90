//! The identity service's routes: discovery, JWKS, device authorization, token, userinfo,
//! registration, the authorization endpoint and the device verification page.

use std::sync::Arc;

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::{Value, json};

use super::Identity;
use super::authorize::AuthorizeRequest;
use super::flows::{OAuthError, SCOPES, TokenRequest};
use super::keys::random_token;
use super::page;

const CSRF_COOKIE: &str = "octo_csrf";

/// The identity routes, to merge into the platform's router.
pub fn router(identity: Arc<Identity>) -> Router {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/.well-known/oauth-authorization-server", get(discovery))
        .route("/.well-known/openid-configuration/jwks", get(jwks))
        .route("/connect/deviceauthorization", post(device_authorization))
        .route("/connect/token", post(token))
        .route("/connect/userinfo", get(userinfo))
        .route("/connect/register", post(register))
        .route(
            "/connect/authorize",
            get(authorize_page).post(authorize_submit),
        )
        .route("/device", get(device_page).post(device_submit))
        .with_state(identity)
}

async fn discovery(State(identity): State<Arc<Identity>>) -> Json<Value> {
    let issuer = &identity.issuer;
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/connect/authorize"),
        "token_endpoint": format!("{issuer}/connect/token"),
        "device_authorization_endpoint": format!("{issuer}/connect/deviceauthorization"),
        "userinfo_endpoint": format!("{issuer}/connect/userinfo"),
        "registration_endpoint": format!("{issuer}/connect/register"),
        "jwks_uri": format!("{issuer}/.well-known/openid-configuration/jwks"),
        "scopes_supported": SCOPES,
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials",
            super::flows::DEVICE_CODE_GRANT, super::flows::TOKEN_EXCHANGE_GRANT],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none", "client_secret_post", "client_secret_basic"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "claims_supported": ["sub", "name", "preferred_username", "email", "tenant_id", "allowed_tenants", "role"],
        "acr_values_supported": ["tenant:{tenantId}"],
    }))
}

async fn jwks(State(identity): State<Arc<Identity>>) -> Json<Value> {
    Json(identity.jwks())
}

fn oauth_error(error: OAuthError) -> Response {
    let status = if error.code == "invalid_client" {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::BAD_REQUEST
    };
    no_store((
        status,
        Json(json!({"error": error.code, "error_description": error.description})),
    ))
}

fn no_store(response: impl IntoResponse) -> Response {
    let mut response = response.into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// HTTP Basic client authentication (`client_secret_basic`), if sent.
fn basic_client(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

#[derive(Deserialize)]
struct DeviceAuthorizationForm {
    client_id: Option<String>,
    client_secret: Option<String>,
    scope: Option<String>,
    acr_values: Option<String>,
}

async fn device_authorization(
    State(identity): State<Arc<Identity>>,
    headers: HeaderMap,
    Form(form): Form<DeviceAuthorizationForm>,
) -> Response {
    let basic = basic_client(&headers);
    let client_id = form.client_id.or(basic.as_ref().map(|(id, _)| id.clone()));
    let secret = form.client_secret.or(basic.map(|(_, secret)| secret));
    match identity.device_authorization(
        client_id.as_deref(),
        secret.as_deref(),
        form.scope.as_deref(),
        form.acr_values.as_deref(),
    ) {
        Ok(answer) => no_store(Json(answer)),
        Err(error) => oauth_error(error),
    }
}

async fn token(
    State(identity): State<Arc<Identity>>,
    headers: HeaderMap,
    Form(mut request): Form<TokenRequest>,
) -> Response {
    identity.refresh_tenants().await;
    if let Some((id, secret)) = basic_client(&headers) {
        request.client_id.get_or_insert(id);
        request.client_secret.get_or_insert(secret);
    }
    let outcome = tokio::task::spawn_blocking(move || identity.token(&request)).await;
    match outcome {
        Ok(Ok(answer)) => no_store(Json(answer)),
        Ok(Err(error)) => oauth_error(error),
        Err(_) => oauth_error(OAuthError::new("server_error", "the token request failed")),
    }
}

async fn userinfo(State(identity): State<Arc<Identity>>, headers: HeaderMap) -> Response {
    let claims = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .and_then(|token| identity.verify(token.trim()));
    match claims {
        Some(claims) => Json(json!({
            "sub": claims.sub, "name": claims.name, "preferred_username": claims.preferred_username,
            "email": claims.email, "tenant_id": claims.tenant_id, "allowed_tenants": claims.allowed_tenants,
            "role": claims.role,
        }))
        .into_response(),
        None => (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")],
        )
            .into_response(),
    }
}

#[derive(Deserialize)]
struct Registration {
    #[serde(default)]
    redirect_uris: Vec<String>,
    #[serde(default)]
    client_name: Option<String>,
}

async fn register(
    State(identity): State<Arc<Identity>>,
    Json(registration): Json<Registration>,
) -> Response {
    match identity.clients.register(registration.redirect_uris) {
        Ok(client) => no_store((
            StatusCode::CREATED,
            Json(json!({
                "client_id": client.id,
                "client_name": registration.client_name,
                "redirect_uris": client.redirect_uris,
                "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"],
                "token_endpoint_auth_method": "none",
            })),
        )),
        Err(error) => oauth_error(error),
    }
}

/// A fresh CSRF value and the cookie that carries it.
fn csrf_cookie() -> (String, HeaderValue) {
    let value = random_token(24);
    let cookie = format!("{CSRF_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict");
    (
        value,
        HeaderValue::from_str(&cookie).expect("a cookie of URL-safe characters"),
    )
}

/// The form's CSRF value matches the cookie's.
fn csrf_ok(headers: &HeaderMap, submitted: &str) -> bool {
    !submitted.is_empty()
        && headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .any(|(name, value)| name == CSRF_COOKIE && value == submitted)
}

fn html_with_cookie(status: StatusCode, cookie: HeaderValue, body: String) -> Response {
    let mut response = (status, Html(body)).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    headers.insert(
        "content-security-policy",
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"),
    );
    response
}

#[derive(Deserialize)]
struct DeviceQuery {
    #[serde(default)]
    user_code: Option<String>,
}

async fn device_page(
    State(identity): State<Arc<Identity>>,
    Query(query): Query<DeviceQuery>,
) -> Response {
    let user_code = query.user_code.unwrap_or_default();
    let tenant = identity.device_request(&user_code).flatten();
    let (csrf, cookie) = csrf_cookie();
    html_with_cookie(
        StatusCode::OK,
        cookie,
        page::device_form(&user_code, tenant.as_deref(), &csrf, None),
    )
}

#[derive(Deserialize)]
struct DeviceDecision {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    user_code: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    decision: String,
}

async fn device_submit(
    State(identity): State<Arc<Identity>>,
    headers: HeaderMap,
    Form(form): Form<DeviceDecision>,
) -> Response {
    identity.refresh_tenants().await;
    let (csrf, cookie) = csrf_cookie();
    if !csrf_ok(&headers, &form.csrf) {
        return html_with_cookie(
            StatusCode::FORBIDDEN,
            cookie,
            page::device_form(
                &form.user_code,
                None,
                &csrf,
                Some("The form expired; try again."),
            ),
        );
    }
    let approve = form.decision != "deny";
    let user_code = form.user_code.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        identity.decide_device(&form.user_code, &form.username, &form.password, approve)
    })
    .await
    .unwrap_or_else(|_| Err("The sign-in failed; try again.".into()));
    match outcome {
        Ok(display_name) => html_with_cookie(
            StatusCode::OK,
            cookie,
            page::device_done(approve, &display_name),
        ),
        Err(message) => html_with_cookie(
            StatusCode::BAD_REQUEST,
            cookie,
            page::device_form(&user_code, None, &csrf, Some(&message)),
        ),
    }
}

/// The request's fields as hidden inputs, so the sign-in form carries them back.
fn hidden_fields(request: &AuthorizeRequest) -> String {
    [
        ("response_type", &request.response_type),
        ("client_id", &request.client_id),
        ("redirect_uri", &request.redirect_uri),
        ("state", &request.state),
        ("scope", &request.scope),
        ("code_challenge", &request.code_challenge),
        ("code_challenge_method", &request.code_challenge_method),
        ("resource", &request.resource),
        ("nonce", &request.nonce),
        ("acr_values", &request.acr_values),
    ]
    .iter()
    .filter_map(|(name, value)| value.as_deref().map(|value| page::hidden(name, value)))
    .collect()
}

/// Sends the browser back to the client with `params` (and `state`).
fn redirect_back(redirect_uri: &str, state: Option<&str>, params: &[(&str, &str)]) -> Response {
    let mut url = redirect_uri.to_owned();
    url.push(if url.contains('?') { '&' } else { '?' });
    let mut pairs: Vec<String> = params
        .iter()
        .map(|(name, value)| format!("{name}={}", encode(value)))
        .collect();
    if let Some(state) = state {
        pairs.push(format!("state={}", encode(state)));
    }
    url.push_str(&pairs.join("&"));
    no_store(Redirect::to(&url))
}

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

async fn authorize_page(
    State(identity): State<Arc<Identity>>,
    Query(request): Query<AuthorizeRequest>,
) -> Response {
    match identity.check_authorize(&request) {
        Ok(_) => {
            let (csrf, cookie) = csrf_cookie();
            html_with_cookie(
                StatusCode::OK,
                cookie,
                page::authorize_form(
                    request.client_id.as_deref().unwrap_or_default(),
                    &hidden_fields(&request),
                    &csrf,
                    None,
                ),
            )
        }
        Err((Some(redirect_uri), error)) => redirect_back(
            &redirect_uri,
            request.state.as_deref(),
            &[
                ("error", error.code),
                ("error_description", &error.description),
            ],
        ),
        Err((None, error)) => (
            StatusCode::BAD_REQUEST,
            Html(page::error_page(&error.description)),
        )
            .into_response(),
    }
}

#[derive(Deserialize)]
struct AuthorizeSubmit {
    #[serde(flatten)]
    request: AuthorizeRequest,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    decision: String,
}

async fn authorize_submit(
    State(identity): State<Arc<Identity>>,
    headers: HeaderMap,
    Form(form): Form<AuthorizeSubmit>,
) -> Response {
    identity.refresh_tenants().await;
    let request = form.request;
    let checked = match identity.check_authorize(&request) {
        Ok(checked) => checked,
        Err((_, error)) => {
            return (
                StatusCode::BAD_REQUEST,
                Html(page::error_page(&error.description)),
            )
                .into_response();
        }
    };
    let (csrf, cookie) = csrf_cookie();
    if !csrf_ok(&headers, &form.csrf) {
        return html_with_cookie(
            StatusCode::FORBIDDEN,
            cookie,
            page::authorize_form(
                request.client_id.as_deref().unwrap_or_default(),
                &hidden_fields(&request),
                &csrf,
                Some("The form expired; try again."),
            ),
        );
    }
    if form.decision == "deny" {
        return redirect_back(
            &checked.redirect_uri,
            request.state.as_deref(),
            &[("error", "access_denied")],
        );
    }
    let (username, password) = (form.username, form.password);
    let for_grant = request.clone();
    let outcome =
        tokio::task::spawn_blocking(move || identity.grant_code(&for_grant, &username, &password))
            .await
            .unwrap_or_else(|_| Err("The sign-in failed; try again.".into()));
    match outcome {
        Ok(code) => redirect_back(
            &checked.redirect_uri,
            request.state.as_deref(),
            &[("code", &code)],
        ),
        Err(message) => html_with_cookie(
            StatusCode::BAD_REQUEST,
            cookie,
            page::authorize_form(
                request.client_id.as_deref().unwrap_or_default(),
                &hidden_fields(&request),
                &csrf,
                Some(&message),
            ),
        ),
    }
}
