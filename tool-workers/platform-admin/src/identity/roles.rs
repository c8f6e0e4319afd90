//! Roles (4): `get_roles`, `create_role`, `update_role` (rename), `delete_role` (High).

use octomesh_octo_client::identity::RoleDto;
use octomesh_worker_runtime::{CallScope, Envelope, Risk, Tool, ToolError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{not_found, text};
use crate::AdminCtx;

/// The role a tool acted on.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RoleDone {
    pub role_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_role_name: Option<String>,
    /// The role's runtime id (what group role lists take), where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_id: Option<String>,
}

/// The runtime id of role `name`, if the tenant has it.
async fn role_id(call: &super::IdentityCall<'_>, name: &str) -> Option<String> {
    let roles = call.client.roles(call.tenant, call.token).await.ok()?;
    roles
        .into_iter()
        .find(|role| role.name.eq_ignore_ascii_case(name))
        .and_then(|role| role.id)
}

super::list_tool!(
    GetRoles,
    Roles { roles: RoleDto },
    "get_roles",
    "List roles",
    roles,
    "role",
    "List all roles in the tenant, with their runtime ids."
);

/// Create a new role.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CreateRole {
    /// The role's name (unique in the tenant, case-insensitively).
    #[schemars(length(min = 1, max = 256))]
    role_name: String,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for CreateRole {
    const NAME: &'static str = "create_role";
    const TITLE: &'static str = "Create a role";
    const RISK: Risk = Risk::Medium;
    type Ctx = AdminCtx;
    type Output = Envelope<RoleDone>;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let name = text("roleName", &self.role_name, false)?;
        let call = ctx.identity(scope, self.tenant_id.as_deref())?;
        call.client
            .create_role(call.tenant, &name, call.token)
            .await?;
        let message = format!("Role '{name}' created in tenant '{}'.", call.tenant);
        Ok(Envelope::success(
            Some(call.tenant),
            RoleDone {
                role_id: role_id(&call, &name).await,
                role_name: name,
                new_role_name: None,
            },
        )
        .with_message(message))
    }
}

/// Rename an existing role; users and groups keep it under the new name.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct UpdateRole {
    /// The role's current name.
    #[schemars(length(min = 1, max = 256))]
    role_name: String,
    /// The new name.
    #[schemars(length(min = 1, max = 256))]
    new_role_name: String,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for UpdateRole {
    const NAME: &'static str = "update_role";
    const TITLE: &'static str = "Rename a role";
    const RISK: Risk = Risk::Medium;
    type Ctx = AdminCtx;
    type Output = Envelope<RoleDone>;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let name = text("roleName", &self.role_name, false)?;
        let new_name = text("newRoleName", &self.new_role_name, false)?;
        let call = ctx.identity(scope, self.tenant_id.as_deref())?;
        call.client
            .rename_role(call.tenant, &name, &new_name, call.token)
            .await
            .map_err(|error| not_found(error, "roleName", &name, "get_roles"))?;
        let message = format!(
            "Role '{name}' is now '{new_name}' in tenant '{}'.",
            call.tenant
        );
        Ok(Envelope::success(
            Some(call.tenant),
            RoleDone {
                role_id: role_id(&call, &new_name).await,
                role_name: name,
                new_role_name: Some(new_name),
            },
        )
        .with_message(message))
    }
}

/// Delete a role that no user, group or client holds any more. Requires `confirm: true`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct DeleteRole {
    /// The role's name.
    #[schemars(length(min = 1, max = 256))]
    role_name: String,
    /// Must be true: the role is gone for good.
    #[serde(default)]
    #[allow(dead_code)]
    confirm: bool,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for DeleteRole {
    const NAME: &'static str = "delete_role";
    const TITLE: &'static str = "Delete a role";
    const RISK: Risk = Risk::High;
    type Ctx = AdminCtx;
    type Output = Envelope<RoleDone>;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let name = text("roleName", &self.role_name, false)?;
        let call = ctx.identity(scope, self.tenant_id.as_deref())?;
        call.client
            .delete_role(call.tenant, &name, call.token)
            .await
            .map_err(|error| not_found(error, "roleName", &name, "get_roles"))?;
        let message = format!("Role '{name}' deleted from tenant '{}'.", call.tenant);
        Ok(Envelope::success(
            Some(call.tenant),
            RoleDone {
                role_name: name,
                new_role_name: None,
                role_id: None,
            },
        )
        .with_message(message))
    }
}
