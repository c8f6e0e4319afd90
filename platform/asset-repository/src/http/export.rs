//! `system/v1/tenants/{tenantId}/export/runtime-model/by-query|by-deep-graph`: a tenant's
//! entities as `RtEntities.zip`, one entry `RtEntities.yaml` in the runtime-model format that
//! `Models/ImportRt` takes (`crate::rt::export`).
//!
//! - **by query** (`{"queryId"}`): every entity the persisted query selects (its CK type, field
//!   filters and sorting). Upstream writes no associations here; ours writes each entity's
//!   outbound associations whose targets are in the export too, so the file re-imports
//!   consistently (an association to an entity left out would be refused on import).
//! - **by deep graph** (`{"originRtIds", "originCkTypeId"}`): the origins and every entity
//!   reachable from them by outbound associations, transitively, each once, with their
//!   associations. The store keeps no association attributes, so none are written.
//!
//! Both hold at most [`MAX_GRAPH_ENTITIES`] entities, and write the zip to an anonymous
//! temporary file that the answer streams.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::Write as _;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::AssetApi;
use super::download::{anonymous_file, file_response, refused};
use super::error::ApiError;
use super::streamdata::blocking;
use crate::ck::model::ElementId;
use crate::rt::entity::{RtAssociation, RtId};
use crate::rt::export::{RuntimeModelWriter, entity_source};
use crate::store::{MAX_GRAPH_ENTITIES, MAX_LIMIT, StoreError, Tenant};

/// The one entry of the zip.
const ENTRY: &str = "RtEntities.yaml";
/// The zip's download name.
const FILE_NAME: &str = "RtEntities.zip";
/// How many entities are read and written at a time.
const PAGE: usize = MAX_LIMIT as usize;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ByQuery {
    query_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ByDeepGraph {
    origin_rt_ids: Vec<String>,
    origin_ck_type_id: String,
}

/// What an export ends in: the zip, or a refusal that says why.
enum Outcome {
    Zip(std::fs::File),
    Refused(StatusCode, String),
}

/// `POST system/v1/tenants/{tenantId}/export/runtime-model/by-query`.
pub(crate) async fn by_query(
    State(api): State<Arc<AssetApi>>,
    Path(tenant_id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request: ByQuery = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => {
            return Ok(refused(
                StatusCode::BAD_REQUEST,
                format!(
                    "the body must be {{\"queryId\": \"<24-hex rtId of a persisted query>\"}}: {error}"
                ),
            ));
        }
    };
    let outcome = blocking(&api, move |platform| {
        let tenant = platform.tenant(&tenant_id)?;
        if let Err(error) = RtId::parse(&request.query_id) {
            return Ok(Outcome::Refused(
                StatusCode::BAD_REQUEST,
                format!("queryId: {error}"),
            ));
        }
        let Some(mut query) = tenant.persisted_query(&request.query_id)? else {
            return Ok(Outcome::Refused(
                StatusCode::NOT_FOUND,
                format!(
                    "tenant `{tenant_id}` has no persisted query `{}`: query_entities on `System/PersistentQuery` lists them",
                    request.query_id
                ),
            ));
        };
        let mut selected: Vec<(String, String)> = Vec::new();
        loop {
            let page = tenant.query_entities(&query)?;
            if page.total_count > MAX_GRAPH_ENTITIES as u64 {
                return Ok(Outcome::Refused(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "persisted query `{}` selects {} entities; at most {MAX_GRAPH_ENTITIES} are exported at once: narrow its field filters",
                        request.query_id, page.total_count
                    ),
                ));
            }
            let got = page.entities.len();
            selected.extend(
                page.entities
                    .into_iter()
                    .map(|entity| (entity.rt_id, entity.ck_type)),
            );
            if got < PAGE || selected.len() as u64 >= page.total_count {
                break;
            }
            query.offset += PAGE as u32;
        }
        Ok(Outcome::Zip(write_zip(&tenant, &selected)?))
    })
    .await?;
    answer(outcome)
}

