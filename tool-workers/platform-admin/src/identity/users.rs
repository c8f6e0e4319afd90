//! Users (7): `get_users`, `create_user`, `update_user`, `delete_user` (High), `reset_user_password`
//! (High), `add_user_to_role`, `remove_user_from_role` (High).

use octomesh_octo_client::identity::{NewUser, UserChange, UserDto};
use octomesh_worker_runtime::{CallScope, Envelope, Risk, Tool, ToolError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{not_found, text};
use crate::AdminCtx;

/// What a user tool did: the user it acted on (by name), and the account as it is now where the
/// tool changed it.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UserDone {
    /// The user name.
    pub user: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<UserDto>,
}

impl UserDone {
    fn named(user: String) -> UserDone {
        UserDone {
            user,
            role_name: None,
            account: None,
        }
    }
}

super::list_tool!(
    GetUsers,
    Users { users: UserDto },
    "get_users",
    "List users",
    users,
    "user",
    "List all users in the tenant."
);

/// Create a new user account. Without a password the account cannot sign in until one is set
/// (reset_user_password).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CreateUser {
    /// The user name (letters, digits and `-._@+`; stored lower-case).
    #[schemars(length(min = 1, max = 256))]
    user_name: String,
    /// The e-mail address (stored lower-case).
    #[schemars(length(min = 3, max = 254))]
    email: String,
    /// The initial password: at least 6 characters with a digit, a lower-case and an upper-case
    /// letter and a symbol.
    #[schemars(length(min = 1, max = 100))]
    password: Option<String>,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for CreateUser {
    const NAME: &'static str = "create_user";
    const TITLE: &'static str = "Create a user";
    const RISK: Risk = Risk::Medium;
    type Ctx = AdminCtx;
    type Output = Envelope<UserDone>;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let name = text("userName", &self.user_name, true)?;
        let email = text("email", &self.email, true)?;
        if !email.contains('@') {
            return Err(ToolError::InvalidArguments(format!(
                "`email` '{email}' is not an e-mail address (name@domain)."
            )));
        }
        let call = ctx.identity(scope, self.tenant_id.as_deref())?;
        let user = NewUser {
            name: &name,
            email: &email,
            password: self.password.as_deref(),
        };
        call.client
            .create_user(call.tenant, &user, call.token)
            .await?;
        let account = call.client.user(call.tenant, &name, call.token).await.ok();
        let message = match self.password {
            Some(_) => format!("User '{name}' created in tenant '{}'.", call.tenant),
            None => format!(
                "User '{name}' created in tenant '{}' without a password: set one with reset_user_password before they sign in.",
                call.tenant
            ),
        };
        Ok(Envelope::success(
            Some(call.tenant),
            UserDone {
                account,
                ..UserDone::named(name)
            },
        )
        .with_message(message))
    }
}

/// Update an existing user (e-mail and/or user name); only what is given changes.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct UpdateUser {
    /// The user's name or e-mail.
    #[schemars(length(min = 1, max = 256))]
    user_name_or_email: String,
    /// The new e-mail address.
    #[schemars(length(min = 3, max = 254))]
    new_email: Option<String>,
    /// The new user name.
    #[schemars(length(min = 1, max = 256))]
    new_user_name: Option<String>,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for UpdateUser {
    const NAME: &'static str = "update_user";
    const TITLE: &'static str = "Update a user";
    const RISK: Risk = Risk::Medium;
    type Ctx = AdminCtx;
    type Output = Envelope<UserDone>;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let who = text("userNameOrEmail", &self.user_name_or_email, true)?;
        let new_email = self
            .new_email
            .as_deref()
            .map(|email| text("newEmail", email, true))
            .transpose()?;
        let new_name = self
            .new_user_name
            .as_deref()
            .map(|name| text("newUserName", name, true))
            .transpose()?;
        if new_email.is_none() && new_name.is_none() {
            return Err(ToolError::InvalidArguments(
                "Nothing to change: give `newEmail`, `newUserName` or both.".into(),
            ));
        }
        let call = ctx.identity(scope, self.tenant_id.as_deref())?;
        let name = call.user_name("userNameOrEmail", &who).await?;
        let change = UserChange {
            name: new_name.as_deref(),
            email: new_email.as_deref(),
        };
        call.client
            .update_user(call.tenant, &name, &change, call.token)
            .await?;
        let now = new_name.unwrap_or(name);
        let account = call.client.user(call.tenant, &now, call.token).await.ok();
        let message = format!("User '{now}' updated in tenant '{}'.", call.tenant);
        Ok(Envelope::success(
            Some(call.tenant),
            UserDone {
                account,
                ..UserDone::named(now)
            },
        )
        .with_message(message))
    }
}

