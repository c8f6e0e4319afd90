//! Across tenants: e-mail-domain group rules (`/emailDomainGroupRules`), external tenant user
//! mappings (`/externalTenantUserMappings`) and admin provisioning
//! (`/adminProvisioning/{targetTenantId}`, called in the caller's own tenant, usually the system
//! tenant). Rule lists come wrapped (`{emailDomainGroupRules: [...]}`) or plain; both are taken.

use reqwest::Method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{IdentityClient, segment};
use crate::error::ClientError;

/// A rule putting users whose e-mail domain matches into a group at their first sign-in.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EmailDomainGroupRuleDto {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rt_id: Option<String>,
    /// The e-mail domain, exactly (case-insensitive), e.g. `example.com`.
    pub email_domain_pattern: String,
    /// The runtime id of the group the users join.
    pub target_group_rt_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A user of another (ancestor) tenant who may sign in to this one, with the roles they get.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExternalTenantUserMappingDto {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub source_tenant_id: String,
    /// The user's runtime id in the source tenant.
    pub source_user_id: String,
    pub source_user_name: String,
    /// Runtime ids of this tenant's roles the user gets.
    #[serde(default)]
    pub role_ids: Vec<String>,
    /// Groups the mapping is a member of.
    #[serde(default)]
    pub group_names: Vec<String>,
}

/// `POST` body of a mapping.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewMapping<'a> {
    pub source_tenant_id: &'a str,
    pub source_user_id: &'a str,
    pub source_user_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_ids: Option<&'a [String]>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RuleList {
    Wrapped {
        #[serde(rename = "emailDomainGroupRules")]
        rules: Vec<EmailDomainGroupRuleDto>,
    },
    Plain(Vec<EmailDomainGroupRuleDto>),
}

impl IdentityClient {
    // ---- e-mail-domain group rules

    pub async fn email_domain_rules(
        &self,
        tenant: &str,
        token: Option<&str>,
    ) -> Result<Vec<EmailDomainGroupRuleDto>, ClientError> {
        let list: RuleList = self
            .call(
                Method::GET,
                tenant,
                "emailDomainGroupRules",
                &[],
                None::<&()>,
                token,
            )
            .await?;
        Ok(match list {
            RuleList::Wrapped { rules } | RuleList::Plain(rules) => rules,
        })
    }

    pub async fn email_domain_rule(
        &self,
        tenant: &str,
        rt_id: &str,
        token: Option<&str>,
    ) -> Result<EmailDomainGroupRuleDto, ClientError> {
        let rest = format!("emailDomainGroupRules/{}", segment(rt_id));
        self.call::<Option<EmailDomainGroupRuleDto>>(
            Method::GET,
            tenant,
            &rest,
            &[],
            None::<&()>,
            token,
        )
        .await?
        .ok_or_else(|| ClientError::NotFound(format!("no e-mail-domain group rule '{rt_id}'")))
    }

    /// Creates (`rt_id` None) or replaces a rule; the rule as stored.
    pub async fn put_email_domain_rule(
        &self,
        tenant: &str,
        rule: &EmailDomainGroupRuleDto,
        token: Option<&str>,
    ) -> Result<EmailDomainGroupRuleDto, ClientError> {
        match &rule.rt_id {
            None => {
                self.call(
                    Method::POST,
                    tenant,
                    "emailDomainGroupRules",
                    &[],
                    Some(rule),
                    token,
                )
                .await
            }
            Some(id) => {
                let rest = format!("emailDomainGroupRules/{}", segment(id));
                self.call(Method::PUT, tenant, &rest, &[], Some(rule), token)
                    .await
            }
        }
    }

    pub async fn delete_email_domain_rule(
        &self,
        tenant: &str,
        rt_id: &str,
        token: Option<&str>,
    ) -> Result<(), ClientError> {
        let rest = format!("emailDomainGroupRules/{}", segment(rt_id));
        self.send(Method::DELETE, tenant, &rest, &[], None::<&()>, token)
            .await
    }

    // ---- external tenant user mappings

    pub async fn mappings(
        &self,
        tenant: &str,
        source_tenant: Option<&str>,
        page: Option<(u32, u32)>,
        token: Option<&str>,
    ) -> Result<Vec<ExternalTenantUserMappingDto>, ClientError> {
        let (skip, take) = page
            .map(|(skip, take)| (skip.to_string(), take.to_string()))
            .unzip();
        let mut query = Vec::new();
        if let Some(source) = source_tenant {
            query.push(("sourceTenantId", source));
        }
        if let (Some(skip), Some(take)) = (&skip, &take) {
            query.push(("skip", skip.as_str()));
            query.push(("take", take.as_str()));
        }
        self.call(
            Method::GET,
            tenant,
            "externalTenantUserMappings",
            &query,
            None::<&()>,
            token,
        )
        .await
    }

