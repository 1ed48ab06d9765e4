//! The `context` property: registration, instructor, team, contextActivities, revision, platform, language,
//! statement, extensions, and in xAPI 2.0 contextAgents and contextGroups.

use super::{actor, as_array, as_object, extensions, lang, not_allowed, object, string, uuid, Checked, Path};
use crate::version::XapiVersion;
use serde_json::Value;

/// `object_is_activity`: `revision` and `platform` are only allowed when the statement's object is an Activity.
pub(crate) fn context(value: &Value, version: XapiVersion, path: &Path, object_is_activity: bool) -> Checked {
    for (key, v) in as_object(value, path)? {
        let at = path.key(key);
        match key.as_str() {
            "registration" => uuid(v, &at)?,
            "instructor" => actor::actor(v, version, &at)?,
            "team" => actor::group(v, version, &at)?,
            "contextActivities" => context_activities(v, &at)?,
            "revision" | "platform" => {
                string(v, &at)?;
                if !object_is_activity {
                    return Err(at.err("is only allowed when the statement's object is an Activity"));
                }
            }
            "language" => lang::language_tag(v, &at)?,
            "statement" => object::statement_ref(v, &at)?,
            "extensions" => extensions::extensions(v, &at)?,
            "contextAgents" if version == XapiVersion::V2_0_0 => context_agents(v, version, &at)?,
            "contextGroups" if version == XapiVersion::V2_0_0 => context_groups(v, version, &at)?,
            "contextAgents" | "contextGroups" => {
                return Err(at.err("is not allowed in xAPI 1.0.3 (it was added in 2.0)"))
            }
            _ => return Err(not_allowed(&at)),
        }
    }
    Ok(())
}

/// Keys `parent`, `grouping`, `category`, `other`; each value an Activity or an array of Activities.
fn context_activities(value: &Value, path: &Path) -> Checked {
    for (key, v) in as_object(value, path)? {
        let at = path.key(key);
        if !matches!(key.as_str(), "parent" | "grouping" | "category" | "other") {
            return Err(at.err("is not allowed here (use parent, grouping, category or other)"));
        }
        match v {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    object::activity(item, &at.index(i))?;
                }
            }
            Value::Object(_) => object::activity(v, &at)?,
            other => return Err(super::type_error(other, &at, "an Activity or an array of Activities")),
        }
    }
    Ok(())
}

/// xAPI 2.0: an array of `{objectType: "contextAgent", agent: Agent, relevantTypes?: [IRI, ...]}`.
fn context_agents(value: &Value, version: XapiVersion, path: &Path) -> Checked {
    for (i, item) in as_array(value, path)?.iter().enumerate() {
        let at = path.index(i);
        relevant_member(item, version, &at, "contextAgent", "agent")?;
    }
    Ok(())
}

/// xAPI 2.0: an array of `{objectType: "contextGroup", group: Group, relevantTypes?: [IRI, ...]}`.
fn context_groups(value: &Value, version: XapiVersion, path: &Path) -> Checked {
    for (i, item) in as_array(value, path)?.iter().enumerate() {
        let at = path.index(i);
        relevant_member(item, version, &at, "contextGroup", "group")?;
    }
    Ok(())
}

fn relevant_member(value: &Value, version: XapiVersion, path: &Path, object_type: &str, member_key: &str) -> Checked {
    let map = as_object(value, path)?;
    for (key, v) in map {
        let at = path.key(key);
        match key.as_str() {
            "objectType" => {
                if super::as_str(v, &at)? != object_type {
                    return Err(at.err(format!("must be \"{object_type}\"")));
                }
            }
            "relevantTypes" => {
                let types = as_array(v, &at)?;
                if types.is_empty() {
                    return Err(at.err("must contain at least one IRI"));
                }
                for (i, t) in types.iter().enumerate() {
                    super::iri(t, &at.index(i))?;
                }
            }
            k if k == member_key => {
                if member_key == "agent" {
                    actor::agent(v, version, &at)?
                } else {
                    actor::group(v, version, &at)?
                }
            }
            _ => return Err(not_allowed(&at)),
        }
    }
    if !map.contains_key("objectType") {
        return Err(path.key("objectType").err(format!("is required and must be \"{object_type}\"")));
    }
    if !map.contains_key(member_key) {
        return Err(super::required(path, member_key));
    }
    Ok(())
}
