//! The claims of the identity service's access tokens (RFC 9068 JWTs): what every OctoMesh
//! service reads (`sub`, `tenant_id`, `allowed_tenants`, `role`, `scope`, names, email).

use serde::{Deserialize, Serialize};

/// The API resource every access token is for (`octoAPI` in OctoMesh).
pub const API_AUDIENCE: &str = "octoAPI";

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    /// The user; absent for a service (client credentials).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    pub aud: Vec<String>,
    pub exp: u64,
    pub iat: u64,
    pub nbf: u64,
    pub jti: String,
    pub client_id: String,
    /// Space-separated scopes.
    pub scope: String,
    pub tenant_id: String,
    /// Space-separated tenant ids.
    pub allowed_tenants: String,
    #[serde(default)]
    pub role: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
}

impl AccessClaims {
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope.split_whitespace()
    }

    pub fn may_use_tenant(&self, tenant: &str) -> bool {
        self.tenant_id == tenant
            || self
                .allowed_tenants
                .split_whitespace()
                .any(|id| id == tenant)
    }
}
