//! `Upload-Metadata`: comma-separated pairs of a key and an optional base64 value (tus 1.0.0).
//! Keys are unique, non-empty ASCII without spaces or commas; values may be any bytes.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, general_purpose::STANDARD};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Longest `Upload-Metadata` header taken.
pub(crate) const MAX_METADATA_BYTES: usize = 8 * 1024;
/// Most pairs taken.
const MAX_PAIRS: usize = 64;

/// Standard base64, with or without padding (clients differ).
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// An upload's metadata, decoded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Metadata(BTreeMap<String, Option<Vec<u8>>>);

impl Metadata {
    /// Parses the header's value; the error says what is wrong.
    pub(crate) fn parse(text: &str) -> Result<Metadata, String> {
        if text.len() > MAX_METADATA_BYTES {
            return Err(format!(
                "Upload-Metadata is longer than {MAX_METADATA_BYTES} bytes"
            ));
        }
        let mut pairs = BTreeMap::new();
        for pair in text.split(',') {
            let pair = pair.trim();
            if pair.is_empty() {
                continue;
            }
            let mut parts = pair.split(' ').filter(|part| !part.is_empty());
            let key = parts.next().unwrap_or_default();
            let value = parts.next();
            if parts.next().is_some() {
                return Err(format!(
                    "Upload-Metadata pair `{pair}` is not a key and one base64 value"
                ));
            }
            if !key
                .bytes()
                .all(|byte| byte.is_ascii_graphic() && byte != b',')
            {
                return Err(format!("Upload-Metadata key `{key}` is not a key"));
            }
            let value = value
                .map(|value| {
                    LENIENT
                        .decode(value)
                        .map_err(|_| format!("Upload-Metadata value of `{key}` is not base64"))
                })
                .transpose()?;
            if pairs.insert(key.to_owned(), value).is_some() {
                return Err(format!("Upload-Metadata names `{key}` twice"));
            }
            if pairs.len() > MAX_PAIRS {
                return Err(format!("Upload-Metadata has more than {MAX_PAIRS} pairs"));
            }
        }
        Ok(Metadata(pairs))
    }

    /// The header's value.
    pub(crate) fn encode(&self) -> String {
        self.0
            .iter()
            .map(|(key, value)| match value {
                Some(value) => format!("{key} {}", STANDARD.encode(value)),
                None => key.clone(),
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value of `key` when it is UTF-8 text (trimmed, not empty).
    pub(crate) fn text(&self, key: &str) -> Option<&str> {
        self.0
            .get(key)?
            .as_deref()
            .and_then(|bytes| std::str::from_utf8(bytes).ok())
            .map(str::trim)
            .filter(|text| !text.is_empty())
    }
}

/// On disk: the pairs with their values in base64, as on the wire.
impl Serialize for Metadata {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let encoded: BTreeMap<&str, Option<String>> = self
            .0
            .iter()
            .map(|(key, value)| {
                (
                    key.as_str(),
                    value.as_ref().map(|value| STANDARD.encode(value)),
                )
            })
            .collect();
        encoded.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Metadata {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Metadata, D::Error> {
        let encoded = BTreeMap::<String, Option<String>>::deserialize(deserializer)?;
        encoded
            .into_iter()
            .map(|(key, value)| {
                let value = value
                    .map(|value| LENIENT.decode(value).map_err(serde::de::Error::custom))
                    .transpose()?;
                Ok((key, value))
            })
            .collect::<Result<_, _>>()
            .map(Metadata)
    }
}

#[cfg(test)]
mod tests {
    use super::Metadata;

    #[test]
    fn metadata_pairs_round_trip() {
        // tuspy's form: `key base64,key base64`; a key may come without a value.
        let metadata =
            Metadata::parse("tenantId ZGVtbw==,fileName ZHVtcC50YXIuZ3o=,is_confidential")
                .expect("valid");
        assert_eq!(metadata.text("tenantId"), Some("demo"));
        assert_eq!(metadata.text("fileName"), Some("dump.tar.gz"));
        assert_eq!(metadata.text("is_confidential"), None);
        assert_eq!(Metadata::parse(&metadata.encode()), Ok(metadata.clone()));
        let stored = serde_json::to_string(&metadata).expect("serialises");
        assert_eq!(
            serde_json::from_str::<Metadata>(&stored).expect("parses"),
            metadata
        );
        assert_eq!(
            Metadata::parse("tenantId ZGVtbw")
                .expect("unpadded")
                .text("tenantId"),
            Some("demo")
        );
        assert!(Metadata::parse("a !!!").is_err());
        assert!(
            Metadata::parse("a YQ==,a Yg==")
                .unwrap_err()
                .contains("twice")
        );
        assert!(Metadata::parse("a YQ== b").is_err());
        assert!(Metadata::parse("").expect("empty").is_empty());
    }
}
