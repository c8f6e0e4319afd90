//! Timestamps (RFC 3339, UTC, milliseconds) and new rtIds (ObjectId layout: seconds, random, counter).

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::rt::entity::RtId;

/// Now, as `2026-11-24T21:33:28.123Z`.
pub(crate) fn now_rfc3339() -> String {
    let elapsed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let seconds = elapsed.as_secs() as i64;
    let (days, second_of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60,
        elapsed.subsec_millis()
    )
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A fresh rtId: 4 bytes of seconds, 5 random bytes, 3 bytes of counter.
pub(crate) fn new_rt_id() -> RtId {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs() as u32;
    let mut random = [0u8; 5];
    getrandom::getrandom(&mut random).expect("the system has a random source");
    let counter = COUNTER.fetch_add(1, Ordering::Relaxed) & 0x00ff_ffff;
    let mut bytes = Vec::with_capacity(12);
    bytes.extend_from_slice(&seconds.to_be_bytes());
    bytes.extend_from_slice(&random);
    bytes.extend_from_slice(&counter.to_be_bytes()[1..]);
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    RtId::parse(&hex).expect("24 hex digits")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_are_right_around_leap_years() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_781), (2026, 11, 24));
        assert!(crate::rt::value::is_rfc3339(&now_rfc3339()));
    }

    #[test]
    fn rt_ids_are_unique_and_well_formed() {
        let first = new_rt_id();
        let second = new_rt_id();
        assert_ne!(first, second);
        assert_eq!(first.as_str().len(), 24);
    }
}
