//! The GraphQL surface against a small demo plant.

use serde_json::{Value, json};

use super::{Request, execute};
use crate::builtin::builtin_libraries;
use crate::demo::{DEMO_TENANT, DemoSize, demo_rt_id, seed};
use crate::store::{Platform, Tenant};

struct Fixture {
    dir: std::path::PathBuf,
    tenant: std::sync::Arc<Tenant>,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn fixture(name: &str) -> Fixture {
    let dir = std::env::temp_dir().join(format!("octomesh-gql-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let platform = Platform::open(&dir, builtin_libraries()).unwrap();
    let size = DemoSize {
        sites: 2,
        machines_per_site: 3,
        sensors_per_machine: 5,
    };
    seed(&platform, DEMO_TENANT, size).unwrap();
    let tenant = platform.tenant(DEMO_TENANT).unwrap();
    Fixture { dir, tenant }
}

fn run(tenant: &Tenant, query: &str, variables: Value) -> Value {
    execute(
        tenant,
        Request {
            query: query.into(),
            variables: variables.as_object().cloned(),
            operation_name: None,
        },
    )
}

fn data(response: Value) -> Value {
    assert!(response.get("errors").is_none(), "{response:#}");
    response["data"].clone()
}

#[test]
fn construction_kit_lists_models_and_describes_a_type() {
    let fx = fixture("ck");
    let answer = data(run(
        &fx.tenant,
        r#"{ constructionKit {
              models { totalCount items { id { fullName } modelState } }
              types(ckId: "Demo/Machine") { items {
                ckTypeId { fullName semanticVersionedFullName } isAbstract baseType { ckTypeId { fullName } }
                attributes { items { attributeName attributeValueType isOptional ckEnumId { fullName } } }
                associations(direction: OUTBOUND) { items { ckAssociationRoleId targetCkTypeId navigationPropertyName multiplicity } }
              } }
            } }"#,
        json!({}),
    ));
    let models = &answer["constructionKit"]["models"];
    let names: Vec<&str> = models["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|model| model["id"]["fullName"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Demo-1.0.0"), "{names:?}");
    let machine = &answer["constructionKit"]["types"]["items"][0];
    assert_eq!(
        machine["ckTypeId"]["semanticVersionedFullName"],
        "Demo-1.0.0/Machine"
    );
    assert_eq!(machine["baseType"]["ckTypeId"]["fullName"], "System/Entity");
    let state = machine["attributes"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|attribute| attribute["attributeName"] == "MachineState")
        .unwrap();
    assert_eq!(state["attributeValueType"], "ENUM");
    assert_eq!(state["ckEnumId"]["fullName"], "Demo/MachineState");
    assert_eq!(
        machine["associations"]["items"],
        json!([{
            "ckAssociationRoleId": "System/ParentChild", "targetCkTypeId": "Demo/Site",
            "navigationPropertyName": "Parent", "multiplicity": "ONE",
        }, {
            // Inherited from System/Entity.
            "ckAssociationRoleId": "System/Related", "targetCkTypeId": "System/Entity",
            "navigationPropertyName": "RelatesTo", "multiplicity": "N",
        }])
    );
}

#[test]
fn runtime_entities_filter_sort_and_page_with_a_total_count() {
    let fx = fixture("query");
    let query = r#"query($first: Int, $after: String, $filter: [FieldFilter]) {
        runtime { runtimeEntities(ckId: "Demo/Sensor", fieldFilter: $filter, first: $first, after: $after,
                                  sortOrder: [{attributePath: "LastValue", sortOrder: DESCENDING}]) {
            totalCount pageInfo { hasNextPage endCursor }
            edges { node { rtId attributes(attributeNames: ["LastValue", "Unit"]) { items { attributeName value } } } }
        } } }"#;
    let filter = json!([{"attributePath": "Unit", "operator": "EQUALS", "comparisonValue": "bar"}]);
    let first = data(run(
        &fx.tenant,
        query,
        json!({"first": 2, "filter": filter}),
    ));
    let connection = &first["runtime"]["runtimeEntities"];
    // 30 sensors, kinds cycle through five: six are pressure sensors in bar.
    assert_eq!(connection["totalCount"], 6);
    assert_eq!(connection["pageInfo"]["hasNextPage"], true);
    let cursor = connection["pageInfo"]["endCursor"].as_str().unwrap();
    let rest = data(run(
        &fx.tenant,
        query,
        json!({"first": 10, "after": cursor, "filter": filter}),
    ));
    let mut values: Vec<f64> = connection["edges"]
        .as_array()
        .unwrap()
        .iter()
        .chain(
            rest["runtime"]["runtimeEntities"]["edges"]
                .as_array()
                .unwrap(),
        )
        .map(|edge| {
            let items = edge["node"]["attributes"]["items"].as_array().unwrap();
            assert_eq!(items.len(), 2);
            items
                .iter()
                .find(|item| item["attributeName"] == "LastValue")
                .unwrap()["value"]
                .as_f64()
                .unwrap()
        })
        .collect();
    assert_eq!(values.len(), 6);
    let sorted = {
        let mut sorted = values.clone();
        sorted.sort_by(|a, b| b.partial_cmp(a).unwrap());
        sorted
    };
    assert_eq!(values, sorted, "descending by LastValue across pages");
    values.dedup();
    assert_eq!(
        rest["runtime"]["runtimeEntities"]["pageInfo"]["hasNextPage"],
        false
    );
}

