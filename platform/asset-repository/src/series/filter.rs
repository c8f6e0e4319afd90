//! Field filters over stream-data rows: conditions on an archive column, on `rtId` (the series)
//! or on `timestamp`, combined with And/Or and nesting. Checked against the archive before any
//! point is read, so that a wrong path or operator is refused with what to write instead.

use serde_json::Value;

use crate::store::{FieldFilter, FilterGroup, FilterOperator, Logic, StoreError, parse_rfc3339_ms};

#[derive(Debug, Clone)]
enum Target {
    Column(usize),
    Series,
    Timestamp,
}

#[derive(Debug, Clone)]
enum Operand {
    Number(f64),
    Text(String),
    List(Vec<Operand>),
    None,
}

#[derive(Debug, Clone)]
struct Condition {
    target: Target,
    operator: FilterOperator,
    value: Operand,
    second: Operand,
}

/// A compiled filter.
#[derive(Debug, Clone)]
pub struct RowFilter {
    logic: Logic,
    conditions: Vec<Condition>,
    nested: Vec<RowFilter>,
}

fn invalid(message: String) -> StoreError {
    StoreError::InvalidQuery(vec![message])
}

fn operand(target: &Target, value: Option<&Value>, path: &str) -> Result<Operand, StoreError> {
    let Some(value) = value.filter(|value| !value.is_null()) else {
        return Ok(Operand::None);
    };
    match (target, value) {
        (_, Value::Array(items)) => Ok(Operand::List(
            items
                .iter()
                .map(|item| operand(target, Some(item), path))
                .collect::<Result<_, _>>()?,
        )),
        (Target::Series, Value::String(text)) => Ok(Operand::Text(text.clone())),
        (Target::Timestamp, Value::String(text)) => parse_rfc3339_ms(text)
            .map(|ms| Operand::Number(ms as f64))
            .ok_or_else(|| {
                invalid(format!(
                    "`timestamp` compares with RFC 3339 date-times, not `{text}`"
                ))
            }),
        (Target::Column(_) | Target::Timestamp, Value::Number(number)) => {
            Ok(Operand::Number(number.as_f64().unwrap_or(f64::NAN)))
        }
        (Target::Column(_), Value::Bool(flag)) => Ok(Operand::Number(f64::from(u8::from(*flag)))),
        (Target::Column(_), Value::String(text)) => text
            .parse::<f64>()
            .map(Operand::Number)
            .map_err(|_| invalid(format!("`{path}` holds numbers; `{text}` is not one"))),
        (_, other) => Err(invalid(format!("`{path}` cannot be compared with {other}"))),
    }
}

fn allowed(target: &Target, operator: FilterOperator) -> bool {
    use FilterOperator as O;
    let ordered = matches!(
        operator,
        O::Equals
            | O::NotEquals
            | O::GreaterThan
            | O::GreaterThanOrEqual
            | O::LessThan
            | O::LessThanOrEqual
            | O::Between
            | O::In
            | O::NotIn
    );
    match target {
        Target::Column(_) => ordered || matches!(operator, O::IsNull | O::IsNotNull),
        Target::Timestamp => ordered,
        Target::Series => matches!(
            operator,
            O::Equals | O::NotEquals | O::In | O::NotIn | O::StartsWith | O::EndsWith | O::Contains
        ),
    }
}

impl RowFilter {
    /// Compiles `group` against the archive's `columns`.
    pub fn compile(group: &FilterGroup, columns: &[String]) -> Result<RowFilter, StoreError> {
        let conditions = group
            .fields
            .iter()
            .map(|field| Self::condition(field, columns))
            .collect::<Result<_, _>>()?;
        Ok(RowFilter {
            logic: group.logic,
            conditions,
            nested: group
                .nested
                .iter()
                .map(|nested| RowFilter::compile(nested, columns))
                .collect::<Result<_, _>>()?,
        })
    }

