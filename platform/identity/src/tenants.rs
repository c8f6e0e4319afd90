//! Which tenants exist, for expanding a user's `*` (every tenant): the asset repository owns the
//! tenants, so the identity service asks it through its REST contract
//! (`GET {asset}/octosystem/v1/tenants`) with a short-lived service token it signs for itself,
//! as one OctoMesh service calls another. It never reads the asset repository's files.
//!
//! The list is fetched again before each token request (tenants may have just been created), and
//! the last good answer is kept when the asset repository cannot be reached.

use std::sync::RwLock;
use std::time::Duration;

use octomesh_platform_common::tenant::SYSTEM_TENANT;
use serde::Deserialize;

/// Longest the asset repository may take to list tenants.
const LIST_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest tenant list accepted.
const MAX_LIST_BYTES: usize = 4 * 1024 * 1024;
/// The client id of the identity service's own calls.
pub const IDENTITY_SERVICE_CLIENT: &str = "octo-identityServices";

/// Where the tenant list comes from.
pub struct TenantDirectory {
    source: Source,
    known: RwLock<Vec<String>>,
}

enum Source {
    /// The asset repository at this base URL.
    AssetRepository {
        url: String,
        client: reqwest::Client,
    },
    /// A fixed list (tests, and an identity service run without an asset repository).
    Fixed,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TenantRow {
    tenant_id: String,
}

impl TenantDirectory {
    /// The tenants of the asset repository at `url`.
    pub fn asset_repository(url: &str) -> TenantDirectory {
        TenantDirectory {
            source: Source::AssetRepository {
                url: url.trim_end_matches('/').to_owned(),
                client: octomesh_platform_common::fetch::client(LIST_TIMEOUT),
            },
            known: RwLock::new(Vec::new()),
        }
    }

    /// Exactly these tenants.
    pub fn fixed(tenants: &[&str]) -> TenantDirectory {
        TenantDirectory {
            source: Source::Fixed,
            known: RwLock::new(tenants.iter().map(|id| (*id).to_owned()).collect()),
        }
    }

    /// The tenants as last listed.
    pub fn ids(&self) -> Vec<String> {
        self.known.read().expect("never poisoned").clone()
    }

    /// Lists the tenants again; `token` is a service token for the system tenant.
    pub(crate) async fn refresh(&self, token: impl FnOnce() -> String) {
        let Source::AssetRepository { url, client } = &self.source else {
            return;
        };
        match list(client, url, &token()).await {
            Ok(ids) => *self.known.write().expect("never poisoned") = ids,
            Err(problem) => tracing::warn!(
                asset_repository = %url,
                "Cannot list tenants ({problem}); using the last list for users of every tenant."
            ),
        }
    }
}

async fn list(client: &reqwest::Client, url: &str, token: &str) -> Result<Vec<String>, String> {
    let request = client
        .get(format!("{url}/{SYSTEM_TENANT}/v1/tenants"))
        .bearer_auth(token);
    let rows: Vec<TenantRow> =
        octomesh_platform_common::fetch::json(request, MAX_LIST_BYTES).await?;
    let mut ids: Vec<String> = rows.into_iter().map(|row| row.tenant_id).collect();
    ids.sort();
    Ok(ids)
}
