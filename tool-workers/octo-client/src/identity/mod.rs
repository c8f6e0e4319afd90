//! [`IdentityClient`]: the identity service's per-tenant administration routes
//! (`{identity}/{tenantId}/v1/…`), typed: accounts (users, roles, groups) and the cross-tenant
//! objects (e-mail-domain group rules, external tenant user mappings, admin provisioning).

mod accounts;
mod cross_tenant;

pub use accounts::*;
pub use cross_tenant::*;

use reqwest::Method;
use serde::Serialize;

use crate::error::ClientError;
use crate::service::ServiceClient;

/// The identity service's administration API.
pub struct IdentityClient {
    service: ServiceClient,
}

/// `value` as one URL path segment.
pub(crate) fn segment(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn tenant_path(tenant: &str, rest: &str) -> Result<String, ClientError> {
    let valid = !tenant.is_empty()
        && tenant.len() <= 64
        && tenant
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !valid {
        return Err(ClientError::Invalid(format!(
            "`tenantId` '{tenant}' is not a tenant id (letters, digits, `_` and `-`)"
        )));
    }
    Ok(format!("{}/v1/{rest}", tenant.to_lowercase()))
}

impl IdentityClient {
    /// `base` is the identity service's root URL.
    pub fn new(base: &str) -> Result<IdentityClient, ClientError> {
        Ok(IdentityClient {
            service: ServiceClient::new("the identity service", base)?,
        })
    }

    pub(crate) async fn call<T: serde::de::DeserializeOwned>(
        &self,
        method: Method,
        tenant: &str,
        rest: &str,
        query: &[(&str, &str)],
        body: Option<&(impl Serialize + ?Sized)>,
        token: Option<&str>,
    ) -> Result<T, ClientError> {
        let path = tenant_path(tenant, rest)?;
        self.service.call(method, &path, query, body, token).await
    }

    pub(crate) async fn send(
        &self,
        method: Method,
        tenant: &str,
        rest: &str,
        query: &[(&str, &str)],
        body: Option<&(impl Serialize + ?Sized)>,
        token: Option<&str>,
    ) -> Result<(), ClientError> {
        let path = tenant_path(tenant, rest)?;
        self.service.send(method, &path, query, body, token).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_one_path_segment_and_tenants_are_checked() {
        assert_eq!(segment("a b/c@d"), "a%20b%2Fc%40d");
        assert_eq!(
            tenant_path("Meshtest", "users").unwrap(),
            "meshtest/v1/users"
        );
        assert!(tenant_path("../x", "users").is_err());
    }
}
