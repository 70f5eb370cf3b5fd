//! Collecting every problem of a request before answering, so that a caller
//! fixes a bad batch in one round trip instead of one error at a time.

use std::fmt;

/// One problem with one field of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// Path of the field, e.g. `interactions[3].ended_at`.
    pub field: String,
    /// What is wrong, in plain English, standing on its own.
    pub description: String,
}

impl fmt::Display for FieldViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.description)
    }
}

/// Accumulates violations while a request is parsed.
#[derive(Debug, Default)]
pub struct Violations {
    items: Vec<FieldViolation>,
}

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a problem with `field`.
    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.items.push(FieldViolation {
            field: field.into(),
            description: description.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// `Ok(value)` when nothing was recorded, otherwise every violation.
    pub fn into_result<T>(self, value: T) -> Result<T, Vec<FieldViolation>> {
        if self.items.is_empty() {
            Ok(value)
        } else {
            Err(self.items)
        }
    }

    pub fn into_vec(self) -> Vec<FieldViolation> {
        self.items
    }

    pub fn extend(&mut self, other: Vec<FieldViolation>) {
        self.items.extend(other);
    }
}

/// The path of element `index` of the repeated field `field`.
pub fn indexed(field: &str, index: usize) -> String {
    format!("{field}[{index}]")
}

/// `parent.child`, for nested field paths.
pub fn nested(parent: &str, child: &str) -> String {
    format!("{parent}.{child}")
}

/// How many characters of a caller's value an error message may quote.
pub const QUOTED_CHARS: usize = 32;

/// `value` quoted for an error message: whole when short, otherwise its first
/// [`QUOTED_CHARS`] characters and its length, so that a hostile value can
/// never blow up the size of a reply (or of its trailers).
pub fn quoted(value: &str) -> String {
    let length = value.chars().count();
    if length <= QUOTED_CHARS {
        return format!("{value:?}");
    }
    let prefix: String = value.chars().take(QUOTED_CHARS).collect();
    format!("{prefix:?}... ({length} characters)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_value_is_quoted_by_its_prefix_and_length() {
        assert_eq!(quoted("2026-11"), "\"2026-11\"");
        let long = "9".repeat(10_000);
        let shown = quoted(&long);
        assert!(shown.len() < 80, "{shown}");
        assert!(shown.ends_with("... (10000 characters)"), "{shown}");
    }
}
