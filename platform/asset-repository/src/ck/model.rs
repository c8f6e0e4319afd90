//! The typed CK model: placeholders resolved, references fully qualified, sources remembered for
//! error messages.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

pub use super::source::{IndexType, Multiplicity, ValueType};
use super::version::{Dependency, ModelId};

/// A fully qualified element id: `Basic/Address` (model name / element name, version suffix dropped).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ElementId {
    pub model: String,
    pub name: String,
}

impl ElementId {
    pub fn new(model: &str, name: &str) -> ElementId {
        ElementId {
            model: model.to_owned(),
            name: name.to_owned(),
        }
    }

    /// Parses `Model/Name` (a `-N` version suffix on the name is dropped).
    pub fn parse(text: &str) -> Option<ElementId> {
        let (model, name) = text.split_once('/')?;
        if model.is_empty() || name.is_empty() {
            return None;
        }
        Some(ElementId::new(model, strip_version(name)))
    }
}

impl fmt::Display for ElementId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.model, self.name)
    }
}

/// Drops a trailing element version (`Entity-1` → `Entity`).
pub(crate) fn strip_version(name: &str) -> &str {
    match name.rsplit_once('-') {
        Some((base, version))
            if !version.is_empty() && version.bytes().all(|byte| byte.is_ascii_digit()) =>
        {
            base
        }
        _ => name,
    }
}

/// One loaded model.
#[derive(Debug, Clone)]
pub struct CkModel {
    pub id: ModelId,
    pub description: Option<String>,
    pub dependencies: Vec<Dependency>,
    /// By element name.
    pub attributes: BTreeMap<String, Attribute>,
    pub types: BTreeMap<String, CkType>,
    pub records: BTreeMap<String, Record>,
    pub enums: BTreeMap<String, CkEnum>,
    pub association_roles: BTreeMap<String, AssociationRole>,
}

#[derive(Debug, Clone)]
pub struct Attribute {
    pub id: ElementId,
    pub value_type: ValueType,
    /// For `Record` and `RecordArray`.
    pub record: Option<ElementId>,
    /// For `Enum`.
    pub enumeration: Option<ElementId>,
    pub is_runtime_state: bool,
    pub description: Option<String>,
    pub file: PathBuf,
}

/// An attribute as a type, record or role uses it, under a name of its own.
#[derive(Debug, Clone)]
pub struct AttributeUse {
    pub attribute: ElementId,
    pub name: String,
    pub is_optional: bool,
    pub auto_increment_reference: Option<String>,
}

#[derive(Debug, Clone)]
pub struct CkType {
    pub id: ElementId,
    pub derived_from: Option<ElementId>,
    pub is_abstract: bool,
    pub is_final: bool,
    pub description: Option<String>,
    pub attributes: Vec<AttributeUse>,
    pub indexes: Vec<Index>,
    pub associations: Vec<TypeAssociation>,
    pub file: PathBuf,
}

#[derive(Debug, Clone)]
pub struct Index {
    pub index_type: IndexType,
    pub language: Option<String>,
    /// Attribute paths with their text-search weight.
    pub fields: Vec<(Vec<String>, Option<u32>)>,
}

/// An association a type may have: a role, towards a target type.
#[derive(Debug, Clone)]
pub struct TypeAssociation {
    pub role: ElementId,
    pub target: ElementId,
}

#[derive(Debug, Clone)]
pub struct Record {
    pub id: ElementId,
    pub derived_from: Option<ElementId>,
    pub is_abstract: bool,
    pub is_final: bool,
    pub attributes: Vec<AttributeUse>,
    pub description: Option<String>,
    pub file: PathBuf,
}

#[derive(Debug, Clone)]
pub struct CkEnum {
    pub id: ElementId,
    pub values: Vec<EnumValue>,
    pub use_flags: bool,
    pub is_extensible: bool,
    pub description: Option<String>,
    pub file: PathBuf,
}

#[derive(Debug, Clone)]
pub struct EnumValue {
    pub key: i64,
    pub name: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone)]
pub struct AssociationRole {
    pub id: ElementId,
    pub inbound_name: String,
    pub outbound_name: String,
    pub inbound_multiplicity: Multiplicity,
    pub outbound_multiplicity: Multiplicity,
    pub attributes: Vec<AttributeUse>,
    pub description: Option<String>,
    pub file: PathBuf,
}
