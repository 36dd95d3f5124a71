//! Text rules: validation of free-text fields and Swedish sort order.

use std::cmp::Ordering;

use crate::error::{ApiError, FieldViolation};

/// Validates a required single-line text field: trimmed, non-empty, at
/// most `max_chars` characters, no control characters. Returns it trimmed.
pub fn required_line(field: &str, value: &str, max_chars: usize) -> Result<String, ApiError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ApiError::invalid(FieldViolation::new(
            field,
            "must not be empty",
        )));
    }
    if v.chars().count() > max_chars {
        return Err(ApiError::invalid(FieldViolation::new(
            field,
            format!("must be at most {max_chars} characters"),
        )));
    }
    if v.chars().any(char::is_control) {
        return Err(ApiError::invalid(FieldViolation::new(
            field,
            "must not contain control characters",
        )));
    }
    Ok(v.to_owned())
}

/// Validates a multi-line text field (a description, a decision's text):
/// trimmed, non-empty when `required`, at most `max_chars` characters, and
/// no control characters other than line breaks and tabs (PostgreSQL
/// refuses NUL in text outright). Returns it trimmed.
pub fn multiline(
    field: &str,
    value: &str,
    max_chars: usize,
    required: bool,
) -> Result<String, ApiError> {
    let v = value.trim();
    if required && v.is_empty() {
        return Err(ApiError::invalid(FieldViolation::new(
            field,
            "must not be empty",
        )));
    }
    if v.chars().count() > max_chars {
        return Err(ApiError::invalid(FieldViolation::new(
            field,
            format!("must be at most {max_chars} characters"),
        )));
    }
    if v.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(ApiError::invalid(FieldViolation::new(
            field,
            "must not contain control characters other than line breaks and tabs",
        )));
    }
    Ok(v.to_owned())
}

/// Position of a letter in the Swedish alphabet order: a–z, then å, ä, ö
/// (æ sorts as ä, ø as ö, ü as y, é as e), case-insensitive.
fn swedish_key(c: char) -> (u32, u32) {
    let lower = c.to_lowercase().next().unwrap_or(c);
    let base = match lower {
        'å' => 'z' as u32 + 1,
        'ä' | 'æ' => 'z' as u32 + 2,
        'ö' | 'ø' => 'z' as u32 + 3,
        'é' | 'è' => 'e' as u32,
        'ü' => 'y' as u32,
        other => other as u32,
    };
    // Secondary key keeps the order total and deterministic (upper after lower).
    (base, c as u32)
}

/// Compares two strings in Swedish alphabetical order.
pub fn swedish_cmp(a: &str, b: &str) -> Ordering {
    let primary = a
        .chars()
        .map(|c| swedish_key(c).0)
        .cmp(b.chars().map(|c| swedish_key(c).0));
    primary.then_with(|| {
        a.chars()
            .map(|c| swedish_key(c).1)
            .cmp(b.chars().map(|c| swedish_key(c).1))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swedish_letters_sort_after_z() {
        let mut names = vec![
            "Örebro",
            "Ale",
            "Åmål",
            "Ängelholm",
            "Zinkgruvan",
            "ulricehamn",
            "Tranemo",
        ];
        names.sort_by(|a, b| swedish_cmp(a, b));
        assert_eq!(
            names,
            [
                "Ale",
                "Tranemo",
                "ulricehamn",
                "Zinkgruvan",
                "Åmål",
                "Ängelholm",
                "Örebro"
            ]
        );
    }

    #[test]
    fn required_line_rules() {
        assert_eq!(
            required_line("t", "  Åsa  ", 10).ok().as_deref(),
            Some("Åsa")
        );
        assert!(required_line("t", "   ", 10).is_err());
        assert!(required_line("t", "ååååååååååå", 10).is_err());
        assert!(required_line("t", "a\u{0}b", 10).is_err());
    }
}
