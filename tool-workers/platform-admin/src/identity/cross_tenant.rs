//! Across tenants and provisioning (14): e-mail-domain group rules (5), external tenant user
//! mappings (5) and admin provisioning (4: `get_admin_provisioning_mappings`,
//! `create_admin_provisioning_mapping`, `provision_current_user_as_admin`,
//! `delete_admin_provisioning_mapping`). Admin provisioning runs in the caller's own tenant (the
//! system tenant for a tenant creator) and writes the target tenant: after `create_tenant`,
//! `provision_current_user_as_admin` makes the caller an owner of the new tenant, as octo-cli does.

use octomesh_octo_client::identity::{
    EmailDomainGroupRuleDto, ExternalTenantUserMappingDto, NewMapping,
};
use octomesh_worker_runtime::{CallScope, Envelope, Risk, Tool, ToolError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{not_found, role_ids, rt_id, text};
use crate::AdminCtx;

/// Most mappings one page lists.
const MAX_TAKE: u32 = 1000;

/// The rule a tool acted on.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RuleDone {
    pub rt_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<EmailDomainGroupRuleDto>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Mappings {
    pub mappings: Vec<ExternalTenantUserMappingDto>,
    pub total_count: usize,
    /// The tenant the mappings let users into (admin provisioning).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_tenant_id: Option<String>,
}

/// The mapping a tool acted on.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MappingDone {
    pub rt_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mapping: Option<ExternalTenantUserMappingDto>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_tenant_id: Option<String>,
}

/// A domain pattern: the e-mail's domain part, exactly (no wildcards).
fn domain(value: &str) -> Result<String, ToolError> {
    let domain = text("emailDomainPattern", value, true)?;
    let valid = domain.len() <= 100
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    if !valid {
        return Err(ToolError::InvalidArguments(format!(
            "`emailDomainPattern` '{domain}' is not an e-mail domain such as example.com (exact match, no wildcards, at most 100 characters)."
        )));
    }
    Ok(domain)
}

fn description(value: Option<&str>) -> Result<Option<String>, ToolError> {
    match value.map(str::trim) {
        Some(text) if text.len() > 5000 => Err(ToolError::InvalidArguments(format!(
            "`description` is {} bytes long; at most 5000 are allowed.",
            text.len()
        ))),
        other => Ok(other.map(str::to_owned)),
    }
}

// ---- e-mail-domain group rules

super::list_tool!(
    GetEmailDomainGroupRules,
    Rules {
        rules: EmailDomainGroupRuleDto
    },
    "get_email_domain_group_rules",
    "List e-mail-domain group rules",
    email_domain_rules,
    "rule",
    "List all e-mail-domain group rules: users signing in for the first time (through another tenant or a provider) whose e-mail domain matches join the rule's group."
);

/// Get a single e-mail-domain group rule by runtime id.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct GetEmailDomainGroupRule {
    /// The rule's runtime id.
    #[schemars(length(min = 24, max = 24))]
    rt_id: String,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for GetEmailDomainGroupRule {
    const NAME: &'static str = "get_email_domain_group_rule";
    const TITLE: &'static str = "Get an e-mail-domain group rule";
    const RISK: Risk = Risk::Low;
    type Ctx = AdminCtx;
    type Output = Envelope<RuleDone>;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let id = rt_id("rtId", &self.rt_id, "get_email_domain_group_rules")?;
        let call = ctx.identity(scope, self.tenant_id.as_deref())?;
        let rule = call
            .client
            .email_domain_rule(call.tenant, &id, call.token)
            .await
            .map_err(|error| not_found(error, "rtId", &id, "get_email_domain_group_rules"))?;
        Ok(Envelope::success(
            Some(call.tenant),
            RuleDone {
                rt_id: id,
                rule: Some(rule),
            },
        ))
    }
}

