//! The contract of a `tools/call` result, checked by the harness on every result a test sees: a
//! result without `isError: true` whose tool declares an `outputSchema` carries
//! `structuredContent` valid against it (JSON Schema 2020-12, the dialect MCP and schemars use);
//! an `isError: true` result carries the error envelope `{isSuccess: false, errorMessage}`
//! (`gateway/src/mcp/error.rs`). Clients such as the Python SDK refuse a result that breaks its
//! schema, so a drift here is a bug a user would hit.
//!
//! `boon` validates (chosen over `jsonschema` for its smaller build; both implement 2020-12).
//! Schemas are compiled once per listing; nothing is ever loaded from a URL or a file.
//! One known flaw of boon 0.6.1: for `items` after `prefixItems` (Rust tuples in schemars) it
//! reports the index counted from the end of the prefix (`/0` for the second element of a
//! one-element prefix); the verdict is right. No tool schema uses `prefixItems` today.

use std::collections::HashMap;
use std::fmt;

use boon::{Compiler, SchemaIndex, Schemas, ValidationError};
use serde_json::{Value, json};

/// Where the error envelope's schema is registered.
const ERROR_ENVELOPE_URL: &str = "urn:octomesh-tests:error-envelope";

/// The compiled output schemas of one endpoint's `tools/list`.
pub struct OutputSchemas {
    schemas: Schemas,
    /// Tool name → its compiled `outputSchema`, `None` when it declares none.
    tools: HashMap<String, Option<SchemaIndex>>,
    error_envelope: SchemaIndex,
}

/// Why a result breaks its tool's contract; its `Display` is the panic message.
#[derive(Debug)]
pub struct Violation {
    pub tool: String,
    /// JSON pointer of the offending instance inside `structuredContent`.
    pub pointer: String,
    pub message: String,
    /// The first 500 characters of the `structuredContent` (or the whole result without one).
    pub content: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the tools/call result of `{}` breaks its schema at `{}`: {}\n  content: {}",
            self.tool, self.pointer, self.message, self.content
        )
    }
}

/// Refuses every load: a tool's schema must be self-contained (`$defs`), never fetched.
struct NoLoader;

impl boon::UrlLoader for NoLoader {
    fn load(&self, url: &str) -> Result<Value, Box<dyn std::error::Error>> {
        Err(format!("the harness loads no schema from `{url}`").into())
    }
}

impl OutputSchemas {
    /// Compiles the `outputSchema` of every tool of a listing (the `tools` of all pages).
    pub fn compile(tools: &[Value]) -> Result<OutputSchemas, String> {
        let mut compiler = Compiler::new();
        compiler.set_default_draft(boon::Draft::V2020_12);
        compiler.use_loader(Box::new(NoLoader));
        let mut schemas = Schemas::new();
        let mut add = |url: &str, schema: &Value| -> Result<SchemaIndex, String> {
            let failed = |error: boon::CompileError| error.to_string();
            compiler.add_resource(url, schema.clone()).map_err(failed)?;
            compiler.compile(url, &mut schemas).map_err(failed)
        };
        let error_envelope = add(
            ERROR_ENVELOPE_URL,
            &json!({
                "type": "object",
                "properties": {"isSuccess": {"const": false}, "errorMessage": {"type": "string"}},
                "required": ["isSuccess", "errorMessage"],
            }),
        )
        .map_err(|error| format!("the error envelope's schema: {error}"))?;
        let mut by_tool = HashMap::new();
        for (index, tool) in tools.iter().enumerate() {
            let name = tool["name"]
                .as_str()
                .ok_or_else(|| format!("a listed tool has no name: {tool}"))?;
            let compiled = match tool.get("outputSchema") {
                None => None,
                Some(schema) => Some(
                    add(&format!("urn:octomesh-tests:output:{index}"), schema).map_err(
                        |error| format!("the outputSchema of `{name}` does not compile: {error}"),
                    )?,
                ),
            };
            by_tool.insert(name.to_owned(), compiled);
        }
        Ok(OutputSchemas {
            schemas,
            tools: by_tool,
            error_envelope,
        })
    }

    /// Whether the listing has `tool` at all.
    pub fn lists(&self, tool: &str) -> bool {
        self.tools.contains_key(tool)
    }

