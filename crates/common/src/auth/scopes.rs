//! xAPI scopes (1.0.3, part three, section 4.2) plus `analytics/read`, and which of them a request needs: one
//! table of resource and method, so what a credential may do is decided in one place.

use axum::http::Method;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scopes(u16);

impl Scopes {
    pub const STATEMENTS_WRITE: Scopes = Scopes(1);
    pub const STATEMENTS_READ_MINE: Scopes = Scopes(1 << 1);
    pub const STATEMENTS_READ: Scopes = Scopes(1 << 2);
    pub const STATE: Scopes = Scopes(1 << 3);
    pub const DEFINE: Scopes = Scopes(1 << 4);
    pub const PROFILE: Scopes = Scopes(1 << 5);
    pub const ALL_READ: Scopes = Scopes(1 << 6);
    pub const ALL: Scopes = Scopes(1 << 7);
    pub const ANALYTICS_READ: Scopes = Scopes(1 << 8);

    /// What a credential created without scopes gets, as the specification says.
    pub const DEFAULT: Scopes = Scopes(Self::STATEMENTS_WRITE.0 | Self::STATEMENTS_READ_MINE.0);

    pub const NAMES: &'static [(&'static str, Scopes)] = &[
        ("statements/write", Self::STATEMENTS_WRITE),
        ("statements/read/mine", Self::STATEMENTS_READ_MINE),
        ("statements/read", Self::STATEMENTS_READ),
        ("state", Self::STATE),
        ("define", Self::DEFINE),
        ("profile", Self::PROFILE),
        ("all/read", Self::ALL_READ),
        ("all", Self::ALL),
        ("analytics/read", Self::ANALYTICS_READ),
    ];

    pub const fn union(self, other: Scopes) -> Scopes {
        Scopes(self.0 | other.0)
    }

    pub fn intersects(self, other: Scopes) -> bool {
        self.0 & other.0 != 0
    }

    /// Parses scope names; none at all means the default. An unknown name is an error naming it.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Scopes, String> {
        if names.is_empty() {
            return Ok(Self::DEFAULT);
        }
        let mut out = Scopes(0);
        for n in names {
            let n = n.as_ref();
            match Self::NAMES.iter().find(|(name, _)| *name == n) {
                Some((_, s)) => out = out.union(*s),
                None => {
                    let known: Vec<&str> = Self::NAMES.iter().map(|(n, _)| *n).collect();
                    return Err(format!("unknown scope {n:?} (known: {})", known.join(", ")));
                }
            }
        }
        Ok(out)
    }

    pub fn names(self) -> Vec<&'static str> {
        Self::NAMES.iter().filter(|(_, s)| self.intersects(*s)).map(|(n, _)| *n).collect()
    }

    /// The scopes of which a request needs one, by path and method (None: any authenticated credential).
    pub fn needed(method: &Method, path: &str) -> Option<(Scopes, &'static str)> {
        let read = matches!(*method, Method::GET | Method::HEAD);
        let any_read = Self::ALL_READ.union(Self::ALL);
        let path = path.trim_end_matches('/');
        Some(match path {
            "/xapi/statements" if read => {
                (Self::STATEMENTS_READ.union(Self::STATEMENTS_READ_MINE).union(any_read), "statements/read")
            }
            "/xapi/statements" => (Self::STATEMENTS_WRITE.union(Self::ALL), "statements/write"),
            "/xapi/activities/state" if read => (Self::STATE.union(any_read), "state"),
            "/xapi/activities/state" => (Self::STATE.union(Self::ALL), "state"),
            "/xapi/activities/profile" | "/xapi/agents/profile" if read => (Self::PROFILE.union(any_read), "profile"),
            "/xapi/activities/profile" | "/xapi/agents/profile" => (Self::PROFILE.union(Self::ALL), "profile"),
            "/xapi/activities" | "/xapi/agents" => (
                Self::STATEMENTS_READ.union(Self::STATEMENTS_READ_MINE).union(Self::DEFINE).union(any_read),
                "statements/read",
            ),
            p if p.starts_with("/analytics/") || p.starts_with("/dashboard") => {
                (Self::ANALYTICS_READ.union(any_read), "analytics/read")
            }
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_names_and_default() {
        assert_eq!(Scopes::parse::<&str>(&[]).unwrap(), Scopes::DEFAULT);
        let s = Scopes::parse(&["state", "analytics/read"]).unwrap();
        assert_eq!(s.names(), ["state", "analytics/read"]);
        assert!(Scopes::parse(&["statements/delete"]).unwrap_err().contains("statements/delete"));
    }

    #[test]
    fn what_each_request_needs() {
        let allows = |s: &[&str], m: Method, p: &str| {
            let s = Scopes::parse(s).unwrap();
            Scopes::needed(&m, p).is_none_or(|(need, _)| s.intersects(need))
        };
        assert!(allows(&["statements/write"], Method::POST, "/xapi/statements"));
        assert!(!allows(&["statements/write"], Method::GET, "/xapi/statements"));
        assert!(allows(&["statements/read/mine"], Method::GET, "/xapi/statements"));
        assert!(allows(&["statements/read/mine"], Method::GET, "/xapi/activities"));
        assert!(!allows(&["all/read"], Method::PUT, "/xapi/statements"));
        assert!(allows(&["all/read"], Method::GET, "/xapi/activities/state"));
        assert!(!allows(&["all/read"], Method::DELETE, "/xapi/activities/state"));
        assert!(allows(&["state"], Method::DELETE, "/xapi/activities/state"));
        assert!(!allows(&["state"], Method::GET, "/xapi/agents/profile"));
        assert!(allows(&["all"], Method::POST, "/xapi/agents/profile"));
        assert!(!allows(&["statements/read"], Method::GET, "/analytics/aggregate"));
        assert!(allows(&["analytics/read"], Method::GET, "/analytics/aggregate"));
        assert!(allows(&["statements/write"], Method::GET, "/xapi/about"));
    }
}
