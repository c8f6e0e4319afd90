//! The sandboxed script engine: Rhai with every bound set, no module loading (the crate is built
//! with `no_module`), no `eval`, and nothing of the file system or the network (Rhai has neither);
//! the only way out is the entity API of [`super::api`].

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use rhai::{Engine, EvalAltResult};

use super::api::{self, Session};

/// The bounds of one script.
#[derive(Debug, Clone)]
pub struct Bounds {
    /// Rhai operations (each statement, expression and call counts).
    pub max_operations: u64,
    /// Nested function calls.
    pub max_call_levels: usize,
    /// Nested expressions (top level, and inside functions).
    pub max_expr_depth: (usize, usize),
    /// Bytes of one string.
    pub max_string_bytes: usize,
    /// Items of one array.
    pub max_array_items: usize,
    /// Entries of one object map.
    pub max_map_entries: usize,
    /// Wall-clock time of one script.
    pub deadline: Duration,
}

impl Default for Bounds {
    fn default() -> Bounds {
        Bounds {
            max_operations: 10_000_000,
            max_call_levels: 32,
            max_expr_depth: (64, 32),
            max_string_bytes: 1024 * 1024,
            max_array_items: 100_000,
            max_map_entries: 10_000,
            deadline: Duration::from_secs(30),
        }
    }
}

/// Runs `script` against `session`; the error says why the script failed (with its line).
pub(crate) fn run(
    script: &str,
    session: &Rc<RefCell<Session>>,
    bounds: &Bounds,
) -> Result<(), String> {
    let mut engine = Engine::new();
    engine.set_max_operations(bounds.max_operations);
    engine.set_max_call_levels(bounds.max_call_levels);
    engine.set_max_expr_depths(bounds.max_expr_depth.0, bounds.max_expr_depth.1);
    engine.set_max_string_size(bounds.max_string_bytes);
    engine.set_max_array_size(bounds.max_array_items);
    engine.set_max_map_size(bounds.max_map_entries);
    engine.disable_symbol("eval");
    let deadline = Instant::now() + bounds.deadline;
    let seconds = bounds.deadline.as_secs_f64();
    engine.on_progress(move |operations| {
        // Reading the clock on every operation would cost more than the operation.
        if operations % 4096 == 0 && Instant::now() > deadline {
            Some(format!("the script ran longer than its {seconds} s and was stopped").into())
        } else {
            None
        }
    });
    api::register(&mut engine, session);
    match engine.run(script) {
        Ok(()) => Ok(()),
        Err(error) => Err(describe(*error, bounds)),
    }
}

fn describe(error: EvalAltResult, bounds: &Bounds) -> String {
    match error {
        EvalAltResult::ErrorTerminated(token, position) => {
            format!("{} ({position})", token.into_string().unwrap_or_default())
        }
        EvalAltResult::ErrorTooManyOperations(position) => format!(
            "the script took more than {} operations and was stopped ({position})",
            bounds.max_operations
        ),
        other => other.to_string(),
    }
}