/// Stores a rule (new when `id` is None) after checking its group exists.
async fn store_rule(
    ctx: &AdminCtx,
    scope: &CallScope,
    tenant: Option<&str>,
    id: Option<String>,
    (pattern, group, about): (&str, &str, Option<&str>),
) -> Result<Envelope<RuleDone>, ToolError> {
    let pattern = domain(pattern)?;
    let group = rt_id("targetGroupRtId", group, "get_groups")?;
    let about = description(about)?;
    let call = ctx.identity(scope, tenant)?;
    // Upstream does not check the group; a rule pointing nowhere would silently do nothing.
    let target = call
        .client
        .group(call.tenant, &group, call.token)
        .await
        .map_err(|error| not_found(error, "targetGroupRtId", &group, "get_groups"))?;
    let rule = EmailDomainGroupRuleDto {
        rt_id: id,
        email_domain_pattern: pattern,
        target_group_rt_id: group,
        description: about,
    };
    let stored = call
        .client
        .put_email_domain_rule(call.tenant, &rule, call.token)
        .await?;
    let message = format!(
        "New users with an e-mail at '{}' join '{}' in tenant '{}'.",
        stored.email_domain_pattern, target.group_name, call.tenant
    );
    Ok(Envelope::success(
        Some(call.tenant),
        RuleDone {
            rt_id: stored.rt_id.clone().or(rule.rt_id).unwrap_or_default(),
            rule: Some(stored),
        },
    )
    .with_message(message))
}

/// Create a new e-mail-domain group rule.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CreateEmailDomainGroupRule {
    /// The e-mail domain, matched exactly and case-insensitively (e.g. `example.com`).
    #[schemars(length(min = 3, max = 100))]
    email_domain_pattern: String,
    /// The runtime id of the group new users join.
    #[schemars(length(min = 24, max = 24))]
    target_group_rt_id: String,
    #[schemars(length(max = 5000))]
    description: Option<String>,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for CreateEmailDomainGroupRule {
    const NAME: &'static str = "create_email_domain_group_rule";
    const TITLE: &'static str = "Create an e-mail-domain group rule";
    const RISK: Risk = Risk::Medium;
    type Ctx = AdminCtx;
    type Output = Envelope<RuleDone>;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        store_rule(
            ctx,
            scope,
            self.tenant_id.as_deref(),
            None,
            (
                &self.email_domain_pattern,
                &self.target_group_rt_id,
                self.description.as_deref(),
            ),
        )
        .await
    }
}

/// Update an e-mail-domain group rule (all of it).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct UpdateEmailDomainGroupRule {
    /// The rule's runtime id.
    #[schemars(length(min = 24, max = 24))]
    rt_id: String,
    /// The e-mail domain, matched exactly and case-insensitively.
    #[schemars(length(min = 3, max = 100))]
    email_domain_pattern: String,
    /// The runtime id of the group new users join.
    #[schemars(length(min = 24, max = 24))]
    target_group_rt_id: String,
    #[schemars(length(max = 5000))]
    description: Option<String>,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for UpdateEmailDomainGroupRule {
    const NAME: &'static str = "update_email_domain_group_rule";
    const TITLE: &'static str = "Update an e-mail-domain group rule";
    const RISK: Risk = Risk::Medium;
    type Ctx = AdminCtx;
    type Output = Envelope<RuleDone>;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let id = rt_id("rtId", &self.rt_id, "get_email_domain_group_rules")?;
        // Upstream's PUT inserts an unknown id; an update must name a rule that exists.
        let call = ctx.identity(scope, self.tenant_id.as_deref())?;
        call.client
            .email_domain_rule(call.tenant, &id, call.token)
            .await
            .map_err(|error| not_found(error, "rtId", &id, "get_email_domain_group_rules"))?;
        store_rule(
            ctx,
            scope,
            self.tenant_id.as_deref(),
            Some(id),
            (
                &self.email_domain_pattern,
                &self.target_group_rt_id,
                self.description.as_deref(),
            ),
        )
        .await
    }
}

