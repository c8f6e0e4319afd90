//! Identity administration tools over the identity service's per-tenant routes
//! (`{identity}/{tenantId}/v1/…`): users (7), roles (4) and groups (10). Names and e-mails are
//! lower-cased as the original does; a user is found by name or e-mail (the service's write
//! routes take the name only, so the tools look the name up first); group role lists take role
//! runtime ids or names (names are resolved here — upstream takes ids only). Also the cross-tenant
//! objects (14): e-mail-domain group rules, external tenant user mappings, admin provisioning.

mod cross_tenant;
mod groups;
mod roles;
mod users;

pub(crate) use cross_tenant::{
    CreateAdminProvisioningMapping, CreateEmailDomainGroupRule, CreateExternalTenantUserMapping,
    DeleteAdminProvisioningMapping, DeleteEmailDomainGroupRule, DeleteExternalTenantUserMapping,
    GetAdminProvisioningMappings, GetEmailDomainGroupRule, GetEmailDomainGroupRules,
    GetExternalTenantUserMapping, GetExternalTenantUserMappings, ProvisionCurrentUserAsAdmin,
    UpdateEmailDomainGroupRule, UpdateExternalTenantUserMapping,
};
pub(crate) use groups::{
    AddGroupToGroup, AddUserToGroup, CreateGroup, DeleteGroup, GetGroup, GetGroups,
    RemoveGroupFromGroup, RemoveUserFromGroup, UpdateGroup, UpdateGroupRoles,
};
pub(crate) use roles::{CreateRole, DeleteRole, GetRoles, UpdateRole};
pub(crate) use users::{
    AddUserToRole, CreateUser, DeleteUser, GetUsers, RemoveUserFromRole, ResetUserPassword,
    UpdateUser,
};

use octomesh_octo_client::identity::RoleDto;
use octomesh_octo_client::{ClientError, IdentityClient};
use octomesh_worker_runtime::{CallScope, ToolError};

use crate::AdminCtx;

/// Declares a listing tool: its payload struct (`$field` and `totalCount`), its argument struct
/// (only `tenantId`) and its `Tool` impl calling `IdentityClient::$method`.
macro_rules! list_tool {
    ($type:ident, $payload:ident { $field:ident: $item:ty }, $name:literal, $title:literal, $method:ident, $noun:literal, $doc:literal) => {
        #[derive(Debug, serde::Serialize, schemars::JsonSchema)]
        #[serde(rename_all = "camelCase")]
        pub(crate) struct $payload {
            pub $field: Vec<$item>,
            pub total_count: usize,
        }

        #[doc = $doc]
        #[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub(crate) struct $type {
            /// The tenant (default: the endpoint's tenant).
            tenant_id: Option<String>,
        }

        impl octomesh_worker_runtime::Tool for $type {
            const NAME: &'static str = $name;
            const TITLE: &'static str = $title;
            const RISK: octomesh_worker_runtime::Risk = octomesh_worker_runtime::Risk::Low;
            type Ctx = crate::AdminCtx;
            type Output = octomesh_worker_runtime::Envelope<$payload>;

            async fn call(
                self,
                ctx: &crate::AdminCtx,
                scope: &octomesh_worker_runtime::CallScope,
            ) -> Result<Self::Output, octomesh_worker_runtime::ToolError> {
                let call = ctx.identity(scope, self.tenant_id.as_deref())?;
                let $field = call.client.$method(call.tenant, call.token).await?;
                let message = format!(
                    concat!("{} ", $noun, "(s) in tenant '{}'"),
                    $field.len(),
                    call.tenant
                );
                Ok(octomesh_worker_runtime::Envelope::success(
                    Some(call.tenant),
                    $payload {
                        total_count: $field.len(),
                        $field,
                    },
                )
                .with_message(message))
            }
        }
    };
}
pub(crate) use list_tool;

/// Longest name, e-mail or id a tool passes on.
const MAX_TEXT: usize = 256;
/// Most roles one call assigns.
const MAX_ROLES: usize = 100;