#[test]
fn or_groups_targets_and_definitions_follow_associations() {
    let fx = fixture("assoc");
    let answer = data(run(
        &fx.tenant,
        r#"query($machine: String!) {
            runtime {
              either: runtimeEntities(ckId: "Demo/Sensor", first: 0, fieldFilterGroup: {operator: OR, fieldFilters: [
                  {attributePath: "Unit", operator: EQUALS, comparisonValue: "bar"},
                  {attributePath: "Unit", operator: EQUALS, comparisonValue: "kW"}]}) { totalCount }
              machine: runtimeEntities(ckId: "Demo/Machine", rtId: $machine) { items {
                rtId
                associations {
                  targets(roleId: "System/ParentChild", direction: INBOUND, ckId: "Demo/Sensor") { totalCount }
                  definitions(direction: OUTBOUND) { items { ckAssociationRoleId targetCkTypeId } }
                }
              } }
            } }"#,
        json!({"machine": demo_rt_id(2, 1)}),
    ));
    assert_eq!(answer["runtime"]["either"]["totalCount"], 12);
    let machine = &answer["runtime"]["machine"]["items"][0];
    assert_eq!(machine["associations"]["targets"]["totalCount"], 5);
    assert_eq!(
        machine["associations"]["definitions"]["items"],
        json!([{"ckAssociationRoleId": "System/ParentChild", "targetCkTypeId": "Demo/Site"}])
    );
}

#[test]
fn mutations_create_update_with_versions_and_delete() {
    let fx = fixture("mutate");
    let site = demo_rt_id(1, 0);
    let created = data(run(
        &fx.tenant,
        r#"mutation($site: String!) { runtime { runtimeEntities { create(entities: [{
             ckTypeId: "Demo/Machine",
             attributes: [{attributeName: "Name", value: "Press 999"}, {attributeName: "Manufacturer", value: "Acme"},
                          {attributeName: "SerialNumber", value: "SN-1"}, {attributeName: "MachineState", value: "Idle"}],
             associations: [{roleId: "System/ParentChild", target: {rtId: $site, ckTypeId: "Demo/Site"}}]
           }]) { rtId rtVersion } } } }"#,
        json!({"site": site}),
    ));
    let node = &created["runtime"]["runtimeEntities"]["create"][0];
    let rt_id = node["rtId"].as_str().unwrap().to_owned();
    let version = node["rtVersion"].as_u64().unwrap();

    let update = r#"mutation($rtId: String!, $version: Int) { runtime { runtimeEntities { update(entities: [{
        rtId: $rtId, expectedVersion: $version,
        item: {attributes: [{attributeName: "MachineState", value: "Running"}]} }]) { rtVersion } } } }"#;
    let updated = data(run(
        &fx.tenant,
        update,
        json!({"rtId": rt_id, "version": version}),
    ));
    assert_eq!(
        updated["runtime"]["runtimeEntities"]["update"][0]["rtVersion"],
        version + 1
    );
    let stale = run(
        &fx.tenant,
        update,
        json!({"rtId": rt_id, "version": version}),
    );
    let error = &stale["errors"][0];
    assert_eq!(error["extensions"]["code"], "CONFLICT", "{stale:#}");
    assert_eq!(
        error["extensions"]["OctoDetails"]["currentVersion"],
        version + 1
    );
    assert_eq!(
        error["path"],
        json!(["runtime", "runtimeEntities", "update"])
    );

    let wrong_type = run(
        &fx.tenant,
        r#"mutation { runtime { runtimeEntities { create(entities: [{ckTypeId: "Demo/Machine",
            attributes: [{attributeName: "Name", value: 5}]}]) { rtId } } } }"#,
        json!({}),
    );
    let message = wrong_type["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("nothing was written"), "{message}");

    let deleted = data(run(
        &fx.tenant,
        r#"mutation($rtId: String!) { runtime { runtimeEntities {
             delete(entities: [{rtId: $rtId, ckTypeId: "Demo/Machine"}], options: ERASE) } } }"#,
        json!({"rtId": rt_id}),
    ));
    assert_eq!(deleted["runtime"]["runtimeEntities"]["delete"], true);
    assert!(fx.tenant.get_entity(&rt_id).unwrap().is_none());
}

#[test]
fn bad_requests_say_what_is_wrong() {
    let fx = fixture("bad");
    let unparsable = run(&fx.tenant, "{ runtime { ", json!({}));
    assert!(
        unparsable["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("does not parse")
    );
    let unknown = run(&fx.tenant, "{ runtime { nope } }", json!({}));
    assert_eq!(unknown["data"]["runtime"]["nope"], Value::Null);
    assert!(
        unknown["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("has no field `nope`")
    );
    let record = run(
        &fx.tenant,
        r#"{ runtime { runtimeEntities(ckId: "Demo/Site", fieldFilter: [{attributePath: "Address", operator: EQUALS, comparisonValue: "x"}]) { totalCount } } }"#,
        json!({}),
    );
    let message = record["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("Address."),
        "explains the dot path: {message}"
    );
    let typename = data(run(
        &fx.tenant,
        "query Q { __typename runtime { __typename } }",
        json!({}),
    ));
    assert_eq!(
        typename,
        json!({"__typename": "OctoQuery", "runtime": {"__typename": "RuntimeModelQuery"}})
    );
}
