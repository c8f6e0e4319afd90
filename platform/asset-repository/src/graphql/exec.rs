//! A small GraphQL executor for a fixed schema: operations, variables (with defaults), aliases,
//! fragments (named and inline), `@skip`/`@include`, `__typename`, lists, and field errors that
//! null their field and are reported with their path, as the GraphQL spec asks.
//!
//! Resolvers implement [`Object`]; arguments reach them as [`Args`] and decode into typed structs,
//! so JSON stays at this edge. No introspection (the generic surface is documented instead).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use graphql_parser::query::{
    Definition, Directive, Document, Field, FragmentDefinition, OperationDefinition, Selection,
    SelectionSet, TypeCondition, Value as GqlValue, VariableDefinition,
};
use serde::de::DeserializeOwned;
use serde_json::{Map, Number, Value};

/// Deepest selection accepted (bounds the work a request can ask for).
pub(crate) const MAX_DEPTH: usize = 24;

/// A field that could not be resolved. The message is shown to the client.
#[derive(Debug, Clone)]
pub(crate) struct FieldError {
    pub message: String,
    /// The OctoMesh error code: `ASSET1000` invalid arguments, `ASSET1001` data store,
    /// `ASSET1002` common, `CONFLICT` stale `rtVersion`, `NOT_FOUND`.
    pub code: &'static str,
    /// Extra machine-readable details (e.g. the current version on a conflict).
    pub details: Option<Value>,
}

impl FieldError {
    pub(crate) fn invalid(message: impl Into<String>) -> FieldError {
        FieldError {
            message: message.into(),
            code: "ASSET1000",
            details: None,
        }
    }
}

/// What a resolver returns.
pub(crate) enum Out<'a> {
    /// A scalar, an enum value, or an opaque JSON value (an attribute's value).
    Leaf(Value),
    Object(Box<dyn Object + 'a>),
    List(Vec<Out<'a>>),
}

impl<'a> Out<'a> {
    pub(crate) fn object(object: impl Object + 'a) -> Out<'a> {
        Out::Object(Box::new(object))
    }

    pub(crate) fn leaf(value: impl Into<Value>) -> Out<'a> {
        Out::Leaf(value.into())
    }

    pub(crate) fn null() -> Out<'a> {
        Out::Leaf(Value::Null)
    }

    pub(crate) fn optional(value: Option<impl Into<Value>>) -> Out<'a> {
        value.map_or(Out::Leaf(Value::Null), |value| Out::Leaf(value.into()))
    }

    pub(crate) fn objects<T: Object + 'a>(items: impl IntoIterator<Item = T>) -> Out<'a> {
        Out::List(items.into_iter().map(Out::object).collect())
    }
}

/// A GraphQL object type.
pub(crate) trait Object {
    fn type_name(&self) -> &'static str;
    fn field<'s>(&'s self, name: &str, args: &Args) -> Result<Out<'s>, FieldError>;
}

/// A field's arguments, variables already substituted.
pub(crate) struct Args(Map<String, Value>);

impl Args {
    /// An argument decoded into `T`; absent or `null` is `None`. The error names the argument.
    pub(crate) fn get<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, FieldError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => serde_json::from_value(value.clone())
                .map(Some)
                .map_err(|error| FieldError::invalid(format!("argument `{name}`: {error}"))),
        }
    }

    /// A required argument.
    pub(crate) fn require<T: DeserializeOwned>(&self, name: &str) -> Result<T, FieldError> {
        self.get(name)?
            .ok_or_else(|| FieldError::invalid(format!("argument `{name}` is required")))
    }
}

/// The parsed HTTP request body.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    pub query: String,
    #[serde(default)]
    pub variables: Option<Map<String, Value>>,
    #[serde(default)]
    pub operation_name: Option<String>,
}

/// Which root an operation starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OperationKind {
    Query,
    Mutation,
}

/// A request, parsed and with its operation chosen.
pub(crate) struct Prepared {
    document: Arc<Document<'static, String>>,
    operation: usize,
    pub kind: OperationKind,
    variables: Map<String, Value>,
}

