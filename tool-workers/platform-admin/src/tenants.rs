//! The tenant lifecycle (8): `get_tenants`, `create_tenant`, `delete_tenant` (High, confirm),
//! `clean_tenant` (High, confirm), `attach_tenant`, `detach_tenant`, `clear_tenant_cache` (High,
//! confirm) and `update_system_ck_model`, each one call of the asset repository's
//! `{tenantId}/v1/tenants` routes, where `tenantId` is the parent. Results carry the child and the
//! parent and no `tenantId`, as the original's do.

use octomesh_octo_client::TenantInfo;
use octomesh_worker_runtime::{CallScope, Envelope, Risk, Tool, ToolError};
use reqwest::Method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::AdminCtx;

/// A child tenant id as OctoMesh normalises it (lower case), or what is wrong with it.
fn child_id(id: &str) -> Result<String, ToolError> {
    let id = id.trim().to_lowercase();
    if id.is_empty() {
        return Err(ToolError::InvalidArguments(
            "`childTenantId` is required: the id of the child tenant.".into(),
        ));
    }
    Ok(id)
}

/// A database name as OctoMesh normalises it (trimmed, lower case).
fn database_name(name: &str) -> Result<String, ToolError> {
    let name = name.trim().to_lowercase();
    if name.is_empty() {
        return Err(ToolError::InvalidArguments(
            "`database` is required: the name of the tenant's database.".into(),
        ));
    }
    Ok(name)
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Tenants {
    pub tenants: Vec<TenantInfo>,
    pub total_count: usize,
    pub parent_tenant_id: String,
}

/// List all child tenants visible from the given parent tenant (from the system tenant: every
/// tenant).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct GetTenants {
    /// The parent tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for GetTenants {
    const NAME: &'static str = "get_tenants";
    const TITLE: &'static str = "List child tenants";
    const RISK: Risk = Risk::Low;
    type Ctx = AdminCtx;
    type Output = Envelope<Tenants>;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let (asset, parent, token) = ctx.asset.rest(scope, self.tenant_id.as_deref())?;
        let tenants = asset.tenants(parent, token).await?;
        let message = format!("{} tenant(s) under '{parent}'", tenants.len());
        Ok(Envelope::success(
            None,
            Tenants {
                total_count: tenants.len(),
                tenants,
                parent_tenant_id: parent.to_owned(),
            },
        )
        .with_message(message))
    }
}

/// Binds a child tenant to a database: `POST {parent}/v1/tenants[/ACTION]?childTenantId&databaseName`
/// (create: no action; attach). Returns the normalised child id and database, and the parent.
async fn bind(
    ctx: &AdminCtx,
    scope: &CallScope,
    tenant: Option<&str>,
    (child, database): (&str, &str),
    action: Option<&str>,
) -> Result<(String, String, String), ToolError> {
    let child = child_id(child)?;
    let database = database_name(database)?;
    let (asset, parent, token) = ctx.asset.rest(scope, tenant)?;
    asset
        .tenant_action(
            parent,
            Method::POST,
            action,
            &[("childTenantId", &child), ("databaseName", &database)],
            token,
        )
        .await?;
    Ok((child, database, parent.to_owned()))
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreatedTenant {
    pub created_tenant_id: String,
    pub database: String,
    pub parent_tenant_id: String,
}

/// Create a new child tenant under the given parent tenant, on a new database, with the System
/// construction kit installed.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CreateTenant {
    /// The new tenant's id: lower-case letters, digits, `_` and `-`, starting with a letter.
    #[schemars(length(min = 1, max = 64))]
    child_tenant_id: String,
    /// The new tenant's database (must not exist yet).
    #[schemars(length(min = 1, max = 63))]
    database: String,
    /// The parent tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for CreateTenant {
    const NAME: &'static str = "create_tenant";
    const TITLE: &'static str = "Create a child tenant";
    const RISK: Risk = Risk::Medium;
    type Ctx = AdminCtx;
    type Output = Envelope<CreatedTenant>;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let (child, database, parent) = bind(
            ctx,
            scope,
            self.tenant_id.as_deref(),
            (&self.child_tenant_id, &self.database),
            None,
        )
        .await?;
        let message =
            format!("Tenant '{child}' created under '{parent}' on database '{database}'.");
        Ok(Envelope::success(
            None,
            CreatedTenant {
                created_tenant_id: child,
                database,
                parent_tenant_id: parent,
            },
        )
        .with_message(message))
    }
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AttachedTenant {
    pub child_tenant_id: String,
    pub database: String,
    pub parent_tenant_id: String,
}

/// Attach an existing database (one a tenant was detached from) as a child tenant.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct AttachTenant {
    /// The tenant id to bind the database to.
    #[schemars(length(min = 1, max = 64))]
    child_tenant_id: String,
    /// The existing, unbound database.
    #[schemars(length(min = 1, max = 63))]
    database: String,
    /// The parent tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for AttachTenant {
    const NAME: &'static str = "attach_tenant";
    const TITLE: &'static str = "Attach a database as a child tenant";
    const RISK: Risk = Risk::Medium;
    type Ctx = AdminCtx;
    type Output = Envelope<AttachedTenant>;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let (child, database, parent) = bind(
            ctx,
            scope,
            self.tenant_id.as_deref(),
            (&self.child_tenant_id, &self.database),
            Some("attach"),
        )
        .await?;
        let message =
            format!("Database '{database}' attached as tenant '{child}' under '{parent}'.");
        Ok(Envelope::success(
            None,
            AttachedTenant {
                child_tenant_id: child,
                database,
                parent_tenant_id: parent,
            },
        )
        .with_message(message))
    }
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ChildTenantDone {
    pub child_tenant_id: String,
    pub parent_tenant_id: String,
    /// What the asset repository answered, when it said more than "done" (the models updated).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DeletedTenant {
    pub deleted_tenant_id: String,
    pub parent_tenant_id: String,
}

