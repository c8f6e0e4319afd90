//! Whether spans may carry tool arguments and results (off unless the operator switches it on:
//! they can hold business data).

use std::sync::atomic::{AtomicBool, Ordering};

static RECORDED: AtomicBool = AtomicBool::new(false);

/// Longest excerpt of a payload put on a span.
const MAX_EXCERPT: usize = 4096;

/// Switches payload recording on or off for this process.
pub fn record_payloads(enabled: bool) {
    RECORDED.store(enabled, Ordering::Relaxed);
}

/// Whether payloads are recorded.
pub fn payloads_recorded() -> bool {
    RECORDED.load(Ordering::Relaxed)
}

/// The first 4 KiB of a JSON payload as text (cut on a character boundary, marked when cut).
pub fn payload_excerpt(json: &[u8]) -> String {
    let text = String::from_utf8_lossy(json);
    if text.len() <= MAX_EXCERPT {
        return text.into_owned();
    }
    let mut end = MAX_EXCERPT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_bounded_on_character_boundaries() {
        assert_eq!(payload_excerpt(br#"{"a":1}"#), r#"{"a":1}"#);
        let long = "é".repeat(3000);
        let excerpt = payload_excerpt(long.as_bytes());
        assert!(excerpt.len() <= MAX_EXCERPT + '…'.len_utf8());
        assert!(excerpt.ends_with('…'));
    }
}
