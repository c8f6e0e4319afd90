//! `constructionKit { models types attributes enums records associationRoles }` and
//! `availableArchivePaths`: the tenant's installed CK models, read from its catalog.

use serde::Deserialize;

use super::connection::{Connection, Paging, SearchFilter, unknown_field};
use super::exec::{Args, FieldError, Object, Out};
use crate::ck::catalog::CkCatalog;
use crate::ck::model::{
    AssociationRole, Attribute, AttributeUse, CkEnum, CkType, ElementId, Multiplicity, Record,
    ValueType,
};
use crate::ck::version::ModelId;

/// The GraphQL name of a value type (`AttributeValueTypes`).
pub(crate) fn value_type_name(value_type: ValueType) -> &'static str {
    match value_type {
        ValueType::Int => "INTEGER",
        ValueType::String => "STRING",
        ValueType::Binary => "BINARY",
        ValueType::Boolean => "BOOLEAN",
        ValueType::DateTime => "DATE_TIME",
        ValueType::Double => "DOUBLE",
        ValueType::StringArray => "STRING_ARRAY",
        ValueType::IntArray => "INTEGER_ARRAY",
        ValueType::BinaryLinked => "BINARY_LINKED",
        ValueType::Record => "RECORD",
        ValueType::RecordArray => "RECORD_ARRAY",
        ValueType::TimeSpan => "TIME_SPAN",
        ValueType::Enum => "ENUM",
        ValueType::Int64 => "INTEGER64",
        ValueType::DateTimeOffset => "DATE_TIME_OFFSET",
        ValueType::GeospatialPoint => "GEOSPATIAL_POINT",
    }
}

fn multiplicity_name(multiplicity: Multiplicity) -> &'static str {
    match multiplicity {
        Multiplicity::ZeroOrOne => "ZERO_OR_ONE",
        Multiplicity::One => "ONE",
        Multiplicity::N => "N",
    }
}

/// The filter arguments shared by the `constructionKit` connections.
#[derive(Default)]
struct ElementFilter {
    model_ids: Option<Vec<String>>,
    ids: Option<Vec<ElementId>>,
    search: Option<String>,
}

