//! Groups (10): `get_groups`, `get_group`, `create_group`, `update_group`, `delete_group` (High),
//! `update_group_roles`, `add_user_to_group`, `remove_user_from_group` (High),
//! `add_group_to_group`, `remove_group_from_group` (High). A group's members get its roles and,
//! through nesting, the roles of its child groups.

use octomesh_octo_client::identity::{GroupChange, GroupDto, MemberKind};
use octomesh_worker_runtime::{CallScope, Envelope, Risk, Tool, ToolError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{IdentityCall, not_found, text};
use crate::AdminCtx;

/// The group a tool acted on, and the group as it is now where the tool read it.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GroupDone {
    pub group_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<GroupDto>,
}

/// The member a membership tool added or removed.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MembershipDone {
    /// The (parent) group.
    pub group_id: String,
    /// The member: a user's runtime id or a child group's.
    pub member_id: String,
    /// `user` or `group`.
    pub member_kind: String,
}

impl IdentityCall<'_> {
    /// Group `group_id` as it is now, naming `field` when it does not exist.
    async fn group(&self, field: &str, group_id: &str) -> Result<GroupDto, ToolError> {
        self.client
            .group(self.tenant, group_id, self.token)
            .await
            .map_err(|error| not_found(error, field, group_id, "get_groups"))
    }
}

/// A group id argument: a 24-hex runtime id.
fn group_id(field: &str, value: &str) -> Result<String, ToolError> {
    super::rt_id(field, value, "get_groups")
}

super::list_tool!(
    GetGroups,
    Groups { groups: GroupDto },
    "get_groups",
    "List groups",
    groups,
    "group",
    "List all groups in the tenant, with their roles and members."
);

/// Get a single group by its runtime id.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct GetGroup {
    /// The group's runtime id.
    #[schemars(length(min = 24, max = 24))]
    group_id: String,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for GetGroup {
    const NAME: &'static str = "get_group";
    const TITLE: &'static str = "Get a group";
    const RISK: Risk = Risk::Low;
    type Ctx = AdminCtx;
    type Output = Envelope<GroupDone>;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let id = group_id("groupId", &self.group_id)?;
        let call = ctx.identity(scope, self.tenant_id.as_deref())?;
        let group = call.group("groupId", &id).await?;
        let message = format!("Group '{}' ({id})", group.group_name);
        Ok(Envelope::success(
            Some(call.tenant),
            GroupDone {
                group_id: id,
                group: Some(group),
            },
        )
        .with_message(message))
    }
}

/// Create a new group with an optional description and initial roles.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CreateGroup {
    /// The group's name (unique in the tenant, case-insensitively).
    #[schemars(length(min = 1, max = 256))]
    group_name: String,
    /// What the group is for.
    #[schemars(length(max = 1000))]
    description: Option<String>,
    /// Roles its members get: role runtime ids or role names (get_roles lists both).
    #[schemars(length(max = 100))]
    role_ids: Option<Vec<String>>,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for CreateGroup {
    const NAME: &'static str = "create_group";
    const TITLE: &'static str = "Create a group";
    const RISK: Risk = Risk::Medium;
    type Ctx = AdminCtx;
    type Output = Envelope<GroupDone>;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let name = text("groupName", &self.group_name, false)?;
        let description = description(self.description.as_deref())?;
        let call = ctx.identity(scope, self.tenant_id.as_deref())?;
        let role_ids = match &self.role_ids {
            Some(roles) => super::role_ids(
                &call.client.roles(call.tenant, call.token).await?,
                roles,
                call.tenant,
            )?,
            None => Vec::new(),
        };
        let created = call
            .client
            .create_group(
                call.tenant,
                &GroupChange {
                    group_name: &name,
                    group_description: description.as_deref(),
                    role_ids: Some(&role_ids),
                },
                call.token,
            )
            .await?;
        let id = created.id.clone().unwrap_or_default();
        let message = format!(
            "Group '{name}' ({id}) created in tenant '{}' with {} role(s).",
            call.tenant,
            role_ids.len()
        );
        Ok(Envelope::success(
            Some(call.tenant),
            GroupDone {
                group_id: id,
                group: Some(created),
            },
        )
        .with_message(message))
    }
}

