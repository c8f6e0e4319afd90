//! Declarations of the family hold up to the registry's lint.

#[test]
fn the_family_declares_fourteen_tools_that_pass_the_lint() {
    let registry = super::registry(None).unwrap();
    assert_eq!(registry.lint(), Vec::<String>::new());
    assert_eq!(registry.tool_specs().len(), 14);
}