/// Parsed documents by query text: clients send the same few queries with other variables.
const DOCUMENT_CACHE_ENTRIES: usize = 256;

/// Longest query text accepted.
const MAX_QUERY_BYTES: usize = 64 * 1024;

fn parse(text: &str) -> Result<Arc<Document<'static, String>>, String> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Document<'static, String>>>>> =
        OnceLock::new();
    if text.len() > MAX_QUERY_BYTES {
        return Err(format!(
            "the query text is {} bytes; at most {MAX_QUERY_BYTES}: pass values as variables",
            text.len()
        ));
    }
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(document) = cache.lock().expect("never poisoned").get(text) {
        return Ok(Arc::clone(document));
    }
    let document = Arc::new(
        graphql_parser::parse_query::<String>(text)
            .map_err(|error| format!("the query does not parse: {error}"))?
            .into_static(),
    );
    let mut cache = cache.lock().expect("never poisoned");
    if cache.len() >= DOCUMENT_CACHE_ENTRIES {
        cache.clear();
    }
    cache.insert(text.to_owned(), Arc::clone(&document));
    Ok(document)
}

/// Parses the request and picks its operation; errors are request errors (no `data`).
pub(crate) fn prepare(request: Request) -> Result<Prepared, String> {
    let document = parse(&request.query)?;
    let operations: Vec<(usize, Option<&str>)> = document
        .definitions
        .iter()
        .enumerate()
        .filter_map(|(idx, definition)| match definition {
            Definition::Operation(operation) => Some((idx, operation_name(operation))),
            Definition::Fragment(_) => None,
        })
        .collect();
    let chosen = match (&request.operation_name, operations.as_slice()) {
        (_, []) => return Err("the document holds no operation".into()),
        (None, [(idx, _)]) => *idx,
        (None, _) => {
            return Err(
                "the document holds several operations: name one in `operationName`".into(),
            );
        }
        (Some(wanted), _) => operations
            .iter()
            .find(|(_, name)| *name == Some(wanted.as_str()))
            .map(|(idx, _)| *idx)
            .ok_or_else(|| format!("no operation named `{wanted}` in the document"))?,
    };
    let Definition::Operation(operation) = &document.definitions[chosen] else {
        unreachable!("chosen among operations");
    };
    let (kind, definitions) = match operation {
        OperationDefinition::SelectionSet(_) => (OperationKind::Query, &[][..]),
        OperationDefinition::Query(query) => {
            (OperationKind::Query, query.variable_definitions.as_slice())
        }
        OperationDefinition::Mutation(mutation) => (
            OperationKind::Mutation,
            mutation.variable_definitions.as_slice(),
        ),
        OperationDefinition::Subscription(_) => {
            return Err("subscriptions are not served".into());
        }
    };
    let variables = coerce_variables(definitions, request.variables.unwrap_or_default())?;
    Ok(Prepared {
        document,
        operation: chosen,
        kind,
        variables,
    })
}

fn operation_name<'d>(operation: &'d OperationDefinition<'static, String>) -> Option<&'d str> {
    match operation {
        OperationDefinition::SelectionSet(_) => None,
        OperationDefinition::Query(query) => query.name.as_deref(),
        OperationDefinition::Mutation(mutation) => mutation.name.as_deref(),
        OperationDefinition::Subscription(subscription) => subscription.name.as_deref(),
    }
}

