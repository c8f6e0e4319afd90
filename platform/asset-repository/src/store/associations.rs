//! Reading an entity's associations, and adding or removing them after the entity exists, with
//! the same target, type and multiplicity checks as at creation.

use rusqlite::params;

use super::entities::{Direction, insert_associations};
use super::error::StoreError;
use super::tenant::Tenant;
use crate::rt::entity::{EntityDraft, RtId, Strictness, validate};

/// One association as seen from an entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssociationEnd {
    pub role: String,
    pub direction: Direction,
    /// The entity at the other end, and its type.
    pub other_rt_id: String,
    pub other_ck_type: String,
}

/// Add or remove one association of an entity (outbound, from that entity).
#[derive(Debug, Clone)]
pub struct AssociationChange {
    pub role: String,
    pub target_rt_id: String,
    pub target_ck_type: String,
    pub remove: bool,
}

impl Tenant {
    /// The entity's associations in `direction` (`None`: both), archived ends excluded.
    pub fn association_ends(
        &self,
        rt_id: &str,
        direction: Option<Direction>,
    ) -> Result<Vec<AssociationEnd>, StoreError> {
        let rt_id = RtId::parse(rt_id).map_err(|error| StoreError::Invalid(vec![error]))?;
        let db = self.db();
        let mut ends = Vec::new();
        for (wanted, sql) in [
            (
                Direction::Outbound,
                "SELECT a.role, a.target, e.ck_type FROM associations a JOIN entities e ON e.rt_id = a.target
                 WHERE a.origin = ?1 AND e.archived = 0 ORDER BY a.role, a.target",
            ),
            (
                Direction::Inbound,
                "SELECT a.role, a.origin, e.ck_type FROM associations a JOIN entities e ON e.rt_id = a.origin
                 WHERE a.target = ?1 AND e.archived = 0 ORDER BY a.role, a.origin",
            ),
        ] {
            if direction.is_some_and(|direction| direction != wanted) {
                continue;
            }
            let mut statement = db.prepare_cached(sql)?;
            let rows = statement.query_map(params![rt_id.as_str()], |row| {
                Ok(AssociationEnd {
                    role: row.get(0)?,
                    direction: wanted,
                    other_rt_id: row.get(1)?,
                    other_ck_type: row.get(2)?,
                })
            })?;
            for row in rows {
                ends.push(row?);
            }
        }
        Ok(ends)
    }

    /// Applies association changes of one entity in one transaction: removals first, then
    /// additions checked like at creation (role allowed for the type, target exists with the
    /// declared type, multiplicities). All or nothing; bumps the entity's `rtVersion`.
    pub fn change_associations(
        &self,
        rt_id: &str,
        changes: Vec<AssociationChange>,
    ) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        let current = self
            .get_entity(rt_id)?
            .ok_or_else(|| StoreError::NotFound(rt_id.to_owned()))?;
        let catalog = self.catalog();
        let (removals, additions): (Vec<_>, Vec<_>) =
            changes.into_iter().partition(|change| change.remove);
        let draft = EntityDraft {
            rt_id: RtId::parse(&current.rt_id).map_err(|error| StoreError::Invalid(vec![error]))?,
            ck_type: current.ck_type.clone(),
            well_known_name: current.well_known_name.clone(),
            attributes: Vec::new(),
            associations: additions
                .into_iter()
                .map(|change| (change.role, change.target_rt_id, change.target_ck_type))
                .collect(),
        };
        let entity = validate(&catalog, draft, Strictness::Partial).map_err(StoreError::Invalid)?;
        let mut db = self.db();
        let transaction = db.transaction()?;
        for removal in &removals {
            let role = crate::ck::model::ElementId::parse(&removal.role).ok_or_else(|| {
                StoreError::Invalid(vec![format!(
                    "`{}` is not an association role id",
                    removal.role
                )])
            })?;
            let removed = transaction.execute(
                "DELETE FROM associations WHERE origin = ?1 AND role = ?2 AND target = ?3",
                params![current.rt_id, role.to_string(), removal.target_rt_id],
            )?;
            if removed == 0 {
                return Err(StoreError::Invalid(vec![format!(
                    "association `{role}` from `{}` to `{}` does not exist, so it cannot be removed",
                    current.rt_id, removal.target_rt_id
                )]));
            }
        }
        insert_associations(&transaction, &catalog, &entity)?;
        transaction.execute(
            "UPDATE entities SET version = version + 1, changed = ?1 WHERE rt_id = ?2",
            params![super::clock::now_rfc3339(), current.rt_id],
        )?;
        transaction.commit()?;
        Ok(())
    }
}
