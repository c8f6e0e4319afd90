//! Instants as the bot stores and shows them: UTC, RFC 3339 in JSON.

use std::fmt;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An instant, shown as RFC 3339 UTC (`2026-07-20T18:00:00.123Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Utc(pub jiff::Timestamp);

impl Utc {
    pub(crate) fn now() -> Utc {
        Utc(jiff::Timestamp::now())
    }

    /// ISO 8601 with an offset (`…Z`, `…+02:00`), or without one read as UTC.
    pub(crate) fn parse(text: &str) -> Option<Utc> {
        let text = text.trim();
        if let Ok(timestamp) = text.parse::<jiff::Timestamp>() {
            return Some(Utc(timestamp));
        }
        let civil = text.parse::<jiff::civil::DateTime>().ok()?;
        civil
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|zoned| Utc(zoned.timestamp()))
    }

    /// `yyyyMMdd-HHmmss` in UTC, for file names.
    pub(crate) fn compact(self) -> String {
        self.0.strftime("%Y%m%d-%H%M%S").to_string()
    }

    pub(crate) fn system_time(self) -> SystemTime {
        SystemTime::try_from(self.0).unwrap_or(SystemTime::UNIX_EPOCH)
    }

    /// Whether this instant lies more than `age` before `now`.
    pub(crate) fn older_than(self, age: Duration, now: SystemTime) -> bool {
        now.duration_since(self.system_time())
            .is_ok_and(|elapsed| elapsed > age)
    }
}

impl fmt::Display for Utc {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}", self.0)
    }
}

impl Serialize for Utc {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Utc {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Utc, D::Error> {
        let text = String::deserialize(deserializer)?;
        Utc::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("`{text}` is not an instant")))
    }
}

#[cfg(test)]
mod tests {
    use super::Utc;

    #[test]
    fn instants_parse_with_or_without_an_offset() {
        let with = Utc::parse("2026-07-20T18:00:00Z").expect("RFC 3339");
        assert_eq!(Utc::parse("2026-07-20T18:00:00"), Some(with));
        assert_eq!(Utc::parse("2026-07-20T20:00:00+02:00"), Some(with));
        assert_eq!(with.compact(), "20260720-180000");
        assert_eq!(with.to_string(), "2026-07-20T18:00:00Z");
        assert!(Utc::parse("yesterday").is_none());
    }
}
