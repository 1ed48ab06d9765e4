//! The statement `object`: an Activity (the default when objectType is absent), an Agent or Group (objectType
//! required), a StatementRef, or a SubStatement (not inside another SubStatement). Also Activity definitions
//! with their interaction properties, and StatementRefs (also used by `context.statement`).

use super::{
    actor, as_array, as_object, as_str, extensions, field, irl, lang, not_allowed, required, statement, string,
    type_error, uuid, Checked, Path,
};
use crate::version::XapiVersion;
use serde_json::{Map, Value};

/// The kind of a statement's object, which decides whether `context.revision` and `context.platform` apply
/// and whether the statement can void another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    Activity,
    Agent,
    Group,
    StatementRef,
    SubStatement,
}

const INTERACTION_TYPES: &[&str] = &[
    "true-false",
    "choice",
    "fill-in",
    "long-fill-in",
    "matching",
    "performance",
    "sequencing",
    "likert",
    "numeric",
    "other",
];

/// The `object` of a statement (`in_sub_statement`: the object of a SubStatement, which cannot nest another).
pub(crate) fn object(
    value: &Value,
    version: XapiVersion,
    path: &Path,
    in_sub_statement: bool,
) -> Result<ObjectKind, crate::ValidationError> {
    let map = as_object(value, path)?;
    let kind = match field(map, "objectType") {
        None => ObjectKind::Activity,
        Some(Value::String(t)) => match t.as_str() {
            "Activity" => ObjectKind::Activity,
            "Agent" => ObjectKind::Agent,
            "Group" => ObjectKind::Group,
            "StatementRef" => ObjectKind::StatementRef,
            "SubStatement" if in_sub_statement => {
                return Err(path.key("objectType").err("a SubStatement must not contain a SubStatement"));
            }
            "SubStatement" => ObjectKind::SubStatement,
            _ => {
                return Err(path
                    .key("objectType")
                    .err("must be one of \"Activity\", \"Agent\", \"Group\", \"StatementRef\", \"SubStatement\""))
            }
        },
        Some(other) => return Err(type_error(other, &path.key("objectType"), "a string")),
    };
    match kind {
        ObjectKind::Activity => activity_map(map, path)?,
        ObjectKind::Agent => actor::agent_map(map, path)?,
        ObjectKind::Group => actor::group_map(map, version, path)?,
        ObjectKind::StatementRef => statement_ref_map(map, path)?,
        ObjectKind::SubStatement => statement::sub_statement(map, version, path)?,
    }
    Ok(kind)
}

/// An Activity given on its own (`contextActivities`): objectType, when present, must be `Activity`.
pub(crate) fn activity(value: &Value, path: &Path) -> Checked {
    activity_map(as_object(value, path)?, path)
}

fn activity_map(map: &Map<String, Value>, path: &Path) -> Checked {
    let mut has_id = false;
    for (key, value) in map {
        let at = path.key(key);
        match key.as_str() {
            "objectType" => {
                if as_str(value, &at)? != "Activity" {
                    return Err(at.err("must be \"Activity\""));
                }
            }
            "id" => {
                super::iri(value, &at)?;
                has_id = true;
            }
            "definition" => definition(value, &at)?,
            _ => return Err(not_allowed(&at)),
        }
    }
    if !has_id {
        return Err(required(path, "id"));
    }
    Ok(())
}

/// The interaction component lists an interactionType supports.
fn component_lists(interaction_type: &str) -> &'static [&'static str] {
    match interaction_type {
        "choice" | "sequencing" => &["choices"],
        "likert" => &["scale"],
        "matching" => &["source", "target"],
        "performance" => &["steps"],
        _ => &[],
    }
}

fn definition(value: &Value, path: &Path) -> Checked {
    let map = as_object(value, path)?;
    let interaction_type = match field(map, "interactionType") {
        None => None,
        Some(v) => {
            let at = path.key("interactionType");
            let t = as_str(v, &at)?;
            if !INTERACTION_TYPES.contains(&t) {
                return Err(at.err(
                    "must be one of true-false, choice, fill-in, long-fill-in, matching, performance, sequencing, \
                     likert, numeric, other",
                ));
            }
            Some(t)
        }
    };
    for (key, value) in map {
        let at = path.key(key);
        match key.as_str() {
            "name" | "description" => lang::language_map(value, &at)?,
            "type" => super::iri(value, &at)?,
            "moreInfo" => irl(value, &at)?,
            "extensions" => extensions::extensions(value, &at)?,
            "interactionType" => {}
            "correctResponsesPattern" => {
                if interaction_type.is_none() {
                    return Err(at.err("requires interactionType"));
                }
                for (i, pattern) in as_array(value, &at)?.iter().enumerate() {
                    string(pattern, &at.index(i))?;
                }
            }
            "choices" | "scale" | "source" | "target" | "steps" => {
                let Some(t) = interaction_type else {
                    return Err(at.err("requires interactionType"));
                };
                if !component_lists(t).contains(&key.as_str()) {
                    return Err(at.err(format!("is not allowed for interactionType \"{t}\"")));
                }
                interaction_components(value, &at)?;
            }
            _ => return Err(not_allowed(&at)),
        }
    }
    Ok(())
}

/// A list of interaction components: objects with a string `id` (distinct within the list) and an optional
/// `description` language map.
fn interaction_components(value: &Value, path: &Path) -> Checked {
    let items = as_array(value, path)?;
    let mut seen = std::collections::HashSet::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = path.index(i);
        let mut has_id = false;
        for (key, v) in as_object(item, &at)? {
            let p = at.key(key);
            match key.as_str() {
                "id" => {
                    if !seen.insert(as_str(v, &p)?) {
                        return Err(p.err("must be distinct within the list"));
                    }
                    has_id = true;
                }
                "description" => lang::language_map(v, &p)?,
                _ => return Err(not_allowed(&p)),
            }
        }
        if !has_id {
            return Err(required(&at, "id"));
        }
    }
    Ok(())
}

/// A StatementRef given on its own (`context.statement`): objectType `StatementRef` is required.
pub(crate) fn statement_ref(value: &Value, path: &Path) -> Checked {
    let map = as_object(value, path)?;
    match field(map, "objectType") {
        None => Err(path.key("objectType").err("is required and must be \"StatementRef\"")),
        Some(v) => {
            let at = path.key("objectType");
            if as_str(v, &at)? != "StatementRef" {
                return Err(at.err("must be \"StatementRef\""));
            }
            statement_ref_map(map, path)
        }
    }
}

fn statement_ref_map(map: &Map<String, Value>, path: &Path) -> Checked {
    let mut has_id = false;
    for (key, value) in map {
        let at = path.key(key);
        match key.as_str() {
            "objectType" => {}
            "id" => {
                uuid(value, &at)?;
                has_id = true;
            }
            _ => return Err(not_allowed(&at)),
        }
    }
    if !has_id {
        return Err(required(path, "id"));
    }
    Ok(())
}