/// A description argument, bounded.
fn description(value: Option<&str>) -> Result<Option<String>, ToolError> {
    match value.map(str::trim) {
        Some(text) if text.len() > 1000 => Err(ToolError::InvalidArguments(format!(
            "`description` is {} bytes long; at most 1000 are allowed.",
            text.len()
        ))),
        other => Ok(other.map(str::to_owned)),
    }
}

/// Update a group's name and description (roles: update_group_roles; members: the add/remove
/// tools).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct UpdateGroup {
    /// The group's runtime id.
    #[schemars(length(min = 24, max = 24))]
    group_id: String,
    /// The group's name (the same or a new one).
    #[schemars(length(min = 1, max = 256))]
    group_name: String,
    /// What the group is for.
    #[schemars(length(max = 1000))]
    description: Option<String>,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for UpdateGroup {
    const NAME: &'static str = "update_group";
    const TITLE: &'static str = "Update a group";
    const RISK: Risk = Risk::Medium;
    type Ctx = AdminCtx;
    type Output = Envelope<GroupDone>;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let id = group_id("groupId", &self.group_id)?;
        let name = text("groupName", &self.group_name, false)?;
        let description = description(self.description.as_deref())?;
        let call = ctx.identity(scope, self.tenant_id.as_deref())?;
        let change = GroupChange {
            group_name: &name,
            group_description: description.as_deref(),
            role_ids: None,
        };
        let answered = call
            .client
            .update_group(call.tenant, &id, &change, call.token)
            .await
            .map_err(|error| not_found(error, "groupId", &id, "get_groups"))?;
        let group = match answered {
            Some(group) => group,
            None => call.group("groupId", &id).await?,
        };
        let message = format!("Group {id} is now '{name}' in tenant '{}'.", call.tenant);
        Ok(Envelope::success(
            Some(call.tenant),
            GroupDone {
                group_id: id,
                group: Some(group),
            },
        )
        .with_message(message))
    }
}

/// Delete a group; its members lose the roles it gave them. Requires `confirm: true`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct DeleteGroup {
    /// The group's runtime id.
    #[schemars(length(min = 24, max = 24))]
    group_id: String,
    /// Must be true: the group is gone for good.
    #[serde(default)]
    #[allow(dead_code)]
    confirm: bool,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for DeleteGroup {
    const NAME: &'static str = "delete_group";
    const TITLE: &'static str = "Delete a group";
    const RISK: Risk = Risk::High;
    type Ctx = AdminCtx;
    type Output = Envelope<GroupDone>;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let id = group_id("groupId", &self.group_id)?;
        let call = ctx.identity(scope, self.tenant_id.as_deref())?;
        call.client
            .delete_group(call.tenant, &id, call.token)
            .await
            .map_err(|error| not_found(error, "groupId", &id, "get_groups"))?;
        let message = format!("Group {id} deleted from tenant '{}'.", call.tenant);
        Ok(Envelope::success(
            Some(call.tenant),
            GroupDone {
                group_id: id,
                group: None,
            },
        )
        .with_message(message))
    }
}

/// Replace the roles of a group (every role not listed is taken away).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct UpdateGroupRoles {
    /// The group's runtime id.
    #[schemars(length(min = 24, max = 24))]
    group_id: String,
    /// All roles the group gives: role runtime ids or role names.
    #[schemars(length(max = 100))]
    role_ids: Vec<String>,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for UpdateGroupRoles {
    const NAME: &'static str = "update_group_roles";
    const TITLE: &'static str = "Set a group's roles";
    const RISK: Risk = Risk::Medium;
    type Ctx = AdminCtx;
    type Output = Envelope<GroupDone>;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let id = group_id("groupId", &self.group_id)?;
        let call = ctx.identity(scope, self.tenant_id.as_deref())?;
        let role_ids = super::role_ids(
            &call.client.roles(call.tenant, call.token).await?,
            &self.role_ids,
            call.tenant,
        )?;
        call.client
            .set_group_roles(call.tenant, &id, &role_ids, call.token)
            .await
            .map_err(|error| not_found(error, "groupId", &id, "get_groups"))?;
        let group = call.group("groupId", &id).await?;
        let message = format!(
            "Group '{}' ({id}) gives {} role(s) now.",
            group.group_name,
            role_ids.len()
        );
        Ok(Envelope::success(
            Some(call.tenant),
            GroupDone {
                group_id: id,
                group: Some(group),
            },
        )
        .with_message(message))
    }
}