/// Delete an e-mail-domain group rule. Requires `confirm: true`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct DeleteEmailDomainGroupRule {
    /// The rule's runtime id.
    #[schemars(length(min = 24, max = 24))]
    rt_id: String,
    /// Must be true.
    #[serde(default)]
    #[allow(dead_code)]
    confirm: bool,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for DeleteEmailDomainGroupRule {
    const NAME: &'static str = "delete_email_domain_group_rule";
    const TITLE: &'static str = "Delete an e-mail-domain group rule";
    const RISK: Risk = Risk::High;
    type Ctx = AdminCtx;
    type Output = Envelope<RuleDone>;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let id = rt_id("rtId", &self.rt_id, "get_email_domain_group_rules")?;
        let call = ctx.identity(scope, self.tenant_id.as_deref())?;
        // Upstream answers 200 for any id; say when there was nothing to delete.
        call.client
            .email_domain_rule(call.tenant, &id, call.token)
            .await
            .map_err(|error| not_found(error, "rtId", &id, "get_email_domain_group_rules"))?;
        call.client
            .delete_email_domain_rule(call.tenant, &id, call.token)
            .await?;
        let message = format!("Rule {id} deleted from tenant '{}'.", call.tenant);
        Ok(Envelope::success(
            Some(call.tenant),
            RuleDone {
                rt_id: id,
                rule: None,
            },
        )
        .with_message(message))
    }
}

// ---- external tenant user mappings

/// List external tenant user mappings (users of other tenants who may sign in here), optionally
/// only those from one source tenant.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct GetExternalTenantUserMappings {
    /// Only mappings of users from this tenant (then skip and take are ignored).
    source_tenant_id: Option<String>,
    /// How many to skip (default 0).
    skip: Option<u32>,
    /// How many to list (default 100, at most 1000).
    #[schemars(range(min = 1, max = 1000))]
    take: Option<u32>,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for GetExternalTenantUserMappings {
    const NAME: &'static str = "get_external_tenant_user_mappings";
    const TITLE: &'static str = "List external tenant user mappings";
    const RISK: Risk = Risk::Low;
    type Ctx = AdminCtx;
    type Output = Envelope<Mappings>;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let source = self
            .source_tenant_id
            .as_deref()
            .map(|source| text("sourceTenantId", source, true))
            .transpose()?;
        let take = self.take.unwrap_or(100);
        if take == 0 || take > MAX_TAKE {
            return Err(ToolError::InvalidArguments(format!(
                "`take` must be 1 to {MAX_TAKE}."
            )));
        }
        let call = ctx.identity(scope, self.tenant_id.as_deref())?;
        let mappings = call
            .client
            .mappings(
                call.tenant,
                source.as_deref(),
                Some((self.skip.unwrap_or(0), take)),
                call.token,
            )
            .await?;
        let message = format!("{} mapping(s) in tenant '{}'", mappings.len(), call.tenant);
        Ok(Envelope::success(
            Some(call.tenant),
            Mappings {
                total_count: mappings.len(),
                mappings,
                target_tenant_id: None,
            },
        )
        .with_message(message))
    }
}

/// Get a single external tenant user mapping by runtime id.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct GetExternalTenantUserMapping {
    /// The mapping's runtime id.
    #[schemars(length(min = 24, max = 24))]
    rt_id: String,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for GetExternalTenantUserMapping {
    const NAME: &'static str = "get_external_tenant_user_mapping";
    const TITLE: &'static str = "Get an external tenant user mapping";
    const RISK: Risk = Risk::Low;
    type Ctx = AdminCtx;
    type Output = Envelope<MappingDone>;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let id = rt_id("rtId", &self.rt_id, "get_external_tenant_user_mappings")?;
        let call = ctx.identity(scope, self.tenant_id.as_deref())?;
        let mapping = call
            .client
            .mapping(call.tenant, &id, call.token)
            .await
            .map_err(|error| not_found(error, "rtId", &id, "get_external_tenant_user_mappings"))?;
        Ok(Envelope::success(
            Some(call.tenant),
            MappingDone {
                rt_id: id,
                mapping: Some(mapping),
                target_tenant_id: None,
            },
        ))
    }
}

/// The validated source of a new mapping.
struct Source {
    tenant: String,
    user_id: String,
    user_name: String,
}

fn source(tenant: &str, user_id: &str, user_name: &str) -> Result<Source, ToolError> {
    Ok(Source {
        tenant: text("sourceTenantId", tenant, true)?,
        user_id: rt_id("sourceUserId", user_id, "get_users in the source tenant")?,
        user_name: text("sourceUserName", user_name, true)?,
    })
}

