//! Following associations: `navigate_associations` (one hop) and `get_association_tree`
//! (recursive, bounded).

use std::collections::HashSet;

use octomesh_octo_client::types::{AssociationDirection, EntityQuery, RtEntity};
use octomesh_worker_runtime::{CallScope, Envelope, Risk, Tool, ToolError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::CkCtx;
use crate::dto::{DirectionDto, SimpleFilterDto, limit};
use crate::entities::{EntityList, equality};

/// The type every entity derives from.
const ANY_TYPE: &str = "System/Entity";

/// Follow one association role from an entity to the related entities, e.g. a machine's sensors:
/// `ckRoleId: "System/ParentChild", direction: "Inbound"`; its site: `direction: "Outbound"`.
/// `get_type_schema` lists a type's roles and directions.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct NavigateAssociations {
    /// The source entity's CK type, `Model/Type`.
    ck_type_id: String,
    /// The source entity's 24-hex id.
    rt_id: String,
    /// The association role, e.g. `System/ParentChild`.
    ck_role_id: String,
    /// `Outbound` (from the source, e.g. to its parent) or `Inbound` (towards it, e.g. its children).
    direction: DirectionDto,
    /// Only related entities of this type (a base type includes derived ones).
    target_type_id: String,
    /// Equality conditions on the related entities.
    filters: Option<Vec<SimpleFilterDto>>,
    /// Only these attributes of the related entities.
    attribute_paths: Option<Vec<String>>,
    /// Page size, 1 to 1000 (default 100).
    limit: Option<u32>,
    /// Related entities to skip.
    offset: Option<u32>,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for NavigateAssociations {
    const NAME: &'static str = "navigate_associations";
    const TITLE: &'static str = "Navigate associations";
    const RISK: Risk = Risk::Low;
    type Ctx = CkCtx;
    type Output = Envelope<EntityList>;

    async fn call(self, ctx: &CkCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let (tenant, session) = ctx.session(scope, self.tenant_id.as_deref())?;
        let mut target = EntityQuery::of_type(self.target_type_id);
        target.filter = equality(self.filters);
        target.attribute_paths = self.attribute_paths;
        target.first = limit(self.limit)?;
        target.skip = self.offset.unwrap_or(0);
        let page = session
            .association_targets(
                &self.ck_type_id,
                &self.rt_id,
                &self.ck_role_id,
                self.direction.into(),
                &target,
            )
            .await?;
        let list = EntityList::new(target.ck_type, target.skip, target.first, page);
        let message = format!(
            "{} related `{}` entities via {}",
            list.total_count, list.ck_type_id, self.ck_role_id
        );
        Ok(Envelope::success(Some(tenant), list).with_message(message))
    }
}

/// Most entities one tree holds; deeper levels are cut when it is reached.
const MAX_TREE_NODES: usize = 5000;
/// Most roots a tree starts from.
const MAX_ROOTS: u32 = 200;

/// A node of an association tree.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TreeNode {
    pub rt_id: String,
    pub ck_type_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rt_well_known_name: Option<String>,
    pub attributes: Map<String, Value>,
    /// The entities one hop further along the role.
    pub children: Vec<TreeNode>,
}

impl From<RtEntity> for TreeNode {
    fn from(entity: RtEntity) -> TreeNode {
        TreeNode {
            rt_id: entity.rt_id,
            ck_type_id: entity.ck_type_id,
            rt_well_known_name: entity.rt_well_known_name,
            attributes: entity.attributes,
            children: Vec::new(),
        }
    }
}

/// An association tree.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Tree {
    pub root_ck_type_id: String,
    pub ck_role_id: String,
    pub max_depth: u32,
    /// Entities in the tree.
    pub node_count: usize,
    /// The tree was cut at the node limit; narrow `rootFilters` or lower `maxDepth`.
    pub truncated: bool,
    pub roots: Vec<TreeNode>,
}

