//! Statement and SubStatement properties.
//!
//! A statement has `actor`, `verb` and `object` (required) and may have `id`, `result`, `context`,
//! `timestamp`, `stored`, `authority`, `version` and `attachments`; nothing else. A SubStatement (a statement
//! used as an object) has `objectType` `SubStatement`, follows the same rules, and must not have `id`,
//! `stored`, `version` or `authority`, nor a SubStatement object.

use super::object::ObjectKind;
use super::{
    actor, as_object, attachments, context, formats, lang, not_allowed, object, required, result, uuid, Checked, Path,
};
use crate::version::XapiVersion;
use crate::VOIDED_VERB;
use serde_json::{Map, Value};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Statement,
    SubStatement,
}

pub(crate) fn statement(map: &Map<String, Value>, version: XapiVersion, path: &Path) -> Checked {
    properties(map, version, path, Level::Statement)
}

pub(crate) fn sub_statement(map: &Map<String, Value>, version: XapiVersion, path: &Path) -> Checked {
    properties(map, version, path, Level::SubStatement)
}

fn properties(map: &Map<String, Value>, version: XapiVersion, path: &Path, level: Level) -> Checked {
    let mut object_kind = None;
    let mut context_value = None;
    let mut verb_id = None;
    let mut has_actor = false;
    for (key, value) in map {
        let at = path.key(key);
        match (key.as_str(), level) {
            ("actor", _) => {
                actor::actor(value, version, &at)?;
                has_actor = true;
            }
            ("verb", _) => verb_id = Some(verb(value, &at)?),
            ("object", _) => object_kind = Some(object::object(value, version, &at, level == Level::SubStatement)?),
            ("result", _) => result::result(value, &at)?,
            ("context", _) => context_value = Some(value), // needs the object's kind, checked below
            ("timestamp", _) => formats::timestamp(value, version, &at)?,
            ("attachments", _) => attachments::attachments(value, &at)?,
            ("id", Level::Statement) => uuid(value, &at)?,
            ("stored", Level::Statement) => formats::timestamp(value, version, &at)?,
            ("authority", Level::Statement) => actor::authority(value, version, &at)?,
            ("version", Level::Statement) => formats::version(value, version, &at)?,
            ("objectType", Level::SubStatement) => {} // checked by the caller: "SubStatement"
            ("id" | "stored" | "authority" | "version", Level::SubStatement) => {
                return Err(at.err("is not allowed in a SubStatement"));
            }
            _ => return Err(not_allowed(&at)),
        }
    }
    if !has_actor {
        return Err(required(path, "actor"));
    }
    let Some(verb_id) = verb_id else {
        return Err(required(path, "verb"));
    };
    let Some(object_kind) = object_kind else {
        return Err(required(path, "object"));
    };
    if let Some(c) = context_value {
        let object_is_activity = object_kind == ObjectKind::Activity;
        context::context(c, version, &path.key("context"), object_is_activity)?;
    }
    if level == Level::Statement && verb_id == VOIDED_VERB && object_kind != ObjectKind::StatementRef {
        return Err(path.key("object").key("objectType").err("must be \"StatementRef\" in a voiding statement"));
    }
    Ok(())
}

/// `{id: IRI (required), display: language map}`; returns the verb id.
fn verb<'v>(value: &'v Value, path: &Path) -> Result<&'v str, crate::ValidationError> {
    let map = as_object(value, path)?;
    let mut id = None;
    for (key, v) in map {
        let at = path.key(key);
        match key.as_str() {
            "id" => {
                super::iri(v, &at)?;
                id = v.as_str();
            }
            "display" => lang::language_map(v, &at)?,
            _ => return Err(not_allowed(&at)),
        }
    }
    id.ok_or_else(|| required(path, "id"))
}