impl ElementFilter {
    fn from_args(args: &Args) -> Result<ElementFilter, FieldError> {
        let model_ids: Option<Vec<String>> = args.get("ckModelIds")?;
        let mut ids: Option<Vec<String>> = args.get("ckIds")?;
        if let Some(id) = args.get::<String>("ckId")? {
            ids.get_or_insert_with(Vec::new).push(id);
        }
        let ids = ids
            .map(|ids| {
                ids.iter()
                    .map(|id| {
                        ElementId::parse(id).ok_or_else(|| {
                            FieldError::invalid(format!(
                                "`{id}` is not a CK id: write `Model/Name`, e.g. `System/Entity`"
                            ))
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?;
        let search = args
            .get::<SearchFilter>("searchFilter")?
            .and_then(|filter| filter.search_term)
            .map(|term| term.to_lowercase());
        Ok(ElementFilter {
            model_ids: model_ids.map(|ids| {
                ids.iter()
                    .map(|id| {
                        ModelId::parse(id).map_or_else(|| id.clone(), |parsed| parsed.name.clone())
                    })
                    .collect()
            }),
            ids,
            search,
        })
    }

    fn keeps(&self, id: &ElementId, description: Option<&str>) -> bool {
        if let Some(models) = &self.model_ids
            && !models.contains(&id.model)
        {
            return false;
        }
        if let Some(ids) = &self.ids
            && !ids.contains(id)
        {
            return false;
        }
        match &self.search {
            None => true,
            Some(term) => {
                id.to_string().to_lowercase().contains(term)
                    || description.is_some_and(|text| text.to_lowercase().contains(term))
            }
        }
    }
}

/// A field of `constructionKit` (type `CkQuery`), read from the tenant's catalog.
pub(crate) fn ck_field<'c>(
    catalog: &'c CkCatalog,
    name: &str,
    args: &Args,
) -> Result<Out<'c>, FieldError> {
    {
        let paging = Paging::from_args(args)?;
        let filter = ElementFilter::from_args(args)?;
        let models = catalog.models();
        Ok(match name {
            "models" => {
                let nodes = models
                    .filter(|installed| {
                        let id = ElementId::new(&installed.model.id.name, "");
                        filter
                            .model_ids
                            .as_ref()
                            .is_none_or(|wanted| wanted.contains(&id.model))
                            && filter.search.as_ref().is_none_or(|term| {
                                installed.model.id.to_string().to_lowercase().contains(term)
                                    || installed
                                        .model
                                        .description
                                        .as_deref()
                                        .is_some_and(|text| text.to_lowercase().contains(term))
                            })
                    })
                    .map(|installed| ModelNode {
                        id: &installed.model.id,
                        description: installed.model.description.as_deref(),
                        pinned: &installed.pinned,
                    })
                    .collect();
                Out::object(Connection::paged("CkModelConnection", nodes, paging))
            }
            "types" => {
                let nodes = models
                    .flat_map(|installed| installed.model.types.values())
                    .filter(|ck_type| filter.keeps(&ck_type.id, ck_type.description.as_deref()))
                    .map(|ck_type| TypeNode { catalog, ck_type })
                    .collect();
                Out::object(Connection::paged("CkTypeConnection", nodes, paging))
            }
            "attributes" => {
                let nodes = models
                    .flat_map(|installed| installed.model.attributes.values())
                    .filter(|attribute| {
                        filter.keeps(&attribute.id, attribute.description.as_deref())
                    })
                    .map(AttributeNode)
                    .collect();
                Out::object(Connection::paged("CkAttributeConnection", nodes, paging))
            }
            "enums" => {
                let nodes = models
                    .flat_map(|installed| installed.model.enums.values())
                    .filter(|ck_enum| filter.keeps(&ck_enum.id, ck_enum.description.as_deref()))
                    .map(EnumNode)
                    .collect();
                Out::object(Connection::paged("CkEnumConnection", nodes, paging))
            }
            "records" => {
                let nodes = models
                    .flat_map(|installed| installed.model.records.values())
                    .filter(|record| filter.keeps(&record.id, record.description.as_deref()))
                    .map(|record| RecordNode { catalog, record })
                    .collect();
                Out::object(Connection::paged("CkRecordConnection", nodes, paging))
            }
            "associationRoles" => {
                let nodes = models
                    .flat_map(|installed| installed.model.association_roles.values())
                    .filter(|role| filter.keeps(&role.id, role.description.as_deref()))
                    .map(RoleNode)
                    .collect();
                Out::object(Connection::paged(
                    "CkAssociationRoleConnection",
                    nodes,
                    paging,
                ))
            }
            other => return Err(unknown_field("CkQuery", other)),
        })
    }
}

/// `{ fullName semanticVersionedFullName name modelName }` of a CK element.
struct CkId<'a> {
    id: &'a ElementId,
    model_version: Option<String>,
}

impl<'a> CkId<'a> {
    fn new(catalog: &CkCatalog, id: &'a ElementId) -> CkId<'a> {
        CkId {
            id,
            model_version: catalog
                .model(&id.model)
                .map(|installed| installed.model.id.to_string()),
        }
    }
}

impl Object for CkId<'_> {
    fn type_name(&self) -> &'static str {
        "CkId"
    }

    fn field<'s>(&'s self, name: &str, _args: &Args) -> Result<Out<'s>, FieldError> {
        Ok(match name {
            "fullName" => Out::leaf(self.id.to_string()),
            "semanticVersionedFullName" => Out::leaf(match &self.model_version {
                Some(model) => format!("{model}/{}", self.id.name),
                None => self.id.to_string(),
            }),
            "name" => Out::leaf(self.id.name.clone()),
            "modelName" => Out::leaf(self.id.model.clone()),
            other => return Err(unknown_field("CkId", other)),
        })
    }
}

struct ModelIdNode<'a>(&'a ModelId);

impl Object for ModelIdNode<'_> {
    fn type_name(&self) -> &'static str {
        "CkModelId"
    }

    fn field<'s>(&'s self, name: &str, _args: &Args) -> Result<Out<'s>, FieldError> {
        Ok(match name {
            "name" => Out::leaf(self.0.name.clone()),
            "version" => Out::leaf(self.0.version.to_string()),
            "fullName" | "semanticVersionedFullName" => Out::leaf(self.0.to_string()),
            other => return Err(unknown_field("CkModelId", other)),
        })
    }
}

struct ModelNode<'a> {
    id: &'a ModelId,
    description: Option<&'a str>,
    pinned: &'a [ModelId],
}

