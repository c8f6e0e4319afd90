//! `Echo`: a connectivity and routing check that needs no backend.

use octomesh_worker_runtime::{CallScope, Envelope, Risk, Tool, ToolError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::CkCtx;

/// Echo the message back, with the tenant the call was routed to (connectivity and routing
/// smoke test).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Echo {
    /// The text to echo.
    message: String,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Echoed {
    pub echo: String,
}

/// Longest message echoed.
const MAX_MESSAGE: usize = 64 * 1024;

impl Tool for Echo {
    const NAME: &'static str = "Echo";
    const TITLE: &'static str = "Echo";
    const RISK: Risk = Risk::Low;
    const OPEN_WORLD: bool = false;
    type Ctx = CkCtx;
    type Output = Envelope<Echoed>;

    async fn call(self, _ctx: &CkCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        if self.message.len() > MAX_MESSAGE {
            return Err(ToolError::InvalidArguments(format!(
                "`message` is {} bytes; at most {MAX_MESSAGE}",
                self.message.len()
            )));
        }
        let tenant = self.tenant_id.or_else(|| scope.context().tenant.clone());
        Ok(Envelope::success(
            tenant.as_deref(),
            Echoed { echo: self.message },
        ))
    }
}
