//! What the query filters need to know about a statement, read from its normalised JSON: the agents and
//! activities it involves (directly, for `agent`/`activity`, and broadly, for `related_agents` /
//! `related_activities`), its StatementRef target, and the Activity definitions and Agents it carries for the
//! Activities and Agents resources.

use crate::agent::AgentView;
use serde_json::Value;
use uuid::Uuid;

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Facts {
    /// Keys of the actor and of an Agent/Group object: what the plain `agent` filter matches.
    pub agents: Vec<String>,
    /// Every agent key `related_agents=true` matches: actor, object, authority, instructor, team, context agents
    /// and groups, group members, and the same inside a SubStatement.
    pub related_agents: Vec<String>,
    /// The object's id when it is an Activity: what the plain `activity` filter matches.
    pub activity: String,
    /// Object and context activities, inside a SubStatement too.
    pub related_activities: Vec<String>,
    /// The statement this one's StatementRef object targets.
    pub statement_ref: Option<Uuid>,
    /// Every Activity the statement carries, with its definition (`Value::Null` when it has none).
    pub activity_definitions: Vec<(String, Value)>,
    /// Every Agent (with an IFI) the statement names, as it names it, by key.
    pub named_agents: Vec<(String, Value)>,
    /// The authority's key: what `statements/read/mine` matches.
    pub authority: Option<String>,
}

/// The filter columns a `statement_index` row of `dim` carries. A query reads the rows of its most selective
/// filter's dimension (`authority`, then registration > agent > activity > verb > all) and checks every other
/// filter on those rows' columns, so a row needs only the columns of the filters that rank below its own
/// dimension: a verb row or the store's timeline needs none, an activity row its activity and verb. Leaving the
/// rest empty keeps the index, written about nine times per statement, about a third smaller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Carried {
    pub registration: bool,
    pub agents: bool,
    pub related_agents: bool,
    pub activity: bool,
    pub related_activities: bool,
    pub verb: bool,
}

pub fn carried(dim: &str) -> Carried {
    let all = Carried {
        registration: true,
        agents: true,
        related_agents: true,
        activity: true,
        related_activities: true,
        verb: true,
    };
    match dim {
        "authority" => all,
        "registration" => Carried { registration: false, ..all },
        // `related_agents=true` is answered by the agent dimension itself; only the narrow filter is checked.
        "agent" => Carried { registration: false, related_agents: false, ..all },
        "activity" => Carried { activity: true, verb: true, ..Carried::NONE },
        _ => Carried::NONE,
    }
}

impl Carried {
    pub const NONE: Carried = Carried {
        registration: false,
        agents: false,
        related_agents: false,
        activity: false,
        related_activities: false,
        verb: false,
    };
}

pub fn facts(statement: &Value) -> Facts {
    let mut f = Facts::default();
    if let Some(actor) = statement.get("actor") {
        if let Some(k) = key(actor) {
            f.agents.push(k);
        }
    }
    if let Some(object) = statement.get("object") {
        match object_type(object) {
            "Agent" | "Group" => {
                if let Some(k) = key(object) {
                    f.agents.push(k);
                }
            }
            "Activity" => {
                if let Some(id) = object.get("id").and_then(Value::as_str) {
                    f.activity = id.to_string();
                }
            }
            "StatementRef" => {
                f.statement_ref = object.get("id").and_then(Value::as_str).and_then(|s| Uuid::parse_str(s).ok());
            }
            _ => {}
        }
    }
    f.authority = statement.get("authority").and_then(key);
    walk_statement(statement, &mut f, true);
    dedup(&mut f.agents);
    dedup(&mut f.related_agents);
    dedup(&mut f.related_activities);
    f
}

