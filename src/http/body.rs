//! Request bodies: a JSON object read field by field, so that a refusal names the field and
//! what it must be (`cart_cents must be an integer`), never the parser's position in the text.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::MAX_BODY_BYTES;
use super::error::ApiError;
use crate::error::ErrorKind;

/// A request's JSON object, its fields taken one at a time; [`Fields::finish`] refuses any
/// left over.
pub(crate) struct Fields {
    object: Map<String, Value>,
    /// The body's shape, for messages: `{"cart_cents": N}`.
    shape: &'static str,
}

impl Fields {
    /// The body as a JSON object of at most [`MAX_BODY_BYTES`] (413 beyond), or a refusal
    /// showing `shape`.
    pub(crate) fn parse(
        body: Result<Bytes, BytesRejection>,
        shape: &'static str,
    ) -> Result<Fields, ApiError> {
        let bytes = body.map_err(|err| rejected(&err))?;
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(object)) => Ok(Fields { object, shape }),
            Ok(_) => Err(malformed(format!("the body must be a JSON object {shape}"))),
            Err(_) => Err(malformed(format!(
                "the body is not JSON; it must be a JSON object {shape}"
            ))),
        }
    }

    /// The body as [`Fields::parse`] reads it, an empty one being `{}`: for actions whose
    /// fields are all optional.
    pub(crate) fn parse_or_empty(
        body: Result<Bytes, BytesRejection>,
        shape: &'static str,
    ) -> Result<Fields, ApiError> {
        match body {
            Ok(bytes) if bytes.trim_ascii().is_empty() => Ok(Fields {
                object: Map::new(),
                shape,
            }),
            body => Fields::parse(body, shape),
        }
    }

    /// The body as a `T`, once every field is one of `known` and of its kind and every required
    /// one is there: serde's own refusals ("expected i64") never reach the client.
    pub(crate) fn typed<T: DeserializeOwned>(self, known: &[Field]) -> Result<T, ApiError> {
        for (name, value) in &self.object {
            let Some(field) = known.iter().find(|field| field.name == name) else {
                return Err(malformed(format!(
                    "unknown field `{}`; the body is a JSON object {}",
                    crate::domain::shown(name),
                    self.shape
                ))
                .field(crate::domain::shown(name).clone()));
            };
            let fits = match field.kind {
                Kind::Integer => value.as_i64().is_some(),
                Kind::Number => value.is_number(),
                Kind::String => value.is_string(),
                Kind::Bool => value.is_boolean(),
            };
            if !fits {
                let wanted = match field.kind {
                    Kind::Integer => "a whole number within 64 bits",
                    Kind::Number => "a number",
                    Kind::String => "a string",
                    Kind::Bool => "true or false",
                };
                let reason = format!("must be {wanted}, not {}", type_of(value));
                return Err(invalid(field.name, &reason));
            }
        }
        if let Some(missing) = known
            .iter()
            .find(|field| field.required && !self.object.contains_key(field.name))
        {
            let reason = format!("is required; the body is a JSON object {}", self.shape);
            return Err(invalid(missing.name, &reason));
        }
        let shape = self.shape;
        T::deserialize(Value::Object(self.object))
            .map_err(|_| malformed(format!("the body must be a JSON object {shape}")))
    }

    /// A required integer field.
    pub(crate) fn integer(&mut self, name: &'static str) -> Result<i64, ApiError> {
        match self.take(name)? {
            Value::Number(number) => number
                .as_i64()
                .ok_or_else(|| invalid(name, "must be a whole number within 64 bits")),
            other => Err(invalid(
                name,
                &format!("must be a whole number, not {}", type_of(&other)),
            )),
        }
    }

    /// A required string field.
    pub(crate) fn string(&mut self, name: &'static str) -> Result<String, ApiError> {
        match self.take(name)? {
            Value::String(text) => Ok(text),
            other => Err(invalid(
                name,
                &format!("must be a string, not {}", type_of(&other)),
            )),
        }
    }

    /// Refuses a field the body's shape does not have: a misspelt `cart_cent` must not pass as
    /// a claim without a cart.
    pub(crate) fn finish(self) -> Result<(), ApiError> {
        match self.object.keys().next() {
            None => Ok(()),
            Some(unknown) => Err(malformed(format!(
                "unknown field `{}`; the body is a JSON object {}",
                crate::domain::shown(unknown),
                self.shape
            ))
            .field(crate::domain::shown(unknown).clone())),
        }
    }

    fn take(&mut self, name: &'static str) -> Result<Value, ApiError> {
        self.object.remove(name).ok_or_else(|| {
            invalid(
                name,
                &format!("is required; the body is a JSON object {}", self.shape),
            )
        })
    }
}

/// What a body field must hold.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    /// A whole number within 64 bits (cents, units).
    Integer,
    /// Any number (a percentage: `15` or `12.5`).
    Number,
    /// A string.
    String,
    /// `true` or `false`.
    Bool,
}