    fn condition(field: &FieldFilter, columns: &[String]) -> Result<Condition, StoreError> {
        let path = field.attribute_path.as_str();
        let target = match path {
            "rtId" | "RtId" => Target::Series,
            "timestamp" | "Timestamp" => Target::Timestamp,
            _ => Target::Column(columns.iter().position(|column| column == path).ok_or_else(
                || {
                    invalid(format!(
                        "`{path}` is not a column of the archive; filter on {}, `rtId` or `timestamp`",
                        columns.join(", ")
                    ))
                },
            )?),
        };
        if !allowed(&target, field.operator) {
            return Err(invalid(format!(
                "{:?} does not apply to `{path}` in stream data: columns take Equals, NotEquals, GreaterThan(OrEqual), LessThan(OrEqual), Between, In, NotIn, IsNull, IsNotNull; `rtId` takes Equals, NotEquals, In, NotIn, StartsWith, EndsWith, Contains",
                field.operator
            )));
        }
        let value = operand(&target, field.value.as_ref(), path)?;
        let second = operand(&target, field.second_value.as_ref(), path)?;
        let needs_value = !matches!(
            field.operator,
            FilterOperator::IsNull | FilterOperator::IsNotNull
        );
        if needs_value && matches!(value, Operand::None) {
            return Err(invalid(format!(
                "{:?} on `{path}` needs a `Value`",
                field.operator
            )));
        }
        if field.operator == FilterOperator::Between && matches!(second, Operand::None) {
            return Err(invalid(format!(
                "Between on `{path}` needs a `SecondValue`"
            )));
        }
        if matches!(field.operator, FilterOperator::In | FilterOperator::NotIn)
            && !matches!(value, Operand::List(_))
        {
            return Err(invalid(format!(
                "{:?} on `{path}` takes an array",
                field.operator
            )));
        }
        Ok(Condition {
            target,
            operator: field.operator,
            value,
            second,
        })
    }

    /// Whether a row passes.
    pub fn matches(&self, series: &str, ts: i64, values: &[Option<f64>]) -> bool {
        let mut results = self
            .conditions
            .iter()
            .map(|condition| condition.holds(series, ts, values))
            .chain(
                self.nested
                    .iter()
                    .map(|nested| nested.matches(series, ts, values)),
            );
        match self.logic {
            Logic::And => results.all(|result| result),
            Logic::Or => results.any(|result| result),
        }
    }
}

impl Condition {
    fn holds(&self, series: &str, ts: i64, values: &[Option<f64>]) -> bool {
        use FilterOperator as O;
        let subject: Option<Operand> = match self.target {
            Target::Column(idx) => values.get(idx).copied().flatten().map(Operand::Number),
            Target::Timestamp => Some(Operand::Number(ts as f64)),
            Target::Series => Some(Operand::Text(series.to_owned())),
        };
        let Some(subject) = subject else {
            return self.operator == O::IsNull;
        };
        let equal = |a: &Operand, b: &Operand| match (a, b) {
            (Operand::Number(a), Operand::Number(b)) => a == b,
            (Operand::Text(a), Operand::Text(b)) => a == b,
            _ => false,
        };
        let number = |operand: &Operand| match operand {
            Operand::Number(number) => Some(*number),
            _ => None,
        };
        let text = match &subject {
            Operand::Text(text) => text.as_str(),
            _ => "",
        };
        let pattern = match &self.value {
            Operand::Text(pattern) => pattern.as_str(),
            _ => "",
        };
        let compare = |test: fn(f64, f64) -> bool| matches!((number(&subject), number(&self.value)), (Some(a), Some(b)) if test(a, b));
        match self.operator {
            O::IsNull => false,
            O::IsNotNull => true,
            O::Equals => equal(&subject, &self.value),
            O::NotEquals => !equal(&subject, &self.value),
            O::GreaterThan => compare(|a, b| a > b),
            O::GreaterThanOrEqual => compare(|a, b| a >= b),
            O::LessThan => compare(|a, b| a < b),
            O::LessThanOrEqual => compare(|a, b| a <= b),
            O::Between => matches!(
                (number(&subject), number(&self.value), number(&self.second)),
                (Some(x), Some(low), Some(high)) if x >= low && x <= high
            ),
            O::In | O::NotIn => {
                let found = match &self.value {
                    Operand::List(items) => items.iter().any(|item| equal(&subject, item)),
                    _ => false,
                };
                found == (self.operator == O::In)
            }
            O::StartsWith => text.starts_with(pattern),
            O::EndsWith => text.ends_with(pattern),
            O::Contains => text.contains(pattern),
            O::Regex | O::Like | O::AnyEq | O::AnyLike => false,
        }
    }
}
