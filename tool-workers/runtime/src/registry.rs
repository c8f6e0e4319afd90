//! [`Registry`]: a family's tools, resources and prompts behind one erased adapter.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use octomesh_proto::CallContext;
use octomesh_proto::v1;

use crate::adapter;
use crate::metrics::ToolMetrics;
use crate::scope::CallTable;
use crate::tool::{Risk, Tool, ToolOutput, ToolResultParts};
use crate::{CallScope, ToolError};

/// The erased entry point of one tool: decode, gate, call, encode.
pub(crate) type ErasedCall<Ctx> =
    fn(Arc<Ctx>, Vec<u8>, CallScope) -> BoxFuture<'static, Result<ToolResultParts, ToolError>>;

pub(crate) struct ToolEntry<Ctx> {
    pub(crate) spec: v1::ToolSpec,
    pub(crate) name: &'static str,
    pub(crate) timeout: Duration,
    pub(crate) call: ErasedCall<Ctx>,
    pub(crate) validate: fn(&[u8]) -> Result<(), ToolError>,
}

/// Resources a family serves (static ones and URI templates).
pub trait ResourceSource<Ctx>: Send + Sync + 'static {
    fn resources(&self) -> Vec<v1::ResourceSpec>;
    fn templates(&self) -> Vec<v1::ResourceTemplateSpec>;
    /// The MCP `contents` array for `uri`, or `None` when this source does not serve it.
    fn read<'a>(
        &'a self,
        ctx: &'a Ctx,
        context: &'a CallContext,
        uri: &'a str,
    ) -> BoxFuture<'a, Result<Option<serde_json::Value>, ToolError>>;
}

/// Prompts a family serves.
pub trait PromptSource<Ctx>: Send + Sync + 'static {
    fn prompts(&self) -> Vec<v1::PromptSpec>;
    /// The description and MCP `messages` array, or `None` when this source has no such prompt.
    fn get<'a>(
        &'a self,
        ctx: &'a Ctx,
        name: &'a str,
        arguments: &'a HashMap<String, String>,
    ) -> BoxFuture<'a, Result<Option<(String, serde_json::Value)>, ToolError>>;
}

/// One tool family: its context and its tools, resources and prompts.
pub struct Registry<Ctx> {
    pub(crate) family: String,
    pub(crate) ctx: Arc<Ctx>,
    pub(crate) tools: Vec<ToolEntry<Ctx>>,
    pub(crate) index: HashMap<&'static str, usize>,
    pub(crate) resource_sources: Vec<Box<dyn ResourceSource<Ctx>>>,
    pub(crate) prompt_sources: Vec<Box<dyn PromptSource<Ctx>>>,
    pub(crate) metrics: Arc<ToolMetrics>,
    pub(crate) calls: Arc<CallTable>,
}

