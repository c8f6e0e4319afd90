//! `up --demo`: a tenant with the demo CK library (`platform/fixtures/demo`) and a small plant —
//! sites → machines → sensors along `System/ParentChild`, some sensors also `Demo/Monitors`
//! another machine. Deterministic (same ids and values every time), created in one transaction,
//! and skipped when the tenant already has the demo library.

use serde_json::{Value, json};

use crate::builtin::{DEMO, demo_library};
use crate::store::{EntityInput, Platform, StoreError};

/// The default demo tenant.
pub const DEMO_TENANT: &str = "demo";

/// How big the demo plant is.
#[derive(Debug, Clone, Copy)]
pub struct DemoSize {
    pub sites: usize,
    pub machines_per_site: usize,
    pub sensors_per_machine: usize,
}

impl Default for DemoSize {
    /// 6 sites, 120 machines, 2,880 sensors: 3,006 entities.
    fn default() -> DemoSize {
        DemoSize {
            sites: 6,
            machines_per_site: 20,
            sensors_per_machine: 24,
        }
    }
}

/// What seeding did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DemoOutcome {
    Created { entities: usize },
    AlreadyThere,
}

const SITES: [(&str, &str, &str, f64, f64); 6] = [
    ("Linz Works", "AT", "Linz", 48.306, 14.286),
    ("Graz Assembly", "AT", "Graz", 47.070, 15.439),
    ("Munich Foundry", "DE", "Munich", 48.137, 11.575),
    ("Rotterdam Terminal", "NL", "Rotterdam", 51.924, 4.477),
    ("Turin Press Shop", "IT", "Turin", 45.070, 7.686),
    ("Brno Machining", "CZ", "Brno", 49.195, 16.607),
];
const MANUFACTURERS: [&str; 5] = ["Voith", "Siemens", "Engel", "Trumpf", "Andritz"];
const MACHINE_KINDS: [&str; 6] = ["Press", "Pump", "Compressor", "Lathe", "Conveyor", "Mill"];
const SENSOR_KINDS: [(&str, &str, f64, f64); 5] = [
    ("Temperature", "°C", 10.0, 90.0),
    ("Pressure", "bar", 1.0, 12.0),
    ("Vibration", "mm/s", 0.0, 8.0),
    ("Flow", "m³/h", 5.0, 60.0),
    ("Power", "kW", 1.0, 400.0),
];

/// A deterministic 24-hex rtId: kind 1 sites, 2 machines, 3 sensors.
pub fn demo_rt_id(kind: u32, index: usize) -> String {
    format!("de{kind:06x}{index:016x}")
}

/// Creates (or leaves alone) the demo tenant `tenant_id`.
pub fn seed(
    platform: &Platform,
    tenant_id: &str,
    size: DemoSize,
) -> Result<DemoOutcome, StoreError> {
    let tenant = match platform.tenant(tenant_id) {
        Ok(tenant) => tenant,
        Err(StoreError::TenantNotFound(_)) => platform.create_tenant(tenant_id)?,
        Err(error) => return Err(error),
    };
    if tenant.installed_model(DEMO)?.is_some() {
        return Ok(DemoOutcome::AlreadyThere);
    }
    tenant.import_ck(&demo_library())?;
    let entities = plant(size);
    let count = entities.len();
    tenant.create_entities(entities)?;
    Ok(DemoOutcome::Created { entities: count })
}

/// A small linear congruential generator: deterministic values without a dependency.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    fn pick(&mut self, len: usize) -> usize {
        ((self.next() * len as f64) as usize).min(len - 1)
    }
}

fn round(value: f64, decimals: i32) -> f64 {
    let factor = 10f64.powi(decimals);
    (value * factor).round() / factor
}

fn entity(
    ck_type: &str,
    rt_id: String,
    attributes: Vec<(&str, Value)>,
    associations: Vec<(String, String, String)>,
) -> EntityInput {
    EntityInput {
        ck_type: ck_type.into(),
        rt_id: Some(rt_id),
        well_known_name: None,
        attributes: attributes
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect(),
        associations,
    }
}