impl Object for ModelNode<'_> {
    fn type_name(&self) -> &'static str {
        "CkModel"
    }

    fn field<'s>(&'s self, name: &str, _args: &Args) -> Result<Out<'s>, FieldError> {
        Ok(match name {
            "id" => Out::object(ModelIdNode(self.id)),
            "description" => Out::optional(self.description),
            "modelState" => Out::leaf("AVAILABLE"),
            "dependencies" => Out::objects(self.pinned.iter().map(ModelIdNode)),
            other => return Err(unknown_field("CkModel", other)),
        })
    }
}

/// The direction arguments of association fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum GraphDirection {
    Inbound,
    Outbound,
    Any,
}

struct TypeNode<'c> {
    catalog: &'c CkCatalog,
    ck_type: &'c CkType,
}

impl Object for TypeNode<'_> {
    fn type_name(&self) -> &'static str {
        "CkType"
    }

    fn field<'s>(&'s self, name: &str, args: &Args) -> Result<Out<'s>, FieldError> {
        let catalog = self.catalog;
        let ck_type = self.ck_type;
        Ok(match name {
            "ckTypeId" => Out::object(CkId::new(catalog, &ck_type.id)),
            "description" => Out::optional(ck_type.description.clone()),
            "isAbstract" => Out::leaf(ck_type.is_abstract),
            "isFinal" => Out::leaf(ck_type.is_final),
            "baseType" => match ck_type
                .derived_from
                .as_ref()
                .and_then(|parent| catalog.ck_type(parent))
            {
                Some(parent) => Out::object(TypeNode {
                    catalog,
                    ck_type: parent,
                }),
                None => Out::null(),
            },
            "derivedTypes" => Out::objects(
                catalog
                    .models()
                    .flat_map(|installed| installed.model.types.values())
                    .filter(|other| other.derived_from.as_ref() == Some(&ck_type.id))
                    .map(|other| TypeNode {
                        catalog,
                        ck_type: other,
                    }),
            ),
            "attributes" => {
                let own: Vec<&ElementId> = ck_type.attributes.iter().map(|u| &u.attribute).collect();
                let nodes = catalog
                    .effective_attributes(&ck_type.id)
                    .into_iter()
                    .map(|(usage, attribute)| AttributeUseNode {
                        catalog,
                        usage,
                        attribute,
                        inherited: !own.contains(&&usage.attribute),
                    })
                    .collect();
                Out::object(Connection::paged(
                    "CkTypeAttributeConnection",
                    nodes,
                    Paging::from_args(args)?,
                ))
            }
            "associations" => {
                let direction = args
                    .get::<GraphDirection>("direction")?
                    .unwrap_or(GraphDirection::Any);
                let nodes = type_associations(catalog, &ck_type.id)
                    .into_iter()
                    .filter(|association| {
                        direction == GraphDirection::Any || association.direction == direction
                    })
                    .collect();
                Out::object(Connection::paged(
                    "CkTypeAssociationConnection",
                    nodes,
                    Paging::from_args(args)?,
                ))
            }
            "indexes" => Out::List(
                ck_type
                    .indexes
                    .iter()
                    .map(|index| {
                        Out::leaf(serde_json::json!({
                            "indexType": format!("{:?}", index.index_type),
                            "fields": index.fields.iter().map(|(path, _)| path.join(".")).collect::<Vec<_>>(),
                        }))
                    })
                    .collect(),
            ),
            "availableQueryColumns" => {
                let depth = max_depth(args)?;
                Out::objects(
                    catalog.attribute_paths(&ck_type.id, depth)
                        .into_iter()
                        .map(PathNode),
                )
            }
            other => return Err(unknown_field("CkType", other)),
        })
    }
}

pub(crate) fn max_depth(args: &Args) -> Result<usize, FieldError> {
    match args.get::<i64>("maxDepth")? {
        None => Ok(5),
        Some(depth) if (1..=10).contains(&depth) => Ok(depth as usize),
        Some(depth) => Err(FieldError::invalid(format!(
            "argument `maxDepth` must be 1 to 10, not {depth}"
        ))),
    }
}

struct AttributeUseNode<'c> {
    catalog: &'c CkCatalog,
    usage: &'c AttributeUse,
    attribute: &'c Attribute,
    inherited: bool,
}

