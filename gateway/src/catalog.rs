//! The aggregated catalog: every worker's tools, resources and prompts, and who serves each.
//!
//! Derived state: rebuilt from `ListTools` answers whenever the workers are probed, never stored.
//! Tools are kept sorted by name so `tools/list` is deterministic and pages are stable.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use octomesh_proto::v1;
use serde_json::value::RawValue;

use crate::mcp::{builtin, tool_json};
use crate::workers::{FamilyPool, WorkerEndpoint};

/// A tool and the pool that serves it.
pub(crate) struct CatalogTool {
    pub(crate) spec: v1::ToolSpec,
    pub(crate) pool: Arc<FamilyPool>,
}

pub(crate) struct Catalog {
    /// Sorted by name.
    pub(crate) tools: Vec<CatalogTool>,
    /// Pre-rendered MCP `Tool` objects, same order as `tools`.
    pub(crate) tools_json: Vec<Box<RawValue>>,
    by_name: HashMap<String, usize>,
    pub(crate) resources: Vec<(v1::ResourceSpec, Arc<FamilyPool>)>,
    pub(crate) resource_templates: Vec<(v1::ResourceTemplateSpec, Arc<FamilyPool>)>,
    pub(crate) prompts: Vec<(v1::PromptSpec, Arc<FamilyPool>)>,
    pub(crate) pools: Vec<Arc<FamilyPool>>,
}

impl Catalog {
    pub(crate) fn empty() -> Catalog {
        Catalog::build(Vec::new())
    }

    /// Builds the catalog from each endpoint's last `ListTools` answer. When two families offer the
    /// same tool name, the family that sorts first wins and the clash is logged.
    pub(crate) fn build(listings: Vec<(Arc<WorkerEndpoint>, v1::ListToolsResponse)>) -> Catalog {
        let builtin = builtin::listing();
        let mut by_family: BTreeMap<String, (Vec<Arc<WorkerEndpoint>>, v1::ListToolsResponse)> =
            BTreeMap::new();
        for (endpoint, listing) in listings {
            let entry = by_family
                .entry(listing.family.clone())
                .or_insert_with(|| (Vec::new(), listing));
            entry.0.push(endpoint);
        }
        by_family.insert(builtin.family.clone(), (Vec::new(), builtin));
        let mut tools: BTreeMap<String, CatalogTool> = BTreeMap::new();
        let mut resources = Vec::new();
        let mut resource_templates = Vec::new();
        let mut prompts = Vec::new();
        let mut pools = Vec::new();
        for (family, (endpoints, listing)) in by_family {
            let pool = Arc::new(FamilyPool::new(family.clone(), endpoints));
            pools.push(Arc::clone(&pool));
            for spec in listing.tools {
                if let Some(existing) = tools.get(&spec.name) {
                    tracing::warn!(
                        tool = %spec.name,
                        kept = %existing.pool.family,
                        ignored = %family,
                        "Two families serve the same tool name."
                    );
                    continue;
                }
                tools.insert(
                    spec.name.clone(),
                    CatalogTool {
                        spec,
                        pool: Arc::clone(&pool),
                    },
                );
            }
            resources.extend(
                listing
                    .resources
                    .into_iter()
                    .map(|spec| (spec, Arc::clone(&pool))),
            );
            resource_templates.extend(
                listing
                    .resource_templates
                    .into_iter()
                    .map(|spec| (spec, Arc::clone(&pool))),
            );
            prompts.extend(
                listing
                    .prompts
                    .into_iter()
                    .map(|spec| (spec, Arc::clone(&pool))),
            );
        }
        let tools: Vec<CatalogTool> = tools.into_values().collect();
        let tools_json = tools
            .iter()
            .map(|tool| tool_json::render(&tool.spec, &tool.pool.family))
            .collect();
        let by_name = tools
            .iter()
            .enumerate()
            .map(|(tool_idx, tool)| (tool.spec.name.clone(), tool_idx))
            .collect();
        Catalog {
            tools,
            tools_json,
            by_name,
            resources,
            resource_templates,
            prompts,
            pools,
        }
    }

    pub(crate) fn tool(&self, name: &str) -> Option<&CatalogTool> {
        self.by_name
            .get(name)
            .map(|&tool_idx| &self.tools[tool_idx])
    }

    /// The pool that serves resource `uri`: an exact resource first, then the first matching template.
    pub(crate) fn resource_pool(&self, uri: &str) -> Option<Arc<FamilyPool>> {
        self.resources
            .iter()
            .find(|(spec, _)| spec.uri == uri)
            .map(|(_, pool)| Arc::clone(pool))
            .or_else(|| {
                self.resource_templates
                    .iter()
                    .find(|(spec, _)| template_matches(&spec.uri_template, uri))
                    .map(|(_, pool)| Arc::clone(pool))
            })
    }

    pub(crate) fn prompt_pool(&self, name: &str) -> Option<Arc<FamilyPool>> {
        self.prompts
            .iter()
            .find(|(spec, _)| spec.name == name)
            .map(|(_, pool)| Arc::clone(pool))
    }
}

/// Whether `uri` matches an RFC 6570 level-1 template such as `test://template/{id}/data`.
pub(crate) fn template_matches(template: &str, uri: &str) -> bool {
    let mut rest = uri;
    let mut parts = template.split('{');
    let Some(prefix) = parts.next() else {
        return false;
    };
    let Some(after_prefix) = rest.strip_prefix(prefix) else {
        return false;
    };
    rest = after_prefix;
    for part in parts {
        let Some((_variable, literal)) = part.split_once('}') else {
            return false;
        };
        if literal.is_empty() {
            return !rest.is_empty() && !rest.contains('/');
        }
        let Some(position) = rest.find(literal) else {
            return false;
        };
        if position == 0 || rest[..position].contains('/') {
            return false;
        }
        rest = &rest[position + literal.len()..];
    }
    rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_one_segment_per_variable() {
        assert!(template_matches(
            "test://template/{id}/data",
            "test://template/42/data"
        ));
        assert!(!template_matches(
            "test://template/{id}/data",
            "test://template//data"
        ));
        assert!(!template_matches(
            "test://template/{id}/data",
            "test://template/4/2/data"
        ));
        assert!(!template_matches(
            "test://template/{id}/data",
            "test://template/42/other"
        ));
        assert!(template_matches(
            "knowledge://{tenant}/{rtId}",
            "knowledge://t1/abc"
        ));
        assert!(!template_matches(
            "knowledge://{tenant}/{rtId}",
            "knowledge://t1/"
        ));
    }
}
