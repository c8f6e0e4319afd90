//! DNS-rebinding protection: which `Origin` and `Host` values may reach the MCP endpoints.
//!
//! Browsers always send `Origin` on cross-site requests; a page on a foreign site must never reach
//! a server on loopback. Non-browser clients send no `Origin` and pass. `Host` is checked too, so a
//! rebinding name pointing at 127.0.0.1 is refused even when the attacker controls `Origin`.

use http::HeaderMap;

use crate::config::GatewayConfig;

pub(crate) struct OriginPolicy {
    /// Exact origins allowed besides loopback ones, e.g. `https://claude.ai`.
    origins: Vec<String>,
    /// Host names (without port) allowed besides loopback ones. Empty + non-loopback bind = any.
    hosts: Vec<String>,
    check_host: bool,
}

/// Why a request was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum OriginRefusal {
    Origin(String),
    Host(String),
}

impl OriginPolicy {
    pub(crate) fn new(config: &GatewayConfig) -> OriginPolicy {
        let mut origins: Vec<String> = config
            .allowed_origins
            .iter()
            .map(|origin| origin.trim_end_matches('/').to_ascii_lowercase())
            .collect();
        let mut hosts: Vec<String> = config
            .allowed_hosts
            .iter()
            .map(|host| strip_port(&host.to_ascii_lowercase()).to_owned())
            .collect();
        if let Some(public_url) = &config.public_url
            && let Some((scheme, rest)) = public_url.split_once("://")
        {
            let authority = rest
                .split('/')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            origins.push(format!("{}://{authority}", scheme.to_ascii_lowercase()));
            hosts.push(strip_port(&authority).to_owned());
        }
        // On loopback only loopback names are expected; elsewhere we only know the configured ones.
        let check_host = config.listen.ip().is_loopback() || !hosts.is_empty();
        OriginPolicy {
            origins,
            hosts,
            check_host,
        }
    }

    pub(crate) fn check(&self, headers: &HeaderMap) -> Result<(), OriginRefusal> {
        if let Some(origin) = headers.get(http::header::ORIGIN) {
            let origin = origin.to_str().unwrap_or_default().to_ascii_lowercase();
            if origin != "null" && !self.origin_allowed(&origin) {
                return Err(OriginRefusal::Origin(origin));
            }
            if origin == "null" {
                return Err(OriginRefusal::Origin(origin));
            }
        }
        if self.check_host
            && let Some(host) = headers.get(http::header::HOST)
        {
            let host = host.to_str().unwrap_or_default().to_ascii_lowercase();
            let name = strip_port(&host);
            if !is_loopback_name(name) && !self.hosts.iter().any(|allowed| allowed == name) {
                return Err(OriginRefusal::Host(host));
            }
        }
        Ok(())
    }

    fn origin_allowed(&self, origin: &str) -> bool {
        if self.origins.iter().any(|allowed| allowed == origin) {
            return true;
        }
        match origin.split_once("://") {
            Some(("http" | "https", authority)) => is_loopback_name(strip_port(authority)),
            _ => false,
        }
    }
}

fn strip_port(authority: &str) -> &str {
    if let Some(rest) = authority.strip_prefix('[') {
        return rest
            .split(']')
            .next()
            .map_or(authority, |inner| &authority[..inner.len() + 2]);
    }
    authority.split(':').next().unwrap_or(authority)
}

fn is_loopback_name(name: &str) -> bool {
    matches!(name, "localhost" | "[::1]" | "::1") || name.starts_with("127.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        map
    }

    fn policy(listen: &str, public_url: Option<&str>) -> OriginPolicy {
        let mut config = GatewayConfig::new(listen.parse::<SocketAddr>().unwrap());
        config.public_url = public_url.map(str::to_owned);
        OriginPolicy::new(&config)
    }

    #[test]
    fn loopback_accepts_local_names_and_refuses_rebinding() {
        let policy = policy("127.0.0.1:8080", None);
        assert!(
            policy
                .check(&headers(&[("host", "127.0.0.1:8080")]))
                .is_ok()
        );
        assert!(
            policy
                .check(&headers(&[
                    ("host", "localhost:8080"),
                    ("origin", "http://localhost:3000")
                ]))
                .is_ok()
        );
        assert!(policy.check(&headers(&[("host", "[::1]:8080")])).is_ok());
        assert!(
            policy
                .check(&headers(&[("host", "evil.example.com")]))
                .is_err()
        );
        assert!(
            policy
                .check(&headers(&[
                    ("host", "127.0.0.1:8080"),
                    ("origin", "http://evil.example.com")
                ]))
                .is_err()
        );
        assert!(
            policy
                .check(&headers(&[("host", "127.0.0.1:8080"), ("origin", "null")]))
                .is_err()
        );
    }

    #[test]
    fn a_public_deployment_accepts_its_own_origin_and_host() {
        let policy = policy("0.0.0.0:8080", Some("https://mcp.example.com/mcp"));
        assert!(
            policy
                .check(&headers(&[
                    ("host", "mcp.example.com"),
                    ("origin", "https://mcp.example.com")
                ]))
                .is_ok()
        );
        assert!(
            policy
                .check(&headers(&[
                    ("host", "mcp.example.com"),
                    ("origin", "https://other.example.com")
                ]))
                .is_err()
        );
        assert!(
            policy
                .check(&headers(&[("host", "rebound.example.net")]))
                .is_err()
        );
    }
}
