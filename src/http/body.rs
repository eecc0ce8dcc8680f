//! Request bodies: a JSON object checked field by field against its type's published schema,
//! so that a refusal names the field and what it must be (`cart_cents must be a whole number,
//! not a string`), never the parser's position in the text, and a body's fields are declared
//! once: by the type the handler reads and the API's document shows.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{Schema, SchemaType, Type};

use super::MAX_BODY_BYTES;
use super::error::ApiError;
use crate::error::ErrorKind;

/// A request's JSON object, read as a body type by [`Fields::typed`].
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

    /// The body as a `T`, once every field is one of `T`'s and of its kind and every required
    /// one is there: serde's own refusals ("expected i64") never reach the client. The fields
    /// are `T`'s published schema ([`RequestBody::fields`]), so a refusal and the API's document cannot
    /// disagree on a name, a kind or whether a field may be left out.
    pub(crate) fn typed<T: RequestBody>(self) -> Result<T, ApiError> {
        let known = T::fields();
        for (name, value) in &self.object {
            let Some(field) = known.iter().find(|field| field.name == *name) else {
                return Err(malformed(format!(
                    "unknown field `{}`; the body is a JSON object {}",
                    crate::domain::shown(name),
                    self.shape
                ))
                .field(crate::domain::shown(name).clone()));
            };
            if let Some(reason) = field.refusal(value) {
                return Err(invalid(&field.name, &reason));
            }
        }
        if let Some(missing) = known
            .iter()
            .find(|field| field.required && !self.object.contains_key(&field.name))
        {
            let reason = format!("is required; the body is a JSON object {}", self.shape);
            return Err(invalid(&missing.name, &reason));
        }
        let shape = self.shape;
        T::deserialize(Value::Object(self.object))
            .map_err(|_| malformed(format!("the body must be a JSON object {shape}")))
    }
}

/// What a body field must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A whole number within 64 bits (cents, units).
    Integer,
    /// Any number (a percentage: `15` or `12.5`).
    Number,
    /// A string.
    String,
    /// `true` or `false`.
    Bool,
}

/// One field a body may carry, as its schema publishes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Field {
    name: String,
    kind: Kind,
    /// Must be there.
    required: bool,
    /// May be `null`, which stands for left out (an `Option` field).
    nullable: bool,
}

impl Field {
    /// Why `value` cannot be this field, or `None` when it can.
    fn refusal(&self, value: &Value) -> Option<String> {
        let fits = match self.kind {
            _ if value.is_null() => self.nullable,
            Kind::Integer => value.as_i64().is_some(),
            Kind::Number => value.is_number(),
            Kind::String => value.is_string(),
            Kind::Bool => value.is_boolean(),
        };
        if fits {
            return None;
        }
        Some(match self.kind {
            Kind::Integer if value.is_number() => "must be a whole number within 64 bits".into(),
            Kind::Integer => format!("must be a whole number, not {}", type_of(value)),
            Kind::Number => format!("must be a number, not {}", type_of(value)),
            Kind::String => format!("must be a string, not {}", type_of(value)),
            Kind::Bool => format!("must be true or false, not {}", type_of(value)),
        })
    }
}

/// A type a request body is read as ([`Fields::typed`]); implemented by [`bodies!`].
pub(super) trait RequestBody: DeserializeOwned + ToSchema {
    /// The fields of the type's schema, derived once ([`fields_of`]) and kept for the
    /// process's life, so reading a body costs no schema walk and no lock.
    fn fields() -> &'static [Field];
}

/// Makes each type a [`RequestBody`], its fields derived from its schema at the first body read.
macro_rules! bodies {
    ($($body:ty),* $(,)?) => {$(
        impl $crate::http::body::RequestBody for $body {
            fn fields() -> &'static [$crate::http::body::Field] {
                static FIELDS: std::sync::LazyLock<Vec<$crate::http::body::Field>> =
                    std::sync::LazyLock::new($crate::http::body::fields_of::<$body>);
                &FIELDS
            }
        }
    )*};
}
pub(super) use bodies;

/// The fields of `T`'s schema, in its order.
///
/// # Panics
/// When `T`'s schema is not an object of plain fields (a string, an integer, a number or a
/// boolean, each possibly nullable): a body type this reader cannot check. Every body type is
/// derived in a test, so this never reaches a request.
pub(super) fn fields_of<T: ToSchema>() -> Vec<Field> {
    derive_fields(&T::name(), T::schema())
}

