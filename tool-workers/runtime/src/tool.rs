//! The [`Tool`] trait and what a tool returns.

use std::future::Future;
use std::time::Duration;

use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{CallScope, Content, ToolError};

/// How dangerous a tool is.
///
/// Low: reads only. Medium: changes something that can be changed back. High: destroys or replaces
/// something; the adapter refuses the call unless the arguments carry `confirm: true`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Risk {
    Low,
    Medium,
    High,
}

/// One MCP tool: a typed argument struct (its doc comment is the description the model reads) plus
/// this impl. Everything else — decoding, schemas, the confirm gate, timeouts, metrics — is done
/// once by the registry's adapter.
pub trait Tool: DeserializeOwned + JsonSchema + Send + 'static {
    /// The tool's name on the wire, `snake_case`.
    const NAME: &'static str;
    /// A short human title.
    const TITLE: &'static str;
    const RISK: Risk;
    /// Calling it twice with the same arguments has the same effect as once.
    /// Low-risk (read-only) tools are idempotent whatever this says.
    const IDEMPOTENT: bool = false;
    /// The tool reaches systems outside this server (a backend service).
    const OPEN_WORLD: bool = true;
    /// The longest the tool may run; the caller's deadline may be shorter.
    const TIMEOUT: Duration = Duration::from_secs(120);
    /// The tool waits for work in the platform (a job) for as long as its arguments ask, so the
    /// gateway gives it [`Self::TIMEOUT`] even where its own call timeout is shorter.
    const LONG_RUNNING: bool = false;

    /// What the family's tools share: backend clients, configuration.
    type Ctx: Send + Sync + 'static;
    type Output: ToolOutput;

    fn call(
        self,
        ctx: &Self::Ctx,
        scope: &CallScope,
    ) -> impl Future<Output = Result<Self::Output, ToolError>> + Send;
}

/// The parts of an MCP tool result, before JSON encoding.
#[derive(Debug, Clone)]
pub struct ToolResultParts {
    pub content: Vec<Content>,
    pub structured: Option<serde_json::Value>,
    pub is_error: bool,
}

/// What a tool returns.
pub trait ToolOutput: Send + 'static {
    /// The JSON Schema of `structuredContent`, if the tool has structured output.
    fn output_schema() -> Option<schemars::Schema>;
    fn into_parts(self) -> Result<ToolResultParts, ToolError>;
}

/// A structured result, mirrored as JSON text for clients that do not read `structuredContent`.
#[derive(Debug, Clone)]
pub struct Structured<T>(pub T);

impl<T: Serialize + JsonSchema + Send + 'static> ToolOutput for Structured<T> {
    fn output_schema() -> Option<schemars::Schema> {
        Some(
            schemars::generate::SchemaSettings::draft2020_12()
                .into_generator()
                .into_root_schema_for::<T>(),
        )
    }

    fn into_parts(self) -> Result<ToolResultParts, ToolError> {
        let structured = serde_json::to_value(&self.0).map_err(|error| {
            ToolError::Internal(format!("could not encode the result: {error}"))
        })?;
        let text = structured.to_string();
        Ok(ToolResultParts {
            content: vec![Content::text(text)],
            structured: Some(structured),
            is_error: false,
        })
    }
}

/// Plain content blocks with no structured result (text, images, audio, embedded resources).
#[derive(Debug, Clone)]
pub struct Contents(pub Vec<Content>);

impl ToolOutput for Contents {
    fn output_schema() -> Option<schemars::Schema> {
        None
    }

    fn into_parts(self) -> Result<ToolResultParts, ToolError> {
        Ok(ToolResultParts {
            content: self.0,
            structured: None,
            is_error: false,
        })
    }
}