/// Related agents and activities of a statement or SubStatement (`top`: the authority only exists there).
fn walk_statement(s: &Value, f: &mut Facts, top: bool) {
    if let Some(actor) = s.get("actor") {
        agent_or_group(actor, f);
    }
    if let Some(object) = s.get("object") {
        match object_type(object) {
            "Agent" | "Group" => agent_or_group(object, f),
            "Activity" => activity(object, f),
            "SubStatement" if top => walk_statement(object, f, false),
            _ => {}
        }
    }
    if top {
        if let Some(authority) = s.get("authority") {
            agent_or_group(authority, f);
        }
    }
    let Some(context) = s.get("context") else { return };
    for prop in ["instructor", "team"] {
        if let Some(a) = context.get(prop) {
            agent_or_group(a, f);
        }
    }
    for (list, prop) in [("contextAgents", "agent"), ("contextGroups", "group")] {
        for entry in context.get(list).and_then(Value::as_array).into_iter().flatten() {
            if let Some(a) = entry.get(prop) {
                agent_or_group(a, f);
            }
        }
    }
    if let Some(ca) = context.get("contextActivities").and_then(Value::as_object) {
        for kind in ["parent", "grouping", "category", "other"] {
            match ca.get(kind) {
                Some(Value::Array(items)) => items.iter().for_each(|a| activity(a, f)),
                Some(single @ Value::Object(_)) => activity(single, f),
                _ => {}
            }
        }
    }
}

fn agent_or_group(a: &Value, f: &mut Facts) {
    if let Some(k) = key(a) {
        if object_type(a) != "Group" {
            f.named_agents.push((k.clone(), a.clone()));
        }
        f.related_agents.push(k);
    }
    for member in a.get("member").and_then(Value::as_array).into_iter().flatten() {
        if let Some(k) = key(member) {
            f.named_agents.push((k.clone(), member.clone()));
            f.related_agents.push(k);
        }
    }
}

fn activity(a: &Value, f: &mut Facts) {
    if let Some(id) = a.get("id").and_then(Value::as_str) {
        f.related_activities.push(id.to_string());
        f.activity_definitions.push((id.to_string(), a.get("definition").cloned().unwrap_or(Value::Null)));
    }
}

fn object_type(v: &Value) -> &str {
    v.get("objectType").and_then(Value::as_str).unwrap_or("Activity")
}

/// The key an Agent or Group is indexed by (None without an identifier).
pub fn agent_key(agent: &Value) -> Option<String> {
    key(agent)
}

fn key(agent: &Value) -> Option<String> {
    AgentView::deserialize_from(agent)?.key()
}

fn dedup(v: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::with_capacity(v.len());
    v.retain(|k| seen.insert(k.clone()));
}

