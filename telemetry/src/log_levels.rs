//! Log levels changed at run time: the platform services' `reconfigureLogLevel` sets a level
//! range for the targets of one logger, overriding `RUST_LOG` for those targets only.
//!
//! The override table is consulted when a callsite's interest is computed, and every change
//! rebuilds the interest cache, so a log line costs what it cost before: no lock per event.

use std::sync::RwLock;

use tracing::level_filters::LevelFilter;
use tracing::subscriber::Interest;
use tracing::{Level, Metadata};
use tracing_subscriber::layer::{Context, Filter};

/// A level in the OctoMesh services' terms (`LogLevelDto`, NLog's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    Fatal,
    Off,
}

impl LogLevel {
    /// Every level by name, in order (their numbers are their positions).
    pub const ALL: [(LogLevel, &'static str); 7] = [
        (LogLevel::Trace, "Trace"),
        (LogLevel::Debug, "Debug"),
        (LogLevel::Info, "Info"),
        (LogLevel::Warn, "Warn"),
        (LogLevel::Error, "Error"),
        (LogLevel::Fatal, "Fatal"),
        (LogLevel::Off, "Off"),
    ];

    /// `Trace`…`Off` (any case; also `Information`, `Warning`, `Critical`, `None`) or `0`…`6`.
    pub fn parse(text: &str) -> Option<LogLevel> {
        let text = text.trim();
        if let Ok(number) = text.parse::<usize>() {
            return LogLevel::ALL.get(number).map(|(level, _)| *level);
        }
        let known = LogLevel::ALL
            .iter()
            .find(|(_, name)| name.eq_ignore_ascii_case(text))
            .map(|(level, _)| *level);
        known.or(match text.to_ascii_lowercase().as_str() {
            "information" => Some(LogLevel::Info),
            "warning" => Some(LogLevel::Warn),
            "critical" => Some(LogLevel::Fatal),
            "none" => Some(LogLevel::Off),
            _ => None,
        })
    }

    pub fn name(self) -> &'static str {
        LogLevel::ALL[self as usize].1
    }

    /// The `tracing` level this one shows as (`Fatal` is `ERROR`; `Off` is none).
    fn as_tracing(self) -> Option<Level> {
        match self {
            LogLevel::Trace => Some(Level::TRACE),
            LogLevel::Debug => Some(Level::DEBUG),
            LogLevel::Info => Some(Level::INFO),
            LogLevel::Warn => Some(Level::WARN),
            LogLevel::Error | LogLevel::Fatal => Some(Level::ERROR),
            LogLevel::Off => None,
        }
    }
}

/// The levels `[min, max]` shown for the targets under `target`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Override {
    target: String,
    min: LogLevel,
    max: LogLevel,
}

impl Override {
    fn covers(&self, target: &str) -> bool {
        target == self.target
            || target
                .strip_prefix(self.target.as_str())
                .is_some_and(|rest| rest.starts_with("::"))
    }

    fn shows(&self, level: &Level) -> bool {
        let (Some(least), Some(most)) = (self.min.as_tracing(), self.max.as_tracing()) else {
            return false;
        };
        // `tracing` orders by verbosity: TRACE > DEBUG > … > ERROR.
        *level <= least && *level >= most
    }

    fn most_verbose(&self) -> LevelFilter {
        match (self.min.as_tracing(), self.max.as_tracing()) {
            (Some(level), Some(_)) => LevelFilter::from_level(level),
            _ => LevelFilter::OFF,
        }
    }
}

static OVERRIDES: RwLock<Vec<Override>> = RwLock::new(Vec::new());

/// Shows the levels `min..=max` (`min` the most verbose) for `target` and every target under it
/// (`octomesh_bot` covers `octomesh_bot::http`), whatever `RUST_LOG` says; `min` = `Off`
/// silences them. A later call for the same target replaces the earlier one.
pub fn set_level(target: &str, min: LogLevel, max: LogLevel) -> Result<(), String> {
    if target.is_empty()
        || target.len() > 200
        || !target
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b':')
    {
        return Err(format!(
            "`{target}` is not a logger target: use letters, digits, `_` and `::`"
        ));
    }
    if min > max {
        return Err(format!(
            "minLogLevel {} is more severe than maxLogLevel {}: give min ≤ max (Trace … Off)",
            min.name(),
            max.name()
        ));
    }
    {
        let mut overrides = OVERRIDES
            .write()
            .expect("the level table is never poisoned");
        overrides.retain(|existing| existing.target != target);
        overrides.push(Override {
            target: target.to_owned(),
            min,
            max,
        });
        // The most specific target decides.
        overrides.sort_by_key(|existing| std::cmp::Reverse(existing.target.len()));
    }
    tracing::callsite::rebuild_interest_cache();
    Ok(())
}

