//! The tus 1.0.0 endpoint (core, `creation`, `termination`) at `system/v1/tus-upload` and
//! `{tenant}/v1/tus-upload`: OPTIONS, POST (create), HEAD, PATCH, DELETE; also through
//! `X-HTTP-Method-Override`. Every answer carries `Tus-Resumable: 1.0.0` (a layer adds it).

// Refusals are whole answers (some with tus headers), returned at once: their size is no cost.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::Extension;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use octomesh_platform_common::Access;
use octomesh_platform_common::tenant::{invalid_tenant_id, is_valid_tenant_id};

use super::auth::may_use;
use super::headers::{
    OFFSET_OCTET_STREAM, TusExtension, TusHeader, TusMaxSize, TusResumable, TusVersion,
    UploadDeferLength, UploadLength, UploadMetadata, UploadOffset, read, write,
};
use super::metadata::Metadata;
use super::store::{Appended, Hold, UploadInfo};
use crate::Bot;
use crate::error::ApiError;
use crate::ids::UploadId;

/// Which path a request came through.
#[derive(Debug, Clone)]
enum Scope {
    System,
    Tenant(String),
}

impl Scope {
    fn prefix(&self) -> String {
        match self {
            Scope::System => "/system/v1".to_owned(),
            Scope::Tenant(tenant) => format!("/{tenant}/v1"),
        }
    }
}

/// The layer that stamps `Tus-Resumable` on every answer of the endpoint.
pub(crate) async fn stamp(mut response: Response) -> Response {
    write(response.headers_mut(), &TusResumable::current());
    response
}

