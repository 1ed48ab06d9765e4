//! The Activity Object served by `GET /xapi/activities`: the definitions every stored statement carried for one
//! Activity id, merged in stored order (pure; the query service reads the definitions, this combines them).
//!
//! Rules: later values of scalar properties win (`type`, `moreInfo`, `interactionType`,
//! `correctResponsesPattern`, anything unknown); the language maps `name` and `description` and the
//! `extensions` object are merged key by key (later wins per key); the interaction component lists (`choices`,
//! `scale`, `source`, `target`, `steps`) are merged by component `id`, keeping the order in which ids first
//! appeared, with each component's `description` merged key by key. A value of the wrong JSON type replaces
//! the previous one like a scalar (stored definitions were validated, so this does not happen in practice).

use serde_json::{Map, Value};

/// Definition properties that are language maps or extension objects: merged key by key.
const KEYED: &[&str] = &["name", "description", "extensions"];

/// Interaction component lists: merged by component id.
const COMPONENT_LISTS: &[&str] = &["choices", "scale", "source", "target", "steps"];

/// Merges `definitions` (oldest first) into one definition. Values that are not JSON objects (an Activity
/// without a definition) are skipped. `None` when no definition is known.
pub fn merge_definitions<'a>(definitions: impl IntoIterator<Item = &'a Value>) -> Option<Map<String, Value>> {
    let mut merged: Option<Map<String, Value>> = None;
    for def in definitions {
        if let Value::Object(def) = def {
            overlay(merged.get_or_insert_with(Map::new), def);
        }
    }
    merged
}

/// Applies the newer definition `newer` on top of `acc`.
pub fn overlay(acc: &mut Map<String, Value>, newer: &Map<String, Value>) {
    for (key, value) in newer {
        match (acc.get_mut(key.as_str()), value) {
            (Some(Value::Object(old)), Value::Object(new)) if KEYED.contains(&key.as_str()) => {
                for (k, v) in new {
                    old.insert(k.clone(), v.clone());
                }
            }
            (Some(Value::Array(old)), Value::Array(new)) if COMPONENT_LISTS.contains(&key.as_str()) => {
                merge_components(old, new);
            }
            _ => {
                acc.insert(key.clone(), value.clone());
            }
        }
    }
}

/// Merges interaction components by `id`: a known id gets its description merged (and any other property
/// replaced); a new id is appended. Components without a string id are appended unless an equal one exists.
fn merge_components(old: &mut Vec<Value>, new: &[Value]) {
    for component in new {
        let id = component.get("id").and_then(Value::as_str);
        let existing = id.and_then(|id| old.iter_mut().find(|c| c.get("id").and_then(Value::as_str) == Some(id)));
        match (existing, component) {
            (Some(Value::Object(old_c)), Value::Object(new_c)) => {
                for (k, v) in new_c {
                    match (old_c.get_mut(k.as_str()), v) {
                        (Some(Value::Object(old_map)), Value::Object(new_map)) if k == "description" => {
                            for (lang, text) in new_map {
                                old_map.insert(lang.clone(), text.clone());
                            }
                        }
                        _ => {
                            old_c.insert(k.clone(), v.clone());
                        }
                    }
                }
            }
            (Some(slot), _) => *slot = component.clone(),
            (None, _) => {
                if id.is_some() || !old.contains(component) {
                    old.push(component.clone());
                }
            }
        }
    }
}

/// The Activity Object for `id`: `{"objectType":"Activity","id":..,"definition":{..}}`, without `definition`
/// when none is known (the LRS still answers with an Activity Object then).
pub fn activity_object(id: &str, definition: Option<Map<String, Value>>) -> Value {
    let mut obj = Map::new();
    obj.insert("objectType".into(), Value::String("Activity".into()));
    obj.insert("id".into(), Value::String(id.to_string()));
    if let Some(def) = definition {
        obj.insert("definition".into(), Value::Object(def));
    }
    Value::Object(obj)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn merged(defs: &[Value]) -> Value {
        merge_definitions(defs).map(Value::Object).unwrap_or(Value::Null)
    }

    #[test]
    fn none_known() {
        assert_eq!(merge_definitions(&[Value::Null, Value::Null]), None);
        assert_eq!(
            activity_object("http://example.com/a", None),
            json!({"objectType": "Activity", "id": "http://example.com/a"})
        );
    }

    #[test]
    fn single_definition_is_returned_as_is() {
        let def = json!({"type": "http://adlnet.gov/expapi/activities/meeting", "name": {"en-US": "m"},
            "moreInfo": "http://example.com/more", "extensions": {"http://example.com/x": {"a": 1}}});
        assert_eq!(merged(&[Value::Null, def.clone()]), def);
        assert_eq!(
            activity_object("http://example.com/a", merge_definitions([&def])),
            json!({"objectType": "Activity", "id": "http://example.com/a", "definition": def})
        );
    }

    #[test]
    fn language_maps_merge_key_by_key_and_later_wins() {
        let a = json!({"name": {"en-US": "meeting", "en-GB": "meeting"}, "description": {"en-US": "old"}});
        let b = json!({"name": {"fr-FR": "réunion"}, "description": {"en-US": "new", "de": "neu"}});
        assert_eq!(
            merged(&[a, b]),
            json!({"name": {"en-US": "meeting", "en-GB": "meeting", "fr-FR": "réunion"},
                   "description": {"en-US": "new", "de": "neu"}})
        );
    }

    #[test]
    fn scalars_later_wins_and_extensions_merge() {
        let a = json!({"type": "http://example.com/t1", "moreInfo": "http://example.com/1",
            "extensions": {"http://example.com/e1": 1, "http://example.com/e2": {"x": 1}}});
        let b = json!({"type": "http://example.com/t2", "extensions": {"http://example.com/e2": {"y": 2}}});
        assert_eq!(
            merged(&[a, b]),
            json!({"type": "http://example.com/t2", "moreInfo": "http://example.com/1",
                   "extensions": {"http://example.com/e1": 1, "http://example.com/e2": {"y": 2}}})
        );
    }

    #[test]
    fn interaction_components_merge_by_id() {
        let a = json!({"interactionType": "choice", "correctResponsesPattern": ["a"],
            "choices": [{"id": "a", "description": {"en-US": "A"}}, {"id": "b", "description": {"en-US": "B"}}]});
        let b = json!({"correctResponsesPattern": ["b"],
            "choices": [{"id": "b", "description": {"fr-FR": "Bé"}}, {"id": "c", "description": {"en-US": "C"}}]});
        assert_eq!(
            merged(&[a, b]),
            json!({"interactionType": "choice", "correctResponsesPattern": ["b"],
                "choices": [{"id": "a", "description": {"en-US": "A"}},
                            {"id": "b", "description": {"en-US": "B", "fr-FR": "Bé"}},
                            {"id": "c", "description": {"en-US": "C"}}]})
        );
    }

    #[test]
    fn repeating_a_definition_changes_nothing() {
        let a = json!({"name": {"en-US": "a"}, "type": "http://example.com/t1"});
        let b = json!({"name": {"en-US": "b", "de": "b"}, "type": "http://example.com/t2"});
        // Applying A again after B gives the same result as dropping the earlier A (readers deduplicate).
        assert_eq!(merged(&[a.clone(), b.clone(), a.clone()]), merged(&[b, a]));
    }

    #[test]
    fn wrong_types_replace_like_scalars() {
        let a = json!({"name": {"en-US": "a"}, "choices": [{"id": "x"}]});
        let b = json!({"name": "not a map", "choices": {"id": "y"}});
        assert_eq!(merged(&[a, b.clone()]), b);
    }
}
