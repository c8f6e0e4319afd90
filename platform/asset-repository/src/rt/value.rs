//! Attribute values, typed by the CK value type of their attribute.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::ck::catalog::CkCatalog;
use crate::ck::model::{Attribute, ElementId, ValueType};

/// One attribute's value.
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValue {
    String(String),
    Int(i64),
    Double(f64),
    Boolean(bool),
    /// RFC 3339 text, checked.
    DateTime(String),
    /// `[-][d.]hh:mm:ss[.f]` or ISO 8601 `P…T…`, checked.
    TimeSpan(String),
    StringArray(Vec<String>),
    IntArray(Vec<i64>),
    /// The enum value's key.
    Enum(i64),
    Record(RecordValue),
    RecordArray(Vec<RecordValue>),
    /// Base64 text, checked.
    Binary(String),
    /// The id of a large binary stored elsewhere.
    BinaryLinked(String),
    GeospatialPoint {
        latitude: f64,
        longitude: f64,
    },
}

/// A record's fields, by their names in the record.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordValue {
    pub record: ElementId,
    pub fields: BTreeMap<String, AttributeValue>,
}

/// Converts JSON into the attribute's value type. The error says what was expected and what came.
pub fn convert(
    catalog: &CkCatalog,
    attribute: &Attribute,
    value: &Value,
) -> Result<AttributeValue, String> {
    let wrong = |expected: &str| format!("expected {expected}, got {}", describe(value));
    match attribute.value_type {
        ValueType::String => scalar_text(value)
            .map(AttributeValue::String)
            .ok_or_else(|| wrong("a string")),
        ValueType::Int | ValueType::Int64 => integer(value)
            .map(AttributeValue::Int)
            .ok_or_else(|| wrong("an integer")),
        ValueType::Double => value
            .as_f64()
            .map(AttributeValue::Double)
            .ok_or_else(|| wrong("a number")),
        ValueType::Boolean => value
            .as_bool()
            .map(AttributeValue::Boolean)
            .ok_or_else(|| wrong("true or false")),
        ValueType::DateTime | ValueType::DateTimeOffset => match value.as_str() {
            Some(text) if is_rfc3339(text) => Ok(AttributeValue::DateTime(text.to_owned())),
            _ => Err(wrong("an RFC 3339 date-time such as 2026-01-31T12:00:00Z")),
        },
        ValueType::TimeSpan => match value.as_str() {
            Some(text) if is_time_span(text) => Ok(AttributeValue::TimeSpan(text.to_owned())),
            _ => Err(wrong("a time span such as 01:30:00 or PT1H30M")),
        },
        ValueType::StringArray => array(value, scalar_text)
            .map(AttributeValue::StringArray)
            .ok_or_else(|| wrong("an array of strings")),
        ValueType::IntArray => array(value, integer)
            .map(AttributeValue::IntArray)
            .ok_or_else(|| wrong("an array of integers")),
        ValueType::Enum => enum_key(catalog, attribute, value).map(AttributeValue::Enum),
        ValueType::Record => {
            let record = attribute
                .record
                .as_ref()
                .ok_or("the attribute names no record")?;
            record_value(catalog, record, value).map(AttributeValue::Record)
        }
        ValueType::RecordArray => {
            let record = attribute
                .record
                .as_ref()
                .ok_or("the attribute names no record")?;
            let items = value
                .as_array()
                .ok_or_else(|| wrong("an array of records"))?;
            items
                .iter()
                .enumerate()
                .map(|(item_idx, item)| {
                    record_value(catalog, record, item)
                        .map_err(|error| format!("item {item_idx}: {error}"))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(AttributeValue::RecordArray)
        }
        ValueType::Binary => match value.as_str() {
            Some(text) if is_base64(text) => Ok(AttributeValue::Binary(text.to_owned())),
            _ => Err(wrong("base64 text")),
        },
        ValueType::BinaryLinked => value
            .as_str()
            .map(|text| AttributeValue::BinaryLinked(text.to_owned()))
            .ok_or_else(|| wrong("the id of a linked binary")),
        ValueType::GeospatialPoint => {
            let latitude = value.get("latitude").and_then(Value::as_f64);
            let longitude = value.get("longitude").and_then(Value::as_f64);
            match (latitude, longitude) {
                (Some(latitude), Some(longitude))
                    if (-90.0..=90.0).contains(&latitude)
                        && (-180.0..=180.0).contains(&longitude) =>
                {
                    Ok(AttributeValue::GeospatialPoint {
                        latitude,
                        longitude,
                    })
                }
                _ => Err(wrong("{\"latitude\": -90..90, \"longitude\": -180..180}")),
            }
        }
    }
}

/// Strings as they are; numbers and booleans as their text (YAML reads `722102009007` as a number).
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

fn integer(value: &Value) -> Option<i64> {
    value.as_i64().or_else(|| {
        value
            .as_f64()
            .filter(|number| number.fract() == 0.0 && number.abs() < 9.0e15)
            .map(|number| number as i64)
    })
}

fn array<T>(value: &Value, item: impl Fn(&Value) -> Option<T>) -> Option<Vec<T>> {
    value.as_array()?.iter().map(item).collect()
}

fn enum_key(catalog: &CkCatalog, attribute: &Attribute, value: &Value) -> Result<i64, String> {
    let enumeration = attribute
        .enumeration
        .as_ref()
        .ok_or("the attribute names no enum")?;
    let ck_enum = catalog
        .ck_enum(enumeration)
        .ok_or_else(|| format!("enum `{enumeration}` is not installed"))?;
    let found = match value {
        Value::Number(_) => {
            integer(value).and_then(|key| ck_enum.values.iter().find(|item| item.key == key))
        }
        Value::String(name) => ck_enum.values.iter().find(|item| &item.name == name),
        _ => None,
    };
    match found {
        Some(item) => Ok(item.key),
        None if ck_enum.is_extensible && integer(value).is_some() => {
            Ok(integer(value).expect("checked"))
        }
        None => {
            let names: Vec<&str> = ck_enum
                .values
                .iter()
                .map(|item| item.name.as_str())
                .collect();
            Err(format!(
                "{} is not a value of enum `{enumeration}`; use one of {} (or its key)",
                describe(value),
                names.join(", ")
            ))
        }
    }
}

/// A record as an object of fields by name (API form) or as `{ckRecordId, attributes: [{id, value}]}`
/// (runtime-file form).
fn record_value(
    catalog: &CkCatalog,
    record_id: &ElementId,
    value: &Value,
) -> Result<RecordValue, String> {
    let record = catalog
        .record(record_id)
        .ok_or_else(|| format!("record `{record_id}` is not installed"))?;
    let object = value.as_object().ok_or_else(|| {
        format!(
            "expected a `{record_id}` record (an object), got {}",
            describe(value)
        )
    })?;
    let mut pairs: Vec<(String, &Value)> = Vec::new();
    if let Some(Value::Array(items)) = object.get("attributes") {
        if let Some(declared) = object.get("ckRecordId").and_then(Value::as_str)
            && ElementId::parse(declared).as_ref() != Some(record_id)
        {
            return Err(format!(
                "the record is `{declared}`, but the attribute holds `{record_id}`"
            ));
        }
        for item in items {
            let id = item
                .get("id")
                .and_then(Value::as_str)
                .ok_or("every record attribute needs `id`")?;
            pairs.push((id.to_owned(), item.get("value").unwrap_or(&Value::Null)));
        }
    } else {
        pairs.extend(object.iter().map(|(key, value)| (key.clone(), value)));
    }
    let mut fields = BTreeMap::new();
    for (key, field_value) in pairs {
        let usage = record
            .attributes
            .iter()
            .find(|usage| {
                usage.name == key || ElementId::parse(&key).as_ref() == Some(&usage.attribute)
            })
            .ok_or_else(|| {
                let names: Vec<&str> = record
                    .attributes
                    .iter()
                    .map(|usage| usage.name.as_str())
                    .collect();
                format!(
                    "record `{record_id}` has no field `{key}`; its fields are {}",
                    names.join(", ")
                )
            })?;
        let attribute = catalog
            .attribute(&usage.attribute)
            .ok_or_else(|| format!("attribute `{}` is not installed", usage.attribute))?;
        if field_value.is_null() {
            continue;
        }
        let converted = convert(catalog, attribute, field_value)
            .map_err(|error| format!("field `{}`: {error}", usage.name))?;
        fields.insert(usage.name.clone(), converted);
    }
    Ok(RecordValue {
        record: record_id.clone(),
        fields,
    })
}

/// A short description of a JSON value for error messages.
pub(crate) fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(flag) => format!("the boolean {flag}"),
        Value::Number(number) => format!("the number {number}"),
        Value::String(text) if text.chars().count() > 40 => {
            format!("a string ({} characters)", text.chars().count())
        }
        Value::String(text) => format!("the string \"{text}\""),
        Value::Array(items) => format!("an array of {} items", items.len()),
        Value::Object(_) => "an object".into(),
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
pub(crate) fn is_rfc3339(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes
            .get(range)
            .is_some_and(|part| part.iter().all(u8::is_ascii_digit))
    };
    if bytes.len() < 20
        || !digits(0..4)
        || bytes[4] != b'-'
        || !digits(5..7)
        || bytes[7] != b'-'
        || !digits(8..10)
    {
        return false;
    }
    if !matches!(bytes[10], b'T' | b't' | b' ')
        || !digits(11..13)
        || bytes[13] != b':'
        || !digits(14..16)
        || bytes[16] != b':'
        || !digits(17..19)
    {
        return false;
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let n_digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if n_digits == 0 {
            return false;
        }
        rest = &fraction[n_digits..];
    }
    let zone_ok = matches!(rest, "Z" | "z")
        || (rest.len() == 6
            && matches!(rest.as_bytes()[0], b'+' | b'-')
            && rest.as_bytes()[3] == b':'
            && rest[1..3].bytes().all(|byte| byte.is_ascii_digit())
            && rest[4..6].bytes().all(|byte| byte.is_ascii_digit()));
    let month: u32 = text[5..7].parse().unwrap_or(0);
    let day: u32 = text[8..10].parse().unwrap_or(0);
    let hour: u32 = text[11..13].parse().unwrap_or(99);
    let minute: u32 = text[14..16].parse().unwrap_or(99);
    let second: u32 = text[17..19].parse().unwrap_or(99);
    zone_ok
        && (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && hour < 24
        && minute < 60
        && second < 61
}

fn is_time_span(text: &str) -> bool {
    let text = text.strip_prefix('-').unwrap_or(text);
    if let Some(duration) = text.strip_prefix('P') {
        return !duration.is_empty()
            && duration.chars().all(|char| {
                char.is_ascii_digit()
                    || matches!(char, 'Y' | 'M' | 'W' | 'D' | 'T' | 'H' | 'S' | '.')
            });
    }
    let (days, clock) = match text.split_once('.') {
        Some((days, clock)) if clock.contains(':') => (Some(days), clock),
        _ => (None, text),
    };
    if days.is_some_and(|days| days.is_empty() || !days.bytes().all(|byte| byte.is_ascii_digit())) {
        return false;
    }
    let mut parts = clock.split(':');
    let (Some(hours), Some(minutes), Some(seconds), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let seconds = seconds.split_once('.').map_or(seconds, |(whole, _)| whole);
    [hours, minutes, seconds].iter().all(|part| {
        !part.is_empty() && part.len() <= 2 && part.bytes().all(|byte| byte.is_ascii_digit())
    })
}

fn is_base64(text: &str) -> bool {
    let trimmed = text.trim_end_matches('=');
    text.len().is_multiple_of(4)
        && text.len() - trimmed.len() <= 2
        && trimmed
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'+' || byte == b'/')
}

impl AttributeValue {
    /// The value as stored and returned: enums as their key, records as objects of fields.
    pub fn to_json(&self) -> Value {
        match self {
            AttributeValue::String(text)
            | AttributeValue::DateTime(text)
            | AttributeValue::TimeSpan(text)
            | AttributeValue::Binary(text)
            | AttributeValue::BinaryLinked(text) => Value::String(text.clone()),
            AttributeValue::Int(number) | AttributeValue::Enum(number) => Value::from(*number),
            AttributeValue::Double(number) => Value::from(*number),
            AttributeValue::Boolean(flag) => Value::Bool(*flag),
            AttributeValue::StringArray(items) => Value::from(items.clone()),
            AttributeValue::IntArray(items) => Value::from(items.clone()),
            AttributeValue::Record(record) => record.to_json(),
            AttributeValue::RecordArray(records) => {
                Value::Array(records.iter().map(RecordValue::to_json).collect())
            }
            AttributeValue::GeospatialPoint {
                latitude,
                longitude,
            } => {
                serde_json::json!({"latitude": latitude, "longitude": longitude})
            }
        }
    }
}

impl RecordValue {
    pub fn to_json(&self) -> Value {
        Value::Object(
            self.fields
                .iter()
                .map(|(name, value)| (name.clone(), value.to_json()))
                .collect(),
        )
    }
}
