//! Loads one CK library folder (`ckModel.yaml` plus `types/`, `attributes/`, `records/`, `enums/`,
//! `associations/`) into a [`CkModel`]. Every problem is reported, each naming its file and element;
//! nothing is returned unless the whole library is valid on its own.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use super::model::{
    AssociationRole, Attribute, AttributeUse, CkEnum, CkModel, CkType, ElementId, EnumValue, Index,
    Record, TypeAssociation, ValueType, strip_version,
};
use super::source::{AttributeUseSource, ElementsFile, ModelFile};
use super::version::{Dependency, ModelId};

/// The element folders of a library, in load order.
const ELEMENT_FOLDERS: [&str; 5] = ["enums", "records", "attributes", "associations", "types"];

/// One problem in a library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub file: PathBuf,
    /// The element, e.g. `type Machine` or `attribute Name`; absent for whole-file problems.
    pub element: Option<String>,
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.element {
            Some(element) => write!(f, "{}: {element}: {}", self.file.display(), self.message),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

/// Every problem found, one per line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadErrors(pub Vec<LoadError>);

impl fmt::Display for LoadErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (error_idx, error) in self.0.iter().enumerate() {
            if error_idx > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadErrors {}

/// A library's files in memory: paths relative to the library root, and their text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LibraryFiles {
    /// Where the files came from, for messages (a folder, or an upload's name).
    pub root: PathBuf,
    pub files: BTreeMap<PathBuf, String>,
}

impl LibraryFiles {
    /// Reads `ckModel.*` and every element file of a library folder.
    pub fn read_dir(dir: &Path) -> Result<LibraryFiles, LoadErrors> {
        let mut library = LibraryFiles {
            root: dir.to_path_buf(),
            files: BTreeMap::new(),
        };
        let mut errors = Vec::new();
        let mut paths: Vec<PathBuf> = ["ckModel.yaml", "ckModel.yml", "ckModel.json"]
            .iter()
            .map(|name| dir.join(name))
            .filter(|path| path.is_file())
            .take(1)
            .collect();
        for folder in ELEMENT_FOLDERS {
            paths.extend(element_files(&dir.join(folder)));
        }
        for path in paths {
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    let relative = path.strip_prefix(dir).unwrap_or(&path).to_path_buf();
                    library.files.insert(relative, text);
                }
                Err(error) => errors.push(LoadError {
                    file: path,
                    element: None,
                    message: format!("cannot read: {error}"),
                }),
            }
        }
        if errors.is_empty() {
            Ok(library)
        } else {
            Err(LoadErrors(errors))
        }
    }
}

/// Loads the library in `dir`.
pub fn load_dir(dir: &Path) -> Result<CkModel, LoadErrors> {
    load(&LibraryFiles::read_dir(dir)?)
}

/// Loads a library from its files.
pub fn load(library: &LibraryFiles) -> Result<CkModel, LoadErrors> {
    let mut loader = Loader::default();
    let header_path = ["ckModel.yaml", "ckModel.yml", "ckModel.json"]
        .iter()
        .map(PathBuf::from)
        .find(|path| library.files.contains_key(path));
    let Some(header_path) = header_path else {
        return Err(LoadErrors(vec![LoadError {
            file: library.root.clone(),
            element: None,
            message: "no ckModel.yaml: a CK library folder starts with it".into(),
        }]));
    };
    let model_path = library.root.join(&header_path);
    let Some(header) = loader.parse::<ModelFile>(&model_path, &library.files[&header_path]) else {
        return Err(LoadErrors(loader.errors));
    };
    let Some(id) = ModelId::parse(&header.model_id) else {
        return Err(LoadErrors(vec![LoadError {
            file: model_path,
            element: Some("modelId".into()),
            message: format!("`{}` is not NAME-MAJOR.MINOR.PATCH", header.model_id),
        }]));
    };
    let mut dependencies = Vec::new();
    for text in &header.dependencies {
        match Dependency::parse(text) {
            Some(dependency) => dependencies.push(dependency),
            None => loader.error(
                &model_path,
                Some("dependencies"),
                format!("`{text}` is not NAME-RANGE, e.g. System-[2.0,3.0)"),
            ),
        }
    }
    let mut model = CkModel {
        id,
        description: header.description,
        dependencies,
        attributes: BTreeMap::new(),
        types: BTreeMap::new(),
        records: BTreeMap::new(),
        enums: BTreeMap::new(),
        association_roles: BTreeMap::new(),
    };
    let references = References {
        this: model.id.name.clone(),
    };
    for folder in ELEMENT_FOLDERS {
        let in_folder = library
            .files
            .iter()
            .filter(|(path, _)| path.starts_with(folder));
        for (path, text) in in_folder {
            let file = library.root.join(path);
            if let Some(elements) = loader.parse::<ElementsFile>(&file, text) {
                loader.add(&mut model, &references, &file, elements);
            }
        }
    }
    if loader.errors.is_empty() {
        Ok(model)
    } else {
        Err(LoadErrors(loader.errors))
    }
}

