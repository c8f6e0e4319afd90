//! The asset repository: runtime entities and the construction kit over GraphQL.

use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::error::ClientError;
use crate::graphql;
use crate::types::{
    AssociationDirection, AssociationEnd, AssociationRef, AttributePathInfo, CkModelInfo,
    CkTypeAssociation, CkTypeAttribute, CkTypeInfo, CkTypeSchema, DeleteStrategy, EntityPage,
    EntityQuery, FilterGroup, NewEntity, RtEntity,
};

/// A client of one asset repository (`{asset}` in the platform's URL scheme).
#[derive(Debug, Clone)]
pub struct AssetClient {
    http: reqwest::Client,
    base: String,
}

impl AssetClient {
    /// `base` is the service's root URL, e.g. `http://127.0.0.1:5001`.
    pub fn new(base: &str) -> Result<AssetClient, ClientError> {
        let base = base.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(ClientError::Invalid(format!(
                "the asset repository URL `{base}` must start with http:// or https://"
            )));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(120))
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .map_err(|error| ClientError::Unavailable(format!("no HTTP client: {error}")))?;
        Ok(AssetClient { http, base })
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// Calls for one tenant, with the caller's bearer token (never logged).
    pub fn tenant<'a>(
        &'a self,
        tenant_id: &'a str,
        token: Option<&'a str>,
    ) -> Result<TenantSession<'a>, ClientError> {
        crate::rest::check_tenant(tenant_id)?;
        Ok(TenantSession {
            client: self,
            url: format!("{}/tenants/{tenant_id}/GraphQL", self.base),
            token,
        })
    }
}

/// Calls against one tenant.
pub struct TenantSession<'a> {
    client: &'a AssetClient,
    url: String,
    token: Option<&'a str>,
}

const ENTITY_FIELDS: &str = "rtId ckTypeId rtWellKnownName rtCreationDateTime rtChangedDateTime rtVersion attributes { items { attributeName value } }";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEntity {
    rt_id: String,
    ck_type_id: String,
    rt_well_known_name: Option<String>,
    rt_creation_date_time: String,
    rt_changed_date_time: String,
    rt_version: u64,
    attributes: RawAttributes,
}