/// Delete a user. Requires `confirm: true`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct DeleteUser {
    /// The user's name or e-mail.
    #[schemars(length(min = 1, max = 256))]
    user_name_or_email: String,
    /// Must be true: the account and its role assignments are gone for good.
    #[serde(default)]
    #[allow(dead_code)]
    confirm: bool,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for DeleteUser {
    const NAME: &'static str = "delete_user";
    const TITLE: &'static str = "Delete a user";
    const RISK: Risk = Risk::High;
    type Ctx = AdminCtx;
    type Output = Envelope<UserDone>;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let who = text("userNameOrEmail", &self.user_name_or_email, true)?;
        let call = ctx.identity(scope, self.tenant_id.as_deref())?;
        let name = call.user_name("userNameOrEmail", &who).await?;
        call.client
            .delete_user(call.tenant, &name, call.token)
            .await?;
        let message = format!("User '{name}' deleted from tenant '{}'.", call.tenant);
        Ok(Envelope::success(Some(call.tenant), UserDone::named(name)).with_message(message))
    }
}

/// Reset the password of a user; the old one stops working. Requires `confirm: true`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ResetUserPassword {
    /// The user's name or e-mail.
    #[schemars(length(min = 1, max = 256))]
    user_name_or_email: String,
    /// The new password: at least 6 characters with a digit, a lower-case and an upper-case
    /// letter and a symbol.
    #[schemars(length(min = 1, max = 100))]
    new_password: String,
    /// Must be true: the user's current password stops working.
    #[serde(default)]
    #[allow(dead_code)]
    confirm: bool,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for ResetUserPassword {
    const NAME: &'static str = "reset_user_password";
    const TITLE: &'static str = "Reset a user's password";
    const RISK: Risk = Risk::High;
    type Ctx = AdminCtx;
    type Output = Envelope<UserDone>;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let who = text("userNameOrEmail", &self.user_name_or_email, true)?;
        if self.new_password.is_empty() || self.new_password.len() > 100 {
            return Err(ToolError::InvalidArguments(
                "`newPassword` must be 1 to 100 characters long.".into(),
            ));
        }
        let call = ctx.identity(scope, self.tenant_id.as_deref())?;
        let name = call.user_name("userNameOrEmail", &who).await?;
        call.client
            .reset_password(call.tenant, &name, &self.new_password, call.token)
            .await
            .map_err(|error| match error {
                octomesh_octo_client::ClientError::Invalid(why) => ToolError::InvalidArguments(
                    format!("`newPassword` was refused: {why}. Choose a stronger one."),
                ),
                other => other.into(),
            })?;
        let message = format!(
            "The password of '{name}' in tenant '{}' is reset.",
            call.tenant
        );
        Ok(Envelope::success(Some(call.tenant), UserDone::named(name)).with_message(message))
    }
}

/// Declares a tool that adds a role to a user or takes it away, by role name.
macro_rules! user_role_tool {
    ($type:ident, $name:literal, $title:literal, $risk:expr, $add:literal, $done:literal, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Deserialize, JsonSchema)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub(crate) struct $type {
            /// The user's name or e-mail.
            #[schemars(length(min = 1, max = 256))]
            user_name_or_email: String,
            /// The role's name (get_roles lists them).
            #[schemars(length(min = 1, max = 256))]
            role_name: String,
            /// Must be true for High-risk tools; ignored otherwise.
            #[serde(default)]
            #[allow(dead_code)]
            confirm: bool,
            /// The tenant (default: the endpoint's tenant).
            tenant_id: Option<String>,
        }

        impl Tool for $type {
            const NAME: &'static str = $name;
            const TITLE: &'static str = $title;
            const RISK: Risk = $risk;
            type Ctx = AdminCtx;
            type Output = Envelope<UserDone>;

            async fn call(
                self,
                ctx: &AdminCtx,
                scope: &CallScope,
            ) -> Result<Self::Output, ToolError> {
                let who = text("userNameOrEmail", &self.user_name_or_email, true)?;
                let role = text("roleName", &self.role_name, false)?;
                let call = ctx.identity(scope, self.tenant_id.as_deref())?;
                let name = call.user_name("userNameOrEmail", &who).await?;
                call.client
                    .user_role(call.tenant, &name, &role, $add, call.token)
                    .await
                    .map_err(|error| not_found(error, "roleName", &role, "get_roles"))?;
                let message = format!($done, user = name, role = role, tenant = call.tenant);
                Ok(Envelope::success(
                    Some(call.tenant),
                    UserDone {
                        role_name: Some(role),
                        ..UserDone::named(name)
                    },
                )
                .with_message(message))
            }
        }
    };
}

user_role_tool!(
    AddUserToRole,
    "add_user_to_role",
    "Give a user a role",
    Risk::Medium,
    true,
    "User '{user}' has the role '{role}' in tenant '{tenant}'.",
    "Assign a role to a user (directly; roles also come through groups)."
);
user_role_tool!(
    RemoveUserFromRole,
    "remove_user_from_role",
    "Take a role from a user",
    Risk::High,
    false,
    "User '{user}' no longer has the role '{role}' directly in tenant '{tenant}' (a group may still give it).",
    "Remove a role assigned directly to a user. Requires `confirm: true`."
);