/// The fields an object schema names, in its order.
fn derive_fields(body: &str, schema: RefOr<Schema>) -> Vec<Field> {
    let RefOr::T(Schema::Object(object)) = schema else {
        panic!("the body {body} is not described as a JSON object");
    };
    object
        .properties
        .iter()
        .map(|(name, property)| {
            let RefOr::T(Schema::Object(property)) = property else {
                panic!("the field {body}.{name} is not a plain value");
            };
            let (types, nullable) = match &property.schema_type {
                SchemaType::Type(one) => (vec![one], false),
                SchemaType::Array(many) => (
                    many.iter().filter(|t| **t != Type::Null).collect(),
                    many.contains(&Type::Null),
                ),
                SchemaType::AnyValue => (vec![], false),
            };
            let kind = match types.as_slice() {
                [Type::Integer] => Kind::Integer,
                [Type::Number] => Kind::Number,
                [Type::String] => Kind::String,
                [Type::Boolean] => Kind::Bool,
                _ => panic!(
                    "the field {body}.{name} is not a string, an integer, a number or a boolean"
                ),
            };
            Field {
                name: name.clone(),
                kind,
                required: object.required.contains(name),
                nullable,
            }
        })
        .collect()
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
fn invalid(name: &str, reason: &str) -> ApiError {
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

    fn refusal(err: ApiError) -> serde_json::Value {
        let response = axum::response::IntoResponse::into_response(err);
        let body = futures::executor::block_on(axum::body::to_bytes(response.into_body(), 4096));
        serde_json::from_slice(&body.unwrap()).unwrap()
    }

    /// A body with one field of each kind.
    #[derive(Debug, serde::Deserialize, ToSchema)]
    struct Typed {
        n: i64,
        s: Option<String>,
        #[schema(value_type = Option<f64>)]
        x: Option<serde_json::Number>,
        #[serde(default)]
        b: bool,
    }
    bodies!(Typed);

    fn typed(text: &'static str) -> Result<Typed, ApiError> {
        Fields::parse_or_empty(Ok(Bytes::from_static(text.as_bytes())), "{\"n\": N}")
            .and_then(Fields::typed::<Typed>)
    }

    #[test]
    fn the_fields_checked_are_the_schemas() {
        let field = |name: &str, kind, required, nullable| Field {
            name: name.to_owned(),
            kind,
            required,
            nullable,
        };
        assert_eq!(
            Typed::fields(),
            [
                field("n", Kind::Integer, true, false),
                field("s", Kind::String, false, true),
                field("x", Kind::Number, false, true),
                field("b", Kind::Bool, false, false),
            ]
        );
        assert!(std::ptr::eq(Typed::fields(), Typed::fields()));
    }

    /// Every body the server reads: derived here, so a body type the reader cannot check fails
    /// a test, never a request.
    #[test]
    fn every_body_the_server_reads_has_checkable_fields() {
        use super::super::admin::{
            CreateBody, ExtendBody, InventoryBody, NoFields, ReconcileBody, VoidBody,
        };
        use super::super::routes::{ClaimBody, RedeemBody};
        let shown = |fields: &[Field]| {
            fields
                .iter()
                .map(|f| format!("{}{}", f.name, if f.required { "" } else { "?" }))
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(shown(ClaimBody::fields()), "cart_cents");
        assert_eq!(shown(RedeemBody::fields()), "token order_id cart_cents");
        assert_eq!(
            shown(CreateBody::fields()),
            "id name inventory percent_off max_discount_cents min_cart_cents? currency? \
             starts_at? ends_at? duration? hold?"
        );
        assert_eq!(CreateBody::fields()[3].kind, Kind::Number);
        assert_eq!(shown(ExtendBody::fields()), "ends_at? by?");
        assert_eq!(shown(InventoryBody::fields()), "add? remove?");
        assert_eq!(shown(ReconcileBody::fields()), "apply? force?");
        assert_eq!(shown(VoidBody::fields()), "user_id? token? reason?");
        assert_eq!(shown(NoFields::fields()), "");
    }

    #[test]
    fn a_typed_body_is_refused_by_field_never_in_serdes_words() {
        let ok = typed(r#"{"n": 5, "s": "x", "x": 12.5, "b": true}"#).unwrap();
        assert_eq!((ok.n, ok.s.as_deref(), ok.b), (5, Some("x"), true));
        assert_eq!(ok.x.unwrap().as_f64(), Some(12.5));
        let nulled = typed(r#"{"n": 5, "s": null}"#).unwrap();
        assert_eq!(nulled.s, None, "a nullable field may be null");
        for (text, field, words) in [
            (
                r#"{"n": "5"}"#,
                "n",
                "n must be a whole number, not a string",
            ),
            (
                r#"{"n": 1.5}"#,
                "n",
                "n must be a whole number within 64 bits",
            ),
            (
                r#"{"n": 99999999999999999999}"#,
                "n",
                "n must be a whole number within 64 bits",
            ),
            (r#"{"n": null}"#, "n", "n must be a whole number, not null"),
            (
                r#"{"n": 5, "s": 1}"#,
                "s",
                "s must be a string, not a number",
            ),
            (
                r#"{"n": 5, "x": "1"}"#,
                "x",
                "x must be a number, not a string",
            ),
            (
                r#"{"n": 5, "b": 1}"#,
                "b",
                "b must be true or false, not a number",
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
    fn a_body_that_is_not_an_object_is_refused_showing_its_shape() {
        for text in ["[5]", "5", "{\"n\": 5", "not json"] {
            let Err(err) = Fields::parse(Ok(Bytes::from_static(text.as_bytes())), "{\"n\": N}")
            else {
                panic!("{text} accepted");
            };
            let refused = refusal(err);
            assert_eq!(refused["error"]["code"], "malformed_body");
            let message = refused["error"]["message"].as_str().unwrap();
            assert!(!message.contains("line"), "{text}: {message}");
            assert!(message.contains("{\"n\": N}"), "{text}: {message}");
        }
        let unknown = refusal(typed(r#"{"n": 5, "m": 1}"#).unwrap_err());
        assert_eq!(unknown["error"]["code"], "malformed_body");
    }
}
