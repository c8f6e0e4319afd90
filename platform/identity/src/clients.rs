//! OAuth clients: the well-known OctoMesh clients, a confidential service client whose secret is
//! drawn per data directory, and clients that register themselves (RFC 7591, as MCP clients do).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use super::flows::OAuthError;
use super::keys::digest;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantType {
    DeviceCode,
    RefreshToken,
    ClientCredentials,
    TokenExchange,
    AuthorizationCode,
}

impl GrantType {
    fn name(self) -> &'static str {
        match self {
            GrantType::DeviceCode => super::flows::DEVICE_CODE_GRANT,
            GrantType::RefreshToken => "refresh_token",
            GrantType::ClientCredentials => "client_credentials",
            GrantType::TokenExchange => super::flows::TOKEN_EXCHANGE_GRANT,
            GrantType::AuthorizationCode => "authorization_code",
        }
    }
}

/// The MCP server's device-flow client (also exchanges tokens across tenants).
pub const MCP_DEVICE_CLIENT: &str = "octo-mcpServices-device";
/// octo-cli's client.
pub const CLI_CLIENT: &str = "octo-cli";
/// A browser client (authorization code + PKCE), e.g. Swagger UI.
pub const SWAGGER_CLIENT: &str = "octo-mcpServices-swagger";
/// The platform's own service client (client credentials; secret in the data directory).
pub const SERVICE_CLIENT: &str = "octo-platform-service";
/// Every confidential service client: the platform's and the OctoMesh services' well-known ids.
/// Each has a secret drawn per data directory (`identity/clients/{id}.secret`).
pub const SERVICE_CLIENTS: [&str; 5] = [
    SERVICE_CLIENT,
    "octo-assetRepositoryServices",
    "octo-botServices",
    "octo-communicationControllerServices",
    "octo-reportingServices",
];

#[derive(Debug, Clone)]
pub struct Client {
    pub id: String,
    /// SHA-256 of the secret; `None` for a public client.
    pub secret_hash: Option<String>,
    pub grants: Vec<GrantType>,
    /// Exact redirect URIs; loopback ones match on any port (RFC 8252 §7.3).
    pub redirect_uris: Vec<String>,
}

impl Client {
    pub(crate) fn allows(&self, grant: GrantType) -> Result<(), OAuthError> {
        if self.grants.contains(&grant) {
            Ok(())
        } else {
            Err(OAuthError::new(
                "unauthorized_client",
                format!("client `{}` may not use {}", self.id, grant.name()),
            ))
        }
    }

    pub(crate) fn redirect_allowed(&self, uri: &str) -> bool {
        self.redirect_uris.iter().any(|allowed| {
            allowed == uri || (is_loopback(allowed) && without_port(allowed) == without_port(uri))
        })
    }
}

fn is_loopback(uri: &str) -> bool {
    uri.starts_with("http://127.0.0.1")
        || uri.starts_with("http://localhost")
        || uri.starts_with("http://[::1]")
}

/// `http://127.0.0.1:PORT/path` → `http://127.0.0.1/path`.
fn without_port(uri: &str) -> String {
    let Some(rest) = uri.strip_prefix("http://") else {
        return uri.to_owned();
    };
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = authority
        .rsplit_once(':')
        .map_or(authority, |(host, _)| host);
    format!("http://{host}/{path}")
}

pub(crate) struct Clients {
    clients: RwLock<HashMap<String, Arc<Client>>>,
}

/// Most clients that may register themselves.
const MAX_REGISTERED: usize = 1000;

impl Clients {
    pub(crate) fn new(service_secrets: &[(String, String)]) -> Clients {
        let public = |id: &str, grants: Vec<GrantType>, redirect_uris: Vec<String>| Client {
            id: id.to_owned(),
            secret_hash: None,
            grants,
            redirect_uris,
        };
        let builtin = [
            public(
                MCP_DEVICE_CLIENT,
                vec![
                    GrantType::DeviceCode,
                    GrantType::RefreshToken,
                    GrantType::TokenExchange,
                ],
                Vec::new(),
            ),
            public(
                CLI_CLIENT,
                vec![GrantType::DeviceCode, GrantType::RefreshToken],
                Vec::new(),
            ),
            public(
                SWAGGER_CLIENT,
                vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
                vec!["http://127.0.0.1/".into(), "http://localhost/".into()],
            ),
        ];
        let services = service_secrets.iter().map(|(id, secret)| Client {
            id: id.clone(),
            secret_hash: Some(digest(secret)),
            grants: vec![GrantType::ClientCredentials],
            redirect_uris: Vec::new(),
        });
        Clients {
            clients: RwLock::new(
                builtin
                    .into_iter()
                    .chain(services)
                    .map(|client| (client.id.clone(), Arc::new(client)))
                    .collect(),
            ),
        }
    }

    /// The client, authenticated when it is confidential.
    pub(crate) fn authenticate(
        &self,
        client_id: Option<&str>,
        secret: Option<&str>,
    ) -> Result<Arc<Client>, OAuthError> {
        let client_id = client_id
            .ok_or_else(|| OAuthError::new("invalid_client", "`client_id` is required"))?;
        let client = self
            .clients
            .read()
            .expect("never poisoned")
            .get(client_id)
            .cloned()
            .ok_or_else(|| {
                OAuthError::new("invalid_client", format!("unknown client `{client_id}`"))
            })?;
        if let Some(expected) = &client.secret_hash
            && secret.map(digest).as_ref() != Some(expected)
        {
            return Err(OAuthError::new(
                "invalid_client",
                "the client secret is wrong",
            ));
        }
        Ok(client)
    }

    /// RFC 7591: a public client for the authorization code flow with PKCE.
    pub(crate) fn register(&self, redirect_uris: Vec<String>) -> Result<Arc<Client>, OAuthError> {
        if redirect_uris.is_empty() || redirect_uris.len() > 10 {
            return Err(OAuthError::new(
                "invalid_redirect_uri",
                "give 1 to 10 `redirect_uris`",
            ));
        }
        for uri in &redirect_uris {
            let acceptable = uri.len() <= 2048
                && (uri.starts_with("https://")
                    || is_loopback(uri)
                    || (uri.contains(':') && !uri.starts_with("http://")));
            if !acceptable {
                return Err(OAuthError::new(
                    "invalid_redirect_uri",
                    format!("`{uri}` must be https, loopback http, or a private-use scheme"),
                ));
            }
        }
        let client = Arc::new(Client {
            id: format!("mcp-{}", super::keys::random_token(12)),
            secret_hash: None,
            grants: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            redirect_uris,
        });
        let mut clients = self.clients.write().expect("never poisoned");
        let registered = clients.keys().filter(|id| id.starts_with("mcp-")).count();
        if registered >= MAX_REGISTERED {
            return Err(OAuthError::new(
                "invalid_client_metadata",
                "too many registered clients",
            ));
        }
        clients.insert(client.id.clone(), Arc::clone(&client));
        Ok(client)
    }
}