/// The element files of one folder, sorted, recursively.
fn element_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(element_files(&path));
        } else if matches!(
            path.extension().and_then(|extension| extension.to_str()),
            Some("yaml" | "yml" | "json")
        ) {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// How `${this}/X`, `${Model}/X` and `Model/X` resolve in one library.
struct References {
    this: String,
}

impl References {
    fn resolve(&self, text: &str) -> Result<ElementId, String> {
        let (prefix, name) = text.split_once('/').ok_or_else(|| {
            format!("`{text}` is not a reference: write ${{this}}/Name or Model/Name")
        })?;
        let model = match prefix
            .strip_prefix("${")
            .and_then(|rest| rest.strip_suffix('}'))
        {
            Some("this") => self.this.clone(),
            Some(model) => model.to_owned(),
            None => prefix.to_owned(),
        };
        // Other models may be indirect dependencies: the catalog checks them at import.
        let valid_model = model
            .split('.')
            .all(|part| !part.is_empty() && part.chars().all(|char| char.is_ascii_alphanumeric()));
        if !valid_model {
            return Err(format!("`{text}`: `{model}` is not a model name"));
        }
        if !is_element_name(name) {
            return Err(format!(
                "`{text}`: `{name}` is not a PascalCase element name"
            ));
        }
        Ok(ElementId::new(&model, strip_version(name)))
    }
}

/// `Name`, `Name.Sub`, optionally `-N`: the upstream element-id pattern.
fn is_element_name(text: &str) -> bool {
    let base = strip_version(text);
    !base.is_empty()
        && base.split('.').all(|part| {
            part.starts_with(|first: char| first.is_ascii_uppercase())
                && part
                    .chars()
                    .all(|char| char.is_ascii_alphanumeric() || char == '_')
        })
}

/// `Name`: PascalCase, letters and digits.
fn is_member_name(text: &str) -> bool {
    text.starts_with(|first: char| first.is_ascii_uppercase())
        && text.chars().all(|char| char.is_ascii_alphanumeric())
}

#[derive(Default)]
struct Loader {
    errors: Vec<LoadError>,
    /// Where each element was defined, for duplicate reports.
    defined: BTreeMap<(&'static str, String), PathBuf>,
}

impl Loader {
    fn error(&mut self, file: &Path, element: Option<&str>, message: String) {
        self.errors.push(LoadError {
            file: file.to_path_buf(),
            element: element.map(str::to_owned),
            message,
        });
    }

    /// Parses a YAML or JSON file (a UTF-8 byte-order mark is allowed, as upstream has them).
    fn parse<T: serde::de::DeserializeOwned>(&mut self, path: &Path, text: &str) -> Option<T> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        match serde_yaml::from_str::<T>(text) {
            Ok(value) => Some(value),
            Err(error) => {
                self.error(path, None, format!("not a valid CK file: {error}"));
                None
            }
        }
    }

    /// Records a definition; false (and an error) when `name` is already defined as a `kind`.
    fn define(&mut self, kind: &'static str, name: &str, file: &Path) -> bool {
        let element = format!("{kind} {name}");
        if !is_element_name(name) {
            self.error(
                file,
                Some(&element),
                format!("`{name}` is not a PascalCase element name"),
            );
            return false;
        }
        match self.defined.get(&(kind, strip_version(name).to_owned())) {
            Some(first) => {
                let message = format!("defined twice; first in {}", first.display());
                self.error(file, Some(&element), message);
                false
            }
            None => {
                self.defined
                    .insert((kind, strip_version(name).to_owned()), file.to_path_buf());
                true
            }
        }
    }

    fn resolve(
        &mut self,
        references: &References,
        text: &str,
        file: &Path,
        element: &str,
    ) -> Option<ElementId> {
        match references.resolve(text) {
            Ok(id) => Some(id),
            Err(message) => {
                self.error(file, Some(element), message);
                None
            }
        }
    }

    fn uses(
        &mut self,
        references: &References,
        sources: Vec<AttributeUseSource>,
        file: &Path,
        element: &str,
    ) -> Vec<AttributeUse> {
        let mut names: Vec<String> = Vec::new();
        let mut uses = Vec::new();
        for source in sources {
            if !is_member_name(&source.name) {
                self.error(
                    file,
                    Some(element),
                    format!("attribute name `{}` is not PascalCase", source.name),
                );
                continue;
            }
            if names.contains(&source.name) {
                self.error(
                    file,
                    Some(element),
                    format!("attribute name `{}` is used twice", source.name),
                );
                continue;
            }
            names.push(source.name.clone());
            if let Some(attribute) = self.resolve(references, &source.id, file, element) {
                uses.push(AttributeUse {
                    attribute,
                    name: source.name,
                    is_optional: source.is_optional,
                    auto_increment_reference: source.auto_increment_reference,
                });
            }
        }
        uses
    }

    /// Defines a type or record, resolving its base and attribute uses; `None` if it is a duplicate
    /// or has a bad name.
    fn derivable(
        &mut self,
        references: &References,
        (kind, id): (&'static str, &str),
        derived_from: Option<&str>,
        uses: Vec<AttributeUseSource>,
        file: &Path,
    ) -> Option<(Option<ElementId>, Vec<AttributeUse>)> {
        let element = format!("{kind} {id}");
        if !self.define(kind, id, file) {
            return None;
        }
        let derived_from =
            derived_from.and_then(|text| self.resolve(references, text, file, &element));
        let attributes = self.uses(references, uses, file, &element);
        Some((derived_from, attributes))
    }

    fn add(
        &mut self,
        model: &mut CkModel,
        references: &References,
        file: &Path,
        elements: ElementsFile,
    ) {
        let this = model.id.name.clone();
        for source in elements.enums {
            let element = format!("enum {}", source.enum_id);
            if !self.define("enum", &source.enum_id, file) {
                continue;
            }
            let mut values: Vec<EnumValue> = Vec::new();
            for value in source.values {
                if values
                    .iter()
                    .any(|seen| seen.key == value.key || seen.name == value.name)
                {
                    self.error(
                        file,
                        Some(&element),
                        format!(
                            "value `{}` ({}) repeats a key or name",
                            value.name, value.key
                        ),
                    );
                    continue;
                }
                values.push(EnumValue {
                    key: value.key,
                    name: value.name,
                    description: value.description,
                });
            }
            let name = strip_version(&source.enum_id).to_owned();
            model.enums.insert(
                name.clone(),
                CkEnum {
                    id: ElementId::new(&this, &name),
                    values,
                    use_flags: source.use_flags,
                    is_extensible: source.is_extensible,
                    description: source.description,
                    file: file.to_path_buf(),
                },
            );
        }
        for source in elements.records {
            let Some((derived_from, attributes)) = self.derivable(
                references,
                ("record", &source.record_id),
                source.derived_from_ck_record_id.as_deref(),
                source.attributes,
                file,
            ) else {
                continue;
            };
            let name = strip_version(&source.record_id).to_owned();
            model.records.insert(
                name.clone(),
                Record {
                    id: ElementId::new(&this, &name),
                    derived_from,
                    is_abstract: source.is_abstract,
                    is_final: source.is_final,
                    attributes,
                    description: source.description,
                    file: file.to_path_buf(),
                },
            );
        }
        for source in elements.attributes {
            let element = format!("attribute {}", source.id);
            if !self.define("attribute", &source.id, file) {
                continue;
            }
            let needs_record = matches!(
                source.value_type,
                ValueType::Record | ValueType::RecordArray
            );
            let needs_enum = source.value_type == ValueType::Enum;
            let record = match (&source.value_ck_record_id, needs_record) {
                (Some(text), true) => self.resolve(references, text, file, &element),
                (None, true) => {
                    self.error(
                        file,
                        Some(&element),
                        format!("value type {:?} needs valueCkRecordId", source.value_type),
                    );
                    None
                }
                (Some(_), false) => {
                    self.error(
                        file,
                        Some(&element),
                        format!(
                            "valueCkRecordId is only for Record and RecordArray, not {:?}",
                            source.value_type
                        ),
                    );
                    None
                }
                (None, false) => None,
            };
            let enumeration = match (&source.value_ck_enum_id, needs_enum) {
                (Some(text), true) => self.resolve(references, text, file, &element),
                (None, true) => {
                    self.error(
                        file,
                        Some(&element),
                        "value type Enum needs valueCkEnumId".into(),
                    );
                    None
                }
                (Some(_), false) => {
                    self.error(
                        file,
                        Some(&element),
                        format!(
                            "valueCkEnumId is only for Enum, not {:?}",
                            source.value_type
                        ),
                    );
                    None
                }
                (None, false) => None,
            };
            let name = strip_version(&source.id).to_owned();
            model.attributes.insert(
                name.clone(),
                Attribute {
                    id: ElementId::new(&this, &name),
                    value_type: source.value_type,
                    record,
                    enumeration,
                    is_runtime_state: source.is_runtime_state,
                    description: source.description,
                    file: file.to_path_buf(),
                },
            );
        }
        for source in elements.association_roles {
            let element = format!("association role {}", source.id);
            if !self.define("association role", &source.id, file) {
                continue;
            }
            for navigation in [&source.inbound_name, &source.outbound_name] {
                if !is_member_name(navigation) {
                    self.error(
                        file,
                        Some(&element),
                        format!("navigation name `{navigation}` is not PascalCase"),
                    );
                }
            }
            let attributes = self.uses(references, source.attributes, file, &element);
            let name = strip_version(&source.id).to_owned();
            model.association_roles.insert(
                name.clone(),
                AssociationRole {
                    id: ElementId::new(&this, &name),
                    inbound_name: source.inbound_name,
                    outbound_name: source.outbound_name,
                    inbound_multiplicity: source.inbound_multiplicity,
                    outbound_multiplicity: source.outbound_multiplicity,
                    attributes,
                    description: source.description,
                    file: file.to_path_buf(),
                },
            );
        }
        for source in elements.types {
            let element = format!("type {}", source.type_id);
            let Some((derived_from, attributes)) = self.derivable(
                references,
                ("type", &source.type_id),
                source.derived_from_ck_type_id.as_deref(),
                source.attributes,
                file,
            ) else {
                continue;
            };
            let mut associations = Vec::new();
            for association in source.associations {
                let role = self.resolve(references, &association.id, file, &element);
                let target =
                    self.resolve(references, &association.target_ck_type_id, file, &element);
                if let (Some(role), Some(target)) = (role, target) {
                    associations.push(TypeAssociation { role, target });
                }
            }
            let indexes = source
                .indexes
                .into_iter()
                .map(|index| Index {
                    index_type: index.index_type,
                    language: index.language,
                    fields: index
                        .fields
                        .into_iter()
                        .map(|field| (field.attribute_paths, field.weight))
                        .collect(),
                })
                .collect();
            let name = strip_version(&source.type_id).to_owned();
            model.types.insert(
                name.clone(),
                CkType {
                    id: ElementId::new(&this, &name),
                    derived_from,
                    is_abstract: source.is_abstract,
                    is_final: source.is_final,
                    description: source.description,
                    attributes,
                    indexes,
                    associations,
                    file: file.to_path_buf(),
                },
            );
        }
    }
}
