//! The one query-parameter parser of every xAPI resource. xAPI (1.0.3 and 2.0.0 alike) answers 400 to a
//! parameter the resource does not define and to one that differs from a defined one only in case; a
//! repeated parameter is ambiguous and refused too. Each resource states its names, reads the values it was
//! given, and never sees anything else.

use super::form;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParamError(pub String);

/// A query string checked against a resource's parameter names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Decodes `query` and checks every name against `allowed` (exact case) and for repeats.
    pub fn parse(query: &str, allowed: &[&str]) -> Result<Params, ParamError> {
        let pairs = form::decode(query).map_err(|e| ParamError(format!("query string: {e}")))?;
        check_names(&pairs, allowed)?;
        Ok(Params { pairs })
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    pub fn required(&self, name: &str) -> Result<&str, ParamError> {
        self.get(name).ok_or_else(|| ParamError(format!("the {name} parameter is required")))
    }

    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The names given, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.pairs.iter().map(|(n, _)| n.as_str())
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

/// Every name is one of `allowed` (exact case) and none is repeated.
pub fn check_names(pairs: &[(String, String)], allowed: &[&str]) -> Result<(), ParamError> {
    for (i, (name, _)) in pairs.iter().enumerate() {
        if !allowed.contains(&name.as_str()) {
            let shown: String = name.chars().take(64).collect();
            let hint = allowed
                .iter()
                .find(|a| a.eq_ignore_ascii_case(name))
                .map(|a| format!(" (parameter names are case-sensitive: {a})"))
                .unwrap_or_default();
            return Err(ParamError(format!(
                "unknown parameter {shown:?}{hint}; this resource takes {}",
                allowed.join(", ")
            )));
        }
        if pairs[..i].iter().any(|(n, _)| n == name) {
            return Err(ParamError(format!("parameter {name:?} given more than once")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_exactly_once() {
        let p = Params::parse("activityId=http%3A%2F%2Fexample.com", &["activityId", "agent"]).unwrap();
        assert_eq!(p.get("activityId"), Some("http://example.com"));
        assert_eq!(p.get("agent"), None);
        assert!(p.required("agent").is_err());
        assert!(Params::parse("", &["activityId"]).unwrap().is_empty());
        let miscased = Params::parse("activityid=x", &["activityId"]).unwrap_err();
        assert!(miscased.0.contains("case-sensitive"), "{miscased}");
        assert!(Params::parse("activityId=x&activityId=y", &["activityId"]).is_err());
        assert!(Params::parse("activityId=x&foo=y", &["activityId"]).is_err());
        assert!(Params::parse("a=%ff", &["a"]).is_err());
    }
}
