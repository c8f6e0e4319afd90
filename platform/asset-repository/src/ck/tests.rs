//! The real upstream CK libraries (`platform/fixtures/octomesh/ck`, a copy of `shared/fixtures`) load and install as they are, and
//! broken libraries are refused with the file and element named.

use std::path::{Path, PathBuf};

use super::catalog::CkCatalog;
use super::load::load_dir;
use super::model::{ElementId, ValueType};

/// Upstream libraries in dependency order.
const LIBRARIES: [&str; 10] = [
    "System",
    "System.StreamData",
    "Basic",
    "Basic.Energy",
    "EnergyCommunity",
    "Environment",
    "Industry.Basic",
    "Industry.Energy",
    "Industry.Fluid",
    "TestCkModel",
];

pub(crate) fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/octomesh/ck")
}

pub(crate) fn installed_catalog() -> CkCatalog {
    let mut catalog = CkCatalog::new();
    for library in LIBRARIES {
        let model = load_dir(&fixtures().join(library))
            .unwrap_or_else(|errors| panic!("{library}:\n{errors}"));
        if let Err(errors) = catalog.import(model) {
            panic!("{library} does not install:\n{errors}");
        }
    }
    catalog
}

#[test]
fn every_upstream_library_loads_and_installs_in_dependency_order() {
    let catalog = installed_catalog();
    assert_eq!(catalog.models().count(), LIBRARIES.len());
    let basic = catalog.model("Basic").unwrap();
    assert_eq!(basic.model.id.to_string(), "Basic-2.0.2");
    assert_eq!(
        basic
            .pinned
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["System-2.2.2"]
    );
    let system = catalog.model("System").unwrap();
    assert!(system.model.types.contains_key("Entity"));
    assert!(
        system.model.enums.contains_key("FieldFilterOperators") || !system.model.enums.is_empty()
    );
}

#[test]
fn types_inherit_attributes_from_their_ancestors() {
    let catalog = installed_catalog();
    let city = ElementId::new("Basic", "City");
    assert!(catalog.derives_from(&city, &ElementId::new("System", "Entity")));
    let names: Vec<&str> = catalog
        .effective_attributes(&city)
        .iter()
        .map(|(usage, _)| usage.name.as_str())
        .collect();
    assert!(
        names.contains(&"Name"),
        "City inherits Name from NamedEntity: {names:?}"
    );
    assert!(names.contains(&"Zipcode"), "{names:?}");
}

#[test]
fn record_attributes_point_at_their_records() {
    let catalog = installed_catalog();
    let record_attributes: Vec<_> = catalog
        .models()
        .flat_map(|installed| installed.model.attributes.values())
        .filter(|attribute| {
            matches!(
                attribute.value_type,
                ValueType::Record | ValueType::RecordArray
            )
        })
        .collect();
    assert!(!record_attributes.is_empty());
    for attribute in record_attributes {
        let record = attribute
            .record
            .as_ref()
            .expect("record attributes name their record");
        assert!(
            catalog.record(record).is_some(),
            "{} -> {record}",
            attribute.id
        );
    }
}