/// Create a new external tenant user mapping: the user of the source (parent) tenant may sign
/// in here and gets the given roles of this tenant.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CreateExternalTenantUserMapping {
    /// The tenant the user comes from (an ancestor of this one).
    #[schemars(length(min = 1, max = 64))]
    source_tenant_id: String,
    /// The user's runtime id in the source tenant.
    #[schemars(length(min = 24, max = 24))]
    source_user_id: String,
    /// The user's name in the source tenant.
    #[schemars(length(min = 1, max = 256))]
    source_user_name: String,
    /// Roles of this tenant the user gets: runtime ids or names.
    #[schemars(length(max = 100))]
    role_ids: Option<Vec<String>>,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for CreateExternalTenantUserMapping {
    const NAME: &'static str = "create_external_tenant_user_mapping";
    const TITLE: &'static str = "Create an external tenant user mapping";
    const RISK: Risk = Risk::Medium;
    type Ctx = AdminCtx;
    type Output = Envelope<MappingDone>;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let from = source(
            &self.source_tenant_id,
            &self.source_user_id,
            &self.source_user_name,
        )?;
        let call = ctx.identity(scope, self.tenant_id.as_deref())?;
        let roles = call.resolve_roles(self.role_ids.as_deref()).await?;
        let created = call
            .client
            .create_mapping(
                call.tenant,
                &NewMapping {
                    source_tenant_id: &from.tenant,
                    source_user_id: &from.user_id,
                    source_user_name: &from.user_name,
                    role_ids: roles.as_deref(),
                },
                call.token,
            )
            .await?;
        let message = format!(
            "'{}' of tenant '{}' may sign in to '{}' with {} role(s).",
            from.user_name,
            from.tenant,
            call.tenant,
            created.role_ids.len()
        );
        Ok(Envelope::success(
            Some(call.tenant),
            MappingDone {
                rt_id: created.id.clone().unwrap_or_default(),
                mapping: Some(created),
                target_tenant_id: None,
            },
        )
        .with_message(message))
    }
}

/// Replace the roles an external tenant user mapping gives (no roles: clears them).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct UpdateExternalTenantUserMapping {
    /// The mapping's runtime id.
    #[schemars(length(min = 24, max = 24))]
    rt_id: String,
    /// All roles of this tenant the user gets: runtime ids or names; omit to clear them.
    #[schemars(length(max = 100))]
    role_ids: Option<Vec<String>>,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for UpdateExternalTenantUserMapping {
    const NAME: &'static str = "update_external_tenant_user_mapping";
    const TITLE: &'static str = "Update an external tenant user mapping";
    const RISK: Risk = Risk::Medium;
    type Ctx = AdminCtx;
    type Output = Envelope<MappingDone>;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let id = rt_id("rtId", &self.rt_id, "get_external_tenant_user_mappings")?;
        let call = ctx.identity(scope, self.tenant_id.as_deref())?;
        let roles = call.resolve_roles(self.role_ids.as_deref()).await?;
        let mapping = call
            .client
            .set_mapping_roles(call.tenant, &id, roles.as_deref(), call.token)
            .await
            .map_err(|error| not_found(error, "rtId", &id, "get_external_tenant_user_mappings"))?;
        let message = format!(
            "Mapping {id} gives {} role(s) in tenant '{}'.",
            mapping.role_ids.len(),
            call.tenant
        );
        Ok(Envelope::success(
            Some(call.tenant),
            MappingDone {
                rt_id: id,
                mapping: Some(mapping),
                target_tenant_id: None,
            },
        )
        .with_message(message))
    }
}

/// Delete an external tenant user mapping; the user can no longer sign in here through it.
/// Requires `confirm: true`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct DeleteExternalTenantUserMapping {
    /// The mapping's runtime id.
    #[schemars(length(min = 24, max = 24))]
    rt_id: String,
    /// Must be true.
    #[serde(default)]
    #[allow(dead_code)]
    confirm: bool,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for DeleteExternalTenantUserMapping {
    const NAME: &'static str = "delete_external_tenant_user_mapping";
    const TITLE: &'static str = "Delete an external tenant user mapping";
    const RISK: Risk = Risk::High;
    type Ctx = AdminCtx;
    type Output = Envelope<MappingDone>;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let id = rt_id("rtId", &self.rt_id, "get_external_tenant_user_mappings")?;
        let call = ctx.identity(scope, self.tenant_id.as_deref())?;
        call.client
            .delete_mapping(call.tenant, &id, call.token)
            .await
            .map_err(|error| not_found(error, "rtId", &id, "get_external_tenant_user_mappings"))?;
        let message = format!("Mapping {id} deleted from tenant '{}'.", call.tenant);
        Ok(Envelope::success(
            Some(call.tenant),
            MappingDone {
                rt_id: id,
                mapping: None,
                target_tenant_id: None,
            },
        )
        .with_message(message))
    }
}

