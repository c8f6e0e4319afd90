//! The body of `POST …/archives/{rtId}/points`, decoded in one pass: values are pairs, not a map
//! per point, column names borrow from the request bytes (unless escaped), and nothing tracks
//! JSON paths. A batch of 100,000 points is ~9 MB of JSON; decoding
//! it was the larger part of a write.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A batch.
#[derive(Deserialize)]
pub(crate) struct PointsBody<'a> {
    #[serde(borrow)]
    pub points: Vec<PointInput<'a>>,
}

/// One point as sent.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PointInput<'a> {
    /// The entity the values belong to (the series).
    pub rt_id: String,
    /// Unix milliseconds, or an RFC 3339 text (a time-range row: its window start).
    #[serde(default, alias = "from")]
    pub timestamp: Stamp,
    /// A time-range row's window end (exclusive).
    #[serde(default)]
    pub to: Stamp,
    /// Column path → number or null.
    #[serde(borrow)]
    pub values: Values<'a>,
}

/// Column path → number or null, in the order sent (column names borrowed from the request
/// bytes while it is decoded, unless escaped).
pub(crate) struct Values<'a>(pub Vec<(Cow<'a, str>, Option<f64>)>);

/// A timestamp as sent.
#[derive(Debug, Default)]
pub(crate) enum Stamp {
    #[default]
    Missing,
    Ms(i64),
    Text(String),
    /// Anything else (refused when read).
    Other,
}

impl Stamp {
    /// Unix milliseconds, if the stamp is one (or an RFC 3339 text).
    pub(crate) fn ms(&self) -> Option<i64> {
        match self {
            Stamp::Ms(ms) => Some(*ms),
            Stamp::Text(text) => crate::store::parse_rfc3339_ms(text),
            Stamp::Missing | Stamp::Other => None,
        }
    }

    pub(crate) fn is_missing(&self) -> bool {
        matches!(self, Stamp::Missing)
    }
}

impl<'de> Deserialize<'de> for Stamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StampVisitor;
        impl<'de> Visitor<'de> for StampVisitor {
            type Value = Stamp;
            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("Unix milliseconds or an RFC 3339 date-time")
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
                Ok(Stamp::Ms(value))
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
                Ok(i64::try_from(value).map_or(Stamp::Other, Stamp::Ms))
            }
            fn visit_f64<E: de::Error>(self, value: f64) -> Result<Self::Value, E> {
                Ok(if value.fract() == 0.0 && value.abs() < 9.0e15 {
                    Stamp::Ms(value as i64)
                } else {
                    Stamp::Other
                })
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
                Ok(Stamp::Text(value.to_owned()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Stamp::Missing)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Stamp::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Stamp::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Stamp::Other)
            }
        }
        deserializer.deserialize_any(StampVisitor)
    }
}

/// A key that borrows from the input when it can.
struct Key<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Key<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for KeyVisitor<'a> {
            type Value = Key<'a>;
            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a column path")
            }
            fn visit_borrowed_str<E: de::Error>(self, value: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(value)))
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(value.to_owned())))
            }
        }
        deserializer.deserialize_str(KeyVisitor(std::marker::PhantomData))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Values<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_map(PairsVisitor(std::marker::PhantomData))
            .map(Values)
    }
}

struct PairsVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for PairsVisitor<'a> {
    type Value = Vec<(Cow<'a, str>, Option<f64>)>;
    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("an object of column path → number or null")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(1).min(64));
        while let Some((Key(key), value)) = map.next_entry::<Key<'a>, Option<f64>>()? {
            pairs.push((key, value));
        }
        Ok(pairs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_decode_borrowing_and_escaped() {
        let text = r#"{"points": [
            {"rtId": "a", "timestamp": 1000, "values": {"V": 1.5, "W": null}},
            {"rtId": "b\u0041", "from": "2026-01-01T00:00:00Z", "to": 1767225660000.0, "values": {}}
        ]}"#;
        let body: PointsBody<'_> = serde_json::from_str(text).unwrap();
        assert_eq!(body.points[0].rt_id, "a");
        assert_eq!(body.points[0].timestamp.ms(), Some(1000));
        assert_eq!(
            body.points[0].values.0,
            vec![(Cow::from("V"), Some(1.5)), (Cow::from("W"), None)]
        );
        assert!(body.points[0].to.is_missing());
        assert_eq!(body.points[1].rt_id, "bA");
        assert_eq!(body.points[1].timestamp.ms(), Some(1_767_225_600_000));
        assert_eq!(body.points[1].to.ms(), Some(1_767_225_660_000));
        let bad: PointsBody<'_> =
            serde_json::from_str(r#"{"points": [{"rtId": "a", "timestamp": true, "values": {}}]}"#)
                .unwrap();
        assert_eq!(bad.points[0].timestamp.ms(), None);
        assert!(
            serde_json::from_str::<PointsBody<'_>>(
                r#"{"points": [{"rtId": "a", "values": {"V": "x"}}]}"#
            )
            .is_err()
        );
    }
}
