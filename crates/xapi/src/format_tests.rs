use super::*;
use serde_json::json;

fn statement() -> Value {
    json!({
        "id": "9dc99b37-e920-4a68-a066-917faca28949",
        "actor": {"objectType": "Agent", "name": "Alice", "mbox": "mailto:alice@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed", "en-GB": "completed (GB)"}},
        "object": {"objectType": "Activity", "id": "http://example.com/q1", "definition": {
            "name": {"en-US": "Question", "fr-FR": "Question (fr)"},
            "description": {"en-US": "What color?", "en-GB": "What colour?"},
            "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
            "interactionType": "choice", "correctResponsesPattern": ["red"],
            "choices": [{"id": "red", "description": {"en-US": "Red", "en-GB": "Red (GB)"}}]}},
        "context": {
            "instructor": {"name": "Ian", "account": {"homePage": "http://example.com", "name": "ian"}},
            "team": {"objectType": "Group", "name": "Team", "mbox": "mailto:team@example.com",
                "member": [{"mbox": "mailto:m@example.com", "name": "M"}]},
            "contextActivities": {"category": [{"id": "http://example.com/cat", "objectType": "Activity",
                "definition": {"name": {"en-US": "Category", "en-GB": "Category (GB)"}}}]},
            "registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7"
        },
        "result": {"success": true},
        "attachments": [{"usageType": "http://example.com/usage", "display": {"en-US": "A", "en-GB": "A (GB)"},
            "contentType": "text/plain", "length": 1, "sha2": "ab"}],
        "stored": "2024-05-04T17:00:00.000Z",
        "authority": {"objectType": "Group", "member": [
            {"name": "client", "account": {"homePage": "http://lrs.example.com", "name": "key"}},
            {"name": "user", "mbox": "mailto:u@example.com"}]}
    })
}

#[test]
fn ids_reduces_agents_groups_activities_and_verbs() {
    let ids = ids_format(&statement());
    assert_eq!(ids["actor"], json!({"objectType": "Agent", "mbox": "mailto:alice@example.com"}));
    assert_eq!(ids["verb"], json!({"id": "http://adlnet.gov/expapi/verbs/completed"}));
    assert_eq!(ids["object"], json!({"id": "http://example.com/q1"}));
    assert_eq!(ids["context"]["instructor"], json!({"account": {"homePage": "http://example.com", "name": "ian"}}));
    assert_eq!(ids["context"]["team"], json!({"objectType": "Group", "mbox": "mailto:team@example.com"}));
    assert_eq!(ids["context"]["contextActivities"]["category"], json!([{"id": "http://example.com/cat"}]));
    assert_eq!(
        ids["authority"],
        json!({"objectType": "Group", "member": [
            {"account": {"homePage": "http://lrs.example.com", "name": "key"}}, {"mbox": "mailto:u@example.com"}]})
    );
    // Everything else is untouched.
    for key in ["id", "result", "attachments", "stored"] {
        assert_eq!(ids[key], statement()[key], "{key}");
    }
    assert_eq!(ids["context"]["registration"], statement()["context"]["registration"]);
}

#[test]
fn ids_reaches_into_substatements_and_2_0_context_agents() {
    let s = json!({
        "actor": {"mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9", "name": "A"},
        "verb": {"id": "http://example.com/planned", "display": {"en": "planned"}},
        "object": {"objectType": "SubStatement",
            "actor": {"objectType": "Agent", "openid": "http://openid.example.com/b", "name": "B"},
            "verb": {"id": "http://example.com/do", "display": {"en": "do"}},
            "object": {"objectType": "Agent", "mbox": "mailto:c@example.com", "name": "C"},
            "context": {"contextAgents": [{"objectType": "contextAgent",
                "agent": {"mbox": "mailto:d@example.com", "name": "D"}, "relevantTypes": ["http://example.com/t"]}]}},
        "context": {"contextGroups": [{"objectType": "contextGroup",
            "group": {"objectType": "Group", "name": "G", "member": [{"mbox": "mailto:e@example.com", "name": "E"}]}}],
            "statement": {"objectType": "StatementRef", "id": "9dc99b37-e920-4a68-a066-917faca28949"}}
    });
    let ids = ids_format(&s);
    assert_eq!(ids["actor"], json!({"mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"}));
    let sub = &ids["object"];
    assert_eq!(sub["objectType"], json!("SubStatement"));
    assert_eq!(sub["actor"], json!({"objectType": "Agent", "openid": "http://openid.example.com/b"}));
    assert_eq!(sub["verb"], json!({"id": "http://example.com/do"}));
    assert_eq!(sub["object"], json!({"objectType": "Agent", "mbox": "mailto:c@example.com"}));
    let context_agent = &sub["context"]["contextAgents"][0];
    assert_eq!(context_agent["agent"], json!({"mbox": "mailto:d@example.com"}));
    assert_eq!(context_agent["relevantTypes"], json!(["http://example.com/t"]));
    assert_eq!(
        ids["context"]["contextGroups"][0]["group"],
        json!({"objectType": "Group", "member": [{"mbox": "mailto:e@example.com"}]})
    );
    assert_eq!(ids["context"]["statement"], s["context"]["statement"]);
}

#[test]
fn canonical_keeps_one_language_per_map() {
    let c = canonical_format(&statement(), "en-GB");
    assert_eq!(c["verb"]["display"], json!({"en-GB": "completed (GB)"}));
    let definition = &c["object"]["definition"];
    assert_eq!(definition["name"], json!({"en-US": "Question"}), "no en-GB entry: falls back to the first");
    assert_eq!(definition["description"], json!({"en-GB": "What colour?"}));
    assert_eq!(definition["choices"][0]["description"], json!({"en-GB": "Red (GB)"}));
    assert_eq!(definition["correctResponsesPattern"], json!(["red"]));
    assert_eq!(
        c["context"]["contextActivities"]["category"][0]["definition"]["name"],
        json!({"en-GB": "Category (GB)"})
    );
    assert_eq!(c["attachments"][0]["display"], json!({"en-GB": "A (GB)"}));
    // Agents and Groups as in exact.
    assert_eq!(c["actor"], statement()["actor"]);
    assert_eq!(c["context"]["team"], statement()["context"]["team"]);
    assert_eq!(c["authority"], statement()["authority"]);
}

#[test]
fn canonical_honours_quality_values() {
    let c = canonical_format(&statement(), "fr;q=0.9, en-US;q=0.5");
    assert_eq!(c["object"]["definition"]["name"], json!({"fr-FR": "Question (fr)"}));
    assert_eq!(c["verb"]["display"], json!({"en-US": "completed"}));
    let none = canonical_format(&statement(), "");
    assert_eq!(none["verb"]["display"], json!({"en-US": "completed"}));
}

#[test]
fn odd_input_is_returned_unchanged() {
    for v in [json!(null), json!([]), json!({"actor": "x", "verb": 1, "object": {"objectType": "Agent"}})] {
        assert_eq!(ids_format(&v), v);
        assert_eq!(canonical_format(&v, "en"), v);
    }
}
