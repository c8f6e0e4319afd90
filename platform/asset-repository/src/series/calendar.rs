//! Bucket boundaries of rollups: fixed widths counted from the Unix epoch, or calendar days, ISO
//! weeks, months and years in a reference time zone (UTC unless named), so that a "day" in
//! Europe/Vienna is 23 or 25 hours long on the days clocks change.

use jiff::tz::TimeZone;
use jiff::{Span, Timestamp, ZonedDateTime as Zoned};

/// `BucketAlignment` of `System.StreamData`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alignment {
    FixedSize,
    CalendarDay,
    Iso8601Week,
    CalendarMonth,
    CalendarYear,
}

impl Alignment {
    pub fn from_key(key: i64) -> Option<Alignment> {
        Some(match key {
            0 => Alignment::FixedSize,
            1 => Alignment::CalendarDay,
            2 => Alignment::Iso8601Week,
            3 => Alignment::CalendarMonth,
            4 => Alignment::CalendarYear,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Alignment::FixedSize => "FixedSize",
            Alignment::CalendarDay => "CalendarDay",
            Alignment::Iso8601Week => "Iso8601Week",
            Alignment::CalendarMonth => "CalendarMonth",
            Alignment::CalendarYear => "CalendarYear",
        }
    }
}

/// How a rollup cuts time into buckets.
#[derive(Debug, Clone)]
pub struct Calendar {
    alignment: Alignment,
    /// The width of a fixed-size bucket.
    size_ms: i64,
    zone: TimeZone,
}

/// Timestamps outside what the calendar can express (beyond year ±9999).
const LIMIT_MS: i64 = 253_402_300_799_000;

impl Calendar {
    /// A calendar; `zone` is an IANA id (e.g. `Europe/Vienna`), `None` for UTC.
    pub fn new(alignment: Alignment, size_ms: i64, zone: Option<&str>) -> Result<Calendar, String> {
        if alignment == Alignment::FixedSize && size_ms <= 0 {
            return Err(format!("`BucketSizeMs` must be positive, not {size_ms}"));
        }
        let zone = match zone {
            None | Some("") => TimeZone::UTC,
            Some(name) => TimeZone::get(name).map_err(|_| {
                format!("`{name}` is not an IANA time zone (e.g. `Europe/Vienna`, `UTC`)")
            })?,
        };
        Ok(Calendar {
            alignment,
            size_ms,
            zone,
        })
    }

    pub fn alignment(&self) -> Alignment {
        self.alignment
    }

    fn zoned(&self, ms: i64) -> Zoned {
        let ms = ms.clamp(-LIMIT_MS, LIMIT_MS);
        Timestamp::from_millisecond(ms)
            .unwrap_or(Timestamp::UNIX_EPOCH)
            .to_zoned_datetime(self.zone.clone())
    }

    /// The start of the bucket holding `ms`.
    pub fn start_of(&self, ms: i64) -> i64 {
        if self.alignment == Alignment::FixedSize {
            return ms.div_euclid(self.size_ms) * self.size_ms;
        }
        let zoned = self.zoned(ms);
        let start = match self.alignment {
            Alignment::FixedSize => unreachable!("handled above"),
            Alignment::CalendarDay => zoned.start_of_day(),
            Alignment::Iso8601Week => {
                let back = i64::from(zoned.weekday().to_monday_zero_offset());
                zoned
                    .start_of_day()
                    .and_then(|day| day.checked_sub(Span::new().days(back)))
                    .and_then(|monday| monday.start_of_day())
            }
            Alignment::CalendarMonth => zoned.first_of_month().and_then(|day| day.start_of_day()),
            Alignment::CalendarYear => zoned.first_of_year().and_then(|day| day.start_of_day()),
        };
        start.map_or(ms, |start| start.timestamp().as_millisecond())
    }

    /// The start of the bucket after the one starting at `start`.
    pub fn next(&self, start: i64) -> i64 {
        if self.alignment == Alignment::FixedSize {
            return start.saturating_add(self.size_ms);
        }
        let span = match self.alignment {
            Alignment::FixedSize => unreachable!("handled above"),
            Alignment::CalendarDay => Span::new().days(1),
            Alignment::Iso8601Week => Span::new().weeks(1),
            Alignment::CalendarMonth => Span::new().months(1),
            Alignment::CalendarYear => Span::new().years(1),
        };
        let next = self
            .zoned(start)
            .checked_add(span)
            .and_then(|next| next.start_of_day())
            .map_or(i64::MAX, |next| next.timestamp().as_millisecond());
        // A calendar bucket always moves forward, even at the edge of the representable range.
        next.max(start + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::parse_rfc3339_ms;

    fn ms(text: &str) -> i64 {
        parse_rfc3339_ms(text).unwrap()
    }

    #[test]
    fn fixed_buckets_count_from_the_epoch() {
        let calendar = Calendar::new(Alignment::FixedSize, 900_000, None).unwrap();
        assert_eq!(
            calendar.start_of(ms("2026-03-01T10:14:59.999Z")),
            ms("2026-03-01T10:00:00Z")
        );
        assert_eq!(
            calendar.next(ms("2026-03-01T10:00:00Z")),
            ms("2026-03-01T10:15:00Z")
        );
        assert_eq!(calendar.start_of(-1), -900_000);
        assert!(Calendar::new(Alignment::FixedSize, 0, None).is_err());
    }

    #[test]
    fn vienna_days_follow_daylight_saving() {
        let calendar = Calendar::new(Alignment::CalendarDay, 0, Some("Europe/Vienna")).unwrap();
        // 29 March 2026: clocks go from 02:00 to 03:00 local; the day has 23 hours.
        let start = calendar.start_of(ms("2026-03-29T12:00:00Z"));
        assert_eq!(start, ms("2026-03-28T23:00:00Z"));
        assert_eq!(calendar.next(start) - start, 23 * 3_600_000);
        // 25 October 2026: back from 03:00 to 02:00; 25 hours.
        let start = calendar.start_of(ms("2026-10-25T12:00:00Z"));
        assert_eq!(start, ms("2026-10-24T22:00:00Z"));
        assert_eq!(calendar.next(start) - start, 25 * 3_600_000);
    }

    #[test]
    fn weeks_months_and_years() {
        let week = Calendar::new(Alignment::Iso8601Week, 0, None).unwrap();
        // 2026-01-01 is a Thursday: its ISO week starts on Monday 2025-12-29.
        assert_eq!(
            week.start_of(ms("2026-01-01T05:00:00Z")),
            ms("2025-12-29T00:00:00Z")
        );
        assert_eq!(
            week.next(ms("2025-12-29T00:00:00Z")),
            ms("2026-01-05T00:00:00Z")
        );
        let month = Calendar::new(Alignment::CalendarMonth, 0, Some("Europe/Vienna")).unwrap();
        assert_eq!(
            month.start_of(ms("2026-02-15T00:00:00Z")),
            ms("2026-01-31T23:00:00Z")
        );
        assert_eq!(
            month.next(ms("2026-01-31T23:00:00Z")),
            ms("2026-02-28T23:00:00Z")
        );
        let year = Calendar::new(Alignment::CalendarYear, 0, None).unwrap();
        assert_eq!(
            year.next(ms("2024-01-01T00:00:00Z")),
            ms("2025-01-01T00:00:00Z")
        );
        assert!(Calendar::new(Alignment::CalendarDay, 0, Some("Mars/Olympus")).is_err());
    }
}