fn coerce_variables(
    definitions: &[VariableDefinition<'static, String>],
    mut given: Map<String, Value>,
) -> Result<Map<String, Value>, String> {
    let mut variables = Map::new();
    for definition in definitions {
        let value = match given.remove(&definition.name) {
            Some(value) => value,
            None => match &definition.default_value {
                Some(default) => to_json(default, &Map::new()),
                None => Value::Null,
            },
        };
        let non_null = matches!(
            definition.var_type,
            graphql_parser::query::Type::NonNullType(_)
        );
        if non_null && value.is_null() {
            return Err(format!(
                "variable `${}` of type `{}` must not be null",
                definition.name, definition.var_type
            ));
        }
        variables.insert(definition.name.clone(), value);
    }
    Ok(variables)
}

/// Runs the prepared operation from `root` and returns the response body.
pub(crate) fn execute(prepared: &Prepared, root: &dyn Object) -> Value {
    let Definition::Operation(operation) = &prepared.document.definitions[prepared.operation]
    else {
        unreachable!("prepared an operation");
    };
    let selection_set = match operation {
        OperationDefinition::SelectionSet(set) => set,
        OperationDefinition::Query(query) => &query.selection_set,
        OperationDefinition::Mutation(mutation) => &mutation.selection_set,
        OperationDefinition::Subscription(subscription) => &subscription.selection_set,
    };
    let fragments: HashMap<&str, &FragmentDefinition<'static, String>> = prepared
        .document
        .definitions
        .iter()
        .filter_map(|definition| match definition {
            Definition::Fragment(fragment) => Some((fragment.name.as_str(), fragment)),
            Definition::Operation(_) => None,
        })
        .collect();
    let mut run = Run {
        variables: &prepared.variables,
        fragments,
        errors: Vec::new(),
        path: Vec::new(),
    };
    let data = run.object(root, selection_set, 0);
    let mut response = Map::new();
    response.insert("data".into(), data);
    if !run.errors.is_empty() {
        response.insert("errors".into(), Value::Array(run.errors));
    }
    Value::Object(response)
}

/// A request-level error response (no `data`).
pub(crate) fn request_error(message: &str) -> Value {
    serde_json::json!({"errors": [{"message": message, "extensions": {"code": "ASSET1000"}}]})
}

struct Run<'r> {
    variables: &'r Map<String, Value>,
    fragments: HashMap<&'r str, &'r FragmentDefinition<'static, String>>,
    errors: Vec<Value>,
    path: Vec<Value>,
}

impl<'r> Run<'r> {
    fn object(
        &mut self,
        object: &dyn Object,
        set: &'r SelectionSet<'static, String>,
        depth: usize,
    ) -> Value {
        if depth > MAX_DEPTH {
            self.error(FieldError::invalid(format!(
                "the query nests deeper than {MAX_DEPTH} levels"
            )));
            return Value::Null;
        }
        let mut fields = Vec::new();
        self.collect(object.type_name(), set, &mut fields);
        let mut result = Map::new();
        for field in fields {
            let key = field.alias.as_ref().unwrap_or(&field.name).clone();
            if field.name == "__typename" {
                result.insert(key, Value::String(object.type_name().into()));
                continue;
            }
            self.path.push(Value::String(key.clone()));
            let args = Args(
                field
                    .arguments
                    .iter()
                    .map(|(name, value)| (name.clone(), to_json(value, self.variables)))
                    .collect(),
            );
            let value = match object.field(&field.name, &args) {
                Ok(out) => self.complete(out, field, depth + 1),
                Err(error) => {
                    self.error(error);
                    Value::Null
                }
            };
            self.path.pop();
            result.insert(key, value);
        }
        Value::Object(result)
    }

