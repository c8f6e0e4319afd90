//! What a fixup script sees: the tenant's runtime entities, read through the store and written
//! into a [`Session`] that collects every write as one batch (applied by [`super`] in one
//! transaction when the script succeeds; dropped when it fails).
//!
//! | function | does |
//! |---|---|
//! | `entity(rtId)` | the entity as a map, or `()` when there is none |
//! | `entities(ckTypeId)` | the entities of a type and its subtypes, as an array of maps (at most [`MAX_READ`]; more is an error) |
//! | `set_attribute(rtId, attribute, value)` | sets an attribute (name or id; `()` removes it), checked against the CK type |
//! | `create(ckTypeId, #{attribute: value, …})` | creates an entity (required attributes checked); returns its rtId |
//! | `delete(rtId)` | erases an entity and its associations |
//! | `print(…)`, `debug(…)` | appends a line to the fixup's `Output` (at most [`MAX_OUTPUT`] bytes) |
//!
//! An entity map is `#{rtId, ckTypeId, rtWellKnownName, rtVersion, attributes: #{Name: …}}`;
//! values are as the GraphQL API gives them (enums as their key, records as maps of fields).
//! Reads see the script's own writes. At most [`MAX_WRITES`] writes per script.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use rhai::{Array, Dynamic, Engine, EvalAltResult, Map};
use serde_json::Value;

use crate::ck::model::ElementId;
use crate::rt::entity::{EntityDraft, RtId, Strictness, validate};
use crate::store::{EntityChange, EntityInput, EntityQuery, MAX_LIMIT, StoredEntity, Tenant};

/// Most entities one `entities()` call gives.
pub const MAX_READ: usize = 10_000;
/// Most writes of one script.
pub const MAX_WRITES: usize = 100_000;
/// Most bytes of a script's output.
pub const MAX_OUTPUT: usize = 64 * 1024;

type Fallible<T> = Result<T, Box<EvalAltResult>>;

/// One script's view of the tenant and its writes so far.
pub(crate) struct Session {
    tenant: Arc<Tenant>,
    /// Entities the script wrote: as they are now, or `None` when erased.
    overlay: HashMap<String, Option<StoredEntity>>,
    changes: Vec<EntityChange>,
    output: String,
}

impl Session {
    pub(crate) fn new(tenant: Arc<Tenant>) -> Session {
        Session {
            tenant,
            overlay: HashMap::new(),
            changes: Vec::new(),
            output: String::new(),
        }
    }

    /// The writes, in order, and what the script printed.
    pub(crate) fn finish(self) -> (Vec<EntityChange>, String) {
        (self.changes, self.output)
    }

    /// What the script printed so far.
    pub(crate) fn output(&self) -> &str {
        &self.output
    }

    fn print(&mut self, text: &str) {
        if self.output.len() >= MAX_OUTPUT {
            return;
        }
        let room = MAX_OUTPUT - self.output.len();
        if text.len() + 1 > room {
            let mut cut = room.saturating_sub(1);
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            self.output.push_str(&text[..cut]);
            self.output.push_str("\n[output truncated]");
            self.output.truncate(MAX_OUTPUT + 32);
            return;
        }
        self.output.push_str(text);
        self.output.push('\n');
    }

    fn current(&self, rt_id: &str) -> Fallible<Option<StoredEntity>> {
        let rt_id = RtId::parse(rt_id).map_err(error)?;
        if let Some(entry) = self.overlay.get(rt_id.as_str()) {
            return Ok(entry.clone());
        }
        Ok(self
            .tenant
            .get_entity(rt_id.as_str())
            .map_err(|problem| error(problem.to_string()))?
            .filter(|entity| !entity.archived))
    }

    fn existing(&self, rt_id: &str) -> Fallible<StoredEntity> {
        self.current(rt_id)?
            .ok_or_else(|| error(format!("entity `{rt_id}` does not exist")))
    }

    fn record(&mut self, change: EntityChange) -> Fallible<()> {
        if self.changes.len() >= MAX_WRITES {
            return Err(error(format!(
                "a script writes at most {MAX_WRITES} times; split the fixup"
            )));
        }
        self.changes.push(change);
        Ok(())
    }

