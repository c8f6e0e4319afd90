//! Model versions (`Basic-2.0.2`) and NuGet-style dependency ranges (`System-[2.0,3.0)`).

use std::fmt;

/// A model version `MAJOR.MINOR.PATCH`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
}

impl Version {
    /// Parses `2`, `2.1` or `2.1.3` (missing parts are 0).
    pub fn parse(text: &str) -> Option<Version> {
        let mut parts = text.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next().map_or(Some(0), |part| part.parse().ok())?;
        let patch = parts.next().map_or(Some(0), |part| part.parse().ok())?;
        if parts.next().is_some() {
            return None;
        }
        Some(Version {
            major,
            minor,
            patch,
        })
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// A model id: `Name-Version`, e.g. `Industry.Basic-2.1.3`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModelId {
    pub name: String,
    pub version: Version,
}

impl ModelId {
    pub fn parse(text: &str) -> Option<ModelId> {
        let (name, version) = text.rsplit_once('-')?;
        let valid_name = !name.is_empty()
            && name.split('.').all(|part| {
                !part.is_empty() && part.chars().all(|char| char.is_ascii_alphanumeric())
            });
        if !valid_name {
            return None;
        }
        Some(ModelId {
            name: name.to_owned(),
            version: Version::parse(version)?,
        })
    }
}

impl fmt::Display for ModelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.name, self.version)
    }
}

/// A version range in interval notation: `[2.0,3.0)`, `[2.0,)`, `(1.0,2.0]`, or a bare minimum `2.0`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRange {
    pub min: Option<(Version, bool)>,
    pub max: Option<(Version, bool)>,
}

impl VersionRange {
    pub fn parse(text: &str) -> Option<VersionRange> {
        let text = text.trim();
        let (Some(open), Some(close)) = (text.chars().next(), text.chars().last()) else {
            return None;
        };
        if !matches!(open, '[' | '(') {
            // A bare version means "at least this one".
            return Some(VersionRange {
                min: Some((Version::parse(text)?, true)),
                max: None,
            });
        }
        if !matches!(close, ']' | ')') || text.len() < 2 {
            return None;
        }
        let inner = &text[1..text.len() - 1];
        let (low, high) = inner.split_once(',')?;
        let bound = |part: &str, inclusive: bool| -> Option<Option<(Version, bool)>> {
            let part = part.trim();
            if part.is_empty() {
                Some(None)
            } else {
                Some(Some((Version::parse(part)?, inclusive)))
            }
        };
        Some(VersionRange {
            min: bound(low, open == '[')?,
            max: bound(high, close == ']')?,
        })
    }

    pub fn contains(&self, version: Version) -> bool {
        let above = match self.min {
            Some((min, true)) => version >= min,
            Some((min, false)) => version > min,
            None => true,
        };
        let below = match self.max {
            Some((max, true)) => version <= max,
            Some((max, false)) => version < max,
            None => true,
        };
        above && below
    }
}

/// A dependency as declared: `System-[2.0,3.0)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    pub name: String,
    pub range: VersionRange,
    /// As written, for messages.
    pub text: String,
}

impl Dependency {
    pub fn parse(text: &str) -> Option<Dependency> {
        let position = text
            .find(['[', '('])
            .or_else(|| text.rfind('-').map(|dash| dash + 1))?;
        let name = text[..position].trim_end_matches('-');
        if name.is_empty() {
            return None;
        }
        Some(Dependency {
            name: name.to_owned(),
            range: VersionRange::parse(&text[position..])?,
            text: text.to_owned(),
        })
    }
}
