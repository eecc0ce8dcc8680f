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
                // Redacted before it is shortened: cutting first could drop the `@` that tells
                // where a password ends, and show its first characters.
                format!("`{}` {reason}", crate::domain::shown(&redact(text))),
            )
        };
        if let Some(path) = text.strip_prefix("sqlite:") {
            // Only `sqlite:PATH` is documented. Other tools read `sqlite://x` as a host or
            // a relative path and `?mode=ro` as an option, where a plain path would make it
            // part of the file name: a form read differently elsewhere is refused rather than
            // guessed at.
            if path.starts_with("//") {
                return Err(bad(&format!(
                    "is not a supported form (`sqlite://` has no meaning here); {FORMS}"
                )));
            }
            if path.contains('?') {
                return Err(bad(&format!(
                    "has a `?query`, which sqlite: store URLs do not take; {FORMS}"
                )));
            }
            if path.is_empty() {
                return Err(bad(&format!("has no path; {FORMS}")));
            }
            if path.contains('\0') {
                return Err(bad("has a NUL byte in its path"));
            }
            return expand_home(path)
                .map(StoreUrl::Sqlite)
                .map_err(|reason| bad(&reason));
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
        Err(bad(&format!("is not a store URL; {FORMS}")))
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

/// The documented store URL forms, named whenever a URL is refused.
const FORMS: &str = "use `sqlite:PATH` (`~/` expands) or `mongodb://HOST/DB`";

/// `path` with a leading `~` or `~/` replaced by the home directory, as a shell would: a
/// literal `./~` folder is never what an operator meant. `~user` is not expanded (it would
/// need the password database) and is refused.
fn expand_home(path: &str) -> Result<PathBuf, String> {
    let rest = match path.strip_prefix('~') {
        None => return Ok(PathBuf::from(path)),
        Some(rest) if rest.is_empty() || rest.starts_with('/') => rest.trim_start_matches('/'),
        Some(_) => {
            return Err(format!(
                "starts with `~user`, which is not expanded; {FORMS}"
            ));
        }
    };
    let home = dirs::home_dir()
        .ok_or_else(|| "starts with `~`, but there is no home directory".to_owned())?;
    Ok(if rest.is_empty() {
        home
    } else {
        home.join(rest)
    })
}

/// The shown form of a secret.
const REDACTED: &str = "***";

/// Whether a query option of a connection string carries a credential: any option named like
/// a password, secret, token or key, and `authMechanismProperties` (which carries AWS session
/// tokens). `authSource` and `authMechanism` name no secret and stay readable.
fn is_secret_option(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    if name == "authsource" || name == "authmechanism" {
        return false;
    }
    [
        "pass",
        "secret",
        "token",
        "key",
        "credential",
        "auth",
        "sig",
    ]
    .iter()
    .any(|word| name.contains(word))
}

/// Where the user information of `rest` (a URL after `scheme://`) ends: at its LAST `@`.
/// A password may hold `/`, `?`, `:` or even `@` that its writer forgot to percent-encode, so
/// the first `/` or `?` does not end it; taking the last `@` may hide more than the password
/// (an `@` in an option value), never less.
fn userinfo_end(rest: &str) -> Option<usize> {
    rest.rfind('@')
}

/// A connection string with every credential replaced by `***`: the password of
/// `scheme://user:password@host`, however it is spelled, and the value of every query option
/// that carries a credential ([`is_secret_option`]).
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return redact_options(url);
    };
    let (userinfo, hosts) = match userinfo_end(rest) {
        Some(at) => {
            let userinfo = &rest[..at];
            let shown = match userinfo.split_once(':') {
                Some((user, _)) => format!("{user}:{REDACTED}"),
                None => userinfo.to_owned(),
            };
            (format!("{shown}@"), &rest[at + 1..])
        }
        None => (String::new(), rest),
    };
    format!("{scheme}://{userinfo}{}", redact_options(hosts))
}

/// `hosts/db?options` with the value of every credential option replaced. A piece with no `=`
/// is hidden too: it is either malformed or the tail of a value that held a separator.
fn redact_options(text: &str) -> String {
    let Some((head, query)) = text.split_once('?') else {
        return text.to_owned();
    };
    let mut shown = format!("{head}?");
    let mut hiding = false;
    for (index, piece) in query.split(['&', ';']).enumerate() {
        if index > 0 {
            shown.push('&');
        }
        match piece.split_once('=') {
            Some((name, _)) if is_secret_option(name) => {
                hiding = true;
                shown.push_str(name);
                shown.push('=');
                shown.push_str(REDACTED);
            }
            Some(_) => {
                hiding = false;
                shown.push_str(piece);
            }
            None if hiding || !piece.is_empty() => shown.push_str(REDACTED),
            None => {}
        }
    }
    shown
}