    fn entities(&self, ck_type: &str) -> Fallible<Array> {
        let type_id = ElementId::parse(ck_type)
            .ok_or_else(|| error(format!("`{ck_type}` is not a CK type id: write Model/Type")))?;
        let mut query = EntityQuery::of_type(ck_type);
        query.limit = MAX_LIMIT;
        let mut found: Vec<StoredEntity> = Vec::new();
        loop {
            let page = self
                .tenant
                .query_entities(&query)
                .map_err(|problem| error(problem.to_string()))?;
            if page.total_count as usize > MAX_READ {
                return Err(error(format!(
                    "`{ck_type}` has {} entities; entities() gives at most {MAX_READ}",
                    page.total_count
                )));
            }
            let got = page.entities.len();
            found.extend(page.entities);
            if got < MAX_LIMIT as usize || found.len() as u64 >= page.total_count {
                break;
            }
            query.offset += MAX_LIMIT;
        }
        let mut seen = std::collections::HashSet::new();
        let mut view: Vec<StoredEntity> = Vec::new();
        for entity in found {
            seen.insert(entity.rt_id.clone());
            match self.overlay.get(&entity.rt_id) {
                Some(Some(written)) => view.push(written.clone()),
                Some(None) => {}
                None => view.push(entity),
            }
        }
        let catalog = self.tenant.catalog();
        let mut created: Vec<&StoredEntity> = self
            .overlay
            .values()
            .flatten()
            .filter(|entity| !seen.contains(&entity.rt_id))
            .filter(|entity| {
                ElementId::parse(&entity.ck_type)
                    .is_some_and(|id| catalog.derives_from(&id, &type_id))
            })
            .collect();
        created.sort_by(|a, b| a.rt_id.cmp(&b.rt_id));
        view.extend(created.into_iter().cloned());
        if view.len() > MAX_READ {
            return Err(error(format!(
                "`{ck_type}` has more than {MAX_READ} entities; entities() gives at most {MAX_READ}"
            )));
        }
        Ok(view.iter().map(entity_map).collect())
    }

    fn set_attribute(&mut self, rt_id: &str, attribute: &str, value: Dynamic) -> Fallible<()> {
        let mut entity = self.existing(rt_id)?;
        let value = to_json(&value)?;
        let validated = {
            let catalog = self.tenant.catalog();
            let draft = EntityDraft {
                rt_id: RtId::parse(&entity.rt_id).map_err(error)?,
                ck_type: entity.ck_type.clone(),
                well_known_name: entity.well_known_name.clone(),
                attributes: vec![(attribute.to_owned(), value.clone())],
                associations: Vec::new(),
            };
            validate(&catalog, draft, Strictness::Partial)
                .map_err(|problems| error(problems.join("; ")))?;
            let type_id = ElementId::parse(&entity.ck_type)
                .ok_or_else(|| error("a stored type is damaged".into()))?;
            let effective = catalog.effective_attributes(&type_id);
            let (usage, definition) = effective
                .iter()
                .find(|(usage, _)| {
                    usage.name == attribute
                        || ElementId::parse(attribute).as_ref() == Some(&usage.attribute)
                })
                .ok_or_else(|| {
                    error(format!(
                        "`{}` has no attribute `{attribute}`",
                        entity.ck_type
                    ))
                })?;
            let stored = if value.is_null() {
                None
            } else {
                Some(
                    crate::rt::value::convert(&catalog, definition, &value)
                        .map_err(error)?
                        .to_json(),
                )
            };
            (usage.name.clone(), stored)
        };
        match validated {
            (name, Some(stored)) => {
                entity.attributes.insert(name, stored);
            }
            (name, None) => {
                entity.attributes.remove(&name);
            }
        }
        entity.version += 1;
        self.record(EntityChange::Update {
            rt_id: entity.rt_id.clone(),
            changes: vec![(attribute.to_owned(), value)],
        })?;
        self.overlay.insert(entity.rt_id.clone(), Some(entity));
        Ok(())
    }

    fn create(&mut self, ck_type: &str, attributes: Map) -> Fallible<String> {
        let rt_id = fresh_rt_id().map_err(error)?;
        let mut pairs = Vec::with_capacity(attributes.len());
        for (key, value) in attributes {
            pairs.push((key.to_string(), to_json(&value)?));
        }
        let entity = {
            let catalog = self.tenant.catalog();
            let draft = EntityDraft {
                rt_id: RtId::parse(&rt_id).map_err(error)?,
                ck_type: ck_type.to_owned(),
                well_known_name: None,
                attributes: pairs.clone(),
                associations: Vec::new(),
            };
            validate(&catalog, draft, Strictness::Create)
                .map_err(|problems| error(problems.join("; ")))?
        };
        let now = crate::store::format_rfc3339_ms(now_ms());
        self.record(EntityChange::Create(EntityInput {
            ck_type: ck_type.to_owned(),
            rt_id: Some(rt_id.clone()),
            well_known_name: None,
            attributes: pairs,
            associations: Vec::new(),
        }))?;
        self.overlay.insert(
            rt_id.clone(),
            Some(StoredEntity {
                rt_id: rt_id.clone(),
                ck_type: entity.ck_type.to_string(),
                well_known_name: None,
                version: 1,
                created: now.clone(),
                changed: now,
                archived: false,
                attributes: entity
                    .attributes
                    .iter()
                    .map(|(name, value)| (name.clone(), value.to_json()))
                    .collect(),
            }),
        );
        Ok(rt_id)
    }

    fn delete(&mut self, rt_id: &str) -> Fallible<()> {
        let entity = self.existing(rt_id)?;
        self.record(EntityChange::Erase {
            rt_id: entity.rt_id.clone(),
        })?;
        self.overlay.insert(entity.rt_id, None);
        Ok(())
    }
}

