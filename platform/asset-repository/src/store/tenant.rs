//! One tenant's database: its CK libraries and its entities.

use std::path::Path;
use std::sync::{Mutex, RwLock};

use rusqlite::{Connection, OptionalExtension, params};

use super::error::StoreError;
use crate::ck::catalog::CkCatalog;
use crate::ck::load::{LibraryFiles, load};
use crate::ck::model::{ElementId, IndexType};
use crate::ck::version::ModelId;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS ck_libraries (
    name TEXT PRIMARY KEY,
    model_id TEXT NOT NULL,
    installed_order INTEGER NOT NULL,
    files TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS entities (
    rt_id TEXT PRIMARY KEY,
    ck_type TEXT NOT NULL,
    well_known_name TEXT,
    version INTEGER NOT NULL,
    created TEXT NOT NULL,
    changed TEXT NOT NULL,
    archived INTEGER NOT NULL DEFAULT 0,
    attributes TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entities_by_type ON entities (ck_type, archived);
CREATE INDEX IF NOT EXISTS entities_by_well_known_name ON entities (well_known_name) WHERE well_known_name IS NOT NULL;
CREATE TABLE IF NOT EXISTS associations (
    origin TEXT NOT NULL,
    role TEXT NOT NULL,
    target TEXT NOT NULL,
    target_type TEXT NOT NULL,
    PRIMARY KEY (origin, role, target)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS associations_by_target ON associations (target, role);
";

/// One tenant: its database and its installed construction kit.
pub struct Tenant {
    pub id: String,
    pub(super) db: Mutex<Connection>,
    pub(super) catalog: RwLock<CkCatalog>,
}

impl Tenant {
    pub(super) fn create(
        id: &str,
        path: &Path,
        builtin: &[LibraryFiles],
    ) -> Result<Tenant, StoreError> {
        let tenant = Tenant::open(id, path)?;
        for library in builtin {
            tenant.import_ck(library)?;
        }
        Ok(tenant)
    }

    /// Opens the database and rebuilds the catalog from the stored libraries.
    pub(super) fn open(id: &str, path: &Path) -> Result<Tenant, StoreError> {
        let db = Connection::open(path)?;
        db.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
        )?;
        db.execute_batch(SCHEMA)?;
        register_regexp(&db)?;
        let mut catalog = CkCatalog::new();
        {
            let mut statement =
                db.prepare("SELECT files FROM ck_libraries ORDER BY installed_order")?;
            let stored: Vec<String> = statement
                .query_map([], |row| row.get(0))?
                .collect::<Result<_, _>>()?;
            for files in stored {
                let library = decode_library(&files)?;
                catalog.import(load(&library)?)?;
            }
        }
        Ok(Tenant {
            id: id.to_owned(),
            db: Mutex::new(db),
            catalog: RwLock::new(catalog),
        })
    }

    /// Validates and installs a CK library; on any problem nothing is installed.
    pub fn import_ck(&self, library: &LibraryFiles) -> Result<ModelId, StoreError> {
        let model = load(library)?;
        let mut catalog = self
            .catalog
            .write()
            .expect("the catalog lock is never poisoned");
        let mut candidate = catalog.clone();
        let model_id = candidate.import(model)?.model.id.clone();
        let db = self.db();
        let order: i64 = db.query_row(
            "SELECT COALESCE(MAX(installed_order), 0) + 1 FROM ck_libraries",
            [],
            |row| row.get(0),
        )?;
        db.execute(
            "INSERT INTO ck_libraries (name, model_id, installed_order, files) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (name) DO UPDATE SET model_id = excluded.model_id, files = excluded.files",
            params![model_id.name, model_id.to_string(), order, encode_library(library)],
        )?;
        create_declared_indexes(&db, &candidate)?;
        *catalog = candidate;
        Ok(model_id)
    }

    /// The installed construction kit.
    pub fn catalog(&self) -> std::sync::RwLockReadGuard<'_, CkCatalog> {
        self.catalog
            .read()
            .expect("the catalog lock is never poisoned")
    }

    /// The model id installed under `name`, if any.
    pub fn installed_model(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .db()
            .query_row(
                "SELECT model_id FROM ck_libraries WHERE name = ?1",
                [name],
                |row| row.get(0),
            )
            .optional()?)
    }

    pub(super) fn db(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.db.lock().expect("the database lock is never poisoned")
    }
}