#[derive(Deserialize)]
struct RawAttributes {
    items: Vec<RawAttribute>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAttribute {
    attribute_name: String,
    value: Value,
}

impl From<RawEntity> for RtEntity {
    fn from(raw: RawEntity) -> RtEntity {
        RtEntity {
            rt_id: raw.rt_id,
            ck_type_id: raw.ck_type_id,
            rt_well_known_name: raw.rt_well_known_name,
            rt_creation_date_time: raw.rt_creation_date_time,
            rt_changed_date_time: raw.rt_changed_date_time,
            rt_version: raw.rt_version,
            attributes: raw
                .attributes
                .items
                .into_iter()
                .map(|item| (item.attribute_name, item.value))
                .collect::<Map<String, Value>>(),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPage {
    total_count: u64,
    items: Vec<RawEntity>,
}

impl From<RawPage> for EntityPage {
    fn from(raw: RawPage) -> EntityPage {
        EntityPage {
            total_count: raw.total_count,
            entities: raw.items.into_iter().map(Into::into).collect(),
        }
    }
}

/// The variables and argument list shared by `runtimeEntities` and `targets`.
fn query_arguments(query: &EntityQuery) -> (Value, &'static str, &'static str) {
    let variables = json!({
        "ckId": query.ck_type,
        "rtIds": query.rt_ids,
        "filter": query.filter.as_ref().map(FilterGroup::to_input),
        "search": query.search.as_ref().map(|term| json!({"searchTerm": term})),
        "sort": query.sort.iter().map(|sort| json!({
            "attributePath": sort.attribute_path,
            "sortOrder": if sort.descending { "DESCENDING" } else { "ASCENDING" },
        })).collect::<Vec<_>>(),
        "first": query.first,
        "skip": query.skip,
        "paths": query.attribute_paths,
        "options": {"includeArchivedEntities": query.include_archived},
    });
    (
        variables,
        "$ckId: String!, $rtIds: [String], $filter: FieldFilterGroup, $search: SearchFilter, $sort: [Sort], $first: Int, $skip: Int, $paths: [String], $options: GlobalQueryOptions",
        "ckId: $ckId, rtIds: $rtIds, fieldFilterGroup: $filter, searchFilter: $search, sortOrder: $sort, first: $first, skip: $skip, attributePaths: $paths, options: $options",
    )
}

impl TenantSession<'_> {
    pub(crate) async fn run<T: DeserializeOwned>(
        &self,
        query: &str,
        variables: Value,
    ) -> Result<T, ClientError> {
        graphql::execute(&self.client.http, &self.url, self.token, query, variables).await
    }

    /// One page of entities and the total count.
    pub async fn query_entities(&self, query: &EntityQuery) -> Result<EntityPage, ClientError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Data {
            runtime: Runtime,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Runtime {
            runtime_entities: RawPage,
        }
        let (variables, declarations, arguments) = query_arguments(query);
        let text = format!(
            "query Entities({declarations}) {{ runtime {{ runtimeEntities({arguments}) {{ totalCount items {{ {ENTITY_FIELDS} }} }} }} }}"
        );
        let data: Data = self.run(&text, variables).await?;
        Ok(data.runtime.runtime_entities.into())
    }

    /// One entity of `ck_type` (archived ones too), or `None`.
    pub async fn get_entity(
        &self,
        ck_type: &str,
        rt_id: &str,
    ) -> Result<Option<RtEntity>, ClientError> {
        let mut query = EntityQuery::of_type(ck_type);
        query.rt_ids = Some(vec![rt_id.to_owned()]);
        query.first = 1;
        query.include_archived = true;
        Ok(self
            .query_entities(&query)
            .await?
            .entities
            .into_iter()
            .next())
    }

    /// Creates entities in one transaction: all or none.
    pub async fn create_entities(
        &self,
        entities: &[NewEntity],
    ) -> Result<Vec<RtEntity>, ClientError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Data {
            runtime: Mutation,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Mutation {
            runtime_entities: Created,
        }
        #[derive(Deserialize)]
        struct Created {
            create: Vec<RawEntity>,
        }
        let inputs: Vec<Value> = entities
            .iter()
            .map(|entity| {
                json!({
                    "ckTypeId": entity.ck_type,
                    "rtWellKnownName": entity.well_known_name,
                    "attributes": attribute_inputs(&entity.attributes),
                    "associations": association_inputs(&entity.associations, false),
                })
            })
            .collect();
        let text = format!(
            "mutation Create($entities: [RtEntityInput]!) {{ runtime {{ runtimeEntities {{ create(entities: $entities) {{ {ENTITY_FIELDS} }} }} }} }}"
        );
        let data: Data = self.run(&text, json!({"entities": inputs})).await?;
        Ok(data
            .runtime
            .runtime_entities
            .create
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Changes attributes (`null` removes one) and associations of one entity.
    pub async fn update_entity(
        &self,
        rt_id: &str,
        ck_type: &str,
        expected_version: Option<u64>,
        attributes: &[(String, Value)],
        add: &[AssociationRef],
        remove: &[AssociationRef],
    ) -> Result<RtEntity, ClientError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Data {
            runtime: Mutation,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Mutation {
            runtime_entities: Updated,
        }
        #[derive(Deserialize)]
        struct Updated {
            update: Vec<RawEntity>,
        }
        let mut associations = association_inputs(add, false);
        associations.extend(association_inputs(remove, true));
        let update = json!({
            "rtId": rt_id,
            "expectedVersion": expected_version,
            "item": {
                "ckTypeId": ck_type,
                "attributes": attribute_inputs(attributes),
                "associations": associations,
            },
        });
        let text = format!(
            "mutation Update($entities: [RtEntityUpdate]!) {{ runtime {{ runtimeEntities {{ update(entities: $entities) {{ {ENTITY_FIELDS} }} }} }} }}"
        );
        let data: Data = self.run(&text, json!({"entities": [update]})).await?;
        data.runtime
            .runtime_entities
            .update
            .into_iter()
            .next()
            .map(Into::into)
            .ok_or_else(|| ClientError::Unavailable("the update returned no entity".into()))
    }

    /// Deletes entities `(rtId, ckTypeId, expectedVersion)`.
    pub async fn delete_entities(
        &self,
        entities: &[(String, String, Option<u64>)],
        strategy: DeleteStrategy,
    ) -> Result<(), ClientError> {
        let ids: Vec<Value> = entities
            .iter()
            .map(|(rt_id, ck_type, expected)| {
                json!({"rtId": rt_id, "ckTypeId": ck_type, "expectedVersion": expected})
            })
            .collect();
        let strategy = match strategy {
            DeleteStrategy::Archive => "ARCHIVE",
            DeleteStrategy::Erase => "ERASE",
        };
        let _: Value = self
            .run(
                "mutation Delete($entities: [RtEntityId]!, $strategy: DeleteStrategies) { runtime { runtimeEntities { delete(entities: $entities, options: $strategy) } } }",
                json!({"entities": ids, "strategy": strategy}),
            )
            .await?;
        Ok(())
    }

    /// The entities at the other end of `role` from entity `rt_id` (of `ck_type`), filtered
    /// and paged like [`TenantSession::query_entities`] on `target.ck_type`.
    pub async fn association_targets(
        &self,
        ck_type: &str,
        rt_id: &str,
        role: &str,
        direction: AssociationDirection,
        target: &EntityQuery,
    ) -> Result<EntityPage, ClientError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Data {
            runtime: Runtime,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Runtime {
            source: Source,
        }
        #[derive(Deserialize)]
        struct Source {
            items: Vec<Node>,
        }
        #[derive(Deserialize)]
        struct Node {
            associations: Associations,
        }
        #[derive(Deserialize)]
        struct Associations {
            targets: RawPage,
        }
        let (mut variables, declarations, arguments) = query_arguments(target);
        variables["sourceType"] = json!(ck_type);
        variables["source"] = json!(rt_id);
        variables["role"] = json!(role);
        variables["direction"] = json!(direction.graphql_name());
        let text = format!(
            "query Targets($sourceType: String!, $source: String!, $role: String!, $direction: GraphDirections!, {declarations}) {{ runtime {{ source: runtimeEntities(ckId: $sourceType, rtId: $source, first: 1) {{ items {{ associations {{ targets(roleId: $role, direction: $direction, {arguments}) {{ totalCount items {{ {ENTITY_FIELDS} }} }} }} }} }} }} }}"
        );
        let data: Data = self.run(&text, variables).await?;
        let source = data
            .runtime
            .source
            .items
            .into_iter()
            .next()
            .ok_or_else(|| {
                ClientError::NotFound(format!("there is no `{ck_type}` entity `{rt_id}`"))
            })?;
        Ok(source.associations.targets.into())
    }

    /// The associations of one entity (`None`: both directions).
    pub async fn association_ends(
        &self,
        ck_type: &str,
        rt_id: &str,
        direction: Option<AssociationDirection>,
    ) -> Result<Vec<AssociationEnd>, ClientError> {
        #[derive(Deserialize)]
        struct Data {
            runtime: Runtime,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Runtime {
            runtime_entities: Source,
        }
        #[derive(Deserialize)]
        struct Source {
            items: Vec<Node>,
        }
        #[derive(Deserialize)]
        struct Node {
            associations: Associations,
        }
        #[derive(Deserialize)]
        struct Associations {
            definitions: Definitions,
        }
        #[derive(Deserialize)]
        struct Definitions {
            items: Vec<Definition>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Definition {
            ck_association_role_id: String,
            direction: String,
            target_rt_id: String,
            target_ck_type_id: String,
        }
        let data: Data = self
            .run(
                "query Ends($ckId: String!, $rtId: String!, $direction: GraphDirections) { runtime { runtimeEntities(ckId: $ckId, rtId: $rtId, first: 1) { items { associations { definitions(direction: $direction) { items { ckAssociationRoleId direction targetRtId targetCkTypeId } } } } } } }",
                json!({
                    "ckId": ck_type,
                    "rtId": rt_id,
                    "direction": direction.map_or("ANY", AssociationDirection::graphql_name),
                }),
            )
            .await?;
        let node = data
            .runtime
            .runtime_entities
            .items
            .into_iter()
            .next()
            .ok_or_else(|| {
                ClientError::NotFound(format!("there is no `{ck_type}` entity `{rt_id}`"))
            })?;
        Ok(node
            .associations
            .definitions
            .items
            .into_iter()
            .map(|definition| AssociationEnd {
                ck_role_id: definition.ck_association_role_id,
                direction: AssociationDirection::from_graphql(&definition.direction),
                rt_id: definition.target_rt_id,
                ck_type_id: definition.target_ck_type_id,
            })
            .collect())
    }

    /// The installed CK models.
    pub async fn ck_models(&self) -> Result<Vec<CkModelInfo>, ClientError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Data {
            construction_kit: Ck,
        }
        #[derive(Deserialize)]
        struct Ck {
            models: Items<Model>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Model {
            id: ModelId,
            description: Option<String>,
            model_state: String,
            dependencies: Vec<ModelId>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct ModelId {
            name: String,
            version: String,
            full_name: String,
        }
        let data: Data = self
            .run(
                "{ constructionKit { models(first: 1000) { items { id { name version fullName } description modelState dependencies { name version fullName } } } } }",
                json!({}),
            )
            .await?;
        Ok(data
            .construction_kit
            .models
            .items
            .into_iter()
            .map(|model| CkModelInfo {
                model_id: model.id.full_name,
                name: model.id.name,
                version: model.id.version,
                description: model.description,
                model_state: model.model_state,
                dependencies: model
                    .dependencies
                    .into_iter()
                    .map(|dependency| dependency.full_name)
                    .collect(),
            })
            .collect())
    }

    /// CK types, optionally of some models or matching a search term (in id or description).
    pub async fn ck_types(
        &self,
        model_ids: Option<Vec<String>>,
        search: Option<&str>,
    ) -> Result<Vec<CkTypeInfo>, ClientError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Data {
            construction_kit: Ck,
        }
        #[derive(Deserialize)]
        struct Ck {
            types: Items<RawType>,
        }
        let data: Data = self
            .run(
                &format!(
                    "query Types($models: [String], $search: SearchFilter) {{ constructionKit {{ types(ckModelIds: $models, searchFilter: $search, first: 1000) {{ items {{ {TYPE_FIELDS} }} }} }} }}"
                ),
                json!({
                    "models": model_ids,
                    "search": search.map(|term| json!({"searchTerm": term})),
                }),
            )
            .await?;
        Ok(data
            .construction_kit
            .types
            .items
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// One CK type in full, or `None` when the tenant has no such type.
    pub async fn ck_type_schema(&self, ck_type: &str) -> Result<Option<CkTypeSchema>, ClientError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Data {
            construction_kit: Ck,
        }
        #[derive(Deserialize)]
        struct Ck {
            types: Items<Full>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Full {
            #[serde(flatten)]
            info: RawType,
            derived_types: Vec<TypeRef>,
            attributes: Items<Attribute>,
            associations: Items<Association>,
            available_query_columns: Vec<AttributePathInfo>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Attribute {
            attribute_name: String,
            ck_attribute_id: FullName,
            attribute_value_type: String,
            is_optional: bool,
            is_inherited: bool,
            description: Option<String>,
            ck_record_id: Option<FullName>,
            ck_enum_id: Option<FullName>,
            #[serde(default)]
            enum_values: Vec<crate::types::EnumValue>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Association {
            ck_association_role_id: String,
            direction: String,
            target_ck_type_id: String,
            navigation_property_name: String,
            multiplicity: String,
        }
        let text = format!(
            "query Type($ckId: String!) {{ constructionKit {{ types(ckId: $ckId) {{ items {{ {TYPE_FIELDS}
                derivedTypes {{ ckTypeId {{ fullName }} }}
                attributes(first: 1000) {{ items {{ attributeName ckAttributeId {{ fullName }} attributeValueType isOptional isInherited description ckRecordId {{ fullName }} ckEnumId {{ fullName }} enumValues {{ key name }} }} }}
                associations(first: 1000) {{ items {{ ckAssociationRoleId direction targetCkTypeId navigationPropertyName multiplicity }} }}
                availableQueryColumns(maxDepth: 4) {{ attributePath attributeValueType }}
            }} }} }} }}"
        );
        let data: Data = self.run(&text, json!({"ckId": ck_type})).await?;
        let Some(full) = data.construction_kit.types.items.into_iter().next() else {
            return Ok(None);
        };
        Ok(Some(CkTypeSchema {
            info: full.info.into(),
            derived_types: full
                .derived_types
                .into_iter()
                .map(|derived| derived.ck_type_id.full_name)
                .collect(),
            attributes: full
                .attributes
                .items
                .into_iter()
                .map(|attribute| CkTypeAttribute {
                    attribute_name: attribute.attribute_name,
                    ck_attribute_id: attribute.ck_attribute_id.full_name,
                    value_type: attribute.attribute_value_type,
                    is_optional: attribute.is_optional,
                    is_inherited: attribute.is_inherited,
                    description: attribute.description,
                    ck_record_id: attribute.ck_record_id.map(|id| id.full_name),
                    ck_enum_id: attribute.ck_enum_id.map(|id| id.full_name),
                    enum_values: attribute.enum_values,
                })
                .collect(),
            associations: full
                .associations
                .items
                .into_iter()
                .map(|association| CkTypeAssociation {
                    ck_role_id: association.ck_association_role_id,
                    direction: AssociationDirection::from_graphql(&association.direction),
                    target_ck_type_id: association.target_ck_type_id,
                    navigation_name: association.navigation_property_name,
                    multiplicity: association.multiplicity,
                })
                .collect(),
            query_columns: full.available_query_columns,
        }))
    }

    /// The attribute paths of a type usable as archive columns, down to `max_depth`.
    pub async fn available_archive_paths(
        &self,
        ck_type: &str,
        max_depth: u32,
    ) -> Result<Vec<AttributePathInfo>, ClientError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Data {
            available_archive_paths: Vec<AttributePathInfo>,
        }
        let data: Data = self
            .run(
                "query Paths($ckTypeId: String!, $maxDepth: Int) { availableArchivePaths(ckTypeId: $ckTypeId, maxDepth: $maxDepth) { attributePath attributeValueType } }",
                json!({"ckTypeId": ck_type, "maxDepth": max_depth}),
            )
            .await?;
        Ok(data.available_archive_paths)
    }
}

const TYPE_FIELDS: &str = "ckTypeId { fullName semanticVersionedFullName } description isAbstract isFinal baseType { ckTypeId { fullName } }";

#[derive(Deserialize)]
struct Items<T> {
    items: Vec<T>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FullName {
    full_name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VersionedName {
    full_name: String,
    semantic_versioned_full_name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TypeRef {
    ck_type_id: FullName,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawType {
    ck_type_id: VersionedName,
    description: Option<String>,
    is_abstract: bool,
    is_final: bool,
    base_type: Option<TypeRef>,
}

impl From<RawType> for CkTypeInfo {
    fn from(raw: RawType) -> CkTypeInfo {
        CkTypeInfo {
            ck_type_id: raw.ck_type_id.full_name,
            versioned_ck_type_id: raw.ck_type_id.semantic_versioned_full_name,
            description: raw.description,
            is_abstract: raw.is_abstract,
            is_final: raw.is_final,
            base_type: raw.base_type.map(|base| base.ck_type_id.full_name),
        }
    }
}

fn attribute_inputs(attributes: &[(String, Value)]) -> Vec<Value> {
    attributes
        .iter()
        .map(|(name, value)| json!({"attributeName": name, "value": value}))
        .collect()
}

fn association_inputs(associations: &[AssociationRef], remove: bool) -> Vec<Value> {
    associations
        .iter()
        .map(|association| {
            json!({
                "roleId": association.role,
                "target": {"rtId": association.target_rt_id, "ckTypeId": association.target_ck_type},
                "modOption": if remove { "DELETE" } else { "CREATE" },
            })
        })
        .collect()
}