pub(crate) async fn system_collection(
    State(bot): State<Arc<Bot>>,
    Extension(access): Extension<Access>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    collection(&bot, &access, Scope::System, method, &headers)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

pub(crate) async fn tenant_collection(
    State(bot): State<Arc<Bot>>,
    Extension(access): Extension<Access>,
    Path(tenant): Path<String>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    collection(&bot, &access, Scope::Tenant(tenant), method, &headers)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

pub(crate) async fn system_file(
    State(bot): State<Arc<Bot>>,
    Extension(access): Extension<Access>,
    Path(file_id): Path<String>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Response {
    file(
        &bot,
        &access,
        Scope::System,
        &file_id,
        method,
        &headers,
        body,
    )
    .await
    .unwrap_or_else(IntoResponse::into_response)
}

pub(crate) async fn tenant_file(
    State(bot): State<Arc<Bot>>,
    Extension(access): Extension<Access>,
    Path((tenant, file_id)): Path<(String, String)>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Response {
    file(
        &bot,
        &access,
        Scope::Tenant(tenant),
        &file_id,
        method,
        &headers,
        body,
    )
    .await
    .unwrap_or_else(IntoResponse::into_response)
}

/// The request's method, or the one `X-HTTP-Method-Override` names.
fn effective_method(method: Method, headers: &HeaderMap) -> Method {
    headers
        .get("x-http-method-override")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| Method::from_bytes(value.trim().to_ascii_uppercase().as_bytes()).ok())
        .unwrap_or(method)
}

/// 412 unless the request speaks tus 1.0.0.
fn require_version(headers: &HeaderMap) -> Result<(), Response> {
    match read::<TusResumable>(headers) {
        Ok(Some(version)) if version.is_supported() => Ok(()),
        _ => {
            let mut response = ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                "This is a tus 1.0.0 endpoint: send Tus-Resumable: 1.0.0.",
            )
            .into_response();
            write(response.headers_mut(), &TusVersion);
            Err(response)
        }
    }
}

fn bad(message: impl Into<String>) -> Response {
    ApiError::bad_request(message).into_response()
}

fn options(bot: &Bot) -> Response {
    let mut headers = HeaderMap::new();
    write(&mut headers, &TusVersion);
    write(&mut headers, &TusExtension);
    write(&mut headers, &TusMaxSize(bot.config.max_upload_bytes));
    (StatusCode::NO_CONTENT, headers).into_response()
}

async fn collection(
    bot: &Bot,
    access: &Access,
    scope: Scope,
    method: Method,
    headers: &HeaderMap,
) -> Result<Response, Response> {
    match effective_method(method, headers) {
        Method::OPTIONS => Ok(options(bot)),
        Method::POST => {
            require_version(headers)?;
            create(bot, access, &scope, headers)
        }
        _ => Err(not_allowed("OPTIONS, POST")),
    }
}

fn not_allowed(allow: &'static str) -> Response {
    let mut response = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("The tus endpoint takes {allow} here."),
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    response
}

/// POST: a new upload of `Upload-Length` bytes for the tenant its metadata names.
fn create(
    bot: &Bot,
    access: &Access,
    scope: &Scope,
    headers: &HeaderMap,
) -> Result<Response, Response> {
    let length = read::<UploadLength>(headers).map_err(bad)?;
    let Some(UploadLength(length)) = length else {
        let message = if read::<UploadDeferLength>(headers).is_ok_and(|defer| defer.is_some()) {
            "Upload-Defer-Length is not supported: send Upload-Length, the upload's size in bytes."
        } else {
            "Upload-Length is required: send the upload's size in bytes."
        };
        return Err(bad(message));
    };
    let max = bot.config.max_upload_bytes;
    if length > max {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("The upload of {length} bytes is larger than the {max} bytes this server takes (Tus-Max-Size)."),
        )
        .into_response());
    }
    if headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim() != "0")
    {
        return Err(bad(
            "The creation-with-upload extension is not supported: create the upload empty, then send its bytes with PATCH.",
        ));
    }
    let metadata = match headers.get(<UploadMetadata as TusHeader>::NAME) {
        None => Metadata::default(),
        Some(value) => {
            let text = value
                .to_str()
                .map_err(|_| bad("Upload-Metadata is not ASCII"))?;
            Metadata::parse(text).map_err(bad)?
        }
    };
    let tenant = match (scope, metadata.text("tenantId")) {
        (Scope::System, None) => {
            return Err(bad(
                "Upload-Metadata must name the tenant the upload is for: tenantId <base64 of the tenant id>.",
            ));
        }
        (Scope::System, Some(named)) => named.to_owned(),
        (Scope::Tenant(route), None) => route.clone(),
        (Scope::Tenant(route), Some(named)) if named == route => named.to_owned(),
        (Scope::Tenant(route), Some(named)) => {
            return Err(bad(format!(
                "Upload-Metadata names tenant `{named}`, but the upload is created for `{route}` (the route's tenant)."
            )));
        }
    };
    if !is_valid_tenant_id(&tenant) {
        return Err(bad(format!(
            "Upload-Metadata tenantId: {}",
            invalid_tenant_id(&tenant)
        )));
    }
    if !may_use(access, &tenant) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!("The token is not for tenant `{tenant}`."),
        )
        .into_response());
    }
    let (id, _) = bot
        .uploads
        .create(length, metadata, &tenant)
        .map_err(|error| {
            ApiError::storage(format!("cannot create an upload: {error}")).into_response()
        })?;
    tracing::info!(upload = %id, tenant, length, "TUS upload created.");
    let location = format!(
        "{}{}/tus-upload/{id}",
        public_base(bot, headers),
        scope.prefix()
    );
    let mut answer = HeaderMap::new();
    answer.insert(
        header::LOCATION,
        HeaderValue::from_str(&location).map_err(|_| bad("the request's Host is not a host"))?,
    );
    Ok((StatusCode::CREATED, answer).into_response())
}

/// The base URL uploads are reached at: the configured one, else `http://{Host}`.
fn public_base(bot: &Bot, headers: &HeaderMap) -> String {
    if let Some(url) = &bot.config.public_url {
        return url.trim_end_matches('/').to_owned();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .filter(|host| {
            !host.is_empty()
                && host.len() <= 255
                && host
                    .bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || b".-:[]_".contains(&byte))
        })
        .unwrap_or("localhost");
    format!("http://{host}")
}

