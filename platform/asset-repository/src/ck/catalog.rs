//! Models installed together. Importing a model pins each dependency range to the installed version
//! and checks every reference across models; a model with any problem is not installed.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::load::{LoadError, LoadErrors};
use super::model::{
    Attribute, AttributeUse, CkEnum, CkModel, CkType, ElementId, Record, ValueType,
};
use super::version::ModelId;

/// An installed model and the exact versions its dependencies were pinned to.
#[derive(Debug, Clone)]
pub struct InstalledModel {
    pub model: CkModel,
    pub pinned: Vec<ModelId>,
}

/// The models of one tenant.
#[derive(Debug, Default, Clone)]
pub struct CkCatalog {
    models: BTreeMap<String, InstalledModel>,
}

impl CkCatalog {
    pub fn new() -> CkCatalog {
        CkCatalog::default()
    }

    pub fn models(&self) -> impl Iterator<Item = &InstalledModel> {
        self.models.values()
    }

    pub fn model(&self, name: &str) -> Option<&InstalledModel> {
        self.models.get(name)
    }

    fn element<T>(
        &self,
        id: &ElementId,
        elements: fn(&CkModel) -> &BTreeMap<String, T>,
    ) -> Option<&T> {
        elements(&self.models.get(&id.model)?.model).get(&id.name)
    }

    pub fn ck_type(&self, id: &ElementId) -> Option<&CkType> {
        self.element(id, |model| &model.types)
    }

    pub fn attribute(&self, id: &ElementId) -> Option<&Attribute> {
        self.element(id, |model| &model.attributes)
    }

    pub fn record(&self, id: &ElementId) -> Option<&Record> {
        self.element(id, |model| &model.records)
    }

    pub fn ck_enum(&self, id: &ElementId) -> Option<&CkEnum> {
        self.element(id, |model| &model.enums)
    }

    /// The type's chain from itself up to its root (`System/Entity`).
    pub fn ancestry(&self, id: &ElementId) -> Vec<&CkType> {
        let mut chain = Vec::new();
        let mut next = self.ck_type(id);
        while let Some(ck_type) = next {
            if chain.iter().any(|seen: &&CkType| seen.id == ck_type.id) {
                break;
            }
            chain.push(ck_type);
            next = ck_type
                .derived_from
                .as_ref()
                .and_then(|parent| self.ck_type(parent));
        }
        chain
    }

    /// Every attribute an entity of the type carries, base types first.
    pub fn effective_attributes(&self, id: &ElementId) -> Vec<(&AttributeUse, &Attribute)> {
        self.ancestry(id)
            .into_iter()
            .rev()
            .flat_map(|ck_type| ck_type.attributes.iter())
            .filter_map(|usage| {
                self.attribute(&usage.attribute)
                    .map(|attribute| (usage, attribute))
            })
            .collect()
    }

    /// Every attribute path of the type, dot paths into records down to `max_depth` segments,
    /// with the value type at the end of each.
    pub fn attribute_paths(&self, id: &ElementId, max_depth: usize) -> Vec<(String, ValueType)> {
        let mut paths = Vec::new();
        for (usage, attribute) in self.effective_attributes(id) {
            self.walk_paths(&usage.name, attribute, 1, max_depth, &mut paths);
        }
        paths
    }

    fn walk_paths(
        &self,
        path: &str,
        attribute: &Attribute,
        depth: usize,
        max_depth: usize,
        out: &mut Vec<(String, ValueType)>,
    ) {
        out.push((path.to_owned(), attribute.value_type));
        if depth >= max_depth || attribute.value_type != ValueType::Record {
            return;
        }
        let Some(record) = attribute.record.as_ref().and_then(|id| self.record(id)) else {
            return;
        };
        for usage in &record.attributes {
            if let Some(inner) = self.attribute(&usage.attribute) {
                self.walk_paths(
                    &format!("{path}.{}", usage.name),
                    inner,
                    depth + 1,
                    max_depth,
                    out,
                );
            }
        }
    }

    /// The non-abstract types that are `id` or derive from it: what a query of `id` returns.
    pub fn concrete_types(&self, id: &ElementId) -> Vec<ElementId> {
        self.models
            .values()
            .flat_map(|installed| installed.model.types.values())
            .filter(|ck_type| !ck_type.is_abstract && self.derives_from(&ck_type.id, id))
            .map(|ck_type| ck_type.id.clone())
            .collect()
    }

