use std::fmt;

/// Why a request's statements were rejected: the JSON path of the offending value and the rule it broke.
/// Rendered as `path: rule`, e.g. `statements[2].actor.mbox: must be a mailto IRI`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ValidationError {
    pub path: String,
    pub rule: String,
}

impl ValidationError {
    pub fn new(path: impl Into<String>, rule: impl Into<String>) -> Self {
        ValidationError { path: path.into(), rule: rule.into() }
    }

    /// Prefixes the path, used when a statement's error is reported inside a batch.
    pub fn within(mut self, prefix: &str) -> Self {
        self.path = if self.path.is_empty() {
            prefix.to_string()
        } else if self.path.starts_with('[') {
            format!("{prefix}{}", self.path)
        } else {
            format!("{prefix}.{}", self.path)
        };
        self
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.rule)
        } else {
            write!(f, "{}: {}", self.path, self.rule)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_path_and_rule() {
        let e = ValidationError::new("actor.mbox", "must be a mailto IRI").within("statements[2]");
        assert_eq!(e.to_string(), "statements[2].actor.mbox: must be a mailto IRI");
    }

    #[test]
    fn empty_path_shows_rule_only() {
        assert_eq!(ValidationError::new("", "body must be JSON").to_string(), "body must be JSON");
    }
}
