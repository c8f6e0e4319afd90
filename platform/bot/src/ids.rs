//! The ids the bot hands out and takes: job ids (24 hex digits, as upstream's), TUS upload ids
//! (32 hex digits) and the asset repository's rtIds (24 hex digits), each checked where it enters.

use std::fmt;

use serde::{Deserialize, Serialize};

/// `bytes` random bytes as lower-case hex.
fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    getrandom::getrandom(&mut buffer).expect("the operating system's random source works");
    buffer.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn is_hex(text: &str, lengths: &[usize]) -> bool {
    lengths.contains(&text.len()) && text.bytes().all(|byte| byte.is_ascii_hexdigit())
}

macro_rules! hex_id {
    ($(#[$doc:meta])* $name:ident, new = $bytes:expr, lengths = $lengths:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub(crate) struct $name(String);

        // Not every id is drawn here or shown as text.
        #[allow(dead_code)]
        impl $name {
            /// A new random id.
            pub(crate) fn random() -> $name {
                $name(random_hex($bytes))
            }

            /// `text` when it is such an id (kept lower-case).
            pub(crate) fn parse(text: &str) -> Option<$name> {
                is_hex(text, &$lengths).then(|| $name(text.to_ascii_lowercase()))
            }

            pub(crate) fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;

            fn try_from(text: String) -> Result<$name, String> {
                $name::parse(&text).ok_or_else(|| format!("`{text}` is not a {}", stringify!($name)))
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str(&self.0)
            }
        }
    };
}

hex_id!(
    /// A job's id: 24 hex digits (32 accepted, for ids made elsewhere).
    JobId, new = 12, lengths = [24, 32]
);
hex_id!(
    /// A TUS upload's id (the last segment of its `Location`): 32 hex digits.
    UploadId, new = 16, lengths = [32]
);
hex_id!(
    /// A runtime entity's id in the asset repository: 24 hex digits.
    RtId, new = 12, lengths = [24]
);

#[cfg(test)]
mod tests {
    use super::{JobId, RtId, UploadId};

    #[test]
    fn ids_are_hex_of_their_length() {
        let job = JobId::random();
        assert_eq!(job.as_str().len(), 24);
        assert_eq!(JobId::parse(job.as_str()), Some(job));
        assert!(JobId::parse(&"A".repeat(32)).is_some());
        assert!(JobId::parse("../../etc/passwd").is_none());
        assert_eq!(UploadId::random().as_str().len(), 32);
        assert!(UploadId::parse(&"0".repeat(24)).is_none());
        assert!(RtId::parse("665f1c2ab3e4d5f60718293a").is_some());
        assert!(RtId::parse("665f1c2ab3e4d5f60718293g").is_none());
    }
}
