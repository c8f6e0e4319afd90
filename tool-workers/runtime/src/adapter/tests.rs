use super::*;

#[test]
fn empty_and_null_arguments_are_an_empty_object() {
    assert!(decode_object("t", b"").unwrap().is_empty());
    assert!(decode_object("t", b"null").unwrap().is_empty());
}

#[test]
fn non_object_arguments_are_refused_with_their_kind() {
    let error = decode_object("t", b"[1,2]").unwrap_err().to_string();
    assert!(
        error.contains("expected a JSON object, got an array"),
        "{error}"
    );
}

#[test]
fn the_confirm_gate_needs_literal_true() {
    let mut arguments = Map::new();
    assert!(confirm_gate("drop", &arguments).is_err());
    arguments.insert("confirm".into(), Value::String("true".into()));
    assert!(confirm_gate("drop", &arguments).is_err());
    arguments.insert("confirm".into(), Value::Bool(false));
    assert!(confirm_gate("drop", &arguments).is_err());
    arguments.insert("confirm".into(), Value::Bool(true));
    assert!(confirm_gate("drop", &arguments).is_ok());
}

#[test]
fn the_refusal_says_how_to_proceed() {
    let error = confirm_gate("drop_tenant", &Map::new()).unwrap_err();
    assert_eq!(
        error.code(),
        octomesh_proto::v1::ErrorCode::ConfirmationRequired
    );
    assert!(error.to_string().contains("\"confirm\": true"));
    assert!(error.to_string().contains("Nothing was done"));
}