/// One child-tenant route: `METHOD {parent}/v1/tenants[/ACTION]?childTenantId=`.
async fn child_route(
    ctx: &AdminCtx,
    scope: &CallScope,
    tenant: Option<&str>,
    child: &str,
    (method, action): (Method, Option<&str>),
) -> Result<(String, String, Value), ToolError> {
    let child = child_id(child)?;
    let (asset, parent, token) = ctx.asset.rest(scope, tenant)?;
    let answer = asset
        .tenant_action(parent, method, action, &[("childTenantId", &child)], token)
        .await?;
    Ok((child, parent.to_owned(), answer))
}

/// Declares a child-tenant tool over [`child_route`]: its argument struct (with `confirm` when
/// High risk) and its `Tool` impl answering [`ChildTenantDone`].
macro_rules! child_tool {
    ($type:ident, $name:literal, $title:literal, $risk:expr, $route:expr, $done:literal, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Deserialize, JsonSchema)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub(crate) struct $type {
            /// The child tenant.
            #[schemars(length(min = 1, max = 64))]
            child_tenant_id: String,
            /// Must be true for High-risk tools; ignored otherwise.
            #[serde(default)]
            #[allow(dead_code)]
            confirm: bool,
            /// The parent tenant (default: the endpoint's tenant).
            tenant_id: Option<String>,
        }

        impl Tool for $type {
            const NAME: &'static str = $name;
            const TITLE: &'static str = $title;
            const RISK: Risk = $risk;
            type Ctx = AdminCtx;
            type Output = Envelope<ChildTenantDone>;

            async fn call(
                self,
                ctx: &AdminCtx,
                scope: &CallScope,
            ) -> Result<Self::Output, ToolError> {
                let (child, parent, answer) = child_route(
                    ctx,
                    scope,
                    self.tenant_id.as_deref(),
                    &self.child_tenant_id,
                    $route,
                )
                .await?;
                let message = format!($done, child = child, parent = parent);
                Ok(Envelope::success(
                    None,
                    ChildTenantDone {
                        child_tenant_id: child,
                        parent_tenant_id: parent,
                        result: match answer {
                            Value::Object(_) => Some(answer),
                            _ => None,
                        },
                    },
                )
                .with_message(message))
            }
        }
    };
}

child_tool!(
    CleanTenant,
    "clean_tenant",
    "Clean a child tenant",
    Risk::High,
    (Method::PUT, Some("clear")),
    "Tenant '{child}' under '{parent}' cleaned: every entity, stream-data row and model is gone; the System models are installed again.",
    "Reset a child tenant to its initial state, deleting all data and resetting the construction kit to system-only models. Requires `confirm: true`."
);
child_tool!(
    DetachTenant,
    "detach_tenant",
    "Detach a child tenant",
    Risk::Medium,
    (Method::POST, Some("detach")),
    "Tenant '{child}' detached from '{parent}'; its database is kept and can be attached again (attach_tenant).",
    "Detach a child tenant: removes the binding but leaves the database intact, to be attached again."
);
child_tool!(
    ClearTenantCache,
    "clear_tenant_cache",
    "Clear a child tenant's cache",
    Risk::High,
    (Method::PUT, Some("clearCache")),
    "Caches of tenant '{child}' (under '{parent}') cleared.",
    "Clear the in-memory caches of a child tenant (its database and construction kit are read again). Requires `confirm: true`."
);
child_tool!(
    UpdateSystemCkModel,
    "update_system_ck_model",
    "Update a child tenant's System model",
    Risk::Medium,
    (Method::PUT, Some("update")),
    "The System construction-kit models of tenant '{child}' (under '{parent}') are at the shipped versions.",
    "Update the system construction-kit models of a child tenant to the versions this platform ships."
);

/// Delete a child tenant and its database. Requires `confirm: true`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct DeleteTenant {
    /// The child tenant.
    #[schemars(length(min = 1, max = 64))]
    child_tenant_id: String,
    /// Must be true.
    #[serde(default)]
    #[allow(dead_code)]
    confirm: bool,
    /// The parent tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for DeleteTenant {
    const NAME: &'static str = "delete_tenant";
    const TITLE: &'static str = "Delete a child tenant";
    const RISK: Risk = Risk::High;
    type Ctx = AdminCtx;
    type Output = Envelope<DeletedTenant>;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let (child, parent, _) = child_route(
            ctx,
            scope,
            self.tenant_id.as_deref(),
            &self.child_tenant_id,
            (Method::DELETE, None),
        )
        .await?;
        let message = format!("Tenant '{child}' and its data deleted.");
        Ok(Envelope::success(
            None,
            DeletedTenant {
                deleted_tenant_id: child,
                parent_tenant_id: parent,
            },
        )
        .with_message(message))
    }
}
