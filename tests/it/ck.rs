//! The `ck` family through the real path: MCP client → gateway → gRPC worker → GraphQL over HTTP
//! → embedded platform (SQLite). Every Family-2 tool, every filter operator against an oracle,
//! bad input that changes nothing, tenants apart, data across a restart.

use std::collections::BTreeSet;
use std::path::PathBuf;

use octomesh_tests::client::first_text;
use octomesh_tests::{McpClient, TestStack};
use serde_json::{Value, json};

/// A data directory removed when the test ends.
struct DataDir(PathBuf);

impl DataDir {
    fn new(name: &str) -> DataDir {
        let path = std::env::temp_dir().join(format!("octomesh-it-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        DataDir(path)
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn client(stack: &TestStack, tenant: &str) -> McpClient {
    let mut client = stack.tenant_client(tenant);
    client.initialize().await;
    client
}

/// Calls a tool that must succeed; returns its structured envelope.
async fn ok(client: &McpClient, tool: &str, arguments: Value) -> Value {
    let result = client.call_tool(tool, arguments.clone()).await;
    assert_eq!(
        result["isError"], false,
        "{tool}({arguments}) failed: {result:#}"
    );
    let structured = result["structuredContent"].clone();
    assert_eq!(structured["isSuccess"], true, "{structured:#}");
    structured
}

/// Calls a tool that must fail; returns its text.
async fn refused(client: &McpClient, tool: &str, arguments: Value) -> String {
    let result = client.call_tool(tool, arguments.clone()).await;
    assert_eq!(
        result["isError"], true,
        "{tool}({arguments}) should fail: {result:#}"
    );
    assert_eq!(result["structuredContent"]["isSuccess"], false);
    first_text(&result).to_owned()
}

/// A tenant with the demo library and no entities.
fn empty_demo_tenant(stack: &TestStack, tenant: &str) {
    let platform = stack
        .platform
        .as_ref()
        .expect("a platform stack")
        .asset_store()
        .expect("the asset repository runs in this process");
    platform
        .create_tenant(tenant)
        .expect("the tenant is created")
        .import_ck(&octomesh_asset_repository::builtin::demo_library())
        .expect("the demo library installs");
}

fn names(list: &Value) -> BTreeSet<String> {
    list["entities"]
        .as_array()
        .expect("entities")
        .iter()
        .map(|entity| entity["attributes"]["Name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_discovery_describes_the_installed_libraries() {
    let dir = DataDir::new("ck-schema");
    let stack = TestStack::platform(&dir.0, true).await;
    let demo = client(&stack, "demo").await;

    let models = ok(&demo, "get_available_models", json!({})).await;
    let ids: Vec<&str> = models["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|model| model["modelId"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"Demo-1.0.0") && ids.iter().any(|id| id.starts_with("System-")));
    assert_eq!(models["tenantId"], "demo");

    let types = ok(&demo, "get_available_types", json!({"ckModelId": "Demo"})).await;
    let type_ids: BTreeSet<&str> = types["types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|ck_type| ck_type["ckTypeId"].as_str().unwrap())
        .collect();
    assert_eq!(
        type_ids,
        BTreeSet::from(["Demo/Machine", "Demo/Sensor", "Demo/Site"])
    );
    let with_abstract = ok(
        &demo,
        "get_available_types",
        json!({"includeAbstract": true}),
    )
    .await;
    assert!(
        with_abstract["types"]
            .as_array()
            .unwrap()
            .iter()
            .any(|ck_type| ck_type["ckTypeId"] == "System/Entity" && ck_type["isAbstract"] == true)
    );

    let found = ok(&demo, "search_types", json!({"searchTerm": "SENSOR"})).await;
    assert!(
        found["types"]
            .as_array()
            .unwrap()
            .iter()
            .any(|ck_type| ck_type["ckTypeId"] == "Demo/Sensor")
    );

    let schema =
        ok(&demo, "get_type_schema", json!({"ckTypeId": "Demo/Site"})).await["schema"].clone();
    assert_eq!(schema["baseType"], "System/Entity");
    let address = schema["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|attribute| attribute["attributeName"] == "Address")
        .unwrap();
    assert_eq!(address["valueType"], "RECORD");
    assert_eq!(address["ckRecordId"], "Demo/Address");
    assert!(
        schema["queryColumns"]
            .as_array()
            .unwrap()
            .iter()
            .any(|column| column["attributePath"] == "Address.City")
    );
    assert!(
        schema["associations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|association| {
                association["ckRoleId"] == "System/ParentChild"
                    && association["direction"] == "Inbound"
                    && association["targetCkTypeId"] == "Demo/Machine"
                    && association["navigationName"] == "Children"
            })
    );

    let paths = ok(
        &demo,
        "get_available_archive_paths",
        json!({"ckTypeId": "Demo/Site", "maxDepth": 1}),
    )
    .await;
    let paths: Vec<&str> = paths["paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|path| path["attributePath"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&"Address") && !paths.contains(&"Address.City"));

    let machine = ok(
        &demo,
        "get_type_schema",
        json!({"ckTypeId": "Demo/Machine"}),
    )
    .await["schema"]
        .clone();
    let state = machine["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|attribute| attribute["attributeName"] == "MachineState")
        .unwrap();
    assert_eq!(state["valueType"], "ENUM");
    assert_eq!(state["enumValues"][3], json!({"key": 3, "name": "Fault"}));

    let missing = refused(&demo, "get_type_schema", json!({"ckTypeId": "Demo/Robot"})).await;
    assert!(missing.contains("search_types"), "{missing}");
    stack.stop().await;
}

/// One machine of the operator test, with the values the oracle reads.
struct Machine {
    name: &'static str,
    manufacturer: &'static str,
    serial: &'static str,
    state: &'static str,
    power: Option<f64>,
    hours: i64,
    tags: Option<&'static [&'static str]>,
}

const MACHINES: [Machine; 7] = [
    Machine {
        name: "Press Alpha",
        manufacturer: "Voith",
        serial: "SN-100",
        state: "Running",
        power: Some(10.5),
        hours: 100,
        tags: Some(&["press", "hot"]),
    },
    Machine {
        name: "Press Beta",
        manufacturer: "Siemens",
        serial: "SN-200",
        state: "Idle",
        power: Some(250.0),
        hours: 2000,
        tags: Some(&["press"]),
    },
    Machine {
        name: "Pump Gamma",
        manufacturer: "Siemens",
        serial: "XN-300",
        state: "Fault",
        power: None,
        hours: 30,
        tags: None,
    },
    Machine {
        name: "Pump Delta",
        manufacturer: "Engel",
        serial: "SN-400",
        state: "Running",
        power: Some(99.9),
        hours: 40_000,
        tags: Some(&["pump", "cold"]),
    },
    Machine {
        name: "Lathe Epsilon",
        manufacturer: "Trumpf",
        serial: "LT-500",
        state: "Maintenance",
        power: Some(400.0),
        hours: 5,
        tags: Some(&["lathe"]),
    },
    Machine {
        name: "Mill Zeta",
        manufacturer: "Andritz",
        serial: "SN-600",
        state: "Running",
        power: Some(0.5),
        hours: 0,
        tags: None,
    },
    Machine {
        name: "Mill Eta 50%",
        manufacturer: "Voith",
        serial: "MI_700",
        state: "Idle",
        power: Some(120.0),
        hours: 777,
        tags: Some(&["mill", "hot"]),
    },
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_filter_operator_returns_the_rows_an_oracle_expects() {
    let dir = DataDir::new("ck-operators");
    let stack = TestStack::platform(&dir.0, false).await;
    empty_demo_tenant(&stack, "ops");
    let ops = client(&stack, "ops").await;
    for machine in &MACHINES {
        let mut data = vec![
            json!({"AttributePath": "Name", "Value": machine.name}),
            json!({"AttributePath": "Manufacturer", "Value": machine.manufacturer}),
            json!({"AttributePath": "SerialNumber", "Value": machine.serial}),
            json!({"AttributePath": "MachineState", "Value": machine.state}),
            json!({"AttributePath": "OperatingHours", "Value": machine.hours}),
        ];
        if let Some(power) = machine.power {
            data.push(json!({"AttributePath": "RatedPower", "Value": power}));
        }
        if let Some(tags) = machine.tags {
            data.push(json!({"AttributePath": "Tags", "Value": tags}));
        }
        ok(
            &ops,
            "create_entity",
            json!({"ckTypeId": "Demo/Machine", "entityData": data}),
        )
        .await;
    }
    type Check = (
        &'static str,
        &'static str,
        Value,
        Option<Value>,
        fn(&Machine) -> bool,
    );
    let checks: Vec<Check> = vec![
        ("Manufacturer", "Equals", json!("Siemens"), None, |m| {
            m.manufacturer == "Siemens"
        }),
        ("Manufacturer", "NotEquals", json!("Siemens"), None, |m| {
            m.manufacturer != "Siemens"
        }),
        ("Name", "Contains", json!("50%"), None, |m| {
            m.name.contains("50%")
        }),
        ("Name", "StartsWith", json!("Pump"), None, |m| {
            m.name.starts_with("Pump")
        }),
        ("Name", "EndsWith", json!("a"), None, |m| {
            m.name.ends_with('a')
        }),
        ("Name", "Like", json!("M%"), None, |m| {
            m.name.starts_with('M')
        }),
        ("RatedPower", "GreaterThan", json!(100), None, |m| {
            m.power.is_some_and(|p| p > 100.0)
        }),
        ("RatedPower", "GreaterThanOrEqual", json!(120), None, |m| {
            m.power.is_some_and(|p| p >= 120.0)
        }),
        ("OperatingHours", "LessThan", json!(100), None, |m| {
            m.hours < 100
        }),
        ("OperatingHours", "LessThanOrEqual", json!(100), None, |m| {
            m.hours <= 100
        }),
        (
            "RatedPower",
            "Between",
            json!(10.5),
            Some(json!(120)),
            |m| m.power.is_some_and(|p| (10.5..=120.0).contains(&p)),
        ),
        ("Manufacturer", "In", json!(["Voith", "Engel"]), None, |m| {
            ["Voith", "Engel"].contains(&m.manufacturer)
        }),
        (
            "Manufacturer",
            "NotIn",
            json!(["Voith", "Engel"]),
            None,
            |m| !["Voith", "Engel"].contains(&m.manufacturer),
        ),
        ("RatedPower", "IsNull", Value::Null, None, |m| {
            m.power.is_none()
        }),
        ("Tags", "IsNotNull", Value::Null, None, |m| m.tags.is_some()),
        ("SerialNumber", "Regex", json!("^SN-[0-9]{3}$"), None, |m| {
            m.serial.starts_with("SN-") && m.serial.len() == 6
        }),
        ("Tags", "AnyEq", json!("hot"), None, |m| {
            m.tags.is_some_and(|t| t.contains(&"hot"))
        }),
        ("Tags", "AnyLike", json!("p%"), None, |m| {
            m.tags
                .is_some_and(|t| t.iter().any(|tag| tag.starts_with('p')))
        }),
        ("MachineState", "Equals", json!("Running"), None, |m| {
            m.state == "Running"
        }),
    ];
    for (path, operator, value, second, oracle) in checks {
        let mut field = json!({"AttributePath": path, "Operator": operator, "Value": value});
        if let Some(second) = second {
            field["SecondValue"] = second;
        }
        let list = ok(
            &ops,
            "query_entities",
            json!({"ckTypeId": "Demo/Machine", "filters": {"Operator": "And", "Fields": [field]}}),
        )
        .await;
        let expected: BTreeSet<String> = MACHINES
            .iter()
            .filter(|machine| oracle(machine))
            .map(|machine| machine.name.to_owned())
            .collect();
        assert!(!expected.is_empty(), "{operator}: the oracle expects rows");
        assert_eq!(names(&list), expected, "{path} {operator}");
        assert_eq!(list["totalCount"], expected.len(), "{path} {operator}");
    }
    // Or with a nested And, sorted and paged.
    let filters = json!({
        "Operator": "Or",
        "Fields": [{"AttributePath": "Manufacturer", "Operator": "Equals", "Value": "Trumpf"}],
        "NestedFilters": [{"Operator": "And", "Fields": [
            {"AttributePath": "Name", "Operator": "StartsWith", "Value": "Press"},
            {"AttributePath": "RatedPower", "Operator": "GreaterThan", "Value": 100},
        ]}],
    });
    let list = ok(
        &ops,
        "query_entities",
        json!({"ckTypeId": "Demo/Machine", "filters": filters,
               "sort": [{"AttributePath": "RatedPower", "Direction": "desc"}], "limit": 1}),
    )
    .await;
    assert_eq!(list["totalCount"], 2);
    assert_eq!(list["hasMore"], true);
    assert_eq!(list["entities"][0]["attributes"]["Name"], "Lathe Epsilon");
    // Equality filters, projection.
    let simple = ok(
        &ops,
        "query_entities_simple",
        json!({"ckTypeId": "Demo/Machine", "simpleFilters": [{"AttributePath": "Manufacturer", "Value": "Voith"}],
               "attributePaths": ["Name"]}),
    )
    .await;
    assert_eq!(simple["totalCount"], 2);
    for entity in simple["entities"].as_array().unwrap() {
        assert_eq!(
            entity["attributes"].as_object().unwrap().len(),
            1,
            "{entity}"
        );
    }
    // An unknown operator is an error that lists the known ones, not a silent Equals.
    let unknown = refused(
        &ops,
        "query_entities",
        json!({"ckTypeId": "Demo/Machine", "filters": {"Fields": [{"AttributePath": "Name", "Operator": "Matches", "Value": "x"}]}}),
    )
    .await;
    assert!(
        unknown.contains("Matches") && unknown.contains("StartsWith"),
        "{unknown}"
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entities_are_created_updated_with_versions_archived_and_erased() {
    let dir = DataDir::new("ck-crud");
    let stack = TestStack::platform(&dir.0, true).await;
    let demo = client(&stack, "demo").await;
    let site = "de0000010000000000000000";
    let created = ok(
        &demo,
        "create_entity",
        json!({"ckTypeId": "Demo/Machine", "rtWellKnownName": "press-x",
               "entityData": [{"AttributePath": "Name", "Value": "Press X"}, {"AttributePath": "Manufacturer", "Value": "Acme"},
                              {"AttributePath": "SerialNumber", "Value": "SN-X"}, {"AttributePath": "MachineState", "Value": 1}],
               "associations": [{"roleId": "System/ParentChild", "targetRtId": site, "targetCkTypeId": "Demo/Site"}]}),
    )
    .await;
    let entity = &created["entity"];
    let rt_id = entity["rtId"].as_str().unwrap().to_owned();
    assert_eq!(rt_id.len(), 24);
    assert_eq!(entity["rtVersion"], 1);
    assert_eq!(entity["rtWellKnownName"], "press-x");

    let read = ok(
        &demo,
        "get_entity_by_id",
        json!({"ckTypeId": "Demo/Machine", "rtId": rt_id}),
    )
    .await;
    assert_eq!(read["entity"]["attributes"]["Manufacturer"], "Acme");

    let updated = ok(
        &demo,
        "update_entity",
        json!({"rtId": rt_id, "ckTypeId": "Demo/Machine", "expectedVersion": 1,
               "entityData": [{"AttributePath": "RatedPower", "Value": 42.5}]}),
    )
    .await;
    assert_eq!(updated["entity"]["rtVersion"], 2);
    assert_eq!(updated["entity"]["attributes"]["RatedPower"], 42.5);

    // A stale version: refused, with the current entity and version.
    let stale = demo
        .call_tool(
            "update_entity",
            json!({"rtId": rt_id, "ckTypeId": "Demo/Machine", "expectedVersion": 1,
                   "entityData": [{"AttributePath": "RatedPower", "Value": 1.0}]}),
        )
        .await;
    assert_eq!(stale["isError"], true);
    let conflict = &stale["structuredContent"];
    assert_eq!(conflict["isConflict"], true, "{conflict:#}");
    assert_eq!(conflict["currentRtVersion"], 2);
    assert_eq!(conflict["entity"]["attributes"]["RatedPower"], 42.5);

    // The site now has the machine among its children.
    let children = ok(
        &demo,
        "navigate_associations",
        json!({"ckTypeId": "Demo/Site", "rtId": site, "ckRoleId": "System/ParentChild", "direction": "Inbound",
               "targetTypeId": "Demo/Machine", "filters": [{"AttributePath": "Manufacturer", "Value": "Acme"}]}),
    )
    .await;
    assert_eq!(children["totalCount"], 1);

    // Delete needs confirm; without it nothing happens.
    let unconfirmed = refused(
        &demo,
        "delete_entity",
        json!({"ckTypeId": "Demo/Machine", "rtId": rt_id}),
    )
    .await;
    assert!(unconfirmed.contains("confirm"), "{unconfirmed}");
    ok(
        &demo,
        "get_entity_by_id",
        json!({"ckTypeId": "Demo/Machine", "rtId": rt_id}),
    )
    .await;

    ok(
        &demo,
        "delete_entity",
        json!({"ckTypeId": "Demo/Machine", "rtId": rt_id, "confirm": true}),
    )
    .await;
    let visible = ok(
        &demo,
        "query_entities_simple",
        json!({"ckTypeId": "Demo/Machine", "simpleFilters": [{"AttributePath": "Manufacturer", "Value": "Acme"}]}),
    )
    .await;
    assert_eq!(visible["totalCount"], 0, "archived entities are hidden");
    let archived = ok(
        &demo,
        "query_entities",
        json!({"ckTypeId": "Demo/Machine", "includeArchived": true,
               "filters": {"Fields": [{"AttributePath": "Manufacturer", "Operator": "Equals", "Value": "Acme"}]}}),
    )
    .await;
    assert_eq!(archived["totalCount"], 1);

    ok(
        &demo,
        "delete_entity",
        json!({"ckTypeId": "Demo/Machine", "rtId": rt_id, "erase": true, "confirm": true}),
    )
    .await;
    let gone = refused(
        &demo,
        "get_entity_by_id",
        json!({"ckTypeId": "Demo/Machine", "rtId": rt_id}),
    )
    .await;
    assert!(gone.contains("query_entities"), "{gone}");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_changes_nothing_and_says_why() {
    let dir = DataDir::new("ck-bad");
    let stack = TestStack::platform(&dir.0, true).await;
    let demo = client(&stack, "demo").await;
    let count = || async {
        ok(
            &demo,
            "query_entities",
            json!({"ckTypeId": "Demo/Machine", "limit": 1}),
        )
        .await["totalCount"]
            .clone()
    };
    let before = count().await;
    let name = json!({"AttributePath": "Name", "Value": "M"});
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "create_entity",
            json!({"ckTypeId": "Demo/Machine", "entityData": [name, {"AttributePath": "Colour", "Value": "red"}]}),
            "Colour",
        ),
        (
            "create_entity",
            json!({"ckTypeId": "Demo/Machine", "entityData": [{"AttributePath": "Name", "Value": {"first": "M"}}]}),
            "attribute `Name`: expected a string",
        ),
        (
            "create_entity",
            json!({"ckTypeId": "Demo/Machine", "entityData": [name]}),
            "Manufacturer",
        ),
        (
            "create_entity",
            json!({"ckTypeId": "Demo/Robot", "entityData": [name]}),
            "Demo/Robot",
        ),
        (
            "create_entity",
            json!({"ckTypeId": "Demo/Machine", "entityData": [name,
            {"AttributePath": "Manufacturer", "Value": "A"}, {"AttributePath": "SerialNumber", "Value": "S"},
            {"AttributePath": "MachineState", "Value": "Exploded"}]}),
            "Exploded",
        ),
        (
            "update_entity",
            json!({"rtId": "de0000020000000000000000", "ckTypeId": "Demo/Machine",
            "entityData": [{"AttributePath": "RatedPower", "Value": "fast"}]}),
            "RatedPower",
        ),
        (
            "update_entity",
            json!({"rtId": "not-an-id", "ckTypeId": "Demo/Machine", "entityData": [name]}),
            "not-an-id",
        ),
        (
            "query_entities",
            json!({"ckTypeId": "Demo/Site", "filters": {"Fields": [{"AttributePath": "Address", "Operator": "Equals", "Value": "x"}]}}),
            "its fields: Street, City",
        ),
        (
            "query_entities",
            json!({"ckTypeId": "Demo/Machine", "limit": 5000}),
            "limit",
        ),
        (
            "query_entities",
            json!({"ckTypeId": "Demo/Machine", "bogus": 1}),
            "bogus",
        ),
    ];
    for (tool, arguments, mentions) in cases {
        let text = refused(&demo, tool, arguments.clone()).await;
        assert!(
            text.contains(mentions),
            "{tool}({arguments}): `{text}` should mention `{mentions}`"
        );
    }
    assert_eq!(count().await, before, "nothing was written");
    let machine = ok(
        &demo,
        "get_entity_by_id",
        json!({"ckTypeId": "Demo/Machine", "rtId": "de0000020000000000000000"}),
    )
    .await;
    assert_eq!(
        machine["entity"]["rtVersion"], 1,
        "the refused update left it alone"
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn association_trees_follow_the_plant_hierarchy() {
    let dir = DataDir::new("ck-tree");
    let stack = TestStack::platform(&dir.0, true).await;
    let demo = client(&stack, "demo").await;
    let tree = ok(
        &demo,
        "get_association_tree",
        json!({"rootCkTypeId": "Demo/Site", "ckRoleId": "System/ParentChild", "direction": "Inbound",
               "maxDepth": 2, "attributePaths": ["Name"], "rootFilters": [{"AttributePath": "Country", "Value": "NL"}]}),
    )
    .await;
    // One Dutch site, 20 machines, 24 sensors each.
    assert_eq!(tree["roots"].as_array().unwrap().len(), 1);
    let machines = tree["roots"][0]["children"].as_array().unwrap();
    assert_eq!(machines.len(), 20);
    assert!(
        machines
            .iter()
            .all(|machine| machine["children"].as_array().unwrap().len() == 24)
    );
    assert_eq!(tree["nodeCount"], 1 + 20 + 20 * 24);
    assert_eq!(tree["truncated"], false);
    let upward = ok(
        &demo,
        "navigate_associations",
        json!({"ckTypeId": "Demo/Sensor", "rtId": "de0000030000000000000000", "ckRoleId": "System/ParentChild",
               "direction": "Outbound", "targetTypeId": "Demo/Machine"}),
    )
    .await;
    assert_eq!(upward["totalCount"], 1);
    assert_eq!(upward["entities"][0]["rtId"], "de0000020000000000000000");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_never_see_each_other_and_data_survives_a_restart() {
    let dir = DataDir::new("ck-restart");
    let stack = TestStack::platform(&dir.0, true).await;
    empty_demo_tenant(&stack, "other");
    let demo = client(&stack, "demo").await;
    let created = ok(
        &demo,
        "create_entity",
        json!({"ckTypeId": "Demo/Site", "entityData": [{"AttributePath": "Name", "Value": "Oslo Yard"},
               {"AttributePath": "Country", "Value": "NO"}, {"AttributePath": "Address", "Value": {"City": "Oslo"}}]}),
    )
    .await;
    let rt_id = created["entity"]["rtId"].as_str().unwrap().to_owned();
    // The same tool on the tenantless endpoint with `tenantId`, for the other tenant.
    let mut tenantless = stack.client();
    tenantless.initialize().await;
    let other_sites = ok(
        &tenantless,
        "query_entities",
        json!({"ckTypeId": "Demo/Site", "tenantId": "other"}),
    )
    .await;
    assert_eq!(other_sites["totalCount"], 0);
    assert_eq!(other_sites["tenantId"], "other");
    refused(
        &tenantless,
        "get_entity_by_id",
        json!({"ckTypeId": "Demo/Site", "rtId": rt_id, "tenantId": "other"}),
    )
    .await;
    let no_tenant = refused(&tenantless, "get_available_models", json!({})).await;
    assert!(no_tenant.contains("tenantId"), "{no_tenant}");
    stack.stop().await;

    let stack = TestStack::platform(&dir.0, true).await;
    let demo = client(&stack, "demo").await;
    let read = ok(
        &demo,
        "query_entities",
        json!({"ckTypeId": "Demo/Site", "filters": {"Fields": [{"AttributePath": "Address.City", "Operator": "Equals", "Value": "Oslo"}]}}),
    )
    .await;
    assert_eq!(read["totalCount"], 1);
    assert_eq!(read["entities"][0]["rtId"], rt_id.as_str());
    let sites = ok(&demo, "query_entities", json!({"ckTypeId": "Demo/Site"})).await;
    assert_eq!(
        sites["totalCount"], 7,
        "six demo sites, not seeded twice, plus Oslo"
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_describes_validates_and_counts_the_tools() {
    let dir = DataDir::new("ck-tools");
    let stack = TestStack::platform(&dir.0, false).await;
    let client = client(&stack, "octosystem").await;
    let ck = ok(&client, "list_available_tools", json!({"category": "ck"})).await;
    assert_eq!(ck["count"], 14);
    assert!(
        ck["categories"]
            .as_array()
            .unwrap()
            .contains(&json!("gateway"))
    );
    let all = ok(&client, "list_available_tools", json!({})).await;
    assert_eq!(
        all["count"],
        14 + 11 + 70 + 11,
        "14 ck, 11 aggregation, 70 platform-admin and 11 gateway tools"
    );
    let wrong = refused(&client, "list_available_tools", json!({"category": "nope"})).await;
    assert!(wrong.contains("ck"), "{wrong}");

    let details = ok(
        &client,
        "get_tool_details",
        json!({"toolName": "delete_entity"}),
    )
    .await;
    let tool = &details["tool"];
    assert_eq!(tool["risk"], "High");
    assert_eq!(tool["annotations"]["destructiveHint"], true);
    assert!(tool["inputSchema"]["properties"]["confirm"].is_object());
    assert_eq!(tool["example"]["ckTypeId"], "<ckTypeId>");

    let valid = ok(
        &client,
        "validate_tool_parameters",
        json!({"toolName": "query_entities", "parameters": "{\"ckTypeId\": \"Demo/Machine\", \"limit\": 5}"}),
    )
    .await;
    assert_eq!(valid["isValid"], true, "{valid:#}");
    let invalid = ok(
        &client,
        "validate_tool_parameters",
        json!({"toolName": "query_entities", "parameters": "{\"ckTypeId\": \"Demo/Machine\", \"limit\": \"five\"}"}),
    )
    .await;
    assert_eq!(invalid["isValid"], false);
    assert!(
        invalid["errors"][0].as_str().unwrap().contains("limit"),
        "{invalid:#}"
    );
    let not_json = ok(
        &client,
        "validate_tool_parameters",
        json!({"toolName": "Echo", "parameters": "{oops"}),
    )
    .await;
    assert_eq!(not_json["isValid"], false);

    let echoed = ok(&client, "Echo", json!({"message": "hello"})).await;
    assert_eq!(echoed["echo"], "hello");
    assert_eq!(echoed["tenantId"], "octosystem");
    let stats = ok(&client, "get_tool_statistics", json!({"timeRange": "hour"})).await;
    let echo = stats["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|tool| tool["name"] == "Echo")
        .expect("Echo was counted");
    assert_eq!(echo["calls"], 1);
    assert_eq!(echo["failures"], 0);
    assert!(stats["totalCalls"].as_u64().unwrap() >= 8);
    stack.stop().await;
}