/// `POST system/v1/tenants/{tenantId}/export/runtime-model/by-deep-graph`.
pub(crate) async fn by_deep_graph(
    State(api): State<Arc<AssetApi>>,
    Path(tenant_id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request: ByDeepGraph = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => {
            return Ok(refused(
                StatusCode::BAD_REQUEST,
                format!(
                    "the body must be {{\"originRtIds\": [\"<24-hex rtId>\", …], \"originCkTypeId\": \"Model/Type\"}}: {error}"
                ),
            ));
        }
    };
    if request.origin_rt_ids.is_empty() || request.origin_ck_type_id.trim().is_empty() {
        return Ok(refused(
            StatusCode::BAD_REQUEST,
            "originRtIds (non-empty) and originCkTypeId are required",
        ));
    }
    let outcome = blocking(&api, move |platform| {
        let tenant = platform.tenant(&tenant_id)?;
        let type_text = request.origin_ck_type_id.trim();
        let type_id = ElementId::parse(type_text).filter(|id| tenant.catalog().ck_type(id).is_some());
        let Some(type_id) = type_id else {
            return Ok(Outcome::Refused(
                StatusCode::BAD_REQUEST,
                format!("originCkTypeId `{type_text}` is not a CK type of tenant `{tenant_id}`: write Model/Type, e.g. Basic/Tree"),
            ));
        };
        let mut origins = Vec::with_capacity(request.origin_rt_ids.len());
        for origin in &request.origin_rt_ids {
            let rt_id = match RtId::parse(origin) {
                Ok(rt_id) => rt_id,
                Err(error) => {
                    return Ok(Outcome::Refused(StatusCode::BAD_REQUEST, format!("originRtIds: {error}")));
                }
            };
            let Some(entity) = tenant.get_entity(rt_id.as_str())?.filter(|entity| !entity.archived) else {
                return Ok(Outcome::Refused(
                    StatusCode::NOT_FOUND,
                    format!("origin `{origin}` does not exist in tenant `{tenant_id}`"),
                ));
            };
            let of_type = ElementId::parse(&entity.ck_type)
                .is_some_and(|id| tenant.catalog().derives_from(&id, &type_id));
            if !of_type {
                return Ok(Outcome::Refused(
                    StatusCode::NOT_FOUND,
                    format!(
                        "origin `{origin}` is a `{}`, not a `{type_id}`: pass origins of originCkTypeId",
                        entity.ck_type
                    ),
                ));
            }
            origins.push((entity.rt_id, entity.ck_type));
        }
        let graph = match tenant.deep_graph(&origins, MAX_GRAPH_ENTITIES) {
            Ok(graph) => graph,
            Err(StoreError::Invalid(problems)) => {
                return Ok(Outcome::Refused(StatusCode::BAD_REQUEST, problems.join("; ")));
            }
            Err(error) => return Err(error),
        };
        Ok(Outcome::Zip(write_zip(&tenant, &graph)?))
    })
    .await?;
    answer(outcome)
}

fn answer(outcome: Outcome) -> Result<Response, ApiError> {
    match outcome {
        Outcome::Zip(file) => file_response(file, FILE_NAME, "application/zip").map_err(|error| {
            ApiError(StoreError::Io(format!(
                "the export cannot be read: {error}"
            )))
        }),
        Outcome::Refused(status, message) => Ok(refused(status, message)),
    }
}

/// Writes `entities` (`(rtId, CK type)`) with their associations inside the set as the zip.
fn write_zip(tenant: &Tenant, entities: &[(String, String)]) -> Result<std::fs::File, StoreError> {
    let io =
        |error: std::io::Error| StoreError::Io(format!("the export cannot be written: {error}"));
    let zip_error = |error: zip::result::ZipError| {
        StoreError::Io(format!("the export cannot be written: {error}"))
    };
    let dependencies = dependencies(tenant, entities);
    let members: HashSet<&str> = entities.iter().map(|(rt_id, _)| rt_id.as_str()).collect();
    let mut zip = zip::ZipWriter::new(anonymous_file().map_err(io)?);
    zip.start_file(
        ENTRY,
        zip::write::SimpleFileOptions::default().large_file(true),
    )
    .map_err(zip_error)?;
    let mut writer =
        RuntimeModelWriter::new(std::io::BufWriter::new(&mut zip), &dependencies).map_err(io)?;
    for page in entities.chunks(PAGE) {
        let rt_ids: Vec<String> = page.iter().map(|(rt_id, _)| rt_id.clone()).collect();
        let stored = tenant.get_entities(&rt_ids)?;
        let mut associations: HashMap<String, Vec<RtAssociation>> = HashMap::new();
        for (origin, association) in tenant.outbound_associations(&rt_ids)? {
            if members.contains(association.target.as_str()) {
                associations.entry(origin).or_default().push(association);
            }
        }
        let catalog = tenant.catalog();
        for entity in &stored {
            let own = associations.remove(&entity.rt_id).unwrap_or_default();
            writer
                .entity(&entity_source(&catalog, entity, &own))
                .map_err(io)?;
        }
    }
    let (mut buffered, _) = writer.finish().map_err(io)?;
    buffered.flush().map_err(io)?;
    drop(buffered);
    zip.finish().map_err(zip_error)
}

/// The model ids the entities' types come from, e.g. `System-2.2.2`, sorted.
fn dependencies(tenant: &Tenant, entities: &[(String, String)]) -> Vec<String> {
    let catalog = tenant.catalog();
    let models: BTreeSet<&str> = entities
        .iter()
        .filter_map(|(_, ck_type)| ck_type.split_once('/').map(|(model, _)| model))
        .collect();
    models
        .into_iter()
        .filter_map(|model| {
            catalog
                .model(model)
                .map(|installed| installed.model.id.to_string())
        })
        .collect()
}
