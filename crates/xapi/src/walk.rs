//! A mutable walk over the parts of a statement that the comparison and the `format` rewrites care about:
//! Agents and Groups, Verbs, Activities, StatementRefs, and each statement or SubStatement body. One walk,
//! so `compare` and `format` agree on where those objects can occur (actor, object, authority, context
//! instructor/team/contextActivities/statement/contextAgents/contextGroups, and the same inside a
//! SubStatement). Works on any JSON: a value of an unexpected shape is skipped, never an error.

use serde_json::{Map, Value};

/// What to do at each kind of object. Every method defaults to leaving the value alone.
pub(crate) trait Visit {
    /// A statement or SubStatement object, called before its parts are visited.
    fn statement(&mut self, _statement: &mut Map<String, Value>) {}
    /// An Agent or Group (its members are the visitor's business).
    fn actor(&mut self, _actor: &mut Value) {}
    fn verb(&mut self, _verb: &mut Value) {}
    fn activity(&mut self, _activity: &mut Value) {}
    fn statement_ref(&mut self, _reference: &mut Value) {}
}

/// Visits `statement` (a statement object; anything else is left untouched).
pub(crate) fn walk(statement: &mut Value, visitor: &mut impl Visit) {
    if let Value::Object(map) = statement {
        walk_statement(map, visitor, true);
    }
}

/// The kind of a statement's `object`, decided by its objectType (absent means Activity).
enum ObjectKind {
    Actor,
    StatementRef,
    SubStatement,
    Activity,
}

fn object_kind(object: &Value) -> ObjectKind {
    match object.get("objectType").and_then(Value::as_str) {
        Some("Agent" | "Group") => ObjectKind::Actor,
        Some("StatementRef") => ObjectKind::StatementRef,
        Some("SubStatement") => ObjectKind::SubStatement,
        _ => ObjectKind::Activity,
    }
}

/// `top`: a SubStatement cannot contain another one, so only the top level descends into one; this also
/// bounds the recursion whatever the input.
fn walk_statement(map: &mut Map<String, Value>, visitor: &mut impl Visit, top: bool) {
    visitor.statement(map);
    if let Some(actor) = map.get_mut("actor") {
        visitor.actor(actor);
    }
    if let Some(verb) = map.get_mut("verb") {
        visitor.verb(verb);
    }
    if let Some(object) = map.get_mut("object") {
        match object_kind(object) {
            ObjectKind::Actor => visitor.actor(object),
            ObjectKind::StatementRef => visitor.statement_ref(object),
            ObjectKind::SubStatement if top => {
                if let Value::Object(sub) = object {
                    walk_statement(sub, visitor, false);
                }
            }
            ObjectKind::SubStatement => {}
            ObjectKind::Activity => visitor.activity(object),
        }
    }
    if let Some(Value::Object(context)) = map.get_mut("context") {
        walk_context(context, visitor);
    }
    if let Some(authority) = map.get_mut("authority") {
        visitor.actor(authority);
    }
}

fn walk_context(context: &mut Map<String, Value>, visitor: &mut impl Visit) {
    for key in ["instructor", "team"] {
        if let Some(actor) = context.get_mut(key) {
            visitor.actor(actor);
        }
    }
    if let Some(Value::Object(activities)) = context.get_mut("contextActivities") {
        for value in activities.values_mut() {
            match value {
                Value::Array(items) => items.iter_mut().for_each(|a| visitor.activity(a)),
                Value::Object(_) => visitor.activity(value),
                _ => {}
            }
        }
    }
    if let Some(reference) = context.get_mut("statement") {
        visitor.statement_ref(reference);
    }
    // xAPI 2.0: [{objectType: "contextAgent", agent}], [{objectType: "contextGroup", group}].
    for (list, key) in [("contextAgents", "agent"), ("contextGroups", "group")] {
        if let Some(Value::Array(items)) = context.get_mut(list) {
            for item in items {
                if let Some(actor) = item.get_mut(key) {
                    visitor.actor(actor);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Default)]
    struct Count {
        statements: usize,
        actors: usize,
        verbs: usize,
        activities: usize,
        refs: usize,
    }

    impl Visit for Count {
        fn statement(&mut self, _: &mut Map<String, Value>) {
            self.statements += 1;
        }
        fn actor(&mut self, _: &mut Value) {
            self.actors += 1;
        }
        fn verb(&mut self, _: &mut Value) {
            self.verbs += 1;
        }
        fn activity(&mut self, _: &mut Value) {
            self.activities += 1;
        }
        fn statement_ref(&mut self, _: &mut Value) {
            self.refs += 1;
        }
    }

    #[test]
    fn visits_every_position() {
        let mut s = json!({
            "actor": {"mbox": "mailto:a@example.com"},
            "verb": {"id": "http://example.com/v"},
            "object": {"objectType": "SubStatement", "actor": {"mbox": "mailto:b@example.com"},
                "verb": {"id": "http://example.com/v2"}, "object": {"id": "http://example.com/a"},
                "context": {"contextActivities": {"parent": {"id": "http://example.com/p"}}}},
            "context": {"instructor": {"mbox": "mailto:i@example.com"}, "team": {"objectType": "Group", "member": []},
                "contextActivities": {"grouping": [{"id": "http://example.com/g1"}, {"id": "http://example.com/g2"}]},
                "statement": {"objectType": "StatementRef", "id": "9dc99b37-e920-4a68-a066-917faca28949"},
                "contextAgents": [{"objectType": "contextAgent", "agent": {"mbox": "mailto:c@example.com"}}],
                "contextGroups": [{"objectType": "contextGroup", "group": {"objectType": "Group", "member": []}}]},
            "authority": {"mbox": "mailto:auth@example.com"}
        });
        let mut count = Count::default();
        walk(&mut s, &mut count);
        assert_eq!(count.statements, 2);
        assert_eq!(count.actors, 7);
        assert_eq!(count.verbs, 2);
        assert_eq!(count.activities, 4);
        assert_eq!(count.refs, 1);
    }

    #[test]
    fn odd_shapes_are_skipped() {
        for mut v in [json!(null), json!([1, 2]), json!({"context": 3, "object": "x"}), json!("s")] {
            walk(&mut v, &mut Count::default());
        }
        // A SubStatement inside a SubStatement is not descended into.
        let mut nested = json!({"object": {"objectType": "SubStatement",
            "object": {"objectType": "SubStatement", "actor": {}}}});
        let mut count = Count::default();
        walk(&mut nested, &mut count);
        assert_eq!((count.statements, count.actors), (2, 0));
    }
}
