//! Accounts: users, roles and groups (`{identity}/{tenantId}/v1/users|roles|groups…`). Where
//! upstream's SDK and server disagree, the client takes both shapes: `GET /groups` answers a plain
//! array (the server) or `{groups: [...]}` (what the SDK expects).

use reqwest::Method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{IdentityClient, segment};
use crate::error::ClientError;

/// A user (`UserDto`), without secrets.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserDto {
    /// The user's runtime id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The user name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default)]
    pub reset_password_on_login: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub external_logins: Vec<ExternalLoginDto>,
}

/// A sign-in through an external identity provider.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExternalLoginDto {
    pub login_provider: String,
    #[serde(default)]
    pub provider_display_name: Option<String>,
    pub provider_key: String,
}

/// A role (`RoleDto`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoleDto {
    /// The role's runtime id (what group role lists take).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
}

/// A group (`GroupDto`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GroupDto {
    /// The group's runtime id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub group_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_description: Option<String>,
    /// Runtime ids of the group's roles.
    #[serde(default)]
    pub role_ids: Vec<String>,
    /// Runtime ids of the member users.
    #[serde(default)]
    pub member_user_ids: Vec<String>,
    /// Runtime ids of the member external-tenant user mappings.
    #[serde(default)]
    pub member_external_user_ids: Vec<String>,
    /// Runtime ids of the member OAuth clients.
    #[serde(default)]
    pub member_client_ids: Vec<String>,
    /// Runtime ids of the child groups: this group's members get their roles too.
    #[serde(default)]
    pub member_group_ids: Vec<String>,
}

/// `POST /users`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewUser<'a> {
    pub name: &'a str,
    pub email: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<&'a str>,
}

/// `PUT /users/{name}`: only the fields given change.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserChange<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<&'a str>,
}

/// `POST /groups` and `PUT /groups/{id}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupChange<'a> {
    pub group_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_description: Option<&'a str>,
    /// Only on create.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_ids: Option<&'a [String]>,
}

/// What kind of member a group membership route names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberKind {
    User,
    Client,
    Group,
}

impl MemberKind {
    fn segment(self) -> &'static str {
        match self {
            MemberKind::User => "users",
            MemberKind::Client => "clients",
            MemberKind::Group => "groups",
        }
    }
}

/// The two shapes `GET /groups` comes in.
#[derive(Deserialize)]
#[serde(untagged)]
enum GroupList {
    Plain(Vec<GroupDto>),
    Wrapped { groups: Vec<GroupDto> },
}

impl IdentityClient {
    // ---- users

    pub async fn users(
        &self,
        tenant: &str,
        token: Option<&str>,
    ) -> Result<Vec<UserDto>, ClientError> {
        self.call(Method::GET, tenant, "users", &[], None::<&()>, token)
            .await
    }

    /// A user by name, e-mail or runtime id.
    pub async fn user(
        &self,
        tenant: &str,
        name_email_or_id: &str,
        token: Option<&str>,
    ) -> Result<UserDto, ClientError> {
        let rest = format!("users/{}", segment(name_email_or_id));
        self.call::<Option<UserDto>>(Method::GET, tenant, &rest, &[], None::<&()>, token)
            .await?
            .ok_or_else(|| no_user(name_email_or_id))
    }

    /// Effective (direct and group-inherited) roles of a user.
    pub async fn user_roles(
        &self,
        tenant: &str,
        name_email_or_id: &str,
        token: Option<&str>,
    ) -> Result<Vec<RoleDto>, ClientError> {
        let rest = format!("users/{}/roles", segment(name_email_or_id));
        self.call(Method::GET, tenant, &rest, &[], None::<&()>, token)
            .await
    }

    pub async fn create_user(
        &self,
        tenant: &str,
        user: &NewUser<'_>,
        token: Option<&str>,
    ) -> Result<(), ClientError> {
        self.send(Method::POST, tenant, "users", &[], Some(user), token)
            .await
    }

    pub async fn update_user(
        &self,
        tenant: &str,
        user_name: &str,
        change: &UserChange<'_>,
        token: Option<&str>,
    ) -> Result<(), ClientError> {
        let rest = format!("users/{}", segment(user_name));
        self.send(Method::PUT, tenant, &rest, &[], Some(change), token)
            .await
    }

    pub async fn delete_user(
        &self,
        tenant: &str,
        user_name: &str,
        token: Option<&str>,
    ) -> Result<(), ClientError> {
        let rest = format!("users/{}", segment(user_name));
        self.send(Method::DELETE, tenant, &rest, &[], None::<&()>, token)
            .await
    }

    /// `POST /users/ResetPassword?userName&password` (upstream puts the password in the query).
    pub async fn reset_password(
        &self,
        tenant: &str,
        user_name: &str,
        password: &str,
        token: Option<&str>,
    ) -> Result<(), ClientError> {
        self.send(
            Method::POST,
            tenant,
            "users/ResetPassword",
            &[("userName", user_name), ("password", password)],
            None::<&()>,
            token,
        )
        .await
    }

    /// Adds (`add`) or removes a direct role, by name.
    pub async fn user_role(
        &self,
        tenant: &str,
        user_name: &str,
        role_name: &str,
        add: bool,
        token: Option<&str>,
    ) -> Result<(), ClientError> {
        let rest = format!("users/{}/roles/{}", segment(user_name), segment(role_name));
        let method = if add { Method::PUT } else { Method::DELETE };
        self.send(method, tenant, &rest, &[], None::<&()>, token)
            .await
    }