// ---- admin provisioning

impl super::IdentityCall<'_> {
    /// The runtime ids of this tenant's roles `wanted` names (ids or names), if given.
    async fn resolve_roles(
        &self,
        wanted: Option<&[String]>,
    ) -> Result<Option<Vec<String>>, ToolError> {
        let Some(wanted) = wanted else {
            return Ok(None);
        };
        let known = self.client.roles(self.tenant, self.token).await?;
        role_ids(&known, wanted, self.tenant).map(Some)
    }
}

fn target(value: &str) -> Result<String, ToolError> {
    text("targetTenantId", value, true)
}

/// List the admin provisioning mappings of a target tenant: users of other tenants who may
/// administer it. Call it in the system tenant (or the target's parent).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct GetAdminProvisioningMappings {
    /// The tenant the mappings lead into.
    #[schemars(length(min = 1, max = 64))]
    target_tenant_id: String,
    /// The calling tenant (default: the endpoint's tenant; usually the system tenant).
    tenant_id: Option<String>,
}

impl Tool for GetAdminProvisioningMappings {
    const NAME: &'static str = "get_admin_provisioning_mappings";
    const TITLE: &'static str = "List admin provisioning mappings";
    const RISK: Risk = Risk::Low;
    type Ctx = AdminCtx;
    type Output = Envelope<Mappings>;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let into = target(&self.target_tenant_id)?;
        let call = ctx.identity(scope, self.tenant_id.as_deref())?;
        let mappings = call
            .client
            .provisioning_mappings(call.tenant, &into, call.token)
            .await
            .map_err(|error| not_found(error, "targetTenantId", &into, "get_tenants"))?;
        let message = format!("{} mapping(s) into tenant '{into}'", mappings.len());
        Ok(Envelope::success(
            Some(call.tenant),
            Mappings {
                total_count: mappings.len(),
                mappings,
                target_tenant_id: Some(into),
            },
        )
        .with_message(message))
    }
}

/// Create an admin provisioning mapping: a user of the source tenant may sign in to the target
/// tenant with the given roles of the target.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CreateAdminProvisioningMapping {
    /// The tenant the user gets into.
    #[schemars(length(min = 1, max = 64))]
    target_tenant_id: String,
    /// The tenant the user comes from (an ancestor of the target).
    #[schemars(length(min = 1, max = 64))]
    source_tenant_id: String,
    /// The user's runtime id in the source tenant.
    #[schemars(length(min = 24, max = 24))]
    source_user_id: String,
    /// The user's name in the source tenant.
    #[schemars(length(min = 1, max = 256))]
    source_user_name: String,
    /// Roles of the target tenant: runtime ids or names (default: none).
    #[schemars(length(max = 100))]
    role_ids: Option<Vec<String>>,
    /// The calling tenant (default: the endpoint's tenant; usually the system tenant).
    tenant_id: Option<String>,
}

