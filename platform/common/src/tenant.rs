//! Tenant ids, the same rule in every service.

/// The system tenant every installation has.
pub const SYSTEM_TENANT: &str = "octosystem";

/// The route segment of system-scoped operations (`{service}/system/v1/…`).
pub const SYSTEM_ROUTE: &str = "system";

/// Tenant ids: 1–64 characters of lower-case letters, digits, `_` and `-`, starting with a letter.
pub fn is_valid_tenant_id(tenant_id: &str) -> bool {
    !tenant_id.is_empty()
        && tenant_id.len() <= 64
        && tenant_id.starts_with(|first: char| first.is_ascii_lowercase())
        && tenant_id.bytes().all(|byte| {
            byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_' || byte == b'-'
        })
}

/// What to say about an id [`is_valid_tenant_id`] refuses.
pub fn invalid_tenant_id(tenant_id: &str) -> String {
    format!(
        "`{tenant_id}` is not a tenant id: use 1-64 lower-case letters, digits, '_' or '-', starting with a letter"
    )
}

#[cfg(test)]
mod tests {
    use super::is_valid_tenant_id;

    #[test]
    fn tenant_ids_follow_one_rule() {
        assert!(is_valid_tenant_id("demo"));
        assert!(is_valid_tenant_id("plant-2_a"));
        assert!(!is_valid_tenant_id(""));
        assert!(!is_valid_tenant_id("Demo"));
        assert!(!is_valid_tenant_id("2plant"));
        assert!(!is_valid_tenant_id(&"a".repeat(65)));
    }
}
