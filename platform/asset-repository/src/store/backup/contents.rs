//! What a tenant database holds, counted for a manifest or a restore report: entities,
//! associations, CK models and archives.

use rusqlite::Connection;

use crate::ck::catalog::CkCatalog;
use crate::ck::model::ElementId;
use crate::series::archives::{ARCHIVE_TYPE, ArchiveStatus};
use crate::store::StoreError;

/// The counts of one tenant database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Contents {
    pub entities: u64,
    pub associations: u64,
    /// In installation order.
    pub ck_models: Vec<String>,
    pub archives: Vec<ArchiveRow>,
}

/// An archive entity (not archived itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ArchiveRow {
    pub rt_id: String,
    pub well_known_name: Option<String>,
    pub status: ArchiveStatus,
}

/// The concrete archive types of `catalog`.
pub(super) fn archive_types(catalog: &CkCatalog) -> Vec<String> {
    let base = ElementId::parse(ARCHIVE_TYPE).expect("a literal id");
    catalog
        .concrete_types(&base)
        .iter()
        .map(ToString::to_string)
        .collect()
}

impl Contents {
    /// Counts what `db` (a tenant database) holds; `archive_types` says which entities are
    /// archives.
    pub(super) fn read(db: &Connection, archive_types: &[String]) -> Result<Contents, StoreError> {
        let count = |sql: &str| -> Result<u64, StoreError> {
            Ok(db.query_row(sql, [], |row| row.get::<_, i64>(0))? as u64)
        };
        let entities = count("SELECT COUNT(*) FROM entities")?;
        let associations = count("SELECT COUNT(*) FROM associations")?;
        let ck_models = db
            .prepare("SELECT model_id FROM ck_libraries ORDER BY installed_order")?
            .query_map([], |row| row.get(0))?
            .collect::<Result<Vec<String>, _>>()?;
        let mut archives = Vec::new();
        let mut statement = db.prepare(
            "SELECT rt_id, well_known_name, json_extract(attributes, '$.Status') FROM entities
             WHERE ck_type = ?1 AND archived = 0 ORDER BY rt_id",
        )?;
        for ck_type in archive_types {
            let rows = statement.query_map([ck_type], |row| {
                Ok(ArchiveRow {
                    rt_id: row.get(0)?,
                    well_known_name: row.get(1)?,
                    status: match row.get::<_, rusqlite::types::Value>(2)? {
                        rusqlite::types::Value::Integer(key) => ArchiveStatus::from_key(key),
                        _ => None,
                    }
                    .unwrap_or(ArchiveStatus::Created),
                })
            })?;
            for row in rows {
                archives.push(row?);
            }
        }
        archives.sort_by(|left, right| left.rt_id.cmp(&right.rt_id));
        Ok(Contents {
            entities,
            associations,
            ck_models,
            archives,
        })
    }
}