impl Tool for CreateAdminProvisioningMapping {
    const NAME: &'static str = "create_admin_provisioning_mapping";
    const TITLE: &'static str = "Create an admin provisioning mapping";
    const RISK: Risk = Risk::Medium;
    type Ctx = AdminCtx;
    type Output = Envelope<MappingDone>;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let into = target(&self.target_tenant_id)?;
        let from = source(
            &self.source_tenant_id,
            &self.source_user_id,
            &self.source_user_name,
        )?;
        let call = ctx.identity(scope, self.tenant_id.as_deref())?;
        let roles = match &self.role_ids {
            Some(wanted) => {
                let known = call
                    .client
                    .provisioning_roles(call.tenant, &into, call.token)
                    .await
                    .map_err(|error| not_found(error, "targetTenantId", &into, "get_tenants"))?;
                Some(role_ids(&known, wanted, &into)?)
            }
            None => None,
        };
        let created = call
            .client
            .create_provisioning_mapping(
                call.tenant,
                &into,
                &NewMapping {
                    source_tenant_id: &from.tenant,
                    source_user_id: &from.user_id,
                    source_user_name: &from.user_name,
                    role_ids: roles.as_deref(),
                },
                call.token,
            )
            .await
            .map_err(|error| not_found(error, "targetTenantId", &into, "get_tenants"))?;
        let message = format!(
            "'{}' of tenant '{}' may sign in to '{into}' with {} role(s).",
            from.user_name,
            from.tenant,
            created.role_ids.len()
        );
        Ok(Envelope::success(
            Some(call.tenant),
            MappingDone {
                rt_id: created.id.clone().unwrap_or_default(),
                mapping: Some(created),
                target_tenant_id: Some(into),
            },
        )
        .with_message(message))
    }
}

/// Make the calling user an owner (TenantOwners, every role) of a target tenant, typically right
/// after create_tenant. Call it in the tenant the user belongs to (usually the system tenant);
/// then switch_tenant into the target.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ProvisionCurrentUserAsAdmin {
    /// The tenant to administer.
    #[schemars(length(min = 1, max = 64))]
    target_tenant_id: String,
    /// The calling tenant (default: the endpoint's tenant; usually the system tenant).
    tenant_id: Option<String>,
}

impl Tool for ProvisionCurrentUserAsAdmin {
    const NAME: &'static str = "provision_current_user_as_admin";
    const TITLE: &'static str = "Make me an admin of a tenant";
    const RISK: Risk = Risk::Medium;
    const IDEMPOTENT: bool = true;
    type Ctx = AdminCtx;
    type Output = Envelope<MappingDone>;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let into = target(&self.target_tenant_id)?;
        let call = ctx.identity(scope, self.tenant_id.as_deref())?;
        let mapping = call
            .client
            .provision_current_user(call.tenant, &into, call.token)
            .await
            .map_err(|error| not_found(error, "targetTenantId", &into, "get_tenants"))?;
        let message = format!(
            "You are an owner of tenant '{into}' (as '{}' of '{}'); call switch_tenant with tenantId '{into}' to act there.",
            mapping.source_user_name, mapping.source_tenant_id
        );
        Ok(Envelope::success(
            Some(call.tenant),
            MappingDone {
                rt_id: mapping.id.clone().unwrap_or_default(),
                mapping: Some(mapping),
                target_tenant_id: Some(into),
            },
        )
        .with_message(message))
    }
}

/// Delete an admin provisioning mapping. Requires `confirm: true`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct DeleteAdminProvisioningMapping {
    /// The tenant the mapping leads into.
    #[schemars(length(min = 1, max = 64))]
    target_tenant_id: String,
    /// The mapping's runtime id.
    #[schemars(length(min = 24, max = 24))]
    mapping_rt_id: String,
    /// Must be true.
    #[serde(default)]
    #[allow(dead_code)]
    confirm: bool,
    /// The calling tenant (default: the endpoint's tenant; usually the system tenant).
    tenant_id: Option<String>,
}

impl Tool for DeleteAdminProvisioningMapping {
    const NAME: &'static str = "delete_admin_provisioning_mapping";
    const TITLE: &'static str = "Delete an admin provisioning mapping";
    const RISK: Risk = Risk::High;
    type Ctx = AdminCtx;
    type Output = Envelope<MappingDone>;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let into = target(&self.target_tenant_id)?;
        let id = rt_id(
            "mappingRtId",
            &self.mapping_rt_id,
            "get_admin_provisioning_mappings",
        )?;
        let call = ctx.identity(scope, self.tenant_id.as_deref())?;
        call.client
            .delete_provisioning_mapping(call.tenant, &into, &id, call.token)
            .await
            .map_err(|error| {
                not_found(error, "mappingRtId", &id, "get_admin_provisioning_mappings")
            })?;
        let message = format!("Mapping {id} into tenant '{into}' deleted.");
        Ok(Envelope::success(
            Some(call.tenant),
            MappingDone {
                rt_id: id,
                mapping: None,
                target_tenant_id: Some(into),
            },
        )
        .with_message(message))
    }
}