    /// Whether `id` is `ancestor` or derives from it.
    pub fn derives_from(&self, id: &ElementId, ancestor: &ElementId) -> bool {
        self.ancestry(id)
            .iter()
            .any(|ck_type| &ck_type.id == ancestor)
    }

    /// Installs `model`, or says everything that stops it.
    pub fn import(&mut self, model: CkModel) -> Result<&InstalledModel, LoadErrors> {
        let mut errors = Vec::new();
        let header = model
            .types
            .values()
            .map(|ck_type| ck_type.file.clone())
            .next()
            .unwrap_or_default();
        if let Some(installed) = self.models.get(&model.id.name)
            && installed.model.id.version == model.id.version
        {
            errors.push(problem(
                &header,
                None,
                format!("{} is already installed", model.id),
            ));
        }
        let mut pinned = Vec::new();
        for dependency in &model.dependencies {
            match self.models.get(&dependency.name) {
                Some(installed) if dependency.range.contains(installed.model.id.version) => {
                    pinned.push(installed.model.id.clone());
                }
                Some(installed) => errors.push(problem(
                    &header,
                    Some("dependencies"),
                    format!(
                        "needs {}, but {} is installed; import a matching version of {} first",
                        dependency.text, installed.model.id, dependency.name
                    ),
                )),
                None => errors.push(problem(
                    &header,
                    Some("dependencies"),
                    format!(
                        "needs {}, which is not installed; import {} first",
                        dependency.text, dependency.name
                    ),
                )),
            }
        }
        if errors.is_empty() {
            let visible = self.visible_models(&model);
            let checker = Checker {
                catalog: self,
                model: &model,
                visible,
                errors: RefCell::new(Vec::new()),
            };
            checker.check();
            errors.extend(checker.errors.into_inner());
        }
        if !errors.is_empty() {
            return Err(LoadErrors(errors));
        }
        let name = model.id.name.clone();
        self.models
            .insert(name.clone(), InstalledModel { model, pinned });
        Ok(&self.models[&name])
    }

    /// The model itself and its dependencies, transitively.
    fn visible_models(&self, model: &CkModel) -> BTreeSet<String> {
        let mut visible = BTreeSet::from([model.id.name.clone()]);
        let mut pending: Vec<String> = model
            .dependencies
            .iter()
            .map(|dependency| dependency.name.clone())
            .collect();
        while let Some(name) = pending.pop() {
            if visible.insert(name.clone())
                && let Some(installed) = self.models.get(&name)
            {
                pending.extend(
                    installed
                        .model
                        .dependencies
                        .iter()
                        .map(|dependency| dependency.name.clone()),
                );
            }
        }
        visible
    }
}

fn problem(file: &Path, element: Option<&str>, message: String) -> LoadError {
    LoadError {
        file: file.to_path_buf(),
        element: element.map(str::to_owned),
        message,
    }
}

/// Cross-model reference checks for one model about to be installed.
struct Checker<'a> {
    catalog: &'a CkCatalog,
    model: &'a CkModel,
    visible: BTreeSet<String>,
    errors: RefCell<Vec<LoadError>>,
}

