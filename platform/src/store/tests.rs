//! Tenants persist their construction kit and entities; writes are validated, versioned and atomic.

use std::path::PathBuf;

use serde_json::json;

use super::{DeleteMode, EntityInput, Platform, SYSTEM_TENANT, StoreError};
use crate::ck::load::LibraryFiles;
use crate::ck::tests::fixtures;

struct DataDir(PathBuf);

impl DataDir {
    fn new(name: &str) -> DataDir {
        let path =
            std::env::temp_dir().join(format!("octomesh-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        DataDir(path)
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn library(name: &str) -> LibraryFiles {
    LibraryFiles::read_dir(&fixtures().join(name)).unwrap()
}

fn platform(dir: &DataDir) -> Platform {
    Platform::open(&dir.0, vec![library("System")]).unwrap()
}

fn tree(name: &str) -> EntityInput {
    EntityInput {
        ck_type: "Basic/Tree".into(),
        rt_id: None,
        well_known_name: None,
        attributes: vec![("Name".into(), json!(name))],
        associations: Vec::new(),
    }
}

#[test]
fn a_new_data_directory_has_the_system_tenant_with_the_system_model() {
    let dir = DataDir::new("system");
    let platform = platform(&dir);
    assert_eq!(platform.tenant_ids().unwrap(), [SYSTEM_TENANT]);
    let system = platform.tenant(SYSTEM_TENANT).unwrap();
    assert_eq!(
        system.installed_model("System").unwrap().as_deref(),
        Some("System-2.2.2")
    );
}

#[test]
fn entities_are_created_read_updated_with_versions_and_deleted() {
    let dir = DataDir::new("crud");
    let platform = platform(&dir);
    let tenant = platform.create_tenant("plant-a").unwrap();
    tenant.import_ck(&library("Basic")).unwrap();

    let created = tenant.create_entity(tree("Line 1")).unwrap();
    assert_eq!(created.version, 1);
    assert_eq!(created.attributes["Name"], "Line 1");
    assert_eq!(created.rt_id.len(), 24);

    let updated = tenant
        .update_entity(
            &created.rt_id,
            Some(1),
            vec![("Name".into(), json!("Line 1b"))],
        )
        .unwrap();
    assert_eq!(updated.version, 2);
    assert_eq!(updated.attributes["Name"], "Line 1b");

    let stale = tenant
        .update_entity(&created.rt_id, Some(1), vec![("Name".into(), json!("x"))])
        .unwrap_err();
    assert!(
        matches!(stale, StoreError::Conflict { current: 2, .. }),
        "{stale}"
    );
    assert!(stale.to_string().contains("is at version 2, not 1"));

    tenant
        .delete_entity(&created.rt_id, Some(2), DeleteMode::Archive)
        .unwrap();
    assert!(tenant.get_entity(&created.rt_id).unwrap().unwrap().archived);
    tenant
        .delete_entity(&created.rt_id, None, DeleteMode::Erase)
        .unwrap();
    assert_eq!(tenant.get_entity(&created.rt_id).unwrap(), None);
}

#[test]
fn refused_writes_change_nothing_and_say_why() {
    let dir = DataDir::new("refused");
    let platform = platform(&dir);
    let tenant = platform.create_tenant("plant-b").unwrap();
    tenant.import_ck(&library("Basic")).unwrap();
    let mut bad = tree("x");
    bad.attributes.push(("Colour".into(), json!("red")));
    let error = tenant.create_entity(bad).unwrap_err().to_string();
    assert!(
        error.contains("nothing was written") && error.contains("no attribute `Colour`"),
        "{error}"
    );
    let missing = tenant
        .create_entity(EntityInput {
            attributes: Vec::new(),
            ..tree("x")
        })
        .unwrap_err();
    assert!(missing.to_string().contains("requires Name"), "{missing}");
    assert_eq!(tenant.count_entities().unwrap(), 0);

    let created = tenant.create_entity(tree("kept")).unwrap();
    let wrong = tenant.update_entity(
        &created.rt_id,
        None,
        vec![("Name".into(), json!({"not": "a string"}))],
    );
    assert!(wrong.is_err());
    assert_eq!(tenant.get_entity(&created.rt_id).unwrap().unwrap(), created);

    let broken = tenant
        .import_ck(&library("Industry.Energy"))
        .unwrap_err()
        .to_string();
    assert!(
        broken.contains("needs Industry.Basic-[2.0,3.0), which is not installed"),
        "{broken}"
    );
    assert_eq!(tenant.installed_model("Industry.Energy").unwrap(), None);
}

#[test]
fn a_restart_keeps_models_and_entities_and_tenants_never_see_each_other() {
    let dir = DataDir::new("restart");
    let rt_id = {
        let platform = platform(&dir);
        let first = platform.create_tenant("tenant-one").unwrap();
        first.import_ck(&library("Basic")).unwrap();
        let second = platform.create_tenant("tenant-two").unwrap();
        second.import_ck(&library("Basic")).unwrap();
        first.create_entity(tree("only in one")).unwrap().rt_id
    };
    let platform = platform(&dir);
    assert_eq!(
        platform.tenant_ids().unwrap(),
        [SYSTEM_TENANT, "tenant-one", "tenant-two"]
    );
    let first = platform.tenant("tenant-one").unwrap();
    assert_eq!(
        first.get_entity(&rt_id).unwrap().unwrap().attributes["Name"],
        "only in one"
    );
    assert!(
        first.catalog().model("Basic").is_some(),
        "the catalog is rebuilt from stored libraries"
    );
    let second = platform.tenant("tenant-two").unwrap();
    assert_eq!(second.get_entity(&rt_id).unwrap(), None);
    assert!(matches!(
        platform.tenant("nobody"),
        Err(StoreError::TenantNotFound(_))
    ));
    assert!(matches!(
        platform.create_tenant("Bad Name"),
        Err(StoreError::InvalidTenantId(_))
    ));
}
