//! Reading entities as a graph: the outbound associations of a set of entities, and the deep
//! graph of origins (every entity reachable from them by outbound associations, each once), for
//! the runtime-model exports.

use std::collections::HashSet;

use rusqlite::params;

use super::error::StoreError;
use super::tenant::Tenant;
use crate::ck::model::ElementId;
use crate::rt::entity::{RtAssociation, RtId};

/// Most entities one deep graph holds.
pub const MAX_GRAPH_ENTITIES: usize = 1_000_000;

/// How many rtIds one SQL statement reads at a time.
const CHUNK: usize = 1000;

impl Tenant {
    /// The outbound associations of `rt_ids` (to entities that are not archived), per origin in
    /// the order of `rt_ids`, each origin's sorted by role and target.
    pub fn outbound_associations(
        &self,
        rt_ids: &[String],
    ) -> Result<Vec<(String, RtAssociation)>, StoreError> {
        let db = self.db();
        let mut statement = db.prepare_cached(
            "SELECT a.origin, a.role, a.target, a.target_type FROM associations a
             JOIN entities e ON e.rt_id = a.target AND e.archived = 0
             WHERE a.origin IN (SELECT value FROM json_each(?1)) ORDER BY a.origin, a.role, a.target",
        )?;
        let mut found: std::collections::HashMap<String, Vec<RtAssociation>> =
            std::collections::HashMap::new();
        for chunk in rt_ids.chunks(CHUNK) {
            let ids = serde_json::to_string(chunk).unwrap_or_else(|_| "[]".into());
            let rows = statement.query_map([ids], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                ))
            })?;
            for row in rows {
                let (origin, role, target, target_type) = row?;
                let (Some(role), Ok(target), Some(target_type)) = (
                    ElementId::parse(&role),
                    RtId::parse(&target),
                    ElementId::parse(&target_type),
                ) else {
                    return Err(StoreError::Db(format!(
                        "a stored association of `{origin}` is damaged"
                    )));
                };
                found.entry(origin).or_default().push(RtAssociation {
                    role,
                    target,
                    target_type,
                });
            }
        }
        Ok(rt_ids
            .iter()
            .flat_map(|rt_id| {
                found
                    .remove(rt_id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(move |association| (rt_id.clone(), association))
            })
            .collect())
    }

    /// `origins` (existing entities, checked by the caller) and every entity reachable from them
    /// by outbound associations (transitively, each once, archived ones excluded): origins first,
    /// then breadth first. More than `max` entities are refused.
    /// `origins` are `(rtId, CK type)`; so is the answer.
    pub fn deep_graph(
        &self,
        origins: &[(String, String)],
        max: usize,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let invalid = |message: String| StoreError::Invalid(vec![message]);
        let mut order: Vec<(String, String)> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        for origin in origins {
            if seen.insert(origin.0.clone()) {
                order.push(origin.clone());
            }
        }
        let mut frontier: Vec<String> = order.iter().map(|(rt_id, _)| rt_id.clone()).collect();
        while !frontier.is_empty() {
            let mut next = Vec::new();
            let db = self.db();
            let mut statement = db.prepare_cached(
                "SELECT DISTINCT a.target, e.ck_type FROM associations a
                 JOIN entities e ON e.rt_id = a.target AND e.archived = 0
                 WHERE a.origin IN (SELECT value FROM json_each(?1)) ORDER BY a.target",
            )?;
            for chunk in frontier.chunks(CHUNK) {
                let ids = serde_json::to_string(chunk).unwrap_or_else(|_| "[]".into());
                let targets = statement
                    .query_map(params![ids], |row| {
                        Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                for (target, ck_type) in targets {
                    if seen.insert(target.clone()) {
                        if seen.len() > max {
                            return Err(invalid(format!(
                                "the graph from these origins holds more than {max} entities; export fewer origins, or export by query"
                            )));
                        }
                        order.push((target.clone(), ck_type));
                        next.push(target);
                    }
                }
            }
            frontier = next;
        }
        Ok(order)
    }
}
