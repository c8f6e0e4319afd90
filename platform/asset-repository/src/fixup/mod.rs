//! Fixup scripts: `System.Bot/Fixup` entities whose script runs once against the tenant's
//! runtime entities (upstream's bot runs mongosh JavaScript against the tenant's database;
//! here the script is Rhai in a sandbox, [`engine`], over an entity API, [`api`]).
//!
//! A run takes the fixups with `Enabled == true` and `IsApplied == false`, by `Order` ascending
//! (ties by `Name`). `IsApplied` defaults to `true` in the CK model, and the store does not
//! write defaults, so a fixup created without `IsApplied: false` counts as applied and never
//! runs (upstream's quirk, kept). A fixup with an empty script is skipped and left as it is.
//! Each script's writes are one batch: when the script succeeds they are written in one
//! transaction together with the fixup's own record (`IsApplied = true`, `AppliedAt`,
//! `IsSuccess`, `Output`, `Error`). A script that fails — an error, a bound reached, or writes
//! the store refuses — changes nothing but its fixup, which is marked applied with
//! `IsSuccess = false` and the error; the run goes on with the next fixup (as upstream marks a
//! failing script applied). A storage failure aborts the run; fixups already run stay marked.

pub mod api;
pub mod engine;

use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

pub use engine::Bounds;

use crate::ck::model::ElementId;
use crate::store::{EntityChange, EntityQuery, MAX_LIMIT, StoreError, StoredEntity, Tenant};

/// The CK type of fixups.
pub const FIXUP_TYPE: &str = "System.Bot/Fixup";

/// Most fixups one run looks at.
pub const MAX_FIXUPS: usize = 10_000;

/// One fixup that ran.
#[derive(Debug, Clone, PartialEq)]
pub struct FixupRun {
    pub rt_id: String,
    pub name: String,
    pub order: i64,
    pub is_success: bool,
    pub output: String,
    pub error: Option<String>,
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunReport {
    /// The fixups that ran, in the order they ran.
    pub ran: Vec<FixupRun>,
    /// Due fixups passed over because their script is empty.
    pub skipped: usize,
}

/// Why a run did not happen (or stopped).
#[derive(Debug, thiserror::Error)]
pub enum FixupError {
    #[error(
        "tenant `{0}` has no `System.Bot/Fixup` type (its built-in models predate it): bring them up to date (PUT {0}/v1/tenants/update, the update_system_ck_model tool), then create fixups"
    )]
    NoFixupType(String),
    #[error("fixups of tenant `{0}` are running already; wait for that run to end")]
    AlreadyRunning(String),
    #[error("the run stopped: {0}")]
    Store(#[from] StoreError),
}

/// The tenants whose fixups are running now (one run per tenant at a time), by the address of
/// their open [`Tenant`] (a platform opens each tenant once).
static RUNNING: Mutex<Option<HashSet<usize>>> = Mutex::new(None);

struct Running(usize);

impl Running {
    fn start(tenant: &Arc<Tenant>) -> Result<Running, FixupError> {
        let key = Arc::as_ptr(tenant) as usize;
        let mut running = RUNNING.lock().expect("never poisoned");
        if !running.get_or_insert_with(HashSet::new).insert(key) {
            return Err(FixupError::AlreadyRunning(tenant.id.clone()));
        }
        Ok(Running(key))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(running) = RUNNING.lock().expect("never poisoned").as_mut() {
            running.remove(&self.0);
        }
    }
}

