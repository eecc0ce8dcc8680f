//! The one rule for identifiers a person compares by eye: user ids and order ids.
//!
//! Ids are opaque and compared exactly as issued: nothing is trimmed, folded or normalised,
//! since rewriting an id could merge two real shoppers or two orders. Instead, an id that
//! could be spelled in several ways that look the same is refused: one holding a separator
//! (Unicode category Z: the ASCII space, no-break and thin spaces, the ideographic space, line
//! and paragraph separators), an invisible format character (Cf: zero-width characters,
//! bidirectional controls, the byte-order mark), a control character (Cc), or text not in
//! Unicode normalization form C. What is left is 1 to 128 characters that look the way they
//! compare.

use super::Invalid;
use super::money::shown;

/// Longest id, in characters.
pub(super) const MAX_CHARS: usize = 128;

/// Which separators an id may hold.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Separators {
    /// None: every id that comes in from outside (the CLI, a JWT's `sub`, a request body).
    Refused,
    /// Spaces inside, not at either end: an id a store took before separators were refused
    /// stays readable, so its claim can still be shown, redeemed and exported.
    StoredInside,
}

/// Checks `text` as the identifier named `field`.
pub(super) fn check(
    field: &'static str,
    text: &str,
    separators: Separators,
) -> Result<(), Invalid> {
    let bad = |reason: String| Err(Invalid::new(field, reason));
    if text.is_empty() {
        return bad("must not be empty".into());
    }
    if text.chars().count() > MAX_CHARS {
        return bad(format!(
            "`{}` is longer than {MAX_CHARS} characters",
            shown(text)
        ));
    }
    if text.chars().any(char::is_control) {
        return bad(format!("`{}` contains a control character", shown(text)));
    }
    // ASCII (nearly every id) holds no format character, only one separator (the space) and
    // is always in NFC, so the Unicode table lookups below are for the rest: a JWT's `sub` is
    // checked on every request.
    let ascii = text.is_ascii();
    // Invisible characters and spaces are named by code point: quoting them shows nothing,
    // or something that looks like another character.
    let hidden = if ascii {
        None
    } else {
        text.chars().find(|&c| invisible(c))
    };
    if let Some(c) = hidden {
        return bad(format!(
            "contains U+{:04X}, an invisible format or line separator character",
            u32::from(c)
        ));
    }
    if separators == Separators::Refused {
        let space = if ascii {
            text.contains(' ').then_some(' ')
        } else {
            text.chars().find(|&c| space(c))
        };
        if let Some(c) = space {
            return bad(format!(
                "`{}` contains U+{:04X}, a space: an id holds no spaces or other separators",
                shown(text),
                u32::from(c)
            ));
        }
    }
    if text.starts_with(char::is_whitespace) || text.ends_with(char::is_whitespace) {
        return bad(format!("`{}` starts or ends with white space", shown(text)));
    }
    if !ascii && !unicode_normalization::is_nfc(text) {
        return bad(format!(
            "`{}` is not in Unicode normalization form C (NFC): send it composed",
            shown(text)
        ));
    }
    Ok(())
}

/// Characters an id may not hold anywhere, even one stored long ago: they are invisible or
/// break a line. A void's reason refuses them too.
pub(super) fn invisible(c: char) -> bool {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory as _};
    matches!(
        c.general_category(),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
    )
}

/// The space separators (Zs): `an a`, `an\u{a0}a` and `an\u{3000}a` look like one id.
fn space(c: char) -> bool {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory as _};
    c.general_category() == GeneralCategory::SpaceSeparator
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every separator of the Unicode tables is refused in a new id, at either end and inside.
    #[test]
    fn every_unicode_separator_is_refused() {
        use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory as _};
        let separators: Vec<char> = (0..=0x10_FFFF_u32)
            .filter_map(char::from_u32)
            .filter(|c| c.general_category_group() == GeneralCategoryGroup::Separator)
            .collect();
        assert!(separators.len() >= 19, "{separators:?}");
        for c in separators {
            for text in [format!("an{c}a"), format!("{c}ana"), format!("ana{c}")] {
                let err = check("user id", &text, Separators::Refused).unwrap_err();
                assert!(
                    err.reason.contains(&format!("U+{:04X}", u32::from(c))),
                    "{err}"
                );
            }
        }
    }

    #[test]
    fn a_stored_id_keeps_its_inner_spaces_and_nothing_else() {
        assert!(check("user id", "ana maria", Separators::StoredInside).is_ok());
        assert!(check("user id", "an\u{a0}a", Separators::StoredInside).is_ok());
        for text in [" ana", "ana ", "an\u{200b}a", "an\u{2028}a", "jose\u{301}"] {
            assert!(
                check("user id", text, Separators::StoredInside).is_err(),
                "{text:?}"
            );
        }
    }
}