async fn file(
    bot: &Bot,
    access: &Access,
    scope: Scope,
    file_id: &str,
    method: Method,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, Response> {
    let method = effective_method(method, headers);
    if method == Method::OPTIONS {
        return Ok(options(bot));
    }
    if ![Method::HEAD, Method::PATCH, Method::DELETE].contains(&method) {
        return Err(not_allowed("OPTIONS, HEAD, PATCH, DELETE"));
    }
    require_version(headers)?;
    let not_found =
        || ApiError::not_found(format!("There is no upload `{file_id}`.")).into_response();
    let id = UploadId::parse(file_id).ok_or_else(not_found)?;
    if method == Method::PATCH {
        // Checked before the upload is taken over, so a malformed request disturbs nothing.
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(|value| {
                value
                    .split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase()
            });
        if content_type.as_deref() != Some(OFFSET_OCTET_STREAM) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("A PATCH sends Content-Type: {OFFSET_OCTET_STREAM}."),
            )
            .into_response());
        }
        if read::<UploadOffset>(headers).map_err(bad)?.is_none() {
            return Err(bad(
                "Upload-Offset is required: send the offset the body starts at (HEAD the upload for it).",
            ));
        }
    }
    let hold = bot.uploads.hold(&id).await.ok_or_else(|| {
        ApiError::new(
            StatusCode::CONFLICT,
            "Another request is still working on this upload; try again.",
        )
        .into_response()
    })?;
    let info = bot.uploads.info(&id).ok_or_else(not_found)?;
    match &scope {
        Scope::Tenant(route) if *route != info.tenant_id => return Err(not_found()),
        _ if !may_use(access, &info.tenant_id) => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!("The token is not for tenant `{}`.", info.tenant_id),
            )
            .into_response());
        }
        _ => {}
    }
    match method {
        Method::HEAD => Ok(head(&info)),
        Method::PATCH => patch(bot, &id, &hold, &info, headers, body).await,
        _ => {
            bot.uploads.delete(&id).map_err(|error| {
                ApiError::storage(format!("cannot delete upload {id}: {error}")).into_response()
            })?;
            tracing::info!(upload = %id, "TUS upload terminated.");
            Ok(StatusCode::NO_CONTENT.into_response())
        }
    }
}

/// HEAD: where the upload is.
fn head(info: &UploadInfo) -> Response {
    let mut headers = HeaderMap::new();
    write(&mut headers, &UploadOffset(info.offset));
    write(&mut headers, &UploadLength(info.length));
    if !info.metadata.is_empty() {
        write(&mut headers, &UploadMetadata(info.metadata.clone()));
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    (StatusCode::OK, headers).into_response()
}

/// PATCH: the body appended at `Upload-Offset`, which must be the upload's offset.
async fn patch(
    bot: &Bot,
    id: &UploadId,
    hold: &Hold,
    info: &UploadInfo,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, Response> {
    let Some(UploadOffset(offset)) = read::<UploadOffset>(headers).map_err(bad)? else {
        return Err(bad("Upload-Offset is required."));
    };
    if offset != info.offset {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!(
                "Upload-Offset {offset} is not the upload's offset {}: HEAD the upload and resume from its Upload-Offset.",
                info.offset
            ),
        )
        .into_response());
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    if declared.is_some_and(|declared| declared > info.length - info.offset) {
        return Err(too_long(info));
    }
    let appended = bot
        .uploads
        .append(id, hold, info, body)
        .await
        .map_err(|error| {
            ApiError::storage(format!("cannot write upload {id}: {error}")).into_response()
        })?;
    match appended {
        Appended::Ended(offset) => {
            tracing::debug!(upload = %id, offset, "TUS upload received bytes.");
            let mut headers = HeaderMap::new();
            write(&mut headers, &UploadOffset(offset));
            Ok((StatusCode::NO_CONTENT, headers).into_response())
        }
        Appended::BrokenOff(offset) => {
            tracing::info!(upload = %id, offset, "A TUS PATCH broke off; what arrived is kept.");
            let mut response = bad(format!(
                "The body broke off at offset {offset}; what arrived is kept: HEAD the upload and resume from its Upload-Offset."
            ));
            write(response.headers_mut(), &UploadOffset(offset));
            Err(response)
        }
        Appended::TooLong(_) => Err(too_long(info)),
    }
}

fn too_long(info: &UploadInfo) -> Response {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!(
            "The body goes past the upload's Upload-Length of {} bytes.",
            info.length
        ),
    )
    .into_response()
}