impl<Ctx: Send + Sync + 'static> Registry<Ctx> {
    pub fn new(family: impl Into<String>, ctx: Ctx) -> Self {
        Registry {
            family: family.into(),
            ctx: Arc::new(ctx),
            tools: Vec::new(),
            index: HashMap::new(),
            resource_sources: Vec::new(),
            prompt_sources: Vec::new(),
            metrics: Arc::new(ToolMetrics::default()),
            calls: Arc::new(CallTable::default()),
        }
    }

    /// Adds a tool. Panics on a duplicate name: that is a programming error caught by every test.
    pub fn tool<T: Tool<Ctx = Ctx>>(mut self) -> Self {
        let spec = tool_spec::<T>();
        assert!(
            self.index.insert(T::NAME, self.tools.len()).is_none(),
            "tool `{}` is registered twice",
            T::NAME
        );
        self.tools.push(ToolEntry {
            spec,
            name: T::NAME,
            timeout: T::TIMEOUT,
            call: adapter::erased_call::<T>,
            validate: adapter::validate::<T>,
        });
        self
    }

    pub fn resources(mut self, source: impl ResourceSource<Ctx>) -> Self {
        self.resource_sources.push(Box::new(source));
        self
    }

    pub fn prompts(mut self, source: impl PromptSource<Ctx>) -> Self {
        self.prompt_sources.push(Box::new(source));
        self
    }

    pub fn family(&self) -> &str {
        &self.family
    }

    /// The specs of every tool, in registration order.
    pub fn tool_specs(&self) -> Vec<v1::ToolSpec> {
        self.tools.iter().map(|entry| entry.spec.clone()).collect()
    }

    /// The call metrics of this registry.
    pub fn metrics(&self) -> Arc<ToolMetrics> {
        Arc::clone(&self.metrics)
    }

    /// What is wrong with this family's tool declarations; every family's tests assert it is empty.
    ///
    /// Names are `snake_case` (1–64 chars), descriptions are present, input schemas are objects, and
    /// every High-risk tool declares the `confirm` argument its gate requires.
    pub fn lint(&self) -> Vec<String> {
        // Kept as the original server spells them, so that its clients work unchanged.
        const COMPATIBLE_NAMES: [&str; 1] = ["Echo"];
        let mut problems = Vec::new();
        for entry in &self.tools {
            let spec = &entry.spec;
            let name = spec.name.as_str();
            let snake = COMPATIBLE_NAMES.contains(&name)
                || !name.is_empty()
                    && name.len() <= 64
                    && name.starts_with(|first: char| first.is_ascii_lowercase())
                    && name.chars().all(|char| {
                        char.is_ascii_lowercase() || char.is_ascii_digit() || char == '_'
                    });
            if !snake {
                problems.push(format!(
                    "`{name}`: the name is not snake_case of 1-64 characters"
                ));
            }
            if spec.description.trim().is_empty() {
                problems.push(format!(
                    "`{name}`: no description (add a doc comment to the struct)"
                ));
            }
            let schema: serde_json::Value =
                serde_json::from_slice(&spec.input_schema_json).unwrap_or_default();
            if schema.get("type").and_then(|kind| kind.as_str()) != Some("object") {
                problems.push(format!("`{name}`: the input schema is not an object"));
            }
            let declares_confirm = schema
                .pointer("/properties/confirm/type")
                .and_then(|kind| kind.as_str())
                == Some("boolean");
            if spec.risk == v1::Risk::High as i32 && !declares_confirm {
                problems.push(format!(
                    "`{name}`: High risk but no boolean `confirm` argument"
                ));
            }
        }
        problems
    }
}

/// Builds the wire spec of a tool from its type: schemas from `schemars`, hints from the risk.
fn tool_spec<T: Tool>() -> v1::ToolSpec {
    let mut input_schema = schemars::generate::SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<T>();
    let description = input_schema
        .remove("description")
        .and_then(|description| description.as_str().map(str::to_owned))
        .unwrap_or_default();
    input_schema.remove("title");
    assert_eq!(
        input_schema.get("type").and_then(|kind| kind.as_str()),
        Some("object"),
        "the arguments of tool `{}` must be a struct (a JSON object)",
        T::NAME
    );
    let output_schema = T::Output::output_schema().map(|mut schema| {
        schema.remove("title");
        serde_json::to_vec(&schema).expect("a schema always encodes")
    });
    let read_only = T::RISK == Risk::Low;
    v1::ToolSpec {
        name: T::NAME.to_owned(),
        title: T::TITLE.to_owned(),
        description,
        input_schema_json: serde_json::to_vec(&input_schema).expect("a schema always encodes"),
        output_schema_json: output_schema.unwrap_or_default(),
        risk: risk_to_proto(T::RISK) as i32,
        read_only,
        destructive: T::RISK == Risk::High,
        idempotent: read_only || T::IDEMPOTENT,
        open_world: T::OPEN_WORLD,
        max_duration_secs: if T::LONG_RUNNING {
            u32::try_from(T::TIMEOUT.as_secs()).unwrap_or(u32::MAX)
        } else {
            0
        },
    }
}

pub(crate) fn risk_to_proto(risk: Risk) -> v1::Risk {
    match risk {
        Risk::Low => v1::Risk::Low,
        Risk::Medium => v1::Risk::Medium,
        Risk::High => v1::Risk::High,
    }
}
