//! Runtime entity CRUD over any CK type: `query_entities`, `query_entities_simple`,
//! `get_entity_by_id`, `create_entity`, `update_entity`, `delete_entity`.

use octomesh_octo_client::ClientError;
use octomesh_octo_client::types::{
    AssociationRef, DeleteStrategy, EntityPage, EntityQuery, FilterGroup, NewEntity, RtEntity,
};
use octomesh_worker_runtime::{CallScope, Envelope, Risk, Tool, ToolError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::CkCtx;
use crate::dto::{
    AttributeUpdateItem, FieldFilterCriteriaDto, SimpleFilterDto, SortColumnDto, limit,
    simple_group,
};

/// A page of entities.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EntityList {
    pub ck_type_id: String,
    /// How many entities match, over all pages.
    pub total_count: u64,
    /// How many are in this page.
    pub count: usize,
    pub offset: u32,
    pub limit: u32,
    /// More match beyond this page: call again with `offset` + `count`.
    pub has_more: bool,
    pub entities: Vec<RtEntity>,
}

impl EntityList {
    pub(crate) fn new(ck_type: String, offset: u32, limit: u32, page: EntityPage) -> EntityList {
        let count = page.entities.len();
        EntityList {
            ck_type_id: ck_type,
            total_count: page.total_count,
            count,
            offset,
            limit,
            has_more: u64::from(offset) + (count as u64) < page.total_count,
            entities: page.entities,
        }
    }
}

/// One entity.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EntityResult {
    pub entity: RtEntity,
}

async fn list(
    ctx: &CkCtx,
    scope: &CallScope,
    tenant: Option<&str>,
    mut query: EntityQuery,
) -> Result<Envelope<EntityList>, ToolError> {
    let (tenant, session) = ctx.session(scope, tenant)?;
    let page = session.query_entities(&query).await?;
    let ck_type = std::mem::take(&mut query.ck_type);
    let list = EntityList::new(ck_type, query.skip, query.first, page);
    let message = format!(
        "{} of {} `{}` entities",
        list.count, list.total_count, list.ck_type_id
    );
    Ok(Envelope::success(Some(tenant), list).with_message(message))
}

/// Query runtime entities of any CK type with a nested And/Or field-filter tree, attribute
/// projection, sorting and offset/limit paging. Filter record attributes by dot path (e.g.
/// `Address.City`); see `get_type_schema` for a type's attributes and value types.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct QueryEntities {
    /// The CK type, `Model/Type` (e.g. `Demo/Machine`); a base type includes derived types.
    ck_type_id: String,
    /// `{"Operator": "And"|"Or", "Fields": [{"AttributePath", "Operator", "Value", "SecondValue"}], "NestedFilters": [...]}`.
    filters: Option<FieldFilterCriteriaDto>,
    /// Only these attributes in the result (dot paths reach into records).
    attribute_paths: Option<Vec<String>>,
    /// Sort columns, first one first: `[{"AttributePath": "Name", "Direction": "asc"|"desc"}]`.
    sort: Option<Vec<SortColumnDto>>,
    /// Case-insensitive text that any text attribute contains.
    search_term: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    limit: Option<u32>,
    /// Entities to skip (default 0).
    offset: Option<u32>,
    /// Include archived (soft-deleted) entities.
    include_archived: Option<bool>,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for QueryEntities {
    const NAME: &'static str = "query_entities";
    const TITLE: &'static str = "Query entities";
    const RISK: Risk = Risk::Low;
    type Ctx = CkCtx;
    type Output = Envelope<EntityList>;

    async fn call(self, ctx: &CkCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let query = EntityQuery {
            ck_type: self.ck_type_id,
            rt_ids: None,
            filter: self
                .filters
                .map(FieldFilterCriteriaDto::into_group)
                .transpose()?,
            search: self.search_term,
            sort: self
                .sort
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            first: limit(self.limit)?,
            skip: self.offset.unwrap_or(0),
            attribute_paths: self.attribute_paths,
            include_archived: self.include_archived.unwrap_or(false),
        };
        list(ctx, scope, self.tenant_id.as_deref(), query).await
    }
}

/// Query runtime entities of any CK type with simple equality filters
/// (`[{"AttributePath": "Manufacturer", "Value": "Siemens"}]`, all must hold).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct QueryEntitiesSimple {
    /// The CK type, `Model/Type`.
    ck_type_id: String,
    /// Equality conditions, all of which must hold.
    simple_filters: Option<Vec<SimpleFilterDto>>,
    /// Only these attributes in the result.
    attribute_paths: Option<Vec<String>>,
    /// Page size, 1 to 1000 (default 100).
    limit: Option<u32>,
    /// Entities to skip (default 0).
    offset: Option<u32>,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for QueryEntitiesSimple {
    const NAME: &'static str = "query_entities_simple";
    const TITLE: &'static str = "Query entities by equality";
    const RISK: Risk = Risk::Low;
    type Ctx = CkCtx;
    type Output = Envelope<EntityList>;

    async fn call(self, ctx: &CkCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let mut query = EntityQuery::of_type(self.ck_type_id);
        query.filter = simple_group(self.simple_filters.unwrap_or_default());
        query.first = limit(self.limit)?;
        query.skip = self.offset.unwrap_or(0);
        query.attribute_paths = self.attribute_paths;
        list(ctx, scope, self.tenant_id.as_deref(), query).await
    }
}

