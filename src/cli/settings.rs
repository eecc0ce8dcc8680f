//! What comes from the environment rather than from flags: secrets, the JWT policy, the
//! MongoDB timeout, and who is acting.

use std::ffi::OsString;

use crate::domain::{Actor, Invalid};
use crate::store::MongoSettings;

/// Settings that come only from the environment, read once per command: secrets never come
/// from a flag's value, and a security policy is not a flag a caller could leave out.
#[derive(Default, Clone)]
pub(crate) struct Settings {
    /// The HS256 secret (`FLASHSALE_JWT_SECRET`), as bytes.
    pub(super) jwt_secret: Option<Vec<u8>>,
    /// Whether claims must carry a JWT (`FLASHSALE_REQUIRE_JWT=1`).
    pub(super) require_jwt: bool,
    /// How a `MongoDB` store is opened (`FLASHSALE_MONGODB_TIMEOUT_MS`).
    pub(super) mongo: MongoSettings,
}

/// Never shows the secret.
impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("jwt_secret", &self.jwt_secret.as_ref().map(|_| "***"))
            .field("require_jwt", &self.require_jwt)
            .field("mongo", &self.mongo)
            .finish()
    }
}

impl Settings {
    /// Reads `FLASHSALE_JWT_SECRET`, `FLASHSALE_REQUIRE_JWT` and
    /// `FLASHSALE_MONGODB_TIMEOUT_MS`.
    ///
    /// # Errors
    /// [`Invalid`] when `FLASHSALE_REQUIRE_JWT` is neither on nor off
    /// (a mistyped policy must not silently fall back to the permissive default), or the
    /// timeout is not a whole number of milliseconds from 1 to 600000.
    pub(super) fn from_env() -> Result<Self, Invalid> {
        let mut settings = Self::from_values(
            std::env::var_os("FLASHSALE_JWT_SECRET"),
            std::env::var_os("FLASHSALE_REQUIRE_JWT").as_deref(),
        )?;
        if let Some(text) = std::env::var_os("FLASHSALE_MONGODB_TIMEOUT_MS") {
            settings.mongo.operation_timeout = mongo_timeout(&text)?;
        }
        Ok(settings)
    }

    fn from_values(
        secret: Option<OsString>,
        require: Option<&std::ffi::OsStr>,
    ) -> Result<Self, Invalid> {
        let require_jwt = match require.map(std::ffi::OsStr::to_str) {
            None | Some(Some("" | "0" | "false" | "no")) => false,
            Some(Some("1" | "true" | "yes")) => true,
            Some(_) => {
                return Err(Invalid::new(
                    "FLASHSALE_REQUIRE_JWT",
                    "must be 1 (require a JWT for claims) or 0",
                ));
            }
        };
        Ok(Settings {
            jwt_secret: secret.map(OsString::into_encoded_bytes),
            require_jwt,
            mongo: MongoSettings::default(),
        })
    }

    /// Whether claims must carry a JWT.
    #[must_use]
    pub(crate) fn require_jwt(&self) -> bool {
        self.require_jwt
    }
}

/// Parses `FLASHSALE_MONGODB_TIMEOUT_MS`: a bound on each `MongoDB` operation, in milliseconds.
fn mongo_timeout(text: &std::ffi::OsStr) -> Result<std::time::Duration, Invalid> {
    text.to_str()
        .and_then(|t| t.parse::<u64>().ok())
        .filter(|ms| (1..=600_000).contains(ms))
        .map(std::time::Duration::from_millis)
        .ok_or_else(|| {
            Invalid::new(
                "FLASHSALE_MONGODB_TIMEOUT_MS",
                "must be a whole number of milliseconds from 1 to 600000",
            )
        })
}

/// Who is acting, for the audit log: `FLASHSALE_ACTOR`, or the operating system's user name.
/// Commands read it before they open the store, so a bad name writes nothing.
pub(crate) fn actor() -> Result<Actor, Invalid> {
    actor_from(std::env::var_os("FLASHSALE_ACTOR"), whoami::username().ok())
}

/// The actor named by `FLASHSALE_ACTOR` (`variable`), else the OS user name (`os_user`).
///
/// The OS user comes from the `whoami` crate (the password database on Unix), not from
/// `$USER`, which a service manager or a container may leave unset or a script may set to
/// anything; `FLASHSALE_ACTOR` is how a deployment names someone else on purpose.
fn actor_from(variable: Option<OsString>, os_user: Option<String>) -> Result<Actor, Invalid> {
    let name = match (variable, os_user) {
        (Some(value), _) => value
            .into_string()
            .map_err(|_| Invalid::new("FLASHSALE_ACTOR", "must be text (UTF-8)"))?,
        (None, Some(user)) => user,
        (None, None) => {
            return Err(Invalid::new(
                "actor",
                "the operating system has no name for this user: set FLASHSALE_ACTOR",
            ));
        }
    };
    Actor::parse(&name).map_err(|err| Invalid {
        field: "FLASHSALE_ACTOR",
        ..err
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn require_jwt_policy_fails_closed_on_unknown_values() {
        let policy = |value: Option<&str>| {
            Settings::from_values(None, value.map(std::ffi::OsStr::new)).map(|s| s.require_jwt())
        };
        assert_eq!(policy(None), Ok(false));
        assert_eq!(policy(Some("0")), Ok(false));
        assert_eq!(policy(Some("1")), Ok(true));
        assert_eq!(policy(Some("true")), Ok(true));
        assert!(policy(Some("maybe")).is_err());
        assert!(policy(Some("on ")).is_err());
    }

    #[test]
    fn mongo_timeout_is_whole_milliseconds_in_range() {
        let parse = |t: &str| mongo_timeout(std::ffi::OsStr::new(t));
        assert_eq!(parse("1500"), Ok(std::time::Duration::from_millis(1500)));
        for bad in ["0", "-1", "1.5", "", "600001", "ten"] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn settings_debug_never_shows_the_secret() {
        let settings = Settings::from_values(
            Some(OsString::from("hunter2-hunter2-hunter2-hunter2!")),
            None,
        )
        .unwrap();
        assert!(!format!("{settings:?}").contains("hunter2"));
    }

    /// The audit log's actor is `FLASHSALE_ACTOR` when set, the OS user otherwise,
    /// and a name that is not one is refused, never logged.
    #[test]
    fn the_actor_is_the_variable_then_the_os_user() {
        let name = |variable: Option<&str>, os: Option<&str>| {
            actor_from(variable.map(OsString::from), os.map(str::to_owned))
                .map(|actor| actor.to_string())
                .map_err(|err| err.to_string())
        };
        assert_eq!(
            name(Some("ops-ana"), Some("root")),
            Ok("ops-ana".to_owned())
        );
        assert_eq!(name(None, Some("root")), Ok("root".to_owned()));
        let none = name(None, None).unwrap_err();
        assert!(none.contains("set FLASHSALE_ACTOR"), "{none}");
        let empty = name(Some(""), Some("root")).unwrap_err();
        assert!(empty.starts_with("invalid FLASHSALE_ACTOR: "), "{empty}");
        assert!(name(Some("a\u{7}b"), None).is_err());
    }
}