/// Declares a tool that adds a member to a group or removes it: its argument struct (the
/// group's and the member's field names as the catalog has them, `confirm` for High risk) and
/// its `Tool` impl.
macro_rules! membership_tool {
    (
        $type:ident, $name:literal, $title:literal, $risk:expr, $add:literal, $kind:expr,
        $group_field:ident / $group_wire:literal, $member_field:ident / $member_wire:literal,
        $member_doc:literal, $done:literal, $doc:literal
    ) => {
        #[doc = $doc]
        #[derive(Debug, Deserialize, JsonSchema)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub(crate) struct $type {
            /// The group's runtime id.
            #[schemars(length(min = 24, max = 24))]
            $group_field: String,
            #[doc = $member_doc]
            #[schemars(length(min = 1, max = 256))]
            $member_field: String,
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
            type Output = Envelope<MembershipDone>;

            async fn call(
                self,
                ctx: &AdminCtx,
                scope: &CallScope,
            ) -> Result<Self::Output, ToolError> {
                let group = group_id($group_wire, &self.$group_field)?;
                let kind: MemberKind = $kind;
                let given = match kind {
                    MemberKind::Group => group_id($member_wire, &self.$member_field)?,
                    _ => text($member_wire, &self.$member_field, true)?,
                };
                let call = ctx.identity(scope, self.tenant_id.as_deref())?;
                let found = call.group($group_wire, &group).await?;
                // The service takes a user's runtime id and does not check it names a user; a
                // name or e-mail is looked up here, and an add needs the user to exist.
                let member = match kind {
                    MemberKind::User => {
                        match call.client.user(call.tenant, &given, call.token).await {
                            Ok(user) => user.user_id.unwrap_or(given),
                            Err(error) if $add => {
                                return Err(not_found(error, $member_wire, &given, "get_users"));
                            }
                            Err(_) => given,
                        }
                    }
                    _ => given,
                };
                call.client
                    .group_member(call.tenant, &group, kind, &member, $add, call.token)
                    .await
                    .map_err(|error| not_found(error, $member_wire, &member, "get_groups"))?;
                let message = format!($done, member = member, group = found.group_name);
                Ok(Envelope::success(
                    Some(call.tenant),
                    MembershipDone {
                        group_id: group,
                        member_id: member,
                        member_kind: match kind {
                            MemberKind::Group => "group",
                            MemberKind::Client => "client",
                            MemberKind::User => "user",
                        }
                        .to_owned(),
                    },
                )
                .with_message(message))
            }
        }
    };
}

membership_tool!(
    AddUserToGroup,
    "add_user_to_group",
    "Add a user to a group",
    Risk::Medium,
    true,
    MemberKind::User,
    group_id / "groupId",
    user_id / "userId",
    "The user's runtime id (`userId` in get_users), name or e-mail.",
    "User {member} is a member of '{group}'.",
    "Add a user to a group: they get the group's roles and its child groups' roles."
);
membership_tool!(
    RemoveUserFromGroup,
    "remove_user_from_group",
    "Remove a user from a group",
    Risk::High,
    false,
    MemberKind::User,
    group_id / "groupId",
    user_id / "userId",
    "The user's runtime id (`userId` in get_users), name or e-mail.",
    "User {member} is no longer a member of '{group}'.",
    "Remove a user from a group; they lose the roles it gave them. Requires `confirm: true`."
);
membership_tool!(
    AddGroupToGroup,
    "add_group_to_group",
    "Nest a group in another",
    Risk::Medium,
    true,
    MemberKind::Group,
    parent_group_id / "parentGroupId",
    child_group_id / "childGroupId",
    "The child group's runtime id.",
    "Group {member} is nested in '{group}': members of '{group}' get its roles.",
    "Nest one group inside another: members of the parent get the child's roles too (at most 10 levels; cycles are refused)."
);
membership_tool!(
    RemoveGroupFromGroup,
    "remove_group_from_group",
    "Un-nest a group",
    Risk::High,
    false,
    MemberKind::Group,
    parent_group_id / "parentGroupId",
    child_group_id / "childGroupId",
    "The child group's runtime id.",
    "Group {member} is no longer nested in '{group}'.",
    "Un-nest a child group from its parent. Requires `confirm: true`."
);