/// One field a body may carry: its name, its kind and whether it must be there.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field {
    pub(crate) name: &'static str,
    pub(crate) kind: Kind,
    pub(crate) required: bool,
}

impl Field {
    /// A field that must be there.
    pub(crate) const fn required(name: &'static str, kind: Kind) -> Field {
        Field {
            name,
            kind,
            required: true,
        }
    }

    /// A field that may be left out.
    pub(crate) const fn optional(name: &'static str, kind: Kind) -> Field {
        Field {
            name,
            kind,
            required: false,
        }
    }
}

/// JSON's name for a value's type, for a message.
fn type_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A field's value refused.
fn invalid(name: &'static str, reason: &str) -> ApiError {
    ApiError::new(ErrorKind::InvalidInput, format!("{name} {reason}"))
        .code("invalid_value")
        .field(name)
}

/// A body that is not the shape asked for.
fn malformed(message: String) -> ApiError {
    ApiError::new(ErrorKind::InvalidInput, message).code("malformed_body")
}

/// A body axum could not read: too large (413) or not readable (400).
pub(crate) fn rejected(err: &BytesRejection) -> ApiError {
    if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large()
    } else {
        malformed(err.body_text())
    }
}

/// The answer to a body over [`MAX_BODY_BYTES`].
pub(crate) fn too_large() -> ApiError {
    ApiError::new(
        ErrorKind::InvalidInput,
        format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
    )
    .with_status(StatusCode::PAYLOAD_TOO_LARGE)
    .code("body_too_large")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(text: &'static str) -> Result<Fields, ApiError> {
        Fields::parse(Ok(Bytes::from_static(text.as_bytes())), "{\"n\": N}")
    }

    fn refusal(err: ApiError) -> serde_json::Value {
        let response = axum::response::IntoResponse::into_response(err);
        let body = futures::executor::block_on(axum::body::to_bytes(response.into_body(), 4096));
        serde_json::from_slice(&body.unwrap()).unwrap()
    }

    #[derive(Debug, serde::Deserialize)]
    struct Typed {
        n: i64,
        s: Option<String>,
    }

    #[test]
    fn a_typed_body_is_refused_by_field_never_in_serdes_words() {
        let known = [
            Field::required("n", Kind::Integer),
            Field::optional("s", Kind::String),
        ];
        let typed = |text: &'static str| {
            Fields::parse_or_empty(Ok(Bytes::from_static(text.as_bytes())), "{\"n\": N}")
                .and_then(|fields| fields.typed::<Typed>(&known))
        };
        let ok = typed(r#"{"n": 5, "s": "x"}"#).unwrap();
        assert_eq!((ok.n, ok.s.as_deref()), (5, Some("x")));
        for (text, field, words) in [
            (
                r#"{"n": "5"}"#,
                "n",
                "n must be a whole number within 64 bits, not a string",
            ),
            (
                r#"{"n": 5, "s": 1}"#,
                "s",
                "s must be a string, not a number",
            ),
            ("", "n", "n is required"),
            (r#"{"s": "x"}"#, "n", "n is required"),
            (r#"{"n": 5, "t": 1}"#, "t", "unknown field `t`"),
        ] {
            let refused = refusal(typed(text).unwrap_err());
            assert_eq!(refused["error"]["field"], field, "{text}: {refused}");
            let message = refused["error"]["message"].as_str().unwrap();
            assert!(message.starts_with(words), "{text}: {message}");
            assert!(!message.contains("i64"), "{text}: {message}");
        }
    }

    #[test]
    fn a_refusal_names_the_field_and_not_the_parsers_position() {
        let wrong_type = refusal(fields(r#"{"n": "5"}"#).unwrap().integer("n").unwrap_err());
        assert_eq!(wrong_type["error"]["field"], "n");
        assert_eq!(wrong_type["error"]["code"], "invalid_value");
        assert_eq!(
            wrong_type["error"]["message"],
            "n must be a whole number, not a string"
        );
        let missing = refusal(fields("{}").unwrap().integer("n").unwrap_err());
        assert_eq!(missing["error"]["field"], "n");
        assert!(
            missing["error"]["message"]
                .as_str()
                .unwrap()
                .contains("is required")
        );
        let mut extra = fields(r#"{"n": 5, "m": 1}"#).unwrap();
        assert_eq!(extra.integer("n").unwrap(), 5);
        let unknown = refusal(extra.finish().unwrap_err());
        assert_eq!(unknown["error"]["field"], "m");
        assert_eq!(unknown["error"]["code"], "malformed_body");
        for text in ["[5]", "5", "{\"n\": 5", "not json"] {
            let Err(err) = fields(text) else {
                panic!("{text} accepted");
            };
            let message = refusal(err)["error"]["message"]
                .as_str()
                .unwrap()
                .to_owned();
            assert!(!message.contains("line"), "{text}: {message}");
            assert!(message.contains("{\"n\": N}"), "{text}: {message}");
        }
    }
}