/// Runs the due fixups of `tenant` (see the module documentation).
pub fn run_fixups(tenant: &Arc<Tenant>, bounds: &Bounds) -> Result<RunReport, FixupError> {
    let fixup_type = ElementId::parse(FIXUP_TYPE).expect("a literal id");
    if tenant.catalog().ck_type(&fixup_type).is_none() {
        return Err(FixupError::NoFixupType(tenant.id.clone()));
    }
    let _running = Running::start(tenant)?;
    let mut report = RunReport::default();
    for fixup in due(tenant)? {
        let script = text(&fixup, "Script").unwrap_or_default();
        if script.trim().is_empty() {
            report.skipped += 1;
            continue;
        }
        let session = Rc::new(RefCell::new(api::Session::new(Arc::clone(tenant))));
        let outcome = engine::run(&script, &session, bounds);
        let (changes, output) = match Rc::try_unwrap(session) {
            Ok(session) => session.into_inner().finish(),
            Err(shared) => (Vec::new(), shared.borrow().output().to_owned()),
        };
        let error = match outcome {
            Ok(()) => {
                let mut batch = changes;
                batch.push(mark(&fixup.rt_id, true, &output, None));
                match tenant.apply_changes(&batch) {
                    Ok(()) => None,
                    Err(StoreError::Invalid(problems)) => Some(format!(
                        "its writes were refused, nothing was written: {}",
                        problems.join("; ")
                    )),
                    Err(other) => return Err(other.into()),
                }
            }
            Err(error) => Some(error),
        };
        if let Some(error) = &error {
            tenant.apply_changes(&[mark(&fixup.rt_id, false, &output, Some(error))])?;
        }
        report.ran.push(FixupRun {
            rt_id: fixup.rt_id.clone(),
            name: text(&fixup, "Name").unwrap_or_default(),
            order: order(&fixup),
            is_success: error.is_none(),
            output,
            error,
        });
    }
    Ok(report)
}

/// The fixup's record after it ran.
fn mark(rt_id: &str, success: bool, output: &str, error: Option<&str>) -> EntityChange {
    let now = crate::store::format_rfc3339_ms(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_millis() as i64),
    );
    EntityChange::Update {
        rt_id: rt_id.to_owned(),
        changes: vec![
            ("IsApplied".into(), json!(true)),
            ("AppliedAt".into(), json!(now)),
            ("IsSuccess".into(), json!(success)),
            ("Output".into(), json!(output)),
            (
                "Error".into(),
                error.map_or(Value::Null, |error| json!(error)),
            ),
        ],
    }
}

fn text(entity: &StoredEntity, name: &str) -> Option<String> {
    entity
        .attributes
        .get(name)
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn order(entity: &StoredEntity) -> i64 {
    entity
        .attributes
        .get("Order")
        .and_then(Value::as_i64)
        .unwrap_or(i64::MAX)
}

/// Enabled fixups not yet applied (an absent `IsApplied` is its default, `true`), in order.
fn due(tenant: &Tenant) -> Result<Vec<StoredEntity>, StoreError> {
    let mut query = EntityQuery::of_type(FIXUP_TYPE);
    query.limit = MAX_LIMIT;
    let mut fixups = Vec::new();
    loop {
        let page = tenant.query_entities(&query)?;
        if page.total_count as usize > MAX_FIXUPS {
            return Err(StoreError::Invalid(vec![format!(
                "the tenant has {} fixups; a run looks at most at {MAX_FIXUPS}: delete applied ones",
                page.total_count
            )]));
        }
        let got = page.entities.len();
        fixups.extend(page.entities);
        if got < MAX_LIMIT as usize || fixups.len() as u64 >= page.total_count {
            break;
        }
        query.offset += MAX_LIMIT;
    }
    let flag =
        |entity: &StoredEntity, name: &str| entity.attributes.get(name).and_then(Value::as_bool);
    let mut due: Vec<StoredEntity> = fixups
        .into_iter()
        .filter(|fixup| {
            flag(fixup, "Enabled") == Some(true) && flag(fixup, "IsApplied") == Some(false)
        })
        .collect();
    due.sort_by(|a, b| {
        order(a)
            .cmp(&order(b))
            .then_with(|| text(a, "Name").cmp(&text(b, "Name")))
            .then_with(|| a.rt_id.cmp(&b.rt_id))
    });
    Ok(due)
}

#[cfg(test)]
mod tests;
