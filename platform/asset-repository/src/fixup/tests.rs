//! Fixup runs: selection and order, what a run records, rollback of a failing script, bounds.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::{Bounds, run_fixups};
use crate::store::{EntityInput, Platform, Tenant};

struct DataDir(std::path::PathBuf);

impl Drop for DataDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tenant(name: &str) -> (DataDir, Platform, Arc<Tenant>) {
    let dir =
        DataDir(std::env::temp_dir().join(format!("octomesh-fixup-{name}-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&dir.0);
    let platform = Platform::open(&dir.0, crate::builtin::builtin_libraries()).unwrap();
    let tenant = platform.create_tenant("plant").unwrap();
    (dir, platform, tenant)
}

fn fixup(tenant: &Tenant, name: &str, order: i64, script: &str, extra: &[(&str, Value)]) -> String {
    let mut attributes = vec![
        ("Enabled".to_owned(), json!(true)),
        ("Name".to_owned(), json!(name)),
        ("Order".to_owned(), json!(order)),
        ("Script".to_owned(), json!(script)),
    ];
    for (key, value) in extra {
        attributes.retain(|(existing, _)| existing != key);
        attributes.push(((*key).to_owned(), value.clone()));
    }
    tenant
        .create_entity(EntityInput {
            ck_type: "System.Bot/Fixup".into(),
            rt_id: None,
            well_known_name: None,
            attributes,
            associations: Vec::new(),
        })
        .unwrap()
        .rt_id
}

fn due(tenant: &Tenant, name: &str, order: i64, script: &str) -> String {
    fixup(tenant, name, order, script, &[("IsApplied", json!(false))])
}

fn attribute(tenant: &Tenant, rt_id: &str, name: &str) -> Value {
    tenant
        .get_entity(rt_id)
        .unwrap()
        .unwrap()
        .attributes
        .get(name)
        .cloned()
        .unwrap_or(Value::Null)
}

#[test]
fn due_fixups_run_in_order_and_are_recorded() {
    let (_dir, _platform, tenant) = tenant("order");
    // Order 2 reads what order 1 created; ties go by name.
    let second = due(
        &tenant,
        "b-reads",
        2,
        r#"
        let found = entities("System.Bot/Fixup").filter(|f| f.attributes.Name == "made-by-a");
        print(`found ${found.len()}`);
    "#,
    );
    let first = due(
        &tenant,
        "a-creates",
        1,
        r#"
        let id = create("System.Bot/Fixup", #{Enabled: false, Name: "made-by-a", Order: 9, Script: ""});
        set_attribute(id, "Order", 10);
        print(entity(id).attributes.Order);
    "#,
    );
    let tie = due(&tenant, "c-tie", 2, "print(\"c\");");
    let disabled = fixup(
        &tenant,
        "off",
        0,
        "print(1);",
        &[("IsApplied", json!(false)), ("Enabled", json!(false))],
    );
    let applied = fixup(
        &tenant,
        "done",
        0,
        "print(1);",
        &[("IsApplied", json!(true))],
    );
    // Created without IsApplied: its default (true) holds, so it never runs.
    let defaulted = fixup(&tenant, "quirk", 0, "print(1);", &[]);
    let empty = due(&tenant, "empty", 0, "  ");

    let report = run_fixups(&tenant, &Bounds::default()).unwrap();
    let names: Vec<&str> = report.ran.iter().map(|run| run.name.as_str()).collect();
    assert_eq!(names, ["a-creates", "b-reads", "c-tie"]);
    assert_eq!(report.skipped, 1);
    assert!(
        report
            .ran
            .iter()
            .all(|run| run.is_success && run.error.is_none()),
        "{report:?}"
    );
    assert_eq!(report.ran[0].output, "10\n");
    assert_eq!(report.ran[1].output, "found 1\n");
    for rt_id in [&first, &second, &tie] {
        assert_eq!(attribute(&tenant, rt_id, "IsApplied"), json!(true));
        assert_eq!(attribute(&tenant, rt_id, "IsSuccess"), json!(true));
        assert!(
            attribute(&tenant, rt_id, "AppliedAt")
                .as_str()
                .unwrap()
                .ends_with('Z')
        );
    }
    assert_eq!(attribute(&tenant, &tie, "Output"), json!("c\n"));
    for rt_id in [&disabled, &applied, &defaulted, &empty] {
        assert_eq!(
            attribute(&tenant, rt_id, "AppliedAt"),
            Value::Null,
            "{rt_id} did not run"
        );
    }
    assert_eq!(attribute(&tenant, &defaulted, "IsApplied"), Value::Null);
    // A second run finds nothing due.
    assert!(
        run_fixups(&tenant, &Bounds::default())
            .unwrap()
            .ran
            .is_empty()
    );
}

#[test]
fn a_failing_script_is_marked_and_its_writes_are_rolled_back_and_the_run_goes_on() {
    let (_dir, _platform, tenant) = tenant("fail");
    let victim = fixup(&tenant, "victim", 50, "", &[]);
    let failing = due(
        &tenant,
        "fails",
        1,
        &format!(
            r#"
        set_attribute("{victim}", "Name", "changed");
        create("System.Bot/Fixup", #{{Enabled: true, Name: "orphan", Order: 1, Script: ""}});
        print("before");
        throw "broken on purpose";
    "#
        ),
    );
    let refused = due(
        &tenant,
        "refused",
        2,
        &format!(r#"set_attribute("{victim}", "Order", "not a number");"#),
    );
    let after = due(&tenant, "after", 3, "print(\"still ran\");");
    let report = run_fixups(&tenant, &Bounds::default()).unwrap();
    assert_eq!(report.ran.len(), 3);
    assert!(!report.ran[0].is_success);
    assert!(
        report.ran[0]
            .error
            .as_deref()
            .unwrap()
            .contains("broken on purpose"),
        "{report:?}"
    );
    assert_eq!(report.ran[0].output, "before\n");
    assert!(
        report.ran[1].error.as_deref().unwrap().contains("Order"),
        "{report:?}"
    );
    assert!(report.ran[2].is_success);
    assert_eq!(
        attribute(&tenant, &victim, "Name"),
        json!("victim"),
        "rolled back"
    );
    assert_eq!(
        tenant
            .query_entities(&crate::store::EntityQuery::of_type("System.Bot/Fixup"))
            .unwrap()
            .total_count,
        4
    );
    assert_eq!(attribute(&tenant, &failing, "IsApplied"), json!(true));
    assert_eq!(attribute(&tenant, &failing, "IsSuccess"), json!(false));
    assert!(
        attribute(&tenant, &failing, "Error")
            .as_str()
            .unwrap()
            .contains("broken on purpose")
    );
    assert_eq!(attribute(&tenant, &refused, "IsSuccess"), json!(false));
    assert_eq!(attribute(&tenant, &after, "Output"), json!("still ran\n"));
}

#[test]
fn endless_scripts_are_stopped_by_the_operation_bound_and_the_deadline() {
    let (_dir, _platform, tenant) = tenant("bounds");
    let spin = due(&tenant, "spin", 1, "let x = 0; loop { x += 1; }");
    let small = Bounds {
        max_operations: 100_000,
        ..Bounds::default()
    };
    let report = run_fixups(&tenant, &small).unwrap();
    assert!(
        report.ran[0]
            .error
            .as_deref()
            .unwrap()
            .contains("more than 100000 operations"),
        "{report:?}"
    );
    assert_eq!(attribute(&tenant, &spin, "IsSuccess"), json!(false));

    due(&tenant, "spin-again", 1, "loop { }");
    let quick = Bounds {
        max_operations: u64::MAX,
        deadline: Duration::from_millis(200),
        ..Bounds::default()
    };
    let started = std::time::Instant::now();
    let report = run_fixups(&tenant, &quick).unwrap();
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(
        report.ran[0]
            .error
            .as_deref()
            .unwrap()
            .contains("ran longer than"),
        "{report:?}"
    );

    due(&tenant, "deep", 1, "fn f(n) { f(n + 1) } f(0);");
    let report = run_fixups(&tenant, &Bounds::default()).unwrap();
    assert!(!report.ran[0].is_success);
    due(&tenant, "big", 1, "let s = \"x\"; loop { s += s; }");
    let report = run_fixups(&tenant, &Bounds::default()).unwrap();
    assert!(!report.ran[0].is_success, "{report:?}");
    due(&tenant, "no-eval", 1, "eval(\"1\");");
    let report = run_fixups(&tenant, &Bounds::default()).unwrap();
    assert!(!report.ran[0].is_success, "{report:?}");
}