fn encode_library(library: &LibraryFiles) -> String {
    let files: serde_json::Map<String, serde_json::Value> = library
        .files
        .iter()
        .map(|(path, text)| {
            (
                path.to_string_lossy().into_owned(),
                serde_json::Value::String(text.clone()),
            )
        })
        .collect();
    serde_json::json!({"root": library.root.to_string_lossy(), "files": files}).to_string()
}

fn decode_library(text: &str) -> Result<LibraryFiles, StoreError> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|error| StoreError::Db(format!("a stored library is corrupt: {error}")))?;
    let root = value["root"].as_str().unwrap_or_default().into();
    let files = value["files"]
        .as_object()
        .map(|files| {
            files
                .iter()
                .map(|(path, text)| (path.into(), text.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    Ok(LibraryFiles { root, files })
}

/// `regexp(pattern, text)` for the Regex filter operator; patterns are compiled once per statement.
fn register_regexp(db: &Connection) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    use rusqlite::types::ValueRef;
    db.create_scalar_function(
        "regexp",
        2,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |context| {
            let pattern = context.get_or_create_aux(
                0,
                |value| -> Result<regex_lite::Regex, Box<dyn std::error::Error + Send + Sync>> {
                    Ok(regex_lite::Regex::new(value.as_str()?)?)
                },
            )?;
            Ok(match context.get_raw(1) {
                ValueRef::Text(text) => pattern.is_match(&String::from_utf8_lossy(text)),
                _ => false,
            })
        },
    )
}

/// The attribute paths a concrete type has declared indexes on (its own and inherited ones), that
/// resolve to its attributes.
pub(super) fn declared_index_paths(catalog: &CkCatalog, type_id: &ElementId) -> Vec<String> {
    let effective = catalog.effective_attributes(type_id);
    let mut paths = Vec::new();
    for ancestor in catalog.ancestry(type_id) {
        for index in &ancestor.indexes {
            if !matches!(
                index.index_type,
                IndexType::Ascending | IndexType::Unique | IndexType::UniqueNotDeleted
            ) {
                continue;
            }
            for (field_paths, _weight) in &index.fields {
                for path in field_paths {
                    let first = path.split('.').next().unwrap_or_default();
                    let known = effective.iter().any(|(usage, _)| usage.name == first);
                    let safe = path
                        .bytes()
                        .all(|byte| byte.is_ascii_alphanumeric() || byte == b'.' || byte == b'_');
                    if known && safe && !paths.contains(path) {
                        paths.push(path.clone());
                    }
                }
            }
        }
    }
    paths
}

/// The name of the index on `path` for entities of `type_id`.
pub(super) fn declared_index_name(type_id: &ElementId, path: &str) -> String {
    format!("ix_{type_id}_{path}").replace(['/', '.', '-'], "_")
}

/// Real indexes for the indexes CK types declare, one partial expression index per concrete type
/// and path, so queries of that type can use it.
fn create_declared_indexes(db: &Connection, catalog: &CkCatalog) -> Result<(), StoreError> {
    for installed in catalog.models() {
        for ck_type in installed
            .model
            .types
            .values()
            .filter(|ck_type| !ck_type.is_abstract)
        {
            for path in declared_index_paths(catalog, &ck_type.id) {
                let json_path: String = path
                    .split('.')
                    .map(|segment| format!(".\"{segment}\""))
                    .collect();
                db.execute_batch(&format!(
                    "CREATE INDEX IF NOT EXISTS \"{}\" ON entities (json_extract(attributes, '${json_path}')) WHERE ck_type = '{}';",
                    declared_index_name(&ck_type.id, &path),
                    ck_type.id.to_string().replace('\'', "''")
                ))?;
            }
        }
    }
    Ok(())
}