impl<'a> AgentView<'a> {
    /// The identifying properties of an Agent or Group held in a parsed value.
    pub fn deserialize_from(v: &'a Value) -> Option<AgentView<'a>> {
        use serde::Deserialize;
        AgentView::deserialize(v).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn direct_and_related() {
        let s = json!({
            "actor": {"objectType": "Group", "mbox": "mailto:g@x.org", "member": [{"mbox": "mailto:m@x.org", "name": "M"}]},
            "verb": {"id": "http://v"},
            "object": {"id": "http://act/1", "definition": {"name": {"en": "One"}}},
            "authority": {"mbox": "mailto:auth@x.org"},
            "context": {
                "instructor": {"mbox": "mailto:i@x.org"},
                "contextActivities": {"parent": [{"id": "http://act/p"}], "grouping": {"id": "http://act/g"}},
                "contextAgents": [{"objectType": "contextAgent", "agent": {"mbox": "mailto:ca@x.org"}}]
            }
        });
        let f = facts(&s);
        assert_eq!(f.agents, vec!["mbox:mailto:g@x.org"]);
        assert_eq!(
            f.related_agents,
            vec![
                "mbox:mailto:g@x.org",
                "mbox:mailto:m@x.org",
                "mbox:mailto:auth@x.org",
                "mbox:mailto:i@x.org",
                "mbox:mailto:ca@x.org"
            ]
        );
        assert_eq!(f.activity, "http://act/1");
        assert_eq!(f.related_activities, vec!["http://act/1", "http://act/p", "http://act/g"]);
        assert_eq!(f.activity_definitions[0], ("http://act/1".to_string(), json!({"name": {"en": "One"}})));
        assert!(f.named_agents.iter().any(|(k, a)| k == "mbox:mailto:m@x.org" && a["name"] == "M"));
        assert!(!f.named_agents.iter().any(|(k, _)| k == "mbox:mailto:g@x.org"), "groups are not Persons");
    }

    #[test]
    fn sub_statements_and_refs() {
        let s = json!({
            "actor": {"mbox": "mailto:a@x.org"},
            "object": {"objectType": "SubStatement", "actor": {"mbox": "mailto:b@x.org"}, "verb": {"id": "http://v"},
                       "object": {"objectType": "Agent", "mbox": "mailto:c@x.org"}}
        });
        let f = facts(&s);
        assert_eq!(f.agents, vec!["mbox:mailto:a@x.org"]);
        assert_eq!(f.related_agents, vec!["mbox:mailto:a@x.org", "mbox:mailto:b@x.org", "mbox:mailto:c@x.org"]);
        assert_eq!(f.activity, "");
        let r = facts(&json!({"actor": {"mbox": "mailto:a@x.org"},
            "object": {"objectType": "StatementRef", "id": "9dc99b37-e920-4a68-a066-917faca28949"}}));
        assert_eq!(r.statement_ref.map(|u| u.to_string()).as_deref(), Some("9dc99b37-e920-4a68-a066-917faca28949"));
    }

    #[test]
    fn odd_shapes_do_not_panic() {
        for v in [json!(null), json!([]), json!({"actor": 1, "object": "x", "context": {"contextActivities": 3}})] {
            let _ = facts(&v);
        }
    }
}

/// The most related agents, and separately the most related activities, one statement may carry. Each related
/// key becomes an index row carrying the statement's key lists, so the rows of a statement grow with the square
/// of its keys: the cap keeps one statement's index bounded (a real statement carries a handful).
pub const MAX_RELATED_KEYS: usize = 100;

/// The budget of one request: the sum over its statements of (related keys)², the size of their index rows.
pub const MAX_REQUEST_INDEX_CELLS: usize = 4_000_000;

/// How many related agent and activity keys `facts` would find (duplicates counted), without building them:
/// cheap enough to run on every statement the gateway accepts.
pub fn fan_out(statement: &Value) -> (usize, usize) {
    let mut counts = (0, 0);
    count_statement(statement, &mut counts, true);
    counts
}

fn count_statement(s: &Value, c: &mut (usize, usize), top: bool) {
    if let Some(actor) = s.get("actor") {
        count_agent(actor, c);
    }
    if let Some(object) = s.get("object") {
        match object_type(object) {
            "Agent" | "Group" => count_agent(object, c),
            "Activity" => c.1 += 1,
            "SubStatement" if top => count_statement(object, c, false),
            _ => {}
        }
    }
    if top {
        if let Some(authority) = s.get("authority") {
            count_agent(authority, c);
        }
    }
    let Some(context) = s.get("context") else { return };
    for prop in ["instructor", "team"] {
        if let Some(a) = context.get(prop) {
            count_agent(a, c);
        }
    }
    for (list, prop) in [("contextAgents", "agent"), ("contextGroups", "group")] {
        for entry in context.get(list).and_then(Value::as_array).into_iter().flatten() {
            if let Some(a) = entry.get(prop) {
                count_agent(a, c);
            }
        }
    }
    if let Some(ca) = context.get("contextActivities").and_then(Value::as_object) {
        for kind in ["parent", "grouping", "category", "other"] {
            c.1 += match ca.get(kind) {
                Some(Value::Array(items)) => items.len(),
                Some(Value::Object(_)) => 1,
                _ => 0,
            };
        }
    }
}

fn count_agent(a: &Value, c: &mut (usize, usize)) {
    c.0 += 1 + a.get("member").and_then(Value::as_array).map_or(0, Vec::len);
}

#[cfg(test)]
mod fan_out_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn counts_what_facts_finds() {
        let s = json!({
            "actor": {"objectType": "Group", "mbox": "mailto:g@x.org", "member": [{"mbox": "mailto:m@x.org"}]},
            "object": {"id": "http://act/1"},
            "authority": {"mbox": "mailto:auth@x.org"},
            "context": {"contextActivities": {"parent": [{"id": "http://act/p"}], "grouping": {"id": "http://act/g"}}}
        });
        let f = facts(&s);
        assert_eq!(fan_out(&s), (f.related_agents.len(), f.related_activities.len()));
    }
}
