//! Agents, Groups, their inverse functional identifiers (IFIs) and the authority.
//!
//! * An Agent has exactly one IFI (`mbox`, `mbox_sha1sum`, `openid`, `account`), an optional `name`, and
//!   `objectType` `Agent` when present.
//! * A Group has `objectType` `Group`. An identified Group has exactly one IFI and may list `member`s; an
//!   anonymous Group (no IFI) must list at least one member. Members are Agents, never Groups.
//! * The authority is an Agent, or (3-legged OAuth) an anonymous Group of exactly two Agents.

use super::{as_array, as_object, as_str, field, formats, iri, not_allowed, required, string, Checked, Path};
use crate::version::XapiVersion;
use serde_json::{Map, Value};

/// What kind of actor a position accepts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Accept {
    AgentOrGroup,
    AgentOnly,
    GroupOnly,
}

/// An Agent or a Group (`actor`, `context.instructor`, an `object` with objectType Agent or Group).
pub(crate) fn actor(value: &Value, version: XapiVersion, path: &Path) -> Checked {
    actor_of(value, version, path, Accept::AgentOrGroup)
}

/// An Agent (Group `member`s, `contextAgents[].agent`).
pub(crate) fn agent(value: &Value, version: XapiVersion, path: &Path) -> Checked {
    actor_of(value, version, path, Accept::AgentOnly)
}

/// A Group (`context.team`, `contextGroups[].group`).
pub(crate) fn group(value: &Value, version: XapiVersion, path: &Path) -> Checked {
    actor_of(value, version, path, Accept::GroupOnly)
}

/// An Agent or Group given as an object map whose objectType was already read (the statement's `object`).
pub(crate) fn agent_map(map: &Map<String, Value>, path: &Path) -> Checked {
    agent_properties(map, path)
}

pub(crate) fn group_map(map: &Map<String, Value>, version: XapiVersion, path: &Path) -> Checked {
    group_properties(map, version, path).map(|_| ())
}

fn actor_of(value: &Value, version: XapiVersion, path: &Path, accept: Accept) -> Checked {
    let map = as_object(value, path)?;
    let is_group = match field(map, "objectType") {
        None => false,
        Some(Value::String(t)) if t == "Agent" => false,
        Some(Value::String(t)) if t == "Group" => true,
        Some(other) => {
            let at = path.key("objectType");
            as_str(other, &at)?;
            return Err(at.err(match accept {
                Accept::AgentOrGroup => "must be \"Agent\" or \"Group\"",
                Accept::AgentOnly => "must be \"Agent\"",
                Accept::GroupOnly => "must be \"Group\"",
            }));
        }
    };
    match (accept, is_group) {
        (Accept::AgentOnly, true) => Err(path.key("objectType").err("must be \"Agent\" (a Group is not allowed here)")),
        (Accept::GroupOnly, false) => {
            if field(map, "objectType").is_some() {
                Err(path.key("objectType").err("must be \"Group\""))
            } else {
                Err(path.key("objectType").err("is required and must be \"Group\""))
            }
        }
        (_, true) => group_properties(map, version, path).map(|_| ()),
        (_, false) => agent_properties(map, path),
    }
}

/// The authority: an Agent, or an anonymous Group of exactly two Agents (3-legged OAuth).
pub(crate) fn authority(value: &Value, version: XapiVersion, path: &Path) -> Checked {
    let map = as_object(value, path)?;
    match field(map, "objectType") {
        Some(Value::String(t)) if t == "Group" => {
            let shape = group_properties(map, version, path)?;
            if shape.identified {
                return Err(path.err("an authority Group must be an anonymous Group of two Agents (3-legged OAuth)"));
            }
            if shape.members != 2 {
                return Err(path.key("member").err("an authority Group must have exactly two Agents"));
            }
            Ok(())
        }
        _ => actor(value, version, path),
    }
}

/// Checks the IFI properties shared by Agents and Groups; returns whether `key` was one of them.
fn ifi_property(key: &str, value: &Value, path: &Path) -> Result<bool, crate::ValidationError> {
    match key {
        "mbox" => {
            let s = as_str(value, path)?;
            if !iri::is_mailto_iri(s) {
                return Err(path.err("must be a mailto IRI (mailto:name@example.com)"));
            }
        }
        "mbox_sha1sum" => {
            let s = as_str(value, path)?;
            if !formats::is_sha1_hex(s) {
                return Err(path.err("must be a hex-encoded SHA-1 hash (40 hexadecimal digits)"));
            }
        }
        "openid" => {
            let s = as_str(value, path)?;
            if !iri::is_absolute_uri(s) {
                return Err(path.err("must be an absolute URI"));
            }
        }
        "account" => account(value, path)?,
        _ => return Ok(false),
    }
    Ok(true)
}

fn account(value: &Value, path: &Path) -> Checked {
    let (mut home_page, mut name) = (false, false);
    for (key, v) in as_object(value, path)? {
        let at = path.key(key);
        match key.as_str() {
            "homePage" => {
                super::irl(v, &at)?;
                home_page = true;
            }
            "name" => {
                string(v, &at)?;
                name = true;
            }
            _ => return Err(not_allowed(&at)),
        }
    }
    if !home_page {
        return Err(required(path, "homePage"));
    }
    if !name {
        return Err(required(path, "name"));
    }
    Ok(())
}

fn agent_properties(map: &Map<String, Value>, path: &Path) -> Checked {
    let mut ifis = 0;
    for (key, value) in map {
        let at = path.key(key);
        match key.as_str() {
            "objectType" | "name" => string(value, &at)?,
            "member" => return Err(at.err("is not allowed for an Agent (use objectType \"Group\")")),
            _ => {
                if ifi_property(key, value, &at)? {
                    ifis += 1;
                } else {
                    return Err(not_allowed(&at));
                }
            }
        }
    }
    match ifis {
        1 => Ok(()),
        0 => Err(path.err(
            "an Agent must have exactly one inverse functional identifier (mbox, mbox_sha1sum, openid or account)",
        )),
        _ => Err(path.err("an Agent must not have more than one inverse functional identifier")),
    }
}

struct GroupShape {
    identified: bool,
    members: usize,
}

fn group_properties(
    map: &Map<String, Value>,
    version: XapiVersion,
    path: &Path,
) -> Result<GroupShape, crate::ValidationError> {
    let mut ifis = 0;
    let mut members = None;
    for (key, value) in map {
        let at = path.key(key);
        match key.as_str() {
            "objectType" | "name" => string(value, &at)?,
            "member" => {
                let items = as_array(value, &at)?;
                for (i, member) in items.iter().enumerate() {
                    agent(member, version, &at.index(i))?;
                }
                members = Some(items.len());
            }
            _ => {
                if ifi_property(key, value, &at)? {
                    ifis += 1;
                } else {
                    return Err(not_allowed(&at));
                }
            }
        }
    }
    if ifis > 1 {
        return Err(path.err("an identified Group must not have more than one inverse functional identifier"));
    }
    if ifis == 0 {
        match members {
            None => {
                return Err(path
                    .key("member")
                    .err("is required for an anonymous Group (a Group without an inverse functional identifier)"))
            }
            Some(0) => return Err(path.key("member").err("an anonymous Group must list at least one Agent")),
            Some(_) => {}
        }
    }
    Ok(GroupShape { identified: ifis == 1, members: members.unwrap_or(0) })
}
