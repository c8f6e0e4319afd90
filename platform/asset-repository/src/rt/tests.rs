//! Runtime entities validate against the real CK libraries; the upstream runtime samples import as
//! they are; each bad input is refused with what was wrong.

use serde_json::json;

use super::entity::{EntityDraft, RtId, Strictness, validate};
use super::file::RuntimeModelFile;
use super::value::AttributeValue;
use crate::ck::tests::{fixtures, installed_catalog};

fn draft(ck_type: &str, attributes: serde_json::Value) -> EntityDraft {
    EntityDraft {
        rt_id: RtId::parse("5fc8fc3d8b2fc75f925e21aa").unwrap(),
        ck_type: ck_type.into(),
        well_known_name: None,
        attributes: attributes
            .as_object()
            .unwrap()
            .iter()
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect(),
        associations: Vec::new(),
    }
}

#[test]
fn the_upstream_photovoltaic_sample_imports_as_it_is() {
    let catalog = installed_catalog();
    let path = fixtures().join("../rt/pv/rt-pv.yaml");
    let file = RuntimeModelFile::parse(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(!file.entities.is_empty());
    for source in &file.entities {
        let entity = validate(&catalog, source.draft().unwrap(), Strictness::Partial)
            .unwrap_or_else(|problems| panic!("{}: {problems:?}", source.rt_id));
        assert_eq!(entity.rt_id.as_str(), source.rt_id.to_ascii_lowercase());
    }
    let inverter = file
        .entities
        .iter()
        .find(|source| source.ck_type_id == "Industry.Energy/Inverter")
        .unwrap();
    let entity = validate(&catalog, inverter.draft().unwrap(), Strictness::Partial).unwrap();
    let AttributeValue::Record(name_plate) = &entity.attributes["NamePlate"] else {
        panic!("NamePlate is a record: {:?}", entity.attributes);
    };
    assert_eq!(
        name_plate.fields["SerialNumber"],
        AttributeValue::String("722102009007".into())
    );
}

#[test]
fn samples_of_models_this_tenant_lacks_are_refused_naming_the_model() {
    let catalog = installed_catalog();
    let path = fixtures().join("../rt/_general/rt-adapters-mesh.yaml");
    let file = RuntimeModelFile::parse(&std::fs::read_to_string(path).unwrap()).unwrap();
    let refused: Vec<String> = file
        .entities
        .iter()
        .filter_map(|source| validate(&catalog, source.draft().ok()?, Strictness::Partial).err())
        .flatten()
        .collect();
    assert!(
        refused
            .iter()
            .any(|problem| problem.contains("model `System.Communication` is not installed")),
        "{refused:?}"
    );
}

#[test]
fn a_create_checks_types_names_and_required_attributes() {
    let catalog = installed_catalog();
    let ok = validate(
        &catalog,
        draft("Basic/Tree", json!({"Name": "Plant A"})),
        Strictness::Create,
    )
    .unwrap();
    assert_eq!(
        ok.attributes["Name"],
        AttributeValue::String("Plant A".into())
    );

    let missing =
        validate(&catalog, draft("Basic/Tree", json!({})), Strictness::Create).unwrap_err();
    assert!(
        missing
            .iter()
            .any(|problem| problem.contains("`Basic/Tree` requires Name")),
        "{missing:?}"
    );

    let unknown = validate(
        &catalog,
        draft("Basic/Tree", json!({"Name": "x", "Colour": "red"})),
        Strictness::Create,
    )
    .unwrap_err();
    assert!(
        unknown[0].contains("has no attribute `Colour`; its attributes are"),
        "{unknown:?}"
    );

    let abstract_type = validate(
        &catalog,
        draft("Basic/NamedEntity", json!({"Name": "x"})),
        Strictness::Create,
    )
    .unwrap_err();
    assert!(
        abstract_type[0].contains("is abstract"),
        "{abstract_type:?}"
    );

    let unknown_type =
        validate(&catalog, draft("Plant/Pump", json!({})), Strictness::Create).unwrap_err();
    assert!(
        unknown_type[0].contains("model `Plant` is not installed"),
        "{unknown_type:?}"
    );
}

#[test]
fn values_must_match_their_value_types() {
    let catalog = installed_catalog();
    let wrong = validate(
        &catalog,
        draft("Basic/Tree", json!({"Name": ["a", "b"]})),
        Strictness::Partial,
    )
    .unwrap_err();
    assert_eq!(
        wrong,
        ["attribute `Name`: expected a string, got an array of 2 items"]
    );
    let record_path = validate(
        &catalog,
        draft(
            "Industry.Energy/Inverter",
            json!({"NamePlate.SerialNumber": "1"}),
        ),
        Strictness::Partial,
    )
    .unwrap_err();
    assert!(
        record_path[0].contains("not by a dot path"),
        "{record_path:?}"
    );
    let record = validate(
        &catalog,
        draft(
            "Industry.Energy/Inverter",
            json!({"NamePlate": {"SerialNumber": "S-1", "Colour": "red"}}),
        ),
        Strictness::Partial,
    )
    .unwrap_err();
    assert!(
        record[0].contains("has no field `Colour`; its fields are"),
        "{record:?}"
    );
}

#[test]
fn rt_ids_are_24_hex_digits() {
    assert!(RtId::parse("5FC8FC3D8B2FC75F925E21AA").is_ok());
    assert!(
        RtId::parse("5fc8fc3d8b2fc75f925e21a")
            .unwrap_err()
            .contains("24 hexadecimal digits")
    );
    assert!(RtId::parse("5fc8fc3d8b2fc75f925e21ag").is_err());
}

#[test]
fn date_times_and_time_spans_are_checked() {
    use super::value::is_rfc3339;
    assert!(is_rfc3339("2026-11-24T21:33:28Z"));
    assert!(is_rfc3339("2026-11-24T21:33:28.123+01:00"));
    assert!(!is_rfc3339("2026-13-24T21:33:28Z"));
    assert!(!is_rfc3339("2026-11-24 21:33"));
    assert!(!is_rfc3339("yesterday"));
}
