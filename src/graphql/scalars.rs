//! `DateTime`: one written form for every point in time the API returns, RFC 3339 in UTC with
//! a `Z` and milliseconds (`2026-12-01T09:30:00.000Z`, what JavaScript's `toISOString` writes),
//! whether the value came from SQLite or PostgreSQL. Input takes any RFC 3339 offset.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{SecondsFormat, Utc};

/// A point in time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct DateTime(pub chrono::DateTime<Utc>);

/// A point in time, RFC 3339. Written in UTC with milliseconds (`2026-12-01T09:30:00.000Z`);
/// read with any offset.
#[Scalar(
    name = "DateTime",
    specified_by_url = "https://datatracker.ietf.org/doc/html/rfc3339"
)]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => chrono::DateTime::parse_from_rfc3339(text)
                .map(|at| Self(at.with_timezone(&Utc)))
                .map_err(|_| {
                    InputValueError::custom(format!(
                        "{text:?} is not an RFC 3339 date and time like 2026-12-01T09:30:00Z"
                    ))
                }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

impl From<chrono::DateTime<Utc>> for DateTime {
    fn from(at: chrono::DateTime<Utc>) -> Self {
        Self(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_instant_is_written_in_one_form() {
        let precise = chrono::DateTime::parse_from_rfc3339("2026-12-01T09:30:15.088557716+00:00")
            .unwrap()
            .with_timezone(&Utc);
        let whole = chrono::DateTime::parse_from_rfc3339("2026-12-01T09:30:00+02:00")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            DateTime(precise).to_value(),
            Value::String("2026-12-01T09:30:15.088Z".to_owned())
        );
        assert_eq!(
            DateTime(whole).to_value(),
            Value::String("2026-12-01T07:30:00.000Z".to_owned())
        );
    }

    #[test]
    fn input_takes_any_offset_and_refuses_other_text() {
        let parsed =
            DateTime::parse(Value::String("2026-12-01T10:30:00+01:00".to_owned())).unwrap();
        assert_eq!(
            parsed.to_value(),
            Value::String("2026-12-01T09:30:00.000Z".to_owned())
        );
        assert!(DateTime::parse(Value::String("yesterday".to_owned())).is_err());
        assert!(DateTime::parse(Value::Number(1.into())).is_err());
    }
}
