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

mod queries {
    use std::collections::BTreeMap;

    use serde_json::{Value, json};

    use super::{DataDir, library};
    use crate::ck::load::LibraryFiles;
    use crate::store::{
        EntityInput, EntityQuery, FieldFilter, FilterGroup, FilterOperator as Op, Logic, Platform,
        SortColumn, StoreError, Tenant,
    };

    /// A small plant library written for these tests (`platform/fixtures/plant`).
    fn plant_library() -> LibraryFiles {
        LibraryFiles::read_dir(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/plant"),
        )
        .unwrap()
    }

    /// Label → attributes of the test machines.
    fn machines() -> Vec<(&'static str, Value)> {
        vec![
            (
                "alpha",
                json!({"Speed": 10.5, "Count": 3, "Tags": ["hot", "north"], "Mode": "Running", "Plate": {"Serial": "A-1"}}),
            ),
            (
                "beta",
                json!({"Speed": 20.0, "Count": 7, "Tags": ["cold"], "Mode": "Off", "Plate": {"Serial": "B-2"}}),
            ),
            (
                "gamma_pump",
                json!({"Speed": 30.25, "Count": 1, "Tags": [], "Mode": 2}),
            ),
            ("delta", json!({"Count": 7, "Mode": "Running"})),
            (
                "Epsilon pump",
                json!({"Speed": -4.0, "Tags": ["north", "pump"]}),
            ),
        ]
    }