/// One call's way to the identity service: the client, the tenant, the caller's token.
pub(crate) struct IdentityCall<'a> {
    pub client: &'a IdentityClient,
    pub tenant: &'a str,
    pub token: Option<&'a str>,
}

impl AdminCtx {
    /// The identity service for a call acting on `tenant_argument` (else the endpoint's tenant).
    pub(crate) fn identity<'a>(
        &'a self,
        scope: &'a CallScope,
        tenant_argument: Option<&'a str>,
    ) -> Result<IdentityCall<'a>, ToolError> {
        let client = self.identity.as_ref().ok_or_else(|| {
            ToolError::Backend(
                "this worker does not know where the identity service is: start it with --identity-url or --platform-url".into(),
            )
        })?;
        Ok(IdentityCall {
            client,
            tenant: crate::call_tenant(scope, tenant_argument)?,
            token: scope.context().access_token.as_deref(),
        })
    }
}

/// `value` of argument `field`, trimmed (and lower-cased when `lower`), or why it is refused.
pub(crate) fn text(field: &str, value: &str, lower: bool) -> Result<String, ToolError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ToolError::InvalidArguments(format!(
            "`{field}` is required and must not be blank."
        )));
    }
    if value.len() > MAX_TEXT {
        return Err(ToolError::InvalidArguments(format!(
            "`{field}` is {} bytes long; at most {MAX_TEXT} are allowed.",
            value.len()
        )));
    }
    Ok(if lower {
        value.to_lowercase()
    } else {
        value.to_owned()
    })
}

/// A not-found answer about argument `field` = `value`, with what to call to see what exists.
pub(crate) fn not_found(error: ClientError, field: &str, value: &str, listing: &str) -> ToolError {
    match error {
        ClientError::NotFound(_) => ToolError::NotFound(format!(
            "`{field}` '{value}': no such object in this tenant; call {listing} to see what exists."
        )),
        other => other.into(),
    }
}

impl IdentityCall<'_> {
    /// The user name of the user `field` = `who` names (by name, e-mail or id).
    pub(crate) async fn user_name(&self, field: &str, who: &str) -> Result<String, ToolError> {
        let user = self
            .client
            .user(self.tenant, who, self.token)
            .await
            .map_err(|error| not_found(error, field, who, "get_users"))?;
        user.name.ok_or_else(|| {
            ToolError::Backend(format!(
                "the identity service answered user '{who}' without a name"
            ))
        })
    }
}

/// A runtime-id argument (24 hex digits), naming the tool that lists the ids when it is not one.
pub(crate) fn rt_id(field: &str, value: &str, listing: &str) -> Result<String, ToolError> {
    let id = text(field, value, true)?;
    if id.len() != 24 || !id.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(ToolError::InvalidArguments(format!(
            "`{field}` '{id}' is not a runtime id (24 hex digits); call {listing} to see the ids."
        )));
    }
    Ok(id)
}

/// The role runtime ids `wanted` (ids or names) name among `known` roles of `tenant`, or the
/// first that names no role.
pub(crate) fn role_ids(
    known: &[RoleDto],
    wanted: &[String],
    tenant: &str,
) -> Result<Vec<String>, ToolError> {
    if wanted.len() > MAX_ROLES {
        return Err(ToolError::InvalidArguments(format!(
            "`roleIds` has {} entries; at most {MAX_ROLES} are allowed.",
            wanted.len()
        )));
    }
    let mut ids = Vec::with_capacity(wanted.len());
    for role in wanted {
        let role = role.trim();
        let found = known
            .iter()
            .find(|known| {
                known.id.as_deref() == Some(role) || known.name.eq_ignore_ascii_case(role)
            })
            .and_then(|known| known.id.clone());
        match found {
            Some(id) if !ids.contains(&id) => ids.push(id),
            Some(_) => {}
            None => {
                return Err(ToolError::InvalidArguments(format!(
                    "`roleIds`: '{role}' is neither the id nor the name of a role in tenant '{tenant}'; call get_roles to see them."
                )));
            }
        }
    }
    Ok(ids)
}
