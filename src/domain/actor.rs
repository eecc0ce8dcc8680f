//! Who did an operator action, and when: what every event records.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Invalid, opaque};

/// Who did an operator action, as the events log records it: 1 to 128 characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Actor(String);

impl Actor {
    /// Checks an actor name.
    ///
    /// # Errors
    /// [`Invalid`] (field `actor`) when empty, over 128 characters, holding a control character
    /// or white space at either end.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        opaque("actor", text).map(Actor)
    }

    /// The name as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who acts and when: what every change records in its event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stamp {
    /// Who.
    pub actor: Actor,
    /// When (also the instant the change is decided at).
    pub at: DateTime<Utc>,
}
