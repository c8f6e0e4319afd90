//! The asset repository's GraphQL endpoint, `{asset}/tenants/{tenantId}/GraphQL`: the generic
//! surface of the OctoMesh schema — `constructionKit { models types attributes enums records
//! associationRoles }`, `runtime { runtimeEntities(...) }`, `availableArchivePaths`, and the
//! `runtime.runtimeEntities` create/update/delete mutations.
//!
//! A small executor over `graphql-parser` rather than a schema framework: the surface is fixed and
//! generic, and the framework tripled the platform's build time (ARCHITECTURE.md, decision
//! "GraphQL"). The per-type typed connections and introspection of upstream are not served.

mod ck;
mod connection;
mod exec;
mod input;
mod mutation;
mod runtime;
mod streamdata;

use std::sync::{Arc, RwLockReadGuard};

use axum::Json;
use axum::extract::{Extension, Path, State};
use serde_json::Value;

use crate::ck::catalog::CkCatalog;
use crate::ck::model::ElementId;
use crate::http::AssetApi;
use crate::store::Tenant;
use connection::unknown_field;
use exec::{Args, FieldError, Object, OperationKind, Out};

pub use exec::Request;

/// `POST /tenants/{tenantId}/GraphQL`. GraphQL answers 200 with `errors` for query problems.
pub(crate) async fn handler(
    State(api): State<Arc<AssetApi>>,
    Path(tenant_id): Path<String>,
    Extension(access): Extension<crate::http::Access>,
    Json(request): Json<Request>,
) -> Json<Value> {
    let platform = api.platform.clone();
    let may_write = access.can_write();
    let answer = tokio::task::spawn_blocking(move || match platform.tenant(&tenant_id) {
        Ok(tenant) => {
            // The stream-data store is opened only when a request asks for `streamData`.
            let series = || platform.series(&tenant_id).ok();
            execute_with(&tenant, &series, request, may_write)
        }
        Err(error) => exec::request_error(&error.to_string()),
    })
    .await
    .unwrap_or_else(|_| exec::request_error("the request failed; see the platform's log"));
    Json(answer)
}

/// Runs one GraphQL request against a tenant.
pub fn execute(tenant: &Tenant, request: Request) -> Value {
    execute_as(tenant, request, true)
}

/// Runs one GraphQL request; mutations only when `may_write`.
pub fn execute_as(tenant: &Tenant, request: Request, may_write: bool) -> Value {
    execute_with(tenant, &|| None, request, may_write)
}

/// Runs one GraphQL request with the tenant's stream data (for `streamData`).
pub fn execute_with(
    tenant: &Tenant,
    series: &dyn Fn() -> Option<Arc<crate::series::SeriesStore>>,
    request: Request,
    may_write: bool,
) -> Value {
    let prepared = match exec::prepare(request) {
        Ok(prepared) => prepared,
        Err(message) => return exec::request_error(&message),
    };
    match prepared.kind {
        OperationKind::Query => exec::execute(&prepared, &QueryRoot { tenant, series }),
        OperationKind::Mutation if !may_write => serde_json::json!({"errors": [{
            "message": "The token is read-only: mutations need the octo_api scope.",
            "extensions": {"code": "AUTH_NOT_AUTHORIZED"},
        }]}),
        OperationKind::Mutation => exec::execute(&prepared, &mutation::MutationRoot { tenant }),
    }
}

/// The query root (`OctoQuery`).
struct QueryRoot<'t> {
    tenant: &'t Tenant,
    /// Opens the tenant's stream-data store, on first use of `streamData`.
    series: &'t dyn Fn() -> Option<Arc<crate::series::SeriesStore>>,
}

impl Object for QueryRoot<'_> {
    fn type_name(&self) -> &'static str {
        "OctoQuery"
    }

    fn field<'s>(&'s self, name: &str, args: &Args) -> Result<Out<'s>, FieldError> {
        match name {
            "constructionKit" => Ok(Out::object(CkRoot(self.tenant.catalog()))),
            "runtime" => Ok(Out::object(runtime::RuntimeQuery {
                tenant: self.tenant,
            })),
            "streamData" => Ok(Out::object(streamdata::StreamDataQuery {
                tenant: self.tenant,
                series: (self.series)(),
            })),
            "availableArchivePaths" => {
                let ck_type: String = args.require("ckTypeId")?;
                let catalog = self.tenant.catalog();
                let id = ElementId::parse(&ck_type)
                    .filter(|id| catalog.ck_type(id).is_some())
                    .ok_or_else(|| FieldError::invalid(format!("unknown CK type `{ck_type}`")))?;
                let paths = catalog.attribute_paths(&id, ck::max_depth(args)?);
                Ok(Out::objects(paths.into_iter().map(ck::PathNode)))
            }
            other => Err(unknown_field("OctoQuery", other)),
        }
    }
}

/// `constructionKit`, holding the catalog's read lock while its fields resolve.
struct CkRoot<'t>(RwLockReadGuard<'t, CkCatalog>);

impl Object for CkRoot<'_> {
    fn type_name(&self) -> &'static str {
        "CkQuery"
    }

    fn field<'s>(&'s self, name: &str, args: &Args) -> Result<Out<'s>, FieldError> {
        ck::ck_field(&self.0, name, args)
    }
}

#[cfg(test)]
mod tests;