/// The plant's entities, parents before children.
fn plant(size: DemoSize) -> Vec<EntityInput> {
    let mut random = Lcg(0x0c70_3e54);
    let mut entities = Vec::new();
    let parent = |rt_id: &str, ck_type: &str| {
        (
            "System/ParentChild".to_owned(),
            rt_id.to_owned(),
            ck_type.to_owned(),
        )
    };
    let mut machine_index = 0;
    let mut sensor_index = 0;
    for site_index in 0..size.sites {
        let (name, country, city, latitude, longitude) = SITES[site_index % SITES.len()];
        let site_id = demo_rt_id(1, site_index);
        let mut site = entity(
            "Demo/Site",
            site_id.clone(),
            vec![
                ("Name", json!(name)),
                ("Country", json!(country)),
                (
                    "Address",
                    json!({"City": city, "Latitude": latitude, "Longitude": longitude}),
                ),
            ],
            Vec::new(),
        );
        site.well_known_name = Some(format!("site-{}", city.to_lowercase()));
        entities.push(site);
        for _ in 0..size.machines_per_site {
            let machine_id = demo_rt_id(2, machine_index);
            let kind = MACHINE_KINDS[random.pick(MACHINE_KINDS.len())];
            let state = match random.next() {
                x if x < 0.70 => "Running",
                x if x < 0.85 => "Idle",
                x if x < 0.95 => "Maintenance",
                _ => "Fault",
            };
            let year = 2012 + random.pick(12);
            let month = 1 + random.pick(12);
            entities.push(entity(
                "Demo/Machine",
                machine_id.clone(),
                vec![
                    ("Name", json!(format!("{kind} {:03}", machine_index + 1))),
                    (
                        "Manufacturer",
                        json!(MANUFACTURERS[random.pick(MANUFACTURERS.len())]),
                    ),
                    (
                        "SerialNumber",
                        json!(format!(
                            "SN-{}-{:05}",
                            &kind[..2].to_uppercase(),
                            10_000 + machine_index * 37
                        )),
                    ),
                    ("MachineState", json!(state)),
                    (
                        "CommissionedAt",
                        json!(format!("{year}-{month:02}-01T06:00:00Z")),
                    ),
                    ("RatedPower", json!(round(5.0 + random.next() * 395.0, 1))),
                    ("OperatingHours", json!((random.next() * 80_000.0) as i64)),
                    ("Tags", json!([kind.to_lowercase(), country.to_lowercase()])),
                ],
                vec![parent(&site_id, "Demo/Site")],
            ));
            for sensor_on_machine in 0..size.sensors_per_machine {
                let (kind, unit, low, high) = SENSOR_KINDS[sensor_on_machine % SENSOR_KINDS.len()];
                let value = low + (high - low) * (random.next() * 1.2 - 0.1);
                let mut associations = vec![parent(&machine_id, "Demo/Machine")];
                if sensor_on_machine == 0 && machine_index > 0 {
                    associations.push((
                        "Demo/Monitors".to_owned(),
                        demo_rt_id(2, machine_index - 1),
                        "Demo/Machine".to_owned(),
                    ));
                }
                entities.push(entity(
                    "Demo/Sensor",
                    demo_rt_id(3, sensor_index),
                    vec![
                        (
                            "Name",
                            json!(format!(
                                "{kind} {}-{}",
                                machine_index + 1,
                                sensor_on_machine + 1
                            )),
                        ),
                        ("SensorKind", json!(kind)),
                        ("Unit", json!(unit)),
                        ("LastValue", json!(round(value, 2))),
                        ("LowLimit", json!(low)),
                        ("HighLimit", json!(high)),
                        ("IsCritical", json!(sensor_on_machine % 5 == 0)),
                    ],
                    associations,
                ));
                sensor_index += 1;
            }
            machine_index += 1;
        }
    }
    entities
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::builtin_libraries;
    use crate::store::EntityQuery;

    #[test]
    fn the_demo_plant_is_created_once_with_its_associations() {
        let dir = std::env::temp_dir().join(format!("octomesh-demo-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let platform = Platform::open(&dir, builtin_libraries()).unwrap();
        let size = DemoSize {
            sites: 2,
            machines_per_site: 3,
            sensors_per_machine: 4,
        };
        assert_eq!(
            seed(&platform, DEMO_TENANT, size).unwrap(),
            DemoOutcome::Created {
                entities: 2 + 6 + 24
            }
        );
        assert_eq!(
            seed(&platform, DEMO_TENANT, size).unwrap(),
            DemoOutcome::AlreadyThere
        );
        let tenant = platform.tenant(DEMO_TENANT).unwrap();
        let sensors = tenant
            .query_entities(&EntityQuery::of_type("Demo/Sensor"))
            .unwrap();
        assert_eq!(sensors.total_count, 24);
        let children = tenant
            .associated(
                &demo_rt_id(2, 0),
                "System/ParentChild",
                crate::store::Direction::Inbound,
            )
            .unwrap();
        assert_eq!(children.len(), 4);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