/// The level range set for `target` by [`set_level`], if any (the most specific one covering it).
pub fn level_of(target: &str) -> Option<(LogLevel, LogLevel)> {
    override_for(target).map(|found| (found.min, found.max))
}

fn override_for(target: &str) -> Option<Override> {
    OVERRIDES
        .read()
        .expect("the level table is never poisoned")
        .iter()
        .find(|existing| existing.covers(target))
        .cloned()
}

/// The log layer's filter: the overrides where one covers a target, `base` (`RUST_LOG`) elsewhere.
pub(crate) struct Levels<F> {
    pub(crate) base: F,
}

impl<S, F: Filter<S>> Filter<S> for Levels<F> {
    fn enabled(&self, metadata: &Metadata<'_>, context: &Context<'_, S>) -> bool {
        match override_for(metadata.target()) {
            Some(found) => found.shows(metadata.level()),
            None => self.base.enabled(metadata, context),
        }
    }

    fn callsite_enabled(&self, metadata: &'static Metadata<'static>) -> Interest {
        match override_for(metadata.target()) {
            Some(found) if found.shows(metadata.level()) => Interest::always(),
            Some(_) => Interest::never(),
            None => self.base.callsite_enabled(metadata),
        }
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        let overrides = OVERRIDES.read().expect("the level table is never poisoned");
        let base = self.base.max_level_hint().unwrap_or(LevelFilter::TRACE);
        Some(
            overrides
                .iter()
                .map(Override::most_verbose)
                .fold(base, std::cmp::max),
        )
    }

    fn on_new_span(
        &self,
        attributes: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        context: Context<'_, S>,
    ) {
        self.base.on_new_span(attributes, id, context);
    }

    fn on_record(
        &self,
        id: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        context: Context<'_, S>,
    ) {
        self.base.on_record(id, values, context);
    }

    fn on_enter(&self, id: &tracing::span::Id, context: Context<'_, S>) {
        self.base.on_enter(id, context);
    }

    fn on_exit(&self, id: &tracing::span::Id, context: Context<'_, S>) {
        self.base.on_exit(id, context);
    }

    fn on_close(&self, id: tracing::span::Id, context: Context<'_, S>) {
        self.base.on_close(id, context);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_by_name_and_number() {
        assert_eq!(LogLevel::parse("Info"), Some(LogLevel::Info));
        assert_eq!(LogLevel::parse("warning"), Some(LogLevel::Warn));
        assert_eq!(LogLevel::parse("0"), Some(LogLevel::Trace));
        assert_eq!(LogLevel::parse("6"), Some(LogLevel::Off));
        assert_eq!(LogLevel::parse("7"), None);
        assert_eq!(LogLevel::parse("loud"), None);
    }

    #[test]
    fn an_override_covers_its_target_and_those_under_it() {
        let found = Override {
            target: "octomesh_bot".into(),
            min: LogLevel::Debug,
            max: LogLevel::Warn,
        };
        assert!(found.covers("octomesh_bot"));
        assert!(found.covers("octomesh_bot::http"));
        assert!(!found.covers("octomesh_bottle"));
        assert!(found.shows(&Level::DEBUG));
        assert!(found.shows(&Level::WARN));
        assert!(!found.shows(&Level::TRACE));
        assert!(!found.shows(&Level::ERROR));
    }

    #[test]
    fn set_level_refuses_what_it_cannot_mean() {
        assert!(set_level("octomesh bot", LogLevel::Info, LogLevel::Fatal).is_err());
        assert!(set_level("octomesh_test_x", LogLevel::Error, LogLevel::Info).is_err());
        set_level("octomesh_test_x", LogLevel::Trace, LogLevel::Fatal).expect("valid");
        assert_eq!(
            level_of("octomesh_test_x::inner"),
            Some((LogLevel::Trace, LogLevel::Fatal))
        );
    }
}