/// Get one runtime entity by its CK type and rtId (archived ones too).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct GetEntityById {
    /// The CK type, `Model/Type`.
    ck_type_id: String,
    /// The entity's 24-hex id.
    rt_id: String,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for GetEntityById {
    const NAME: &'static str = "get_entity_by_id";
    const TITLE: &'static str = "Get entity";
    const RISK: Risk = Risk::Low;
    type Ctx = CkCtx;
    type Output = Envelope<EntityResult>;

    async fn call(self, ctx: &CkCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let (tenant, session) = ctx.session(scope, self.tenant_id.as_deref())?;
        let entity = session
            .get_entity(&self.ck_type_id, &self.rt_id)
            .await?
            .ok_or_else(|| not_found(&self.ck_type_id, &self.rt_id))?;
        Ok(Envelope::success(Some(tenant), EntityResult { entity }))
    }
}

fn not_found(ck_type: &str, rt_id: &str) -> ToolError {
    ToolError::NotFound(format!(
        "there is no `{ck_type}` entity `{rt_id}`; find entities with query_entities"
    ))
}

/// An association from the entity: role, and the target's rtId and CK type.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct AssociationItem {
    /// The association role, e.g. `System/ParentChild`.
    role_id: String,
    target_rt_id: String,
    target_ck_type_id: String,
}

impl From<AssociationItem> for AssociationRef {
    fn from(item: AssociationItem) -> AssociationRef {
        AssociationRef {
            role: item.role_id,
            target_rt_id: item.target_rt_id,
            target_ck_type: item.target_ck_type_id,
        }
    }
}

fn attributes(items: Vec<AttributeUpdateItem>) -> Vec<(String, serde_json::Value)> {
    items
        .into_iter()
        .map(|item| (item.attribute_path, item.value))
        .collect()
}

/// Create a runtime entity of a CK type from `[{"AttributePath", "Value"}]` items. Every
/// required attribute must be given; values are checked against the type (enums by name or
/// key). Nothing is written when anything is wrong.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CreateEntity {
    /// The CK type, `Model/Type` (not abstract).
    ck_type_id: String,
    /// The attributes.
    entity_data: Vec<AttributeUpdateItem>,
    /// An optional unique human key.
    rt_well_known_name: Option<String>,
    /// Associations to create with it (e.g. its `System/ParentChild` parent).
    associations: Option<Vec<AssociationItem>>,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for CreateEntity {
    const NAME: &'static str = "create_entity";
    const TITLE: &'static str = "Create entity";
    const RISK: Risk = Risk::Medium;
    type Ctx = CkCtx;
    type Output = Envelope<EntityResult>;

    async fn call(self, ctx: &CkCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let (tenant, session) = ctx.session(scope, self.tenant_id.as_deref())?;
        let entity = NewEntity {
            ck_type: self.ck_type_id,
            well_known_name: self.rt_well_known_name,
            attributes: attributes(self.entity_data),
            associations: self
                .associations
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
        };
        let entity = session
            .create_entities(std::slice::from_ref(&entity))
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| ToolError::Backend("the asset repository created nothing".into()))?;
        let message = format!("created `{}` {}", entity.ck_type_id, entity.rt_id);
        Ok(Envelope::success(Some(tenant), EntityResult { entity }).with_message(message))
    }
}

/// The result of a write that may meet a newer version.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WriteResult {
    /// The entity after the write, or as it is now when the write met a newer version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity: Option<RtEntity>,
    /// The entity changed since `expectedVersion`: read it again (`entity`) and retry.
    pub is_conflict: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_rt_version: Option<u64>,
}

/// The entity a write is about.
struct Target<'a> {
    tenant: &'a str,
    session: &'a octomesh_octo_client::TenantSession<'a>,
    ck_type: &'a str,
    rt_id: &'a str,
}

