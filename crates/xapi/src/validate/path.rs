//! The JSON path of the value being checked, kept as a chain of borrowed segments on the stack so a valid
//! statement costs no allocation; the dotted string (`context.contextActivities.parent[0].id`) is only built
//! when a rule fails.

use crate::error::ValidationError;

#[derive(Clone, Copy)]
enum Segment<'a> {
    Root,
    Key(&'a str),
    Index(usize),
}

/// A position inside the statement being validated.
#[derive(Clone, Copy)]
pub struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    segment: Segment<'a>,
}

impl<'a> Path<'a> {
    /// The statement itself (renders as the empty path).
    pub const ROOT: Path<'static> = Path { parent: None, segment: Segment::Root };

    /// The property `key` of the object at this path.
    pub fn key<'b>(&'b self, key: &'b str) -> Path<'b> {
        Path { parent: Some(self), segment: Segment::Key(key) }
    }

    /// The element `index` of the array at this path.
    pub fn index<'b>(&'b self, index: usize) -> Path<'b> {
        Path { parent: Some(self), segment: Segment::Index(index) }
    }

    /// The error for `rule` broken at this path.
    pub fn err(&self, rule: impl Into<String>) -> ValidationError {
        ValidationError::new(self.render(), rule)
    }

    /// `a.b[0].c`; the root renders as the empty string.
    pub fn render(&self) -> String {
        let mut segments = Vec::new();
        let mut at = Some(self);
        while let Some(p) = at {
            segments.push(p.segment);
            at = p.parent;
        }
        let mut out = String::new();
        for segment in segments.iter().rev() {
            match segment {
                Segment::Root => {}
                Segment::Key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                Segment::Index(i) => {
                    out.push('[');
                    out.push_str(&i.to_string());
                    out.push(']');
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_dots_and_indexes() {
        let root = Path::ROOT;
        let context = root.key("context");
        let ca = context.key("contextActivities");
        let parent = ca.key("parent");
        let first = parent.index(0);
        assert_eq!(first.key("id").render(), "context.contextActivities.parent[0].id");
        assert_eq!(root.render(), "");
        let attachments = root.key("attachments");
        assert_eq!(attachments.index(3).render(), "attachments[3]");
        assert_eq!(first.err("is required").to_string(), "context.contextActivities.parent[0]: is required");
    }
}