    fn complete(&mut self, out: Out<'_>, field: &'r Field<'static, String>, depth: usize) -> Value {
        match out {
            Out::Leaf(value) if field.selection_set.items.is_empty() => value,
            Out::Leaf(value) => self.project(value, &field.selection_set),
            Out::Object(object) => {
                if field.selection_set.items.is_empty() {
                    self.error(FieldError::invalid(format!(
                        "field `{}` is an object of type `{}`: select its fields",
                        field.name,
                        object.type_name()
                    )));
                    return Value::Null;
                }
                self.object(object.as_ref(), &field.selection_set, depth)
            }
            Out::List(items) => Value::Array(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(idx, item)| {
                        self.path.push(Value::from(idx));
                        let value = self.complete(item, field, depth);
                        self.path.pop();
                        value
                    })
                    .collect(),
            ),
        }
    }

    /// A JSON value under a selection: objects keep the selected keys (aliases applied).
    fn project(&self, value: Value, set: &'r SelectionSet<'static, String>) -> Value {
        let mut fields = Vec::new();
        self.collect("", set, &mut fields);
        self.project_fields(value, &fields)
    }

    /// Projects `value` onto `fields` (the same for every item of an array, so collected once).
    fn project_fields(&self, value: Value, fields: &[&'r Field<'static, String>]) -> Value {
        match value {
            Value::Array(items) => Value::Array(
                items
                    .into_iter()
                    .map(|item| self.project_fields(item, fields))
                    .collect(),
            ),
            Value::Object(mut map) => {
                let mut projected = Map::with_capacity(fields.len());
                for field in fields {
                    let key = field.alias.as_ref().unwrap_or(&field.name).clone();
                    let inner = map.swap_remove(&field.name).unwrap_or(Value::Null);
                    let inner = if field.selection_set.items.is_empty() {
                        inner
                    } else {
                        self.project(inner, &field.selection_set)
                    };
                    projected.insert(key, inner);
                }
                Value::Object(projected)
            }
            other => other,
        }
    }

    /// The fields to resolve on an object of `type_name`, fragments expanded.
    fn collect(
        &self,
        type_name: &str,
        set: &'r SelectionSet<'static, String>,
        out: &mut Vec<&'r Field<'static, String>>,
    ) {
        for selection in &set.items {
            match selection {
                Selection::Field(field) => {
                    if self.included(&field.directives) {
                        out.push(field);
                    }
                }
                Selection::InlineFragment(fragment) => {
                    if self.included(&fragment.directives)
                        && applies(type_name, fragment.type_condition.as_ref())
                    {
                        self.collect(type_name, &fragment.selection_set, out);
                    }
                }
                Selection::FragmentSpread(spread) => {
                    if !self.included(&spread.directives) {
                        continue;
                    }
                    if let Some(fragment) = self.fragments.get(spread.fragment_name.as_str())
                        && applies(type_name, Some(&fragment.type_condition))
                    {
                        self.collect(type_name, &fragment.selection_set, out);
                    }
                }
            }
        }
    }

    fn included(&self, directives: &[Directive<'static, String>]) -> bool {
        directives.iter().all(|directive| {
            let condition = directive
                .arguments
                .iter()
                .find(|(name, _)| name == "if")
                .map(|(_, value)| to_json(value, self.variables))
                .and_then(|value| value.as_bool())
                .unwrap_or(false);
            match directive.name.as_str() {
                "skip" => !condition,
                "include" => condition,
                _ => true,
            }
        })
    }

    fn error(&mut self, error: FieldError) {
        let mut extensions = Map::new();
        extensions.insert("code".into(), Value::String(error.code.into()));
        if let Some(details) = error.details {
            extensions.insert("OctoDetails".into(), details);
        }
        self.errors.push(serde_json::json!({
            "message": error.message,
            "path": self.path.clone(),
            "extensions": extensions,
        }));
    }
}

fn applies(type_name: &str, condition: Option<&TypeCondition<'static, String>>) -> bool {
    match condition {
        None => true,
        Some(TypeCondition::On(name)) => name == type_name,
    }
}

/// A GraphQL literal as JSON (enum values become strings).
fn to_json(value: &GqlValue<'static, String>, variables: &Map<String, Value>) -> Value {
    match value {
        GqlValue::Variable(name) => variables.get(name).cloned().unwrap_or(Value::Null),
        GqlValue::Int(number) => number.as_i64().map_or(Value::Null, Value::from),
        GqlValue::Float(number) => Number::from_f64(*number).map_or(Value::Null, Value::Number),
        GqlValue::String(text) => Value::String(text.clone()),
        GqlValue::Boolean(flag) => Value::Bool(*flag),
        GqlValue::Null => Value::Null,
        GqlValue::Enum(name) => Value::String(name.clone()),
        GqlValue::List(items) => {
            Value::Array(items.iter().map(|item| to_json(item, variables)).collect())
        }
        GqlValue::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(name, item)| (name.clone(), to_json(item, variables)))
                .collect(),
        ),
    }
}