/// Every credential `url` carries, as written and percent-decoded: the password and the
/// values of credential options. For scrubbing a driver's messages, which quote what the
/// driver parsed, not what flashsale showed. Secrets shorter than 3 characters are left out:
/// they would turn every message into asterisks and hide nothing anyway.
pub(crate) fn secrets(url: &str) -> Vec<String> {
    let mut found = Vec::new();
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let hosts = match userinfo_end(rest) {
        Some(at) => {
            if let Some((_, password)) = rest[..at].split_once(':') {
                found.push(password.to_owned());
            }
            &rest[at + 1..]
        }
        None => rest,
    };
    if let Some((_, query)) = hosts.split_once('?') {
        for (name, value) in query.split(['&', ';']).filter_map(|p| p.split_once('=')) {
            if is_secret_option(name) {
                found.push(value.to_owned());
                // Parts of a composite value (`AWS_SESSION_TOKEN:abc,SERVICE_NAME:x`).
                found.extend(value.split([',', ':']).map(str::to_owned));
            }
        }
    }
    let decoded: Vec<String> = found.iter().map(|s| percent_decode(s)).collect();
    found.extend(decoded);
    found.retain(|secret| secret.chars().count() >= 3);
    // Longest first, so a secret that contains another is replaced whole.
    found.sort_by_key(|secret| std::cmp::Reverse(secret.len()));
    found.dedup();
    found
}

/// `text` with every one of `secrets` replaced by `***`.
pub(crate) fn scrub(text: &str, secrets: &[String]) -> String {
    secrets.iter().fold(text.to_owned(), |text, secret| {
        text.replace(secret.as_str(), REDACTED)
    })
}

/// Decodes `%XX` escapes (as UTF-8, lossily); anything else is kept as it is.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
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
            "sqlite:rel/x.db".parse::<StoreUrl>().unwrap(),
            StoreUrl::Sqlite("rel/x.db".into())
        );
        let home = dirs::home_dir().unwrap();
        assert_eq!(
            "sqlite:~/x.db".parse::<StoreUrl>().unwrap(),
            StoreUrl::Sqlite(home.join("x.db"))
        );
        assert_eq!(
            "sqlite:~".parse::<StoreUrl>().unwrap(),
            StoreUrl::Sqlite(home)
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
            "sqlite://tmp/x.db",
            "sqlite:///tmp/x.db",
            "sqlite:/tmp/x.db?mode=ro",
            "sqlite:~bob/x.db",
            "file:/tmp/x.db",
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

    /// Passwords with the characters that could end the redaction early, and credentials in
    /// query options.
    #[test]
    fn every_spelling_of_a_credential_is_redacted() {
        for (url, shown) in [
            (
                "mongodb://ana:pa/ss@db:27017/fs",
                "mongodb://ana:***@db:27017/fs",
            ),
            (
                "mongodb://ana:pa?ss@db/fs?w=1",
                "mongodb://ana:***@db/fs?w=1",
            ),
            ("mongodb://ana:p@ss@db/fs", "mongodb://ana:***@db/fs"),
            ("mongodb://ana:p:a:ss@db", "mongodb://ana:***@db"),
            ("mongodb://ana:p%40ss%2F@db", "mongodb://ana:***@db"),
            (
                "mongodb://db/fs?tls=true&tlsCertificateKeyFilePassword=hunter22&authSource=admin",
                "mongodb://db/fs?tls=true&tlsCertificateKeyFilePassword=***&authSource=admin",
            ),
            (
                "mongodb://AKIA:sec@db/?authMechanism=MONGODB-AWS&authMechanismProperties=AWS_SESSION_TOKEN:tok3n",
                "mongodb://AKIA:***@db/?authMechanism=MONGODB-AWS&authMechanismProperties=***",
            ),
            (
                "mongodb://db/?apiToken=abc&x=1;clientSecret=def",
                "mongodb://db/?apiToken=***&x=1&clientSecret=***",
            ),
            (
                "mongodb://db/?password=a&b",
                "mongodb://db/?password=***&***",
            ),
        ] {
            assert_eq!(redact(url), shown, "{url}");
        }
        let secrets =
            secrets("mongodb://ana:p%40ss%2Fw@db/?authMechanismProperties=AWS_SESSION_TOKEN:tok3n");
        for secret in ["p%40ss%2Fw", "p@ss/w", "tok3n", "AWS_SESSION_TOKEN:tok3n"] {
            assert!(secrets.iter().any(|s| s == secret), "{secret}: {secrets:?}");
        }
        assert_eq!(
            scrub("bad password p@ss/w for tok3n", &secrets),
            "bad password *** for ***"
        );
    }
}