impl Target<'_> {
    /// A write's result: success with the entity after it, a version conflict as the original
    /// reports it (not successful, with the current entity and version), or an error.
    async fn outcome(
        &self,
        outcome: Result<Option<RtEntity>, ClientError>,
        message: impl FnOnce(&Option<RtEntity>) -> String,
    ) -> Result<Envelope<WriteResult>, ToolError> {
        match outcome {
            Ok(entity) => {
                let message = message(&entity);
                Ok(Envelope::success(
                    Some(self.tenant),
                    WriteResult {
                        entity,
                        is_conflict: false,
                        current_rt_version: None,
                    },
                )
                .with_message(message))
            }
            Err(ClientError::Conflict {
                message,
                current_version,
            }) => {
                let entity = self
                    .session
                    .get_entity(self.ck_type, self.rt_id)
                    .await
                    .ok()
                    .flatten();
                let current_rt_version =
                    current_version.or(entity.as_ref().map(|entity| entity.rt_version));
                Ok(Envelope::failure(
                    Some(self.tenant),
                    message,
                    WriteResult {
                        entity,
                        is_conflict: true,
                        current_rt_version,
                    },
                ))
            }
            Err(other) => Err(other.into()),
        }
    }
}

/// Update attributes of an existing runtime entity (`Value: null` removes an optional one), and
/// add or remove its associations. With `expectedVersion` (its `rtVersion` when read), a newer
/// version refuses the write and returns the current entity.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct UpdateEntity {
    /// The entity's 24-hex id.
    rt_id: String,
    /// Its CK type, `Model/Type`.
    ck_type_id: String,
    /// The attributes to change.
    #[serde(default)]
    entity_data: Vec<AttributeUpdateItem>,
    /// Refuse unless the entity is still at this `rtVersion`.
    expected_version: Option<u64>,
    /// Associations to add.
    add_associations: Option<Vec<AssociationItem>>,
    /// Associations to remove.
    remove_associations: Option<Vec<AssociationItem>>,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for UpdateEntity {
    const NAME: &'static str = "update_entity";
    const TITLE: &'static str = "Update entity";
    const RISK: Risk = Risk::Medium;
    type Ctx = CkCtx;
    type Output = Envelope<WriteResult>;

    async fn call(self, ctx: &CkCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let (tenant, session) = ctx.session(scope, self.tenant_id.as_deref())?;
        let add: Vec<AssociationRef> = self
            .add_associations
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect();
        let remove: Vec<AssociationRef> = self
            .remove_associations
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect();
        if self.entity_data.is_empty() && add.is_empty() && remove.is_empty() {
            return Err(ToolError::InvalidArguments(
                "nothing to change: give `entityData`, `addAssociations` or `removeAssociations`"
                    .into(),
            ));
        }
        let outcome = session
            .update_entity(
                &self.rt_id,
                &self.ck_type_id,
                self.expected_version,
                &attributes(self.entity_data),
                &add,
                &remove,
            )
            .await;
        let target = Target {
            tenant,
            session: &session,
            ck_type: &self.ck_type_id,
            rt_id: &self.rt_id,
        };
        target
            .outcome(outcome.map(Some), |entity| match entity {
                Some(entity) => {
                    format!("updated {} to version {}", entity.rt_id, entity.rt_version)
                }
                None => String::new(),
            })
            .await
    }
}

/// Delete a runtime entity: archived (hidden from queries, kept) by default, or erased with its
/// associations when `erase` is true. Requires `confirm: true`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct DeleteEntity {
    /// Its CK type, `Model/Type`.
    ck_type_id: String,
    /// The entity's 24-hex id.
    rt_id: String,
    /// Refuse unless the entity is still at this `rtVersion`.
    expected_version: Option<u64>,
    /// Erase for good instead of archiving.
    erase: Option<bool>,
    /// Must be true: deleting is destructive.
    #[serde(default)]
    #[allow(dead_code)]
    confirm: bool,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for DeleteEntity {
    const NAME: &'static str = "delete_entity";
    const TITLE: &'static str = "Delete entity";
    const RISK: Risk = Risk::High;
    type Ctx = CkCtx;
    type Output = Envelope<WriteResult>;

    async fn call(self, ctx: &CkCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let (tenant, session) = ctx.session(scope, self.tenant_id.as_deref())?;
        let strategy = if self.erase.unwrap_or(false) {
            DeleteStrategy::Erase
        } else {
            DeleteStrategy::Archive
        };
        let outcome = session
            .delete_entities(
                &[(
                    self.rt_id.clone(),
                    self.ck_type_id.clone(),
                    self.expected_version,
                )],
                strategy,
            )
            .await;
        let target = Target {
            tenant,
            session: &session,
            ck_type: &self.ck_type_id,
            rt_id: &self.rt_id,
        };
        target
            .outcome(outcome.map(|()| None), |_| match strategy {
                DeleteStrategy::Archive => format!("archived {}", self.rt_id),
                DeleteStrategy::Erase => format!("erased {}", self.rt_id),
            })
            .await
    }
}

/// A filter group of equality conditions, for the association tools.
pub(crate) fn equality(filters: Option<Vec<SimpleFilterDto>>) -> Option<FilterGroup> {
    simple_group(filters.unwrap_or_default())
}