/// A scratch library folder with the given files.
fn library(files: &[(&str, &str)]) -> tempdir::Scratch {
    let scratch = tempdir::Scratch::new();
    for (name, text) in files {
        let path = scratch.path.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    scratch
}

mod tempdir {
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicU32, Ordering};

    static NEXT: AtomicU32 = AtomicU32::new(0);

    pub(super) struct Scratch {
        pub(super) path: PathBuf,
    }

    impl Scratch {
        pub(super) fn new() -> Scratch {
            let path = std::env::temp_dir().join(format!(
                "octomesh-ck-test-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir_all(&path).unwrap();
            Scratch { path }
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

const MODEL: &str = "modelId: Plant-1.0.0\ndependencies:\n  - System-[2.0,3.0)\n";

fn import_into_system(dir: &Path) -> Result<(), String> {
    let mut catalog = CkCatalog::new();
    catalog
        .import(load_dir(&fixtures().join("System")).unwrap())
        .unwrap();
    let model = load_dir(dir).map_err(|errors| errors.to_string())?;
    catalog
        .import(model)
        .map(|_| ())
        .map_err(|errors| errors.to_string())
}

#[test]
fn an_unknown_attribute_is_refused_naming_file_and_type() {
    let scratch = library(&[
        ("ckModel.yaml", MODEL),
        (
            "types/machine.yaml",
            "types:\n  - typeId: Machine\n    derivedFromCkTypeId: ${System}/Entity\n    attributes:\n      - id: ${this}/Speed\n        name: Speed\n",
        ),
    ]);
    let error = import_into_system(&scratch.path).unwrap_err();
    assert!(
        error.contains("machine.yaml: type Machine: attribute `Plant/Speed`"),
        "{error}"
    );
}

#[test]
fn a_wrong_value_type_and_unknown_fields_are_refused() {
    let scratch = library(&[
        ("ckModel.yaml", MODEL),
        (
            "attributes/speed.yaml",
            "attributes:\n  - id: Speed\n    valueType: Float\n",
        ),
    ]);
    let error = import_into_system(&scratch.path).unwrap_err();
    assert!(
        error.contains("speed.yaml") && error.contains("Float"),
        "{error}"
    );
    let scratch = library(&[
        ("ckModel.yaml", MODEL),
        (
            "attributes/speed.yaml",
            "attributes:\n  - id: Speed\n    valueType: Double\n    unit: rpm\n",
        ),
    ]);
    let error = import_into_system(&scratch.path).unwrap_err();
    assert!(error.contains("unknown field `unit`"), "{error}");
}

#[test]
fn duplicates_missing_dependencies_and_bad_references_are_all_reported() {
    let scratch = library(&[
        (
            "ckModel.yaml",
            "modelId: Plant-1.0.0\ndependencies:\n  - Basic-[2.0,3.0)\n",
        ),
        (
            "attributes/a.yaml",
            "attributes:\n  - id: Speed\n    valueType: Double\n",
        ),
        (
            "attributes/b.yaml",
            "attributes:\n  - id: Speed\n    valueType: Int\n  - id: Mode\n    valueType: Enum\n",
        ),
        (
            "types/t.yaml",
            "types:\n  - typeId: Pump\n    derivedFromCkTypeId: ${Other}/Thing\n",
        ),
    ]);
    let error = load_dir(&scratch.path).unwrap_err().to_string();
    assert!(
        error.contains("b.yaml: attribute Speed: defined twice; first in"),
        "{error}"
    );
    assert!(
        error.contains("attribute Mode: value type Enum needs valueCkEnumId"),
        "{error}"
    );
    let scratch = library(&[
        ("ckModel.yaml", MODEL),
        (
            "types/t.yaml",
            "types:\n  - typeId: Pump\n    derivedFromCkTypeId: ${Other}/Thing\n",
        ),
    ]);
    let error = import_into_system(&scratch.path).unwrap_err();
    assert!(
        error.contains("t.yaml: type Pump: derives from type `Other/Thing` is in model `Other`, which is not a dependency of Plant"),
        "{error}"
    );
    let scratch = library(&[(
        "ckModel.yaml",
        "modelId: Plant-1.0.0\ndependencies:\n  - Basic-[2.0,3.0)\n",
    )]);
    let error = import_into_system(&scratch.path).unwrap_err();
    assert!(
        error.contains("needs Basic-[2.0,3.0), which is not installed; import Basic first"),
        "{error}"
    );
}

#[test]
fn a_byte_order_mark_is_accepted_and_versions_are_ranges() {
    let scratch = library(&[
        (
            "ckModel.yaml",
            "\u{feff}modelId: Plant-1.0.0\ndependencies:\n  - System-[2.0,3.0)\n",
        ),
        (
            "types/pump.yaml",
            "\u{feff}types:\n  - typeId: Pump\n    derivedFromCkTypeId: ${System}/Entity\n",
        ),
    ]);
    assert_eq!(import_into_system(&scratch.path), Ok(()));
    let scratch = library(&[(
        "ckModel.yaml",
        "modelId: Plant-1.0.0\ndependencies:\n  - System-[3.0,4.0)\n",
    )]);
    let error = import_into_system(&scratch.path).unwrap_err();
    assert!(
        error.contains("needs System-[3.0,4.0), but System-2.2.2 is installed"),
        "{error}"
    );
}
