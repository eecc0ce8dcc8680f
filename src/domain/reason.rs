//! Why an operator voided a claim: free text for the audit log and the export, bounded and
//! printable, so it can go into a CSV cell, a log line or a terminal as it is.

use std::fmt;

use serde::Serialize;

use super::Invalid;
use super::money::shown;

/// An operator's reason for a void (`fraud`, `refund: order 1042 cancelled`).
///
/// Spaces are welcome (it is prose, not an id), but it is 1 to [`VoidReason::MAX_CHARS`]
/// characters on one line with nothing invisible in it: no control character (a newline
/// would split a log line), no format character (a bidirectional override would show it
/// reordered), no line or paragraph separator, and no white space at either end.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct VoidReason(String);

impl VoidReason {
    /// Longest reason, in characters.
    pub const MAX_CHARS: usize = 200;

    /// Checks a reason an operator typed or sent.
    ///
    /// # Errors
    /// [`Invalid`] (field `reason`) when `text` is empty, longer than
    /// [`VoidReason::MAX_CHARS`] characters, starts or ends with white space, or holds a
    /// control, format, line or paragraph separator character.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        let bad = |reason: String| Err(Invalid::new("reason", reason));
        if text.is_empty() {
            return bad("must not be empty: leave it out for no reason".into());
        }
        let chars = text.chars().count();
        if chars > Self::MAX_CHARS {
            return bad(format!(
                "is {chars} characters long; at most {} are kept",
                Self::MAX_CHARS
            ));
        }
        if let Some(c) = text.chars().find(|&c| super::ident::invisible(c)) {
            return bad(format!(
                "contains U+{:04X}, a control, format or line separator character: a reason is \
                 one line of visible text",
                u32::from(c)
            ));
        }
        if text.starts_with(char::is_whitespace) || text.ends_with(char::is_whitespace) {
            return bad(format!("`{}` starts or ends with white space", shown(text)));
        }
        Ok(VoidReason(text.to_owned()))
    }

    /// The reason as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for VoidReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_is_one_bounded_line_of_visible_text() {
        for text in ["fraud", "refund: order 1042 cancelled", "remboursé", "返金"] {
            assert_eq!(VoidReason::parse(text).unwrap().as_str(), text);
        }
        assert!(VoidReason::parse(&"é".repeat(VoidReason::MAX_CHARS)).is_ok());
        for (text, why) in [
            (String::new(), "must not be empty"),
            ("x".repeat(201), "is 201 characters long; at most 200"),
            ("two\nlines".into(), "contains U+000A"),
            ("tab\there".into(), "contains U+0009"),
            ("abc\u{202e}cba".into(), "contains U+202E"),
            ("zero\u{200b}width".into(), "contains U+200B"),
            ("line\u{2028}sep".into(), "contains U+2028"),
            (" fraud".into(), "starts or ends with white space"),
            ("fraud\u{a0}".into(), "starts or ends with white space"),
        ] {
            let err = VoidReason::parse(&text).unwrap_err();
            assert_eq!(err.field, "reason");
            assert!(err.to_string().contains(why), "{text:?}: {err}");
        }
    }
}