fn error(message: String) -> Box<EvalAltResult> {
    message.into()
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as i64)
}

/// A new rtId: 4 bytes of seconds and 8 random bytes, as hex.
fn fresh_rt_id() -> Result<String, String> {
    let mut random = [0u8; 8];
    getrandom::getrandom(&mut random).map_err(|problem| format!("no random source: {problem}"))?;
    let seconds = (now_ms() / 1000) as u32;
    let mut text = format!("{seconds:08x}");
    for byte in random {
        text.push_str(&format!("{byte:02x}"));
    }
    Ok(text)
}

/// Registers the entity API on `engine`, over `session`.
pub(crate) fn register(engine: &mut Engine, session: &Rc<RefCell<Session>>) {
    let view = Rc::clone(session);
    engine.register_fn("entity", move |rt_id: &str| -> Fallible<Dynamic> {
        Ok(view
            .borrow()
            .current(rt_id)?
            .map_or(Dynamic::UNIT, |entity| entity_map(&entity)))
    });
    let view = Rc::clone(session);
    engine.register_fn("entities", move |ck_type: &str| -> Fallible<Array> {
        view.borrow().entities(ck_type)
    });
    let view = Rc::clone(session);
    engine.register_fn(
        "set_attribute",
        move |rt_id: &str, attribute: &str, value: Dynamic| -> Fallible<()> {
            view.borrow_mut().set_attribute(rt_id, attribute, value)
        },
    );
    let view = Rc::clone(session);
    engine.register_fn(
        "create",
        move |ck_type: &str, attributes: Map| -> Fallible<String> {
            view.borrow_mut().create(ck_type, attributes)
        },
    );
    let view = Rc::clone(session);
    engine.register_fn("delete", move |rt_id: &str| -> Fallible<()> {
        view.borrow_mut().delete(rt_id)
    });
    let view = Rc::clone(session);
    engine.on_print(move |text| view.borrow_mut().print(text));
    let view = Rc::clone(session);
    engine.on_debug(move |text, _, _| view.borrow_mut().print(text));
}

fn entity_map(entity: &StoredEntity) -> Dynamic {
    let mut map = Map::new();
    map.insert("rtId".into(), entity.rt_id.clone().into());
    map.insert("ckTypeId".into(), entity.ck_type.clone().into());
    map.insert(
        "rtWellKnownName".into(),
        entity
            .well_known_name
            .clone()
            .map_or(Dynamic::UNIT, Dynamic::from),
    );
    map.insert("rtVersion".into(), Dynamic::from(entity.version as i64));
    let attributes: Map = entity
        .attributes
        .iter()
        .map(|(name, value)| (name.as_str().into(), from_json(value)))
        .collect();
    map.insert("attributes".into(), Dynamic::from_map(attributes));
    Dynamic::from_map(map)
}

/// JSON as a script value: numbers as integers where they are whole.
fn from_json(value: &Value) -> Dynamic {
    match value {
        Value::Null => Dynamic::UNIT,
        Value::Bool(flag) => Dynamic::from(*flag),
        Value::Number(number) => match number.as_i64() {
            Some(integer) => Dynamic::from(integer),
            None => Dynamic::from(number.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(text) => Dynamic::from(text.clone()),
        Value::Array(items) => Dynamic::from_array(items.iter().map(from_json).collect()),
        Value::Object(fields) => Dynamic::from_map(
            fields
                .iter()
                .map(|(name, value)| (name.as_str().into(), from_json(value)))
                .collect(),
        ),
    }
}

/// A script value as JSON; what JSON cannot hold is refused with its type.
fn to_json(value: &Dynamic) -> Fallible<Value> {
    if value.is_unit() {
        return Ok(Value::Null);
    }
    if let Ok(flag) = value.as_bool() {
        return Ok(Value::Bool(flag));
    }
    if let Ok(integer) = value.as_int() {
        return Ok(Value::from(integer));
    }
    if let Ok(number) = value.as_float() {
        return serde_json::Number::from_f64(number)
            .map(Value::Number)
            .ok_or_else(|| error(format!("{number} is not a number an attribute can hold")));
    }
    if let Ok(character) = value.as_char() {
        return Ok(Value::String(character.to_string()));
    }
    if value.is_string() {
        return Ok(Value::String(
            value.clone().into_string().unwrap_or_default(),
        ));
    }
    if value.is_array() {
        let items = value.clone().into_array().unwrap_or_default();
        return items
            .iter()
            .map(to_json)
            .collect::<Fallible<Vec<_>>>()
            .map(Value::Array);
    }
    if value.is_map() {
        let fields = value.clone().cast::<Map>();
        let mut object = serde_json::Map::new();
        for (name, field) in &fields {
            object.insert(name.to_string(), to_json(field)?);
        }
        return Ok(Value::Object(object));
    }
    Err(error(format!(
        "a `{}` cannot be stored in an attribute",
        value.type_name()
    )))
}