impl Object for AttributeUseNode<'_> {
    fn type_name(&self) -> &'static str {
        "CkTypeAttribute"
    }

    fn field<'s>(&'s self, name: &str, _args: &Args) -> Result<Out<'s>, FieldError> {
        let attribute = self.attribute;
        Ok(match name {
            "attributeName" => Out::leaf(self.usage.name.clone()),
            "ckAttributeId" => Out::object(CkId::new(self.catalog, &attribute.id)),
            "attributeValueType" => Out::leaf(value_type_name(attribute.value_type)),
            "isOptional" => Out::leaf(self.usage.is_optional),
            "isInherited" => Out::leaf(self.inherited),
            "description" => Out::optional(attribute.description.clone()),
            "ckRecordId" => element_ref(self.catalog, attribute.record.as_ref()),
            "ckEnumId" => element_ref(self.catalog, attribute.enumeration.as_ref()),
            "enumValues" => Out::List(
                attribute
                    .enumeration
                    .as_ref()
                    .and_then(|id| self.catalog.ck_enum(id))
                    .map(|ck_enum| {
                        ck_enum
                            .values
                            .iter()
                            .map(|value| {
                                Out::leaf(serde_json::json!({"key": value.key, "name": value.name}))
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            ),
            other => return Err(unknown_field("CkTypeAttribute", other)),
        })
    }
}

fn element_ref<'a>(catalog: &CkCatalog, id: Option<&'a ElementId>) -> Out<'a> {
    match id {
        Some(id) => Out::object(CkId::new(catalog, id)),
        None => Out::null(),
    }
}

struct AttributeNode<'c>(&'c Attribute);

impl Object for AttributeNode<'_> {
    fn type_name(&self) -> &'static str {
        "CkAttribute"
    }

    fn field<'s>(&'s self, name: &str, _args: &Args) -> Result<Out<'s>, FieldError> {
        let attribute = self.0;
        Ok(match name {
            "ckAttributeId" => Out::object(CkId {
                id: &attribute.id,
                model_version: None,
            }),
            "attributeValueType" => Out::leaf(value_type_name(attribute.value_type)),
            "description" => Out::optional(attribute.description.clone()),
            "ckRecordId" => Out::optional(attribute.record.as_ref().map(ToString::to_string)),
            "ckEnumId" => Out::optional(attribute.enumeration.as_ref().map(ToString::to_string)),
            other => return Err(unknown_field("CkAttribute", other)),
        })
    }
}

struct EnumNode<'c>(&'c CkEnum);

impl Object for EnumNode<'_> {
    fn type_name(&self) -> &'static str {
        "CkEnum"
    }

    fn field<'s>(&'s self, name: &str, _args: &Args) -> Result<Out<'s>, FieldError> {
        let ck_enum = self.0;
        Ok(match name {
            "ckEnumId" => Out::object(CkId {
                id: &ck_enum.id,
                model_version: None,
            }),
            "description" => Out::optional(ck_enum.description.clone()),
            "useFlags" => Out::leaf(ck_enum.use_flags),
            "isExtensible" => Out::leaf(ck_enum.is_extensible),
            "values" => Out::List(
                ck_enum
                    .values
                    .iter()
                    .map(|value| {
                        Out::leaf(serde_json::json!({
                            "key": value.key, "name": value.name, "description": value.description,
                        }))
                    })
                    .collect(),
            ),
            other => return Err(unknown_field("CkEnum", other)),
        })
    }
}

struct RecordNode<'c> {
    catalog: &'c CkCatalog,
    record: &'c Record,
}

impl Object for RecordNode<'_> {
    fn type_name(&self) -> &'static str {
        "CkRecord"
    }

    fn field<'s>(&'s self, name: &str, args: &Args) -> Result<Out<'s>, FieldError> {
        let record = self.record;
        Ok(match name {
            "ckRecordId" => Out::object(CkId::new(self.catalog, &record.id)),
            "description" => Out::optional(record.description.clone()),
            "isAbstract" => Out::leaf(record.is_abstract),
            "attributes" => {
                let nodes = record
                    .attributes
                    .iter()
                    .filter_map(|usage| {
                        self.catalog
                            .attribute(&usage.attribute)
                            .map(|attribute| AttributeUseNode {
                                catalog: self.catalog,
                                usage,
                                attribute,
                                inherited: false,
                            })
                    })
                    .collect();
                Out::object(Connection::paged(
                    "CkRecordAttributeConnection",
                    nodes,
                    Paging::from_args(args)?,
                ))
            }
            other => return Err(unknown_field("CkRecord", other)),
        })
    }
}

struct RoleNode<'c>(&'c AssociationRole);