impl Checker<'_> {
    fn check(&self) {
        let model = self.model;
        for attribute in model.attributes.values() {
            let element = format!("attribute {}", attribute.id.name);
            if let Some(record) = &attribute.record {
                self.expect(
                    self.find_record(record).is_some(),
                    &attribute.file,
                    &element,
                    || self.missing("record", record),
                );
            }
            if let Some(enumeration) = &attribute.enumeration {
                self.expect(
                    self.find_enum(enumeration).is_some(),
                    &attribute.file,
                    &element,
                    || self.missing("enum", enumeration),
                );
            }
        }
        for record in model.records.values() {
            let element = format!("record {}", record.id.name);
            self.check_uses(&record.attributes, &record.file, &element);
            if let Some(parent) = &record.derived_from {
                match self.find_record(parent) {
                    Some(parent_record) if parent_record.is_final => {
                        self.fail(
                            &record.file,
                            &element,
                            format!("derives from `{parent}`, which is final"),
                        );
                    }
                    Some(_) => {}
                    None => {
                        let message = format!("derives from {}", self.missing("record", parent));
                        self.fail(&record.file, &element, message)
                    }
                }
            }
        }
        for role in model.association_roles.values() {
            let element = format!("association role {}", role.id.name);
            self.check_uses(&role.attributes, &role.file, &element);
        }
        for ck_type in model.types.values() {
            let element = format!("type {}", ck_type.id.name);
            self.check_uses(&ck_type.attributes, &ck_type.file, &element);
            match &ck_type.derived_from {
                Some(parent) => match self.find_type(parent) {
                    Some(parent_type) if parent_type.is_final => {
                        self.fail(&ck_type.file, &element, format!("derives from `{parent}`, which is final"));
                    }
                    Some(_) => {}
                    None => {
                        let message = format!("derives from {}", self.missing("type", parent));
                        self.fail(&ck_type.file, &element, message)
                    }
                },
                None if ck_type.id != ElementId::new("System", "Entity") => self.fail(
                    &ck_type.file,
                    &element,
                    "derives from nothing: every type derives from System/Entity or one of its subtypes".into(),
                ),
                None => {}
            }
            for association in &ck_type.associations {
                let role_exists = self.visible.contains(&association.role.model)
                    && self
                        .lookup_model(&association.role.model)
                        .is_some_and(|model| {
                            model.association_roles.contains_key(&association.role.name)
                        });
                self.expect(role_exists, &ck_type.file, &element, || {
                    self.missing("association role", &association.role)
                });
                self.expect(
                    self.find_type(&association.target).is_some(),
                    &ck_type.file,
                    &element,
                    || {
                        format!(
                            "association target {}",
                            self.missing("type", &association.target)
                        )
                    },
                );
            }
            self.check_cycle(ck_type, &element);
        }
    }

    fn check_uses(&self, uses: &[AttributeUse], file: &Path, element: &str) {
        for usage in uses {
            let exists = self.find_attribute(&usage.attribute).is_some();
            self.expect(exists, file, element, || {
                format!(
                    "{} (used as `{}`)",
                    self.missing("attribute", &usage.attribute),
                    usage.name
                )
            });
        }
    }

    fn check_cycle(&self, ck_type: &CkType, element: &str) {
        let mut seen = vec![ck_type.id.clone()];
        let mut next = ck_type.derived_from.clone();
        while let Some(parent) = next {
            if seen.contains(&parent) {
                self.fail(
                    &ck_type.file,
                    element,
                    format!("inherits from itself through `{parent}`"),
                );
                return;
            }
            seen.push(parent.clone());
            next = self
                .find_type(&parent)
                .and_then(|parent_type| parent_type.derived_from.clone());
        }
    }

    fn lookup_model(&self, name: &str) -> Option<&CkModel> {
        if name == self.model.id.name {
            return Some(self.model);
        }
        self.catalog
            .models
            .get(name)
            .map(|installed| &installed.model)
    }

    /// An element of a model this model may see (itself or a dependency).
    fn find<T>(
        &self,
        id: &ElementId,
        elements: fn(&CkModel) -> &BTreeMap<String, T>,
    ) -> Option<&T> {
        if !self.visible.contains(&id.model) {
            return None;
        }
        elements(self.lookup_model(&id.model)?).get(&id.name)
    }

    fn find_type(&self, id: &ElementId) -> Option<&CkType> {
        self.find(id, |model| &model.types)
    }

    fn find_record(&self, id: &ElementId) -> Option<&Record> {
        self.find(id, |model| &model.records)
    }

    fn find_enum(&self, id: &ElementId) -> Option<&CkEnum> {
        self.find(id, |model| &model.enums)
    }

    fn find_attribute(&self, id: &ElementId) -> Option<&Attribute> {
        self.find(id, |model| &model.attributes)
    }

    /// Why `id` cannot be found: outside the model's dependencies, or absent.
    fn missing(&self, kind: &str, id: &ElementId) -> String {
        if self.visible.contains(&id.model) {
            format!("{kind} `{id}` does not exist")
        } else {
            format!(
                "{kind} `{id}` is in model `{}`, which is not a dependency of {}",
                id.model, self.model.id.name
            )
        }
    }

    fn expect(&self, ok: bool, file: &Path, element: &str, message: impl FnOnce() -> String) {
        if !ok {
            self.fail(file, element, message());
        }
    }

    fn fail(&self, file: &Path, element: &str, message: String) {
        self.errors
            .borrow_mut()
            .push(problem(file, Some(element), message));
    }
}

/// Whether an attribute of this value type is a record (dot paths filter inside it).
pub fn is_record(value_type: ValueType) -> bool {
    matches!(value_type, ValueType::Record | ValueType::RecordArray)
}
