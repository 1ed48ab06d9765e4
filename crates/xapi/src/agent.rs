//! Agent identity: the inverse functional identifier (IFI) of an Agent or identified Group, reduced to one
//! canonical key string. Index tables and the `agent` query filter compare these keys.

use serde::Deserialize;
use std::borrow::Cow;

/// The identifying properties of an Agent or Group, borrowed from the JSON where possible.
#[derive(Debug, Default, Deserialize)]
pub struct AgentView<'a> {
    #[serde(borrow, default, rename = "objectType")]
    pub object_type: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub mbox: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub mbox_sha1sum: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub openid: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub account: Option<AccountView<'a>>,
}

#[derive(Debug, Deserialize)]
pub struct AccountView<'a> {
    #[serde(borrow, rename = "homePage")]
    pub home_page: Cow<'a, str>,
    #[serde(borrow)]
    pub name: Cow<'a, str>,
}

impl AgentView<'_> {
    /// The canonical key, or `None` for an anonymous Group (which has no IFI). When several IFIs are present
    /// (invalid, rejected by validation) the first in the order mbox, mbox_sha1sum, openid, account wins.
    pub fn key(&self) -> Option<String> {
        if let Some(m) = &self.mbox {
            return Some(format!("mbox:{m}"));
        }
        if let Some(s) = &self.mbox_sha1sum {
            return Some(format!("sha1:{}", s.to_ascii_lowercase()));
        }
        if let Some(o) = &self.openid {
            return Some(format!("openid:{o}"));
        }
        self.account.as_ref().map(|a| {
            // JSON-encode the pair: neither homePage nor name can then forge a separator.
            let pair = serde_json::to_string(&[a.home_page.as_ref(), a.name.as_ref()]).unwrap_or_default();
            format!("account:{pair}")
        })
    }
}

/// The key of the agent described by a JSON document (the `agent` query parameter, for instance).
pub fn key_of_json(json: &str) -> Option<String> {
    serde_json::from_str::<AgentView>(json).ok()?.key()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_per_ifi() {
        assert_eq!(key_of_json(r#"{"mbox":"mailto:a@example.com"}"#).as_deref(), Some("mbox:mailto:a@example.com"));
        assert_eq!(key_of_json(r#"{"mbox_sha1sum":"ABC"}"#).as_deref(), Some("sha1:abc"));
        assert_eq!(
            key_of_json(r#"{"openid":"http://id.example.com/a"}"#).as_deref(),
            Some("openid:http://id.example.com/a")
        );
        assert_eq!(
            key_of_json(r#"{"account":{"homePage":"http://fun-mooc.fr","name":"x|y"}}"#).as_deref(),
            Some(r#"account:["http://fun-mooc.fr","x|y"]"#)
        );
        assert_eq!(key_of_json(r#"{"objectType":"Group","member":[]}"#), None);
        assert_eq!(key_of_json("not json"), None);
    }
}