impl Object for RoleNode<'_> {
    fn type_name(&self) -> &'static str {
        "CkAssociationRole"
    }

    fn field<'s>(&'s self, name: &str, _args: &Args) -> Result<Out<'s>, FieldError> {
        let role = self.0;
        Ok(match name {
            "ckAssociationRoleId" => Out::object(CkId {
                id: &role.id,
                model_version: None,
            }),
            "description" => Out::optional(role.description.clone()),
            "inboundName" => Out::leaf(role.inbound_name.clone()),
            "outboundName" => Out::leaf(role.outbound_name.clone()),
            "inboundMultiplicity" => Out::leaf(multiplicity_name(role.inbound_multiplicity)),
            "outboundMultiplicity" => Out::leaf(multiplicity_name(role.outbound_multiplicity)),
            other => return Err(unknown_field("CkAssociationRole", other)),
        })
    }
}

/// An association a type takes part in, seen from the type.
pub(crate) struct TypeAssociation {
    pub role: ElementId,
    pub direction: GraphDirection,
    /// The type at the other end.
    pub other_type: ElementId,
    /// The navigation name on this side (`Children`, `Parent`).
    pub navigation_name: String,
    /// How many entities may be at the other end.
    pub multiplicity: Multiplicity,
    /// The type that declares it (this type or an ancestor).
    pub declared_by: ElementId,
}

/// Outbound associations declared by the type or its ancestors, and inbound ones declared by any
/// type towards it or its ancestors.
pub(crate) fn type_associations(catalog: &CkCatalog, id: &ElementId) -> Vec<TypeAssociation> {
    let ancestry: Vec<&ElementId> = catalog.ancestry(id).iter().map(|t| &t.id).collect();
    let role = |role: &ElementId| {
        catalog
            .model(&role.model)
            .and_then(|installed| installed.model.association_roles.get(&role.name))
    };
    let mut found = Vec::new();
    for ck_type in catalog.ancestry(id) {
        for association in &ck_type.associations {
            if let Some(definition) = role(&association.role) {
                found.push(TypeAssociation {
                    role: association.role.clone(),
                    direction: GraphDirection::Outbound,
                    other_type: association.target.clone(),
                    navigation_name: definition.outbound_name.clone(),
                    multiplicity: definition.outbound_multiplicity,
                    declared_by: ck_type.id.clone(),
                });
            }
        }
    }
    for installed in catalog.models() {
        for ck_type in installed.model.types.values() {
            for association in &ck_type.associations {
                if !ancestry.contains(&&association.target) {
                    continue;
                }
                if let Some(definition) = role(&association.role) {
                    found.push(TypeAssociation {
                        role: association.role.clone(),
                        direction: GraphDirection::Inbound,
                        other_type: ck_type.id.clone(),
                        navigation_name: definition.inbound_name.clone(),
                        multiplicity: definition.inbound_multiplicity,
                        declared_by: ck_type.id.clone(),
                    });
                }
            }
        }
    }
    found
}

impl Object for TypeAssociation {
    fn type_name(&self) -> &'static str {
        "CkTypeAssociation"
    }

    fn field<'s>(&'s self, name: &str, _args: &Args) -> Result<Out<'s>, FieldError> {
        Ok(match name {
            "ckAssociationRoleId" => Out::leaf(self.role.to_string()),
            "direction" => Out::leaf(match self.direction {
                GraphDirection::Inbound => "INBOUND",
                GraphDirection::Outbound => "OUTBOUND",
                GraphDirection::Any => "ANY",
            }),
            "targetCkTypeId" => Out::leaf(self.other_type.to_string()),
            "navigationPropertyName" => Out::leaf(self.navigation_name.clone()),
            "multiplicity" => Out::leaf(multiplicity_name(self.multiplicity)),
            "declaredByCkTypeId" => Out::leaf(self.declared_by.to_string()),
            other => return Err(unknown_field("CkTypeAssociation", other)),
        })
    }
}

/// A queryable attribute path and the value type at its end.
pub(crate) struct PathNode(pub (String, ValueType));

impl Object for PathNode {
    fn type_name(&self) -> &'static str {
        "CkAttributePath"
    }

    fn field<'s>(&'s self, name: &str, _args: &Args) -> Result<Out<'s>, FieldError> {
        Ok(match name {
            "attributePath" => Out::leaf(self.0.0.clone()),
            "attributeValueType" => Out::leaf(value_type_name(self.0.1)),
            other => return Err(unknown_field("CkAttributePath", other)),
        })
    }
}
