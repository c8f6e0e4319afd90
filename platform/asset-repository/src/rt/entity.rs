//! Runtime entities and their validation against the CK catalog.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

use super::value::{AttributeValue, convert};
use crate::ck::catalog::CkCatalog;
use crate::ck::model::ElementId;

/// A runtime id: 24 hex digits (a MongoDB ObjectId), kept lower-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RtId(String);

impl RtId {
    pub fn parse(text: &str) -> Result<RtId, String> {
        if text.len() == 24 && text.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            Ok(RtId(text.to_ascii_lowercase()))
        } else {
            Err(format!(
                "`{text}` is not an rtId: an rtId is 24 hexadecimal digits"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RtId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A validated entity: its type, and its attributes by their names in the type.
#[derive(Debug, Clone, PartialEq)]
pub struct RtEntity {
    pub rt_id: RtId,
    pub ck_type: ElementId,
    pub well_known_name: Option<String>,
    pub attributes: BTreeMap<String, AttributeValue>,
    pub associations: Vec<RtAssociation>,
}

/// An outbound association of an entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtAssociation {
    pub role: ElementId,
    pub target: RtId,
    pub target_type: ElementId,
}

/// What an entity is built from, before validation.
#[derive(Debug, Clone)]
pub struct EntityDraft {
    pub rt_id: RtId,
    pub ck_type: String,
    pub well_known_name: Option<String>,
    /// Attribute name in the type (`Name`) or attribute id (`System/Name`) → JSON value.
    pub attributes: Vec<(String, Value)>,
    /// `(role, target rtId, target type)` as written.
    pub associations: Vec<(String, String, String)>,
}

/// How strict validation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strictness {
    /// API creates: every required attribute must be present.
    Create,
    /// Updates and model-file imports: only what is given is checked (upstream samples omit
    /// required attributes, and the upstream importer takes them).
    Partial,
}

/// Validates `draft` against `catalog`; every problem is reported.
pub fn validate(
    catalog: &CkCatalog,
    draft: EntityDraft,
    strictness: Strictness,
) -> Result<RtEntity, Vec<String>> {
    let mut problems = Vec::new();
    let Some(ck_type_id) = ElementId::parse(&draft.ck_type) else {
        return Err(vec![format!(
            "`{}` is not a CK type id: write Model/Type, e.g. Basic/Tree",
            draft.ck_type
        )]);
    };
    let Some(ck_type) = catalog.ck_type(&ck_type_id) else {
        let hint = if catalog.model(&ck_type_id.model).is_some() {
            format!(
                "model {} has no type `{}`",
                ck_type_id.model, ck_type_id.name
            )
        } else {
            format!(
                "model `{}` is not installed in this tenant",
                ck_type_id.model
            )
        };
        return Err(vec![format!("unknown CK type `{ck_type_id}`: {hint}")]);
    };
    if ck_type.is_abstract {
        problems.push(format!(
            "`{ck_type_id}` is abstract: create one of its concrete subtypes"
        ));
    }
    let effective = catalog.effective_attributes(&ck_type_id);
    let mut attributes = BTreeMap::new();
    for (key, value) in &draft.attributes {
        let found = effective.iter().find(|(usage, _)| {
            &usage.name == key || ElementId::parse(key).as_ref() == Some(&usage.attribute)
        });
        let Some((usage, attribute)) = found else {
            let names: Vec<&str> = effective
                .iter()
                .map(|(usage, _)| usage.name.as_str())
                .collect();
            problems.push(format!(
                "`{ck_type_id}` has no attribute `{key}`{}; its attributes are {}",
                dot_path_hint(key),
                names.join(", ")
            ));
            continue;
        };
        if value.is_null() {
            continue;
        }
        match convert(catalog, attribute, value) {
            Ok(converted) => {
                attributes.insert(usage.name.clone(), converted);
            }
            Err(error) => problems.push(format!("attribute `{}`: {error}", usage.name)),
        }
    }
    if strictness == Strictness::Create {
        let missing: Vec<&str> = effective
            .iter()
            .filter(|(usage, _)| !usage.is_optional && !attributes.contains_key(&usage.name))
            .map(|(usage, _)| usage.name.as_str())
            .collect();
        if !missing.is_empty() {
            problems.push(format!("`{ck_type_id}` requires {}", missing.join(", ")));
        }
    }
    let mut associations = Vec::new();
    for (role, target, target_type) in &draft.associations {
        match validate_association(catalog, &ck_type_id, role, target, target_type) {
            Ok(association) => associations.push(association),
            Err(problem) => problems.push(problem),
        }
    }
    if problems.is_empty() {
        Ok(RtEntity {
            rt_id: draft.rt_id,
            ck_type: ck_type_id,
            well_known_name: draft.well_known_name,
            attributes,
            associations,
        })
    } else {
        Err(problems)
    }
}

fn dot_path_hint(key: &str) -> &'static str {
    if key.contains('.') {
        " (a record field is set inside its record attribute, not by a dot path)"
    } else {
        ""
    }
}

fn validate_association(
    catalog: &CkCatalog,
    origin_type: &ElementId,
    role: &str,
    target: &str,
    target_type: &str,
) -> Result<RtAssociation, String> {
    let role_id =
        ElementId::parse(role).ok_or_else(|| format!("`{role}` is not an association role id"))?;
    let role_exists = catalog.model(&role_id.model).is_some_and(|installed| {
        installed
            .model
            .association_roles
            .contains_key(&role_id.name)
    });
    if !role_exists {
        return Err(format!("association role `{role_id}` is not installed"));
    }
    let target_type_id = ElementId::parse(target_type)
        .ok_or_else(|| format!("`{target_type}` is not a CK type id"))?;
    if catalog.ck_type(&target_type_id).is_none() {
        return Err(format!(
            "association `{role_id}` targets unknown type `{target_type_id}`"
        ));
    }
    let target = RtId::parse(target)?;
    let declared: Vec<_> = catalog
        .ancestry(origin_type)
        .into_iter()
        .flat_map(|ancestor| ancestor.associations.iter())
        .collect();
    let allowed = declared.iter().any(|association| {
        association.role == role_id && catalog.derives_from(&target_type_id, &association.target)
    });
    if !allowed {
        let options: Vec<String> = declared
            .iter()
            .map(|association| format!("{} -> {}", association.role, association.target))
            .collect();
        return Err(format!(
            "`{origin_type}` has no association `{role_id}` to `{target_type_id}`; it may have: {}",
            if options.is_empty() {
                "none".to_owned()
            } else {
                options.join(", ")
            }
        ));
    }
    Ok(RtAssociation {
        role: role_id,
        target,
        target_type: target_type_id,
    })
}
