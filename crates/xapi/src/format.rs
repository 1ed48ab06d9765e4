//! The `format` parameter of `GET /statements` (xAPI 1.0.3 Communication 2.1.3, 2.0 4.1.6.1): `exact` returns
//! the statement as stored; `ids` and `canonical` are the rewrites here.
//!
//! * `ids`: "only include minimum information necessary in Agent, Activity, Verb and Group Objects to identify
//!   them. For Anonymous Groups this means including the minimum information needed to identify each member."
//!   An Agent or identified Group keeps its inverse functional identifier and `objectType` (required for a
//!   Group, and for an Agent used as an object); an anonymous Group keeps `objectType` and its members, each
//!   reduced the same way; an Activity keeps only `id` (the conformance suite counts exactly one property); a
//!   Verb only `id`. Applies wherever those objects occur, SubStatements and `authority` included.
//! * `canonical`: Activities and Verbs "populated with the canonical definition ... after applying the language
//!   filtering process", Agents and Groups as in `exact`. This LRS keeps no canonical definitions of its own, so
//!   the statement's own definitions are used, and every language map in them (Verb `display`, Activity
//!   `name`/`description`, interaction component `description`s, and the attachment `display`/`description`) is
//!   reduced to one entry: "the LRS MUST apply the Accept-Language header as described in RFC 2616 ... to each
//!   language map individually".

mod language;

use crate::walk::{self, Visit};
use serde_json::{Map, Value};

pub use language::AcceptLanguage;

/// The statement in `ids` format (see the module doc).
pub fn ids_format(statement: &Value) -> Value {
    let mut value = statement.clone();
    walk::walk(&mut value, &mut Ids);
    value
}

/// The statement in `canonical` format for the request's `Accept-Language` header value (empty when absent).
pub fn canonical_format(statement: &Value, accept_language: &str) -> Value {
    let mut value = statement.clone();
    walk::walk(&mut value, &mut Canonical { accept: AcceptLanguage::parse(accept_language) });
    value
}

/// The inverse functional identifiers, at most one of which an Agent or identified Group carries.
const IFIS: [&str; 4] = ["mbox", "mbox_sha1sum", "openid", "account"];

struct Ids;

impl Ids {
    fn reduce_actor(actor: &Map<String, Value>) -> Option<Map<String, Value>> {
        let mut out = Map::new();
        if let Some(object_type) = actor.get("objectType") {
            out.insert("objectType".into(), object_type.clone());
        }
        if let Some((key, value)) = IFIS.iter().find_map(|k| actor.get(*k).map(|v| (*k, v))) {
            out.insert(key.into(), value.clone());
            return Some(out);
        }
        // Anonymous Group: identified by its members.
        let members = actor.get("member")?.as_array()?;
        let reduced = members
            .iter()
            .map(|m| match m.as_object().and_then(Ids::reduce_actor) {
                Some(map) => Value::Object(map),
                None => m.clone(),
            })
            .collect();
        out.insert("member".into(), Value::Array(reduced));
        Some(out)
    }

    fn keep_only_id(value: &mut Value) {
        if let Value::Object(map) = value {
            if let Some(id) = map.remove("id") {
                map.clear();
                map.insert("id".into(), id);
            }
        }
    }
}

impl Visit for Ids {
    fn actor(&mut self, actor: &mut Value) {
        // Neither an IFI nor members (not a valid actor): nothing smaller identifies it, so it stays whole.
        if let Some(reduced) = actor.as_object().and_then(Ids::reduce_actor) {
            *actor = Value::Object(reduced);
        }
    }

    fn verb(&mut self, verb: &mut Value) {
        Ids::keep_only_id(verb);
    }

    fn activity(&mut self, activity: &mut Value) {
        Ids::keep_only_id(activity);
    }
}

struct Canonical {
    accept: AcceptLanguage,
}

/// The interaction component lists of an Activity definition, each item with a `description` language map.
const COMPONENT_LISTS: [&str; 5] = ["choices", "scale", "source", "target", "steps"];

impl Canonical {
    fn filter(&self, map: Option<&mut Value>) {
        if let Some(Value::Object(language_map)) = map {
            self.accept.reduce(language_map);
        }
    }
}

impl Visit for Canonical {
    fn statement(&mut self, statement: &mut Map<String, Value>) {
        if let Some(Value::Array(attachments)) = statement.get_mut("attachments") {
            for attachment in attachments {
                self.filter(attachment.get_mut("display"));
                self.filter(attachment.get_mut("description"));
            }
        }
    }

    fn verb(&mut self, verb: &mut Value) {
        self.filter(verb.get_mut("display"));
    }

    fn activity(&mut self, activity: &mut Value) {
        let Some(Value::Object(definition)) = activity.get_mut("definition") else { return };
        self.filter(definition.get_mut("name"));
        self.filter(definition.get_mut("description"));
        for list in COMPONENT_LISTS {
            if let Some(Value::Array(components)) = definition.get_mut(list) {
                for component in components {
                    self.filter(component.get_mut("description"));
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "format_tests.rs"]
mod tests;