/// Traverse one association role recursively from every (filtered) entity of a root type, up to
/// `maxDepth` hops, e.g. sites → machines → sensors along `System/ParentChild` `Inbound`.
/// At most 200 roots and 5,000 entities; an entity met twice is not expanded again.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct GetAssociationTree {
    /// The CK type of the roots, `Model/Type`.
    root_ck_type_id: String,
    /// The association role, e.g. `System/ParentChild`.
    ck_role_id: String,
    /// `Inbound` (e.g. parent → children) or `Outbound` (e.g. child → parent).
    direction: DirectionDto,
    /// Hops to follow, 1 to 10 (default 2).
    max_depth: Option<u32>,
    /// Only these attributes of every node.
    attribute_paths: Option<Vec<String>>,
    /// Equality conditions on the roots.
    root_filters: Option<Vec<SimpleFilterDto>>,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for GetAssociationTree {
    const NAME: &'static str = "get_association_tree";
    const TITLE: &'static str = "Association tree";
    const RISK: Risk = Risk::Low;
    type Ctx = CkCtx;
    type Output = Envelope<Tree>;

    async fn call(self, ctx: &CkCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let max_depth = self.max_depth.unwrap_or(2);
        if !(1..=10).contains(&max_depth) {
            return Err(ToolError::InvalidArguments(format!(
                "`maxDepth` must be 1 to 10, not {max_depth}"
            )));
        }
        let (tenant, session) = ctx.session(scope, self.tenant_id.as_deref())?;
        let direction: AssociationDirection = self.direction.into();
        let mut roots_query = EntityQuery::of_type(&self.root_ck_type_id);
        roots_query.filter = equality(self.root_filters);
        roots_query.attribute_paths = self.attribute_paths.clone();
        roots_query.first = MAX_ROOTS;
        let roots = session.query_entities(&roots_query).await?;
        let mut truncated = roots.total_count > u64::from(MAX_ROOTS);
        let mut seen: HashSet<String> = HashSet::new();
        let mut level: Vec<TreeNode> = Vec::new();
        for entity in roots.entities {
            seen.insert(entity.rt_id.clone());
            level.push(entity.into());
        }
        // Expand breadth first; each level's nodes are filled in before descending.
        let mut frontier: Vec<Vec<usize>> = (0..level.len()).map(|idx| vec![idx]).collect();
        for depth in 0..max_depth {
            let mut next = Vec::new();
            for path in frontier {
                if seen.len() >= MAX_TREE_NODES {
                    truncated = true;
                    break;
                }
                let node = node_at(&mut level, &path);
                let mut target = EntityQuery::of_type(ANY_TYPE);
                target.attribute_paths = self.attribute_paths.clone();
                target.first = 1000;
                let page = session
                    .association_targets(
                        &node.ck_type_id,
                        &node.rt_id,
                        &self.ck_role_id,
                        direction,
                        &target,
                    )
                    .await?;
                if page.total_count > page.entities.len() as u64 {
                    truncated = true;
                }
                for entity in page.entities {
                    if seen.len() >= MAX_TREE_NODES {
                        truncated = true;
                        break;
                    }
                    if !seen.insert(entity.rt_id.clone()) {
                        continue;
                    }
                    node.children.push(entity.into());
                    if depth + 1 < max_depth {
                        let mut child_path = path.clone();
                        child_path.push(node.children.len() - 1);
                        next.push(child_path);
                    }
                }
            }
            frontier = next;
            if frontier.is_empty() {
                break;
            }
        }
        let tree = Tree {
            root_ck_type_id: self.root_ck_type_id,
            ck_role_id: self.ck_role_id,
            max_depth,
            node_count: seen.len(),
            truncated,
            roots: level,
        };
        let message = format!(
            "{} entities under {} roots",
            tree.node_count,
            tree.roots.len()
        );
        Ok(Envelope::success(Some(tenant), tree).with_message(message))
    }
}

fn node_at<'a>(roots: &'a mut [TreeNode], path: &[usize]) -> &'a mut TreeNode {
    let mut node = &mut roots[path[0]];
    for idx in &path[1..] {
        node = &mut node.children[*idx];
    }
    node
}