    pub async fn mapping(
        &self,
        tenant: &str,
        rt_id: &str,
        token: Option<&str>,
    ) -> Result<ExternalTenantUserMappingDto, ClientError> {
        let rest = format!("externalTenantUserMappings/{}", segment(rt_id));
        self.call::<Option<ExternalTenantUserMappingDto>>(
            Method::GET,
            tenant,
            &rest,
            &[],
            None::<&()>,
            token,
        )
        .await?
        .ok_or_else(|| ClientError::NotFound(format!("no external tenant user mapping '{rt_id}'")))
    }

    pub async fn create_mapping(
        &self,
        tenant: &str,
        mapping: &NewMapping<'_>,
        token: Option<&str>,
    ) -> Result<ExternalTenantUserMappingDto, ClientError> {
        self.call(
            Method::POST,
            tenant,
            "externalTenantUserMappings",
            &[],
            Some(mapping),
            token,
        )
        .await
    }

    /// Replaces the mapping's roles (`None` clears them).
    pub async fn set_mapping_roles(
        &self,
        tenant: &str,
        rt_id: &str,
        role_ids: Option<&[String]>,
        token: Option<&str>,
    ) -> Result<ExternalTenantUserMappingDto, ClientError> {
        let rest = format!("externalTenantUserMappings/{}", segment(rt_id));
        self.call(
            Method::PUT,
            tenant,
            &rest,
            &[],
            Some(&serde_json::json!({ "roleIds": role_ids })),
            token,
        )
        .await
    }

    pub async fn delete_mapping(
        &self,
        tenant: &str,
        rt_id: &str,
        token: Option<&str>,
    ) -> Result<(), ClientError> {
        let rest = format!("externalTenantUserMappings/{}", segment(rt_id));
        self.send(Method::DELETE, tenant, &rest, &[], None::<&()>, token)
            .await
    }

    // ---- admin provisioning (in the caller's tenant, about `target`)

    pub async fn provisioning_mappings(
        &self,
        tenant: &str,
        target: &str,
        token: Option<&str>,
    ) -> Result<Vec<ExternalTenantUserMappingDto>, ClientError> {
        let rest = format!("adminProvisioning/{}", segment(target));
        self.call(Method::GET, tenant, &rest, &[], None::<&()>, token)
            .await
    }

    pub async fn create_provisioning_mapping(
        &self,
        tenant: &str,
        target: &str,
        mapping: &NewMapping<'_>,
        token: Option<&str>,
    ) -> Result<ExternalTenantUserMappingDto, ClientError> {
        let rest = format!("adminProvisioning/{}", segment(target));
        self.call(Method::POST, tenant, &rest, &[], Some(mapping), token)
            .await
    }

    /// The roles of `target` (`{id, name}`), for mappings into it.
    pub async fn provisioning_roles(
        &self,
        tenant: &str,
        target: &str,
        token: Option<&str>,
    ) -> Result<Vec<super::RoleDto>, ClientError> {
        let rest = format!("adminProvisioning/{}/roles", segment(target));
        self.call(Method::GET, tenant, &rest, &[], None::<&()>, token)
            .await
    }

    /// Makes the caller (from the token) an owner of `target`; the mapping.
    pub async fn provision_current_user(
        &self,
        tenant: &str,
        target: &str,
        token: Option<&str>,
    ) -> Result<ExternalTenantUserMappingDto, ClientError> {
        let rest = format!("adminProvisioning/{}/provisionCurrentUser", segment(target));
        self.call(Method::POST, tenant, &rest, &[], None::<&()>, token)
            .await
    }

    pub async fn delete_provisioning_mapping(
        &self,
        tenant: &str,
        target: &str,
        mapping_rt_id: &str,
        token: Option<&str>,
    ) -> Result<(), ClientError> {
        let rest = format!(
            "adminProvisioning/{}/{}",
            segment(target),
            segment(mapping_rt_id)
        );
        self.send(Method::DELETE, tenant, &rest, &[], None::<&()>, token)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_lists_come_wrapped_or_plain() {
        let rule = r#"{"rtId":"660000000000000000000009","emailDomainPattern":"example.com","targetGroupRtId":"660000000000000000000001"}"#;
        for body in [
            format!(r#"{{"emailDomainGroupRules":[{rule}]}}"#),
            format!("[{rule}]"),
        ] {
            let (RuleList::Wrapped { rules } | RuleList::Plain(rules)) =
                serde_json::from_str(&body).unwrap();
            assert_eq!(rules[0].email_domain_pattern, "example.com");
        }
    }
}
