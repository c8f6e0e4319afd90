//! Schema discovery: `get_available_models`, `get_available_types`, `get_type_schema`,
//! `search_types`, `get_available_archive_paths`.

use octomesh_octo_client::types::{AttributePathInfo, CkModelInfo, CkTypeInfo, CkTypeSchema};
use octomesh_worker_runtime::{CallScope, Envelope, Risk, Tool, ToolError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::CkCtx;

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ModelList {
    pub count: usize,
    pub models: Vec<CkModelInfo>,
}

/// List the construction-kit models installed in the tenant, with their pinned dependencies.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct GetAvailableModels {
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for GetAvailableModels {
    const NAME: &'static str = "get_available_models";
    const TITLE: &'static str = "CK models";
    const RISK: Risk = Risk::Low;
    type Ctx = CkCtx;
    type Output = Envelope<ModelList>;

    async fn call(self, ctx: &CkCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let (tenant, session) = ctx.session(scope, self.tenant_id.as_deref())?;
        let models = session.ck_models().await?;
        Ok(Envelope::success(
            Some(tenant),
            ModelList {
                count: models.len(),
                models,
            },
        ))
    }
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TypeList {
    pub count: usize,
    pub types: Vec<CkTypeInfo>,
}

fn type_list(types: Vec<CkTypeInfo>, include_abstract: bool) -> TypeList {
    let types: Vec<CkTypeInfo> = types
        .into_iter()
        .filter(|ck_type| include_abstract || !ck_type.is_abstract)
        .collect();
    TypeList {
        count: types.len(),
        types,
    }
}

/// List CK types (optionally of one model, optionally with abstract ones) with their base type
/// and description. `get_type_schema` gives one type's attributes and associations.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct GetAvailableTypes {
    /// Include abstract types (which have no entities of their own).
    #[serde(default)]
    include_abstract: bool,
    /// Only the types of this model, e.g. `Demo` or `Demo-1.0.0`.
    ck_model_id: Option<String>,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for GetAvailableTypes {
    const NAME: &'static str = "get_available_types";
    const TITLE: &'static str = "CK types";
    const RISK: Risk = Risk::Low;
    type Ctx = CkCtx;
    type Output = Envelope<TypeList>;

    async fn call(self, ctx: &CkCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let (tenant, session) = ctx.session(scope, self.tenant_id.as_deref())?;
        let types = session
            .ck_types(self.ck_model_id.map(|model| vec![model]), None)
            .await?;
        Ok(Envelope::success(
            Some(tenant),
            type_list(types, self.include_abstract),
        ))
    }
}

/// Search CK types whose id or description contains a term (case-insensitive).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct SearchTypes {
    /// Text to look for, e.g. `machine`.
    search_term: String,
    /// Include abstract types.
    #[serde(default)]
    include_abstract: bool,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for SearchTypes {
    const NAME: &'static str = "search_types";
    const TITLE: &'static str = "Search CK types";
    const RISK: Risk = Risk::Low;
    type Ctx = CkCtx;
    type Output = Envelope<TypeList>;

    async fn call(self, ctx: &CkCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        if self.search_term.trim().is_empty() {
            return Err(ToolError::InvalidArguments(
                "`searchTerm` is empty: give part of a type's name or description".into(),
            ));
        }
        let (tenant, session) = ctx.session(scope, self.tenant_id.as_deref())?;
        let types = session
            .ck_types(None, Some(self.search_term.trim()))
            .await?;
        Ok(Envelope::success(
            Some(tenant),
            type_list(types, self.include_abstract),
        ))
    }
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TypeSchemaResult {
    pub schema: CkTypeSchema,
}

/// The full schema of one CK type: attributes (name, value type, required or optional,
/// inherited, record and enum types), inbound and outbound associations, base and derived types,
/// and every queryable attribute path (dot paths into records).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct GetTypeSchema {
    /// The CK type, `Model/Type`.
    ck_type_id: String,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for GetTypeSchema {
    const NAME: &'static str = "get_type_schema";
    const TITLE: &'static str = "CK type schema";
    const RISK: Risk = Risk::Low;
    type Ctx = CkCtx;
    type Output = Envelope<TypeSchemaResult>;

    async fn call(self, ctx: &CkCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let (tenant, session) = ctx.session(scope, self.tenant_id.as_deref())?;
        let schema = session
            .ck_type_schema(&self.ck_type_id)
            .await?
            .ok_or_else(|| {
                ToolError::NotFound(format!(
                    "the tenant has no CK type `{}`; find types with search_types or get_available_types",
                    self.ck_type_id
                ))
            })?;
        Ok(Envelope::success(Some(tenant), TypeSchemaResult { schema }))
    }
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PathList {
    pub ck_type_id: String,
    pub count: usize,
    pub paths: Vec<AttributePathInfo>,
}

/// The attribute paths of a CK type (dot paths into records, down to `maxDepth`) that can be
/// columns of a time-series archive.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct GetAvailableArchivePaths {
    /// The CK type, `Model/Type`.
    ck_type_id: String,
    /// Path segments to descend into records, 1 to 10 (default 5).
    max_depth: Option<u32>,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for GetAvailableArchivePaths {
    const NAME: &'static str = "get_available_archive_paths";
    const TITLE: &'static str = "Archive paths";
    const RISK: Risk = Risk::Low;
    type Ctx = CkCtx;
    type Output = Envelope<PathList>;

    async fn call(self, ctx: &CkCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let max_depth = self.max_depth.unwrap_or(5);
        if !(1..=10).contains(&max_depth) {
            return Err(ToolError::InvalidArguments(format!(
                "`maxDepth` must be 1 to 10, not {max_depth}"
            )));
        }
        let (tenant, session) = ctx.session(scope, self.tenant_id.as_deref())?;
        let paths = session
            .available_archive_paths(&self.ck_type_id, max_depth)
            .await?;
        Ok(Envelope::success(
            Some(tenant),
            PathList {
                ck_type_id: self.ck_type_id,
                count: paths.len(),
                paths,
            },
        ))
    }
}