    // ---- roles

    pub async fn roles(
        &self,
        tenant: &str,
        token: Option<&str>,
    ) -> Result<Vec<RoleDto>, ClientError> {
        self.call(Method::GET, tenant, "roles", &[], None::<&()>, token)
            .await
    }

    pub async fn create_role(
        &self,
        tenant: &str,
        name: &str,
        token: Option<&str>,
    ) -> Result<(), ClientError> {
        let role = RoleDto {
            id: None,
            name: name.to_owned(),
        };
        self.send(Method::POST, tenant, "roles", &[], Some(&role), token)
            .await
    }

    pub async fn rename_role(
        &self,
        tenant: &str,
        name: &str,
        new_name: &str,
        token: Option<&str>,
    ) -> Result<(), ClientError> {
        let role = RoleDto {
            id: None,
            name: new_name.to_owned(),
        };
        let rest = format!("roles/{}", segment(name));
        self.send(Method::PUT, tenant, &rest, &[], Some(&role), token)
            .await
    }

    pub async fn delete_role(
        &self,
        tenant: &str,
        name: &str,
        token: Option<&str>,
    ) -> Result<(), ClientError> {
        let rest = format!("roles/{}", segment(name));
        self.send(Method::DELETE, tenant, &rest, &[], None::<&()>, token)
            .await
    }

    // ---- groups

    pub async fn groups(
        &self,
        tenant: &str,
        token: Option<&str>,
    ) -> Result<Vec<GroupDto>, ClientError> {
        let list: GroupList = self
            .call(Method::GET, tenant, "groups", &[], None::<&()>, token)
            .await?;
        Ok(match list {
            GroupList::Plain(groups) | GroupList::Wrapped { groups } => groups,
        })
    }

    pub async fn group(
        &self,
        tenant: &str,
        group_id: &str,
        token: Option<&str>,
    ) -> Result<GroupDto, ClientError> {
        let rest = format!("groups/{}", segment(group_id));
        self.call::<Option<GroupDto>>(Method::GET, tenant, &rest, &[], None::<&()>, token)
            .await?
            .ok_or_else(|| no_group(group_id))
    }

    pub async fn create_group(
        &self,
        tenant: &str,
        group: &GroupChange<'_>,
        token: Option<&str>,
    ) -> Result<GroupDto, ClientError> {
        self.call(Method::POST, tenant, "groups", &[], Some(group), token)
            .await
    }

    /// Renames or re-describes a group; the group as it is now (when the service says).
    pub async fn update_group(
        &self,
        tenant: &str,
        group_id: &str,
        group: &GroupChange<'_>,
        token: Option<&str>,
    ) -> Result<Option<GroupDto>, ClientError> {
        let rest = format!("groups/{}", segment(group_id));
        self.call(Method::PUT, tenant, &rest, &[], Some(group), token)
            .await
    }

    pub async fn delete_group(
        &self,
        tenant: &str,
        group_id: &str,
        token: Option<&str>,
    ) -> Result<(), ClientError> {
        let rest = format!("groups/{}", segment(group_id));
        self.send(Method::DELETE, tenant, &rest, &[], None::<&()>, token)
            .await
    }

    /// Replaces the group's roles (runtime ids).
    pub async fn set_group_roles(
        &self,
        tenant: &str,
        group_id: &str,
        role_ids: &[String],
        token: Option<&str>,
    ) -> Result<(), ClientError> {
        let rest = format!("groups/{}/roles", segment(group_id));
        self.send(Method::PUT, tenant, &rest, &[], Some(role_ids), token)
            .await
    }

    /// Adds (`add`) or removes a member of `kind`.
    pub async fn group_member(
        &self,
        tenant: &str,
        group_id: &str,
        kind: MemberKind,
        member_id: &str,
        add: bool,
        token: Option<&str>,
    ) -> Result<(), ClientError> {
        let rest = format!(
            "groups/{}/members/{}/{}",
            segment(group_id),
            kind.segment(),
            segment(member_id)
        );
        let method = if add { Method::PUT } else { Method::DELETE };
        self.send(method, tenant, &rest, &[], None::<&()>, token)
            .await
    }
}

fn no_user(who: &str) -> ClientError {
    ClientError::NotFound(format!(
        "No user '{who}' in this tenant: call get_users to see its users."
    ))
}

fn no_group(id: &str) -> ClientError {
    ClientError::NotFound(format!(
        "No group '{id}' in this tenant: call get_groups to see its groups and their ids."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_come_as_an_array_or_wrapped() {
        let group = r#"{"id":"660000000000000000000001","groupName":"Ops","roleIds":["a"]}"#;
        for body in [format!("[{group}]"), format!(r#"{{"groups":[{group}]}}"#)] {
            let (GroupList::Plain(groups) | GroupList::Wrapped { groups }) =
                serde_json::from_str(&body).unwrap();
            assert_eq!(groups.len(), 1);
            assert_eq!(groups[0].group_name, "Ops");
            assert_eq!(groups[0].role_ids, ["a"]);
            assert!(groups[0].member_user_ids.is_empty());
        }
    }
}