    /// Checks one `tools/call` result of `tool`. A tool the listing does not have (it went away
    /// with its worker) has no declared schema; its errors still must carry the envelope.
    pub fn check(&self, tool: &str, result: &Value) -> Result<(), Violation> {
        let violation = |pointer: String, message: String, content: &Value| Violation {
            tool: tool.to_owned(),
            pointer,
            message,
            content: prefix(&content.to_string(), 500),
        };
        let (schema, what) = if result.get("isError") == Some(&Value::Bool(true)) {
            (
                self.error_envelope,
                "the error envelope {isSuccess: false, errorMessage}",
            )
        } else {
            match self.tools.get(tool) {
                Some(Some(schema)) => (*schema, "the outputSchema"),
                _ => return Ok(()),
            }
        };
        let Some(structured) = result.get("structuredContent") else {
            return Err(violation(
                String::new(),
                format!("no structuredContent, which must be {what}"),
                result,
            ));
        };
        self.schemas.validate(structured, schema).map_err(|error| {
            let leaf = first_leaf(&error);
            violation(
                leaf.instance_location.to_string(),
                format!("{} (against {what})", leaf.kind),
                structured,
            )
        })
    }
}

/// boon nests errors (a group per schema, its causes per keyword); the first leaf is the
/// keyword that failed.
fn first_leaf<'e, 's, 'v>(error: &'e ValidationError<'s, 'v>) -> &'e ValidationError<'s, 'v> {
    match error.causes.first() {
        Some(cause) => first_leaf(cause),
        None => error,
    }
}

/// The first `max` characters of `text`.
fn prefix(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing() -> OutputSchemas {
        OutputSchemas::compile(&[
            json!({"name": "whoami", "outputSchema": {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "properties": {"isSuccess": {"type": "boolean"}, "email": {"type": "string"},
                               "roles": {"type": "array", "items": {"$ref": "#/$defs/Role"}}},
                "required": ["isSuccess"],
                "$defs": {"Role": {"type": "string", "minLength": 1}},
            }}),
            json!({"name": "echo"}),
        ])
        .expect("the listing compiles")
    }

    fn ok(structured: Value) -> Value {
        json!({"content": [], "structuredContent": structured, "isError": false})
    }

    #[test]
    fn a_result_that_matches_its_schema_passes() {
        let schemas = listing();
        let result = ok(json!({"isSuccess": true, "email": "a@b.c", "roles": ["admin"]}));
        assert!(schemas.check("whoami", &result).is_ok());
        assert!(schemas.check("echo", &json!({"content": []})).is_ok());
        assert!(schemas.lists("echo") && !schemas.lists("gone"));
    }

    #[test]
    fn a_null_where_a_string_is_declared_is_caught_with_its_pointer() {
        let violation = listing()
            .check("whoami", &ok(json!({"isSuccess": true, "email": null})))
            .expect_err("null is not a string");
        assert_eq!(violation.tool, "whoami");
        assert_eq!(violation.pointer, "/email");
        assert!(violation.message.contains("string"), "{violation}");
        assert!(violation.content.contains("\"email\":null"), "{violation}");
    }

    #[test]
    fn refs_into_defs_are_followed() {
        let violation = listing()
            .check(
                "whoami",
                &ok(json!({"isSuccess": true, "roles": ["ok", ""]})),
            )
            .expect_err("an empty role breaks the $ref'd schema");
        assert_eq!(violation.pointer, "/roles/1");
    }

    #[test]
    fn a_declared_schema_needs_structured_content() {
        let violation = listing()
            .check("whoami", &json!({"content": [], "isError": false}))
            .expect_err("structuredContent is missing");
        assert!(
            violation.message.contains("no structuredContent"),
            "{violation}"
        );
    }

    #[test]
    fn an_error_result_must_carry_the_envelope_whatever_the_tool() {
        let schemas = listing();
        let envelope = json!({"content": [], "isError": true,
            "structuredContent": {"isSuccess": false, "errorMessage": "no"}});
        assert!(schemas.check("whoami", &envelope).is_ok());
        let bare = json!({"content": [{"type": "text", "text": "no"}], "isError": true,
            "structuredContent": {"isSuccess": false}});
        let violation = schemas
            .check("echo", &bare)
            .expect_err("errorMessage is missing");
        assert!(violation.message.contains("errorMessage"), "{violation}");
        assert!(schemas.check("gone", &json!({"isError": true})).is_err());
    }

    #[test]
    fn the_content_shown_is_cut_at_500_characters() {
        let long = "x".repeat(2000);
        let violation = listing()
            .check("whoami", &ok(json!({"isSuccess": "yes", "email": long})))
            .expect_err("isSuccess is not a boolean");
        assert_eq!(violation.content.chars().count(), 500);
    }

    #[test]
    fn a_schema_that_refers_outside_itself_is_refused_not_fetched() {
        let outside = json!({"name": "t", "outputSchema": {"$ref": "https://example.com/s.json"}});
        let refused = OutputSchemas::compile(&[outside])
            .err()
            .expect("no network");
        assert!(refused.contains("`t`"), "{refused}");
    }
}
