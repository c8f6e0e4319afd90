//! Byte ranges of a download (RFC 9110 §14): one `bytes=a-b`, `bytes=a-` or suffix `bytes=-n`.
//! Several ranges at once are answered with the whole body, as the RFC allows.

/// A satisfiable range: bytes `start..=end` of the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    pub end: u64,
}

impl ByteRange {
    pub fn len(&self) -> u64 {
        self.end - self.start + 1
    }

    pub fn is_empty(&self) -> bool {
        false
    }
}

/// What a `Range` header asks of a body of `size` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeRequest {
    /// No usable range: the whole body (200).
    Whole,
    /// One satisfiable range (206).
    Part(ByteRange),
    /// A range outside the body (416).
    Unsatisfiable,
}

impl RangeRequest {
    pub fn parse(header: Option<&str>, size: u64) -> RangeRequest {
        let Some(spec) = header.and_then(|value| value.trim().strip_prefix("bytes=")) else {
            return RangeRequest::Whole;
        };
        if spec.contains(',') {
            return RangeRequest::Whole;
        }
        let Some((first, last)) = spec.trim().split_once('-') else {
            return RangeRequest::Whole;
        };
        let (first, last) = (first.trim(), last.trim());
        let number = |text: &str| text.parse::<u64>().ok();
        let range = match (first.is_empty(), last.is_empty()) {
            // `-n`: the last n bytes.
            (true, false) => match number(last) {
                Some(0) => return RangeRequest::Unsatisfiable,
                Some(suffix) if size > 0 => ByteRange {
                    start: size.saturating_sub(suffix),
                    end: size - 1,
                },
                Some(_) => return RangeRequest::Unsatisfiable,
                None => return RangeRequest::Whole,
            },
            // `a-`: from a to the end.
            (false, true) => match number(first) {
                Some(start) if start < size => ByteRange {
                    start,
                    end: size - 1,
                },
                Some(_) => return RangeRequest::Unsatisfiable,
                None => return RangeRequest::Whole,
            },
            (false, false) => match (number(first), number(last)) {
                (Some(start), Some(end)) if start <= end && start < size => ByteRange {
                    start,
                    end: end.min(size - 1),
                },
                (Some(start), Some(end)) if start <= end => return RangeRequest::Unsatisfiable,
                _ => return RangeRequest::Whole,
            },
            (true, true) => return RangeRequest::Whole,
        };
        RangeRequest::Part(range)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(start: u64, end: u64) -> RangeRequest {
        RangeRequest::Part(ByteRange { start, end })
    }

    #[test]
    fn ranges_follow_rfc_9110() {
        let size = 1_000;
        assert_eq!(RangeRequest::parse(None, size), RangeRequest::Whole);
        assert_eq!(RangeRequest::parse(Some("bytes=0-99"), size), part(0, 99));
        assert_eq!(
            RangeRequest::parse(Some("bytes=900-"), size),
            part(900, 999)
        );
        assert_eq!(
            RangeRequest::parse(Some("bytes=-100"), size),
            part(900, 999)
        );
        assert_eq!(RangeRequest::parse(Some("bytes=-5000"), size), part(0, 999));
        assert_eq!(
            RangeRequest::parse(Some("bytes=990-5000"), size),
            part(990, 999)
        );
        assert_eq!(
            RangeRequest::parse(Some("bytes=1000-"), size),
            RangeRequest::Unsatisfiable
        );
        assert_eq!(
            RangeRequest::parse(Some("bytes=1000-1001"), size),
            RangeRequest::Unsatisfiable
        );
        assert_eq!(
            RangeRequest::parse(Some("bytes=-0"), size),
            RangeRequest::Unsatisfiable
        );
        assert_eq!(
            RangeRequest::parse(Some("bytes=5-2"), size),
            RangeRequest::Whole
        );
        assert_eq!(
            RangeRequest::parse(Some("bytes=0-1,5-6"), size),
            RangeRequest::Whole
        );
        assert_eq!(
            RangeRequest::parse(Some("items=0-1"), size),
            RangeRequest::Whole
        );
        assert_eq!(
            RangeRequest::parse(Some("bytes=-1"), 0),
            RangeRequest::Unsatisfiable
        );
    }
}