    fn setup(dir: &DataDir) -> (Platform, std::sync::Arc<Tenant>) {
        let platform = Platform::open(&dir.0, vec![library("System")]).unwrap();
        let tenant = platform.create_tenant("plant").unwrap();
        tenant.import_ck(&plant_library()).unwrap();
        for (label, attributes) in machines() {
            let mut pairs = vec![("Label".to_owned(), json!(label))];
            pairs.extend(
                attributes
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(key, value)| (key.clone(), value.clone())),
            );
            tenant
                .create_entity(EntityInput {
                    ck_type: "Plant/Machine".into(),
                    rt_id: None,
                    well_known_name: None,
                    attributes: pairs,
                    associations: Vec::new(),
                })
                .unwrap();
        }
        (platform, tenant)
    }

    fn query(filter: Option<FilterGroup>) -> EntityQuery {
        EntityQuery {
            ck_type: "Plant/Machine".into(),
            filter,
            search: None,
            sort: vec![SortColumn {
                attribute_path: "Label".into(),
                descending: false,
            }],
            limit: 100,
            offset: 0,
            include_archived: false,
            attribute_paths: None,
            rt_ids: None,
            related: None,
        }
    }

    fn field(path: &str, operator: Op, value: Option<Value>) -> FilterGroup {
        FilterGroup {
            logic: Logic::And,
            fields: vec![FieldFilter {
                attribute_path: path.into(),
                operator,
                value,
                second_value: None,
            }],
            nested: Vec::new(),
        }
    }

    fn labels(tenant: &Tenant, filter: FilterGroup) -> Vec<String> {
        let page = tenant
            .query_entities(&query(Some(filter)))
            .unwrap_or_else(|error| panic!("{error}"));
        page.entities
            .iter()
            .map(|entity| entity.attributes["Label"].as_str().unwrap().to_owned())
            .collect()
    }

    /// The expected labels, computed from `machines()` directly (sorted like the query).
    fn oracle(keep: impl Fn(&str, &Value) -> bool) -> Vec<String> {
        let mut expected: Vec<String> = machines()
            .into_iter()
            .filter(|(label, attributes)| keep(label, attributes))
            .map(|(label, _)| label.to_owned())
            .collect();
        expected.sort();
        expected
    }

    #[test]
    fn every_filter_operator_selects_the_expected_rows() {
        let dir = DataDir::new("operators");
        let (_platform, tenant) = setup(&dir);
        let speed = |attributes: &Value| attributes.get("Speed").and_then(Value::as_f64);
        let count = |attributes: &Value| attributes.get("Count").and_then(Value::as_i64);
        let tags = |attributes: &Value| -> Vec<String> {
            attributes
                .get("Tags")
                .and_then(Value::as_array)
                .map(|items| {
                    items
                        .iter()
                        .map(|item| item.as_str().unwrap().to_owned())
                        .collect()
                })
                .unwrap_or_default()
        };
        let mode = |attributes: &Value| -> Option<i64> {
            match attributes.get("Mode") {
                Some(Value::String(name)) => Some(match name.as_str() {
                    "Off" => 0,
                    "Running" => 1,
                    _ => 2,
                }),
                Some(value) => value.as_i64(),
                None => None,
            }
        };
        let cases: Vec<(FilterGroup, Vec<String>)> = vec![
            (
                field("Label", Op::Equals, Some(json!("beta"))),
                oracle(|label, _| label == "beta"),
            ),
            (
                field("Count", Op::NotEquals, Some(json!(7))),
                oracle(|_, a| count(a) != Some(7)),
            ),
            (
                field("Label", Op::Contains, Some(json!("pump"))),
                oracle(|label, _| label.contains("pump")),
            ),
            (
                field("Label", Op::StartsWith, Some(json!("gam"))),
                oracle(|label, _| label.starts_with("gam")),
            ),
            (
                field("Label", Op::EndsWith, Some(json!("_pump"))),
                oracle(|label, _| label.ends_with("_pump")),
            ),
            (
                field("Speed", Op::GreaterThan, Some(json!(20.0))),
                oracle(|_, a| speed(a).is_some_and(|s| s > 20.0)),
            ),
            (
                field("Speed", Op::GreaterThanOrEqual, Some(json!(20.0))),
                oracle(|_, a| speed(a).is_some_and(|s| s >= 20.0)),
            ),
            (
                field("Speed", Op::LessThan, Some(json!(10.5))),
                oracle(|_, a| speed(a).is_some_and(|s| s < 10.5)),
            ),
            (
                field("Speed", Op::LessThanOrEqual, Some(json!(10.5))),
                oracle(|_, a| speed(a).is_some_and(|s| s <= 10.5)),
            ),
            (
                FilterGroup {
                    logic: Logic::And,
                    fields: vec![FieldFilter {
                        attribute_path: "Count".into(),
                        operator: Op::Between,
                        value: Some(json!(2)),
                        second_value: Some(json!(7)),
                    }],
                    nested: vec![],
                },
                oracle(|_, a| count(a).is_some_and(|c| (2..=7).contains(&c))),
            ),
            (
                field("Count", Op::In, Some(json!([1, 3]))),
                oracle(|_, a| matches!(count(a), Some(1 | 3))),
            ),
            (
                field("Count", Op::NotIn, Some(json!([1, 3]))),
                oracle(|_, a| !matches!(count(a), Some(1 | 3))),
            ),
            (
                field("Speed", Op::IsNull, None),
                oracle(|_, a| speed(a).is_none()),
            ),
            (
                field("Speed", Op::IsNotNull, None),
                oracle(|_, a| speed(a).is_some()),
            ),
            (
                field("Label", Op::Regex, Some(json!("^[a-z]+a$"))),
                oracle(|label, _| {
                    label.chars().all(|c| c.is_ascii_lowercase()) && label.ends_with('a')
                }),
            ),
            (
                field("Label", Op::Like, Some(json!("%pump"))),
                oracle(|label, _| label.to_lowercase().ends_with("pump")),
            ),
            (
                field("Tags", Op::AnyEq, Some(json!("north"))),
                oracle(|_, a| tags(a).contains(&"north".to_owned())),
            ),
            (
                field("Tags", Op::AnyLike, Some(json!("c%"))),
                oracle(|_, a| tags(a).iter().any(|tag| tag.starts_with('c'))),
            ),
            (
                field("Mode", Op::Equals, Some(json!("Running"))),
                oracle(|_, a| mode(a) == Some(1)),
            ),
            (
                field("Plate.Serial", Op::Equals, Some(json!("B-2"))),
                oracle(|label, _| label == "beta"),
            ),
        ];
        for (filter, expected) in cases {
            let described = format!("{:?}", filter.fields[0]);
            assert_eq!(labels(&tenant, filter), expected, "{described}");
        }
    }

    #[test]
    fn and_or_nest_and_pages_count_the_total() {
        let dir = DataDir::new("logic");
        let (_platform, tenant) = setup(&dir);
        // Count = 7 AND (Mode = Off OR Label contains "el")
        let filter = FilterGroup {
            logic: Logic::And,
            fields: vec![FieldFilter {
                attribute_path: "Count".into(),
                operator: Op::Equals,
                value: Some(json!(7)),
                second_value: None,
            }],
            nested: vec![FilterGroup {
                logic: Logic::Or,
                fields: vec![
                    FieldFilter {
                        attribute_path: "Mode".into(),
                        operator: Op::Equals,
                        value: Some(json!("Off")),
                        second_value: None,
                    },
                    FieldFilter {
                        attribute_path: "Label".into(),
                        operator: Op::Contains,
                        value: Some(json!("el")),
                        second_value: None,
                    },
                ],
                nested: vec![],
            }],
        };
        assert_eq!(labels(&tenant, filter), ["beta", "delta"]);
        let mut page_query = query(None);
        page_query.limit = 2;
        page_query.offset = 2;
        page_query.sort = vec![SortColumn {
            attribute_path: "Speed".into(),
            descending: true,
        }];
        let page = tenant.query_entities(&page_query).unwrap();
        assert_eq!(page.total_count, 5);
        let page_labels: Vec<&str> = page
            .entities
            .iter()
            .map(|entity| entity.attributes["Label"].as_str().unwrap())
            .collect();
        assert_eq!(
            page_labels,
            ["alpha", "Epsilon pump"],
            "30.25, 20, 10.5, -4, null: the third and fourth"
        );
    }

    #[test]
    fn archived_entities_search_and_projection() {
        let dir = DataDir::new("archived");
        let (_platform, tenant) = setup(&dir);
        let alpha = tenant
            .query_entities(&query(Some(field(
                "Label",
                Op::Equals,
                Some(json!("alpha")),
            ))))
            .unwrap()
            .entities
            .remove(0);
        tenant
            .delete_entity(&alpha.rt_id, None, crate::store::DeleteMode::Archive)
            .unwrap();
        assert_eq!(tenant.query_entities(&query(None)).unwrap().total_count, 4);
        let mut with_archived = query(None);
        with_archived.include_archived = true;
        assert_eq!(
            tenant.query_entities(&with_archived).unwrap().total_count,
            5
        );
        let mut search = query(None);
        search.search = Some("PUMP".into());
        assert_eq!(tenant.query_entities(&search).unwrap().total_count, 2);
        let mut projected = query(Some(field("Label", Op::Equals, Some(json!("beta")))));
        projected.attribute_paths = Some(vec!["Plate.Serial".into(), "Count".into()]);
        let beta = tenant
            .query_entities(&projected)
            .unwrap()
            .entities
            .remove(0);
        let expected: BTreeMap<String, Value> = [
            ("Count".to_owned(), json!(7)),
            ("Plate".to_owned(), json!({"Serial": "B-2"})),
        ]
        .into();
        assert_eq!(
            beta.attributes.into_iter().collect::<BTreeMap<_, _>>(),
            expected
        );
    }

    #[test]
    fn bad_queries_say_what_to_write_instead() {
        let dir = DataDir::new("badq");
        let (_platform, tenant) = setup(&dir);
        let error = |filter: FilterGroup| match tenant.query_entities(&query(Some(filter))) {
            Err(StoreError::InvalidQuery(problems)) => problems.join("; "),
            other => panic!("expected a refusal, got {other:?}"),
        };
        assert!(
            error(field("Plate", Op::Equals, Some(json!("x"))))
                .contains("filter on one of its fields with a dot path, e.g. `Plate.Serial`")
        );
        assert!(
            error(field("Colour", Op::Equals, Some(json!("x"))))
                .contains("has no attribute `Colour`; its attributes are")
        );
        assert!(
            error(field("Plate.Colour", Op::Equals, Some(json!("x"))))
                .contains("has no field `Colour`; its fields are Serial")
        );
        assert!(
            error(field("Tags", Op::Equals, Some(json!("x"))))
                .contains("is an array: use AnyEq or AnyLike")
        );
        assert!(
            error(field("Count", Op::Contains, Some(json!("x"))))
                .contains("works on text attributes")
        );
        assert!(
            error(field("Count", Op::Equals, Some(json!("seven"))))
                .contains("compares with an integer")
        );
        assert!(
            error(field("Mode", Op::Equals, Some(json!("Broken"))))
                .contains("use one of Off, Running, Fault")
        );
        assert!(
            error(field("Label", Op::Regex, Some(json!("("))))
                .contains("not a valid regular expression")
        );
        let mut too_many = query(None);
        too_many.limit = 5000;
        assert!(
            tenant
                .query_entities(&too_many)
                .unwrap_err()
                .to_string()
                .contains("`limit` must be 1 to 1000")
        );
    }

    #[test]
    fn declared_indexes_are_real_indexes_the_planner_uses() {
        let dir = DataDir::new("indexes");
        let (_platform, tenant) = setup(&dir);
        // The query the store builds for `Speed > 5` on Plant/Machine.
        let page = tenant
            .query_entities(&query(Some(field(
                "Speed",
                Op::GreaterThan,
                Some(json!(5)),
            ))))
            .unwrap();
        assert_eq!(page.total_count, 3);
        let db = tenant.db();
        let plan: Vec<String> = db
            .prepare("EXPLAIN QUERY PLAN SELECT rt_id FROM entities INDEXED BY \"ix_Plant_Machine_Speed\" WHERE ck_type = 'Plant/Machine' AND archived = 0 AND json_extract(attributes, '$.\"Speed\"') > 5")
            .unwrap()
            .query_map([], |row| row.get::<_, String>(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(
            plan.iter()
                .any(|step| step.contains("ix_Plant_Machine_Speed")),
            "{plan:?}"
        );
    }
}

#[test]
fn associations_follow_declared_roles_and_multiplicities() {
    use super::Direction;
    let dir = DataDir::new("assoc");
    let platform = platform(&dir);
    let tenant = platform.create_tenant("plant-c").unwrap();
    tenant.import_ck(&library("Basic")).unwrap();
    let root = tenant.create_entity(tree("Site")).unwrap();
    let node = |name: &str, parent: &str, parent_type: &str| EntityInput {
        ck_type: "Basic/TreeNode".into(),
        rt_id: None,
        well_known_name: None,
        attributes: vec![("Name".into(), json!(name))],
        associations: vec![(
            "System/ParentChild".into(),
            parent.into(),
            parent_type.into(),
        )],
    };
    let hall = tenant
        .create_entity(node("Hall", &root.rt_id, "Basic/Tree"))
        .unwrap();
    let line = tenant
        .create_entity(node("Line", &hall.rt_id, "Basic/TreeNode"))
        .unwrap();
    let children = tenant
        .associated(&hall.rt_id, "System/ParentChild", Direction::Inbound)
        .unwrap();
    assert_eq!(
        children
            .iter()
            .map(|child| child.rt_id.as_str())
            .collect::<Vec<_>>(),
        [line.rt_id.as_str()]
    );
    let parent = tenant
        .associated(&hall.rt_id, "System/ParentChild", Direction::Outbound)
        .unwrap();
    assert_eq!(parent[0].rt_id, root.rt_id);

    let mut two_parents = node("Twice", &root.rt_id, "Basic/Tree");
    two_parents.associations.push((
        "System/ParentChild".into(),
        hall.rt_id.clone(),
        "Basic/TreeNode".into(),
    ));
    let error = tenant.create_entity(two_parents).unwrap_err().to_string();
    assert!(error.contains("at most one `Parent`"), "{error}");

    let wrong_type = tenant
        .create_entity(node("Wrong", &root.rt_id, "Basic/TreeNode"))
        .unwrap_err()
        .to_string();
    assert!(
        wrong_type.contains("is a `Basic/Tree`, not a `Basic/TreeNode`"),
        "{wrong_type}"
    );
    let missing = tenant
        .create_entity(node("Orphan", "aaaaaaaaaaaaaaaaaaaaaaaa", "Basic/Tree"))
        .unwrap_err()
        .to_string();
    assert!(
        missing.contains("target `aaaaaaaaaaaaaaaaaaaaaaaa` does not exist"),
        "{missing}"
    );
    let mut undeclared = tree("Forest");
    undeclared.associations.push((
        "System/ParentChild".into(),
        root.rt_id.clone(),
        "Basic/Tree".into(),
    ));
    let error = tenant.create_entity(undeclared).unwrap_err().to_string();
    assert!(error.contains("`Basic/Tree` has no association `System/ParentChild` to `Basic/Tree`; it may have: System/Related -> System/Entity"), "{error}");
    assert_eq!(
        tenant.count_entities().unwrap(),
        3,
        "refused creates wrote nothing"
    );
}

#[test]
fn a_batch_is_created_whole_or_not_at_all() {
    let dir = DataDir::new("batch");
    let platform = platform(&dir);
    let tenant = platform.create_tenant("plant-d").unwrap();
    tenant.import_ck(&library("Basic")).unwrap();
    let batch: Vec<EntityInput> = (0..2000)
        .map(|index| tree(&format!("tree {index}")))
        .collect();
    let rt_ids = tenant.create_entities(batch).unwrap();
    assert_eq!(rt_ids.len(), 2000);
    assert_eq!(tenant.count_entities().unwrap(), 2000);
    let mut bad_batch: Vec<EntityInput> =
        (0..5).map(|index| tree(&format!("more {index}"))).collect();
    bad_batch[3].attributes = vec![("Name".into(), json!({"no": "string"}))];
    let error = tenant.create_entities(bad_batch).unwrap_err().to_string();
    assert!(
        error.contains("entity 3: attribute `Name`: expected a string"),
        "{error}"
    );
    assert_eq!(
        tenant.count_entities().unwrap(),
        2000,
        "nothing of the refused batch was written"
    );
}

#[test]
fn the_upstream_photovoltaic_sample_imports_into_a_tenant_whole() {
    use super::{Direction, ImportStrategy};
    use crate::rt::file::RuntimeModelFile;
    let dir = DataDir::new("import");
    let platform = platform(&dir);
    let tenant = platform.create_tenant("pv").unwrap();
    let text = std::fs::read_to_string(fixtures().join("../rt/pv/rt-pv.yaml")).unwrap();
    let file = RuntimeModelFile::parse(&text).unwrap();
    let missing = tenant
        .import_runtime_model(&file, ImportStrategy::InsertOnly)
        .unwrap_err()
        .to_string();
    assert!(
        missing.contains("needs Industry.Energy-[3.0,4.0), which is not installed"),
        "{missing}"
    );
    for name in ["Basic", "Industry.Basic", "Industry.Energy"] {
        tenant.import_ck(&library(name)).unwrap();
    }
    let report = tenant
        .import_runtime_model(&file, ImportStrategy::InsertOnly)
        .unwrap();
    assert_eq!(report.created, file.entities.len());
    assert_eq!(
        tenant.count_entities().unwrap() as usize,
        file.entities.len()
    );
    let inverter = &tenant
        .associated(
            "5fc8fda18b2fc75f925e21ac",
            "System/ParentChild",
            Direction::Inbound,
        )
        .unwrap();
    assert!(
        inverter
            .iter()
            .any(|child| child.ck_type == "Industry.Energy/Inverter"),
        "{inverter:?}"
    );
    let again = tenant
        .import_runtime_model(&file, ImportStrategy::InsertOnly)
        .unwrap_err()
        .to_string();
    assert!(
        again.contains("already exists; import with Upsert"),
        "{again}"
    );
    let upserted = tenant
        .import_runtime_model(&file, ImportStrategy::Upsert)
        .unwrap();
    assert_eq!(upserted.updated, file.entities.len());
    assert_eq!(
        tenant.count_entities().unwrap() as usize,
        file.entities.len()
    );
}

#[test]
fn a_data_directory_from_before_the_registry_keeps_its_tenants() {
    let dir = DataDir::new("registry-migration");
    {
        let platform = platform(&dir);
        platform.create_tenant("older").unwrap();
    }
    std::fs::remove_file(dir.0.join("tenants/registry.json")).unwrap();
    let platform = platform(&dir);
    assert_eq!(platform.tenant_ids().unwrap(), [SYSTEM_TENANT, "older"]);
    let entry = platform.entry("older").unwrap();
    assert_eq!(entry.database, "older");
    assert_eq!(entry.parent.as_deref(), Some(SYSTEM_TENANT));
    assert!(dir.0.join("tenants/registry.json").exists(), "written back");
}

#[test]
fn detach_keeps_the_database_and_a_refused_create_leaves_nothing() {
    let dir = DataDir::new("detach");
    let platform = platform(&dir);
    let tenant = platform
        .create_child(Some(SYSTEM_TENANT), "plant", Some("plant_db"))
        .unwrap();
    let rt_id = {
        tenant.import_ck(&library("Basic")).unwrap();
        tenant.create_entity(tree("kept")).unwrap().rt_id
    };
    drop(tenant);
    platform.detach("plant").unwrap();
    assert!(matches!(
        platform.tenant("plant"),
        Err(StoreError::TenantNotFound(_))
    ));
    assert!(dir.0.join("tenants/plant_db.sqlite").exists());
    assert!(matches!(
        platform.create_child(Some(SYSTEM_TENANT), "other", Some("plant_db")),
        Err(StoreError::DatabaseUnavailable(_))
    ));
    platform.attach(SYSTEM_TENANT, "again", "plant_db").unwrap();
    let again = platform.tenant("again").unwrap();
    assert_eq!(
        again.get_entity(&rt_id).unwrap().unwrap().attributes["Name"],
        "kept"
    );
    assert!(matches!(
        platform.create_child(Some(SYSTEM_TENANT), "bad", Some("a/b")),
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        platform.create_child(Some(SYSTEM_TENANT), "reserved", Some("admin")),
        Err(StoreError::DatabaseUnavailable(_))
    ));
    assert_eq!(platform.tenant_ids().unwrap(), ["again", SYSTEM_TENANT]);
}
