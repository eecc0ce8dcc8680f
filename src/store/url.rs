//! Where a store is: a URL parsed once, shown with its password redacted.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use super::StoreError;
use crate::domain::Invalid;

/// Where the store is: `sqlite:PATH` or `mongodb://…` / `mongodb+srv://…`.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreUrl {
    /// An `SQLite` file (created with its parent folders).
    Sqlite(PathBuf),
    /// A `MongoDB` connection string.
    Mongo(String),
}

impl StoreUrl {
    /// The default store: `sqlite:<data dir>/flashsale/flashsale.db`.
    ///
    /// # Errors
    /// [`StoreError::NoDataDir`] when the platform has no data directory (no `$HOME`).
    pub fn default_location() -> Result<Self, StoreError> {
        dirs::data_dir()
            .map(|dir| StoreUrl::Sqlite(dir.join("flashsale").join("flashsale.db")))
            .ok_or(StoreError::NoDataDir)
    }
}

impl FromStr for StoreUrl {
    type Err = Invalid;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = |reason: &str| {
            Invalid::new(
                "store URL",
                format!("`{}` {reason}", redact(&crate::domain::shown(text))),
            )
        };
        if let Some(path) = text.strip_prefix("sqlite:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            if path.is_empty() {
                return Err(bad("has no path: use `sqlite:PATH`"));
            }
            if path.contains('\0') {
                return Err(bad("has a NUL byte in its path"));
            }
            return Ok(StoreUrl::Sqlite(PathBuf::from(path)));
        }
        if let Some(rest) = text
            .strip_prefix("mongodb://")
            .or_else(|| text.strip_prefix("mongodb+srv://"))
        {
            if rest.is_empty() || rest.starts_with('/') {
                return Err(bad("has no host"));
            }
            if text.chars().any(char::is_control) {
                return Err(bad("contains a control character"));
            }
            return Ok(StoreUrl::Mongo(text.to_owned()));
        }
        Err(bad("must start with `sqlite:` or `mongodb://`"))
    }
}

impl fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreUrl::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
            StoreUrl::Mongo(url) => f.write_str(&redact(url)),
        }
    }
}

/// Debug output is the redacted URL too, so a password never reaches a log.
impl fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StoreUrl({self})")
    }
}

/// Replaces the password of `scheme://user:password@host` with `***`.
pub(super) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_urls_parse_by_scheme() {
        assert_eq!(
            "sqlite:/tmp/x.db".parse::<StoreUrl>().unwrap(),
            StoreUrl::Sqlite("/tmp/x.db".into())
        );
        assert_eq!(
            "sqlite://rel/x.db".parse::<StoreUrl>().unwrap(),
            StoreUrl::Sqlite("rel/x.db".into())
        );
        assert!(matches!(
            "mongodb://localhost:27017/fs".parse::<StoreUrl>().unwrap(),
            StoreUrl::Mongo(_)
        ));
        assert!(matches!(
            "mongodb+srv://cluster.example/fs"
                .parse::<StoreUrl>()
                .unwrap(),
            StoreUrl::Mongo(_)
        ));
        for bad in [
            "",
            "sqlite:",
            "postgres://x",
            "mongodb://",
            "mongodb:///db",
            "/tmp/x.db",
        ] {
            assert!(bad.parse::<StoreUrl>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn passwords_never_show_in_store_urls() {
        let url: StoreUrl = "mongodb://ana:s3cret@db.local:27017/fs?authSource=admin"
            .parse()
            .unwrap();
        assert_eq!(
            url.to_string(),
            "mongodb://ana:***@db.local:27017/fs?authSource=admin"
        );
        assert!(!format!("{url:?}").contains("s3cret"));
        let bad = "mongodbx://ana:s3cret@host"
            .parse::<StoreUrl>()
            .unwrap_err()
            .to_string();
        assert!(!bad.contains("s3cret"), "{bad}");
    }
}
