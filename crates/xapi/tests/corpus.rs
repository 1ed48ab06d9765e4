//! Table-driven statement validation corpus, written from the xAPI 1.0.3 specification (xAPI-Data.md) and the
//! xAPI 2.0 / IEEE 9274.1.1 changes. Every invalid case names the exact path of the error it expects.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is a failed test

mod common;

use common::{del, set, stmt, Table, BOTH, V1, V2};
use serde_json::{json, Value};
use xapi::{validate, XapiVersion};

const V1_ONLY: &[XapiVersion] = &[V1];
const V2_ONLY: &[XapiVersion] = &[V2];

fn agent(ifi: Value) -> Value {
    let mut a = json!({"objectType": "Agent"});
    if let (Value::Object(m), Value::Object(extra)) = (&mut a, ifi) {
        m.extend(extra);
    }
    a
}

fn activity(id: &str) -> Value {
    json!({"objectType": "Activity", "id": id})
}

fn sub_statement() -> Value {
    json!({
        "objectType": "SubStatement",
        "actor": {"mbox": "mailto:learner@example.com"},
        "verb": {"id": "http://example.com/verbs/visited", "display": {"en-US": "will visit"}},
        "object": {"id": "http://example.com/website", "definition": {"name": {"en-US": "Some Awesome Website"}}}
    })
}

fn attachment() -> Value {
    json!({
        "usageType": "http://example.com/attachment-usage/test",
        "display": {"en-US": "A test attachment"},
        "description": {"en-US": "A test attachment (description)"},
        "contentType": "text/plain; charset=ascii",
        "length": 27,
        "sha2": "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a",
        "fileUrl": "http://over.there.com/file.txt"
    })
}

#[test]
fn statement_properties() {
    let mut t = Table::default();
    t.ok("base statement", stmt([]));
    t.ok(
        "only actor, verb and object",
        json!({
            "actor": {"mbox": "mailto:xapi@adlnet.gov"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/created", "display": {"en-US": "created"}},
            "object": {"id": "http://example.adlnet.gov/xapi/example/activity"}
        }),
    );
    t.ok("all properties", stmt([
        set("/result", json!({"score": {"scaled": 0.95, "raw": 95, "min": 0, "max": 100}, "success": true,
            "completion": true, "response": "answer", "duration": "PT4H35M59.14S",
            "extensions": {"http://example.com/ext": {"any": ["json", 1, null]}}})),
        set("/context", json!({"registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
            "instructor": {"mbox": "mailto:teacher@example.com"}, "team": {"objectType": "Group", "mbox": "mailto:team@example.com"},
            "contextActivities": {"parent": [activity("http://example.com/parent")]},
            "revision": "r2", "platform": "web", "language": "en-US",
            "statement": {"objectType": "StatementRef", "id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0"},
            "extensions": {"http://example.com/ctx": 1}})),
        set("/stored", json!("2024-01-02T03:04:06.000Z")),
        set("/authority", agent(json!({"account": {"homePage": "http://lrs.example.com", "name": "client"}}))),
        set("/version", json!("1.0.0")),
        set("/attachments", json!([attachment()])),
    ]));
    t.bad("statement is an array", json!([stmt([])]), "");
    t.bad("statement is a string", json!("statement"), "");
    t.bad("statement is null", Value::Null, "");
    t.bad("actor missing", stmt([del("/actor")]), "actor");
    t.bad("verb missing", stmt([del("/verb")]), "verb");
    t.bad("object missing", stmt([del("/object")]), "object");
    t.bad("unknown property", stmt([set("/foo", json!("bar"))]), "foo");
    t.bad(
        "property with the wrong case: Actor",
        stmt([set("/Actor", json!({"mbox": "mailto:a@example.com"}))]),
        "Actor",
    );
    t.bad("property with the wrong case: Id", stmt([set("/Id", json!("9dc99b37-e920-4a68-a066-917faca28949"))]), "Id");
    t.bad(
        "property with the wrong case: Timestamp",
        stmt([set("/Timestamp", json!("2024-01-02T03:04:05Z"))]),
        "Timestamp",
    );
    t.bad("property with the wrong case: Version", stmt([set("/Version", json!("1.0.0"))]), "Version");
    t.bad("actor null", stmt([set("/actor", Value::Null)]), "actor");
    t.bad("verb null", stmt([set("/verb", Value::Null)]), "verb");
    t.bad("object null", stmt([set("/object", Value::Null)]), "object");
    t.bad("context null", stmt([set("/context", Value::Null)]), "context");
    t.bad("result null", stmt([set("/result", Value::Null)]), "result");
    t.bad("actor is a string", stmt([set("/actor", json!("mailto:a@example.com"))]), "actor");
    t.bad("object is an array", stmt([set("/object", json!([activity("http://example.com/a")]))]), "object");
    t.bad("result is a string", stmt([set("/result", json!("passed"))]), "result");
    t.bad("context is a number", stmt([set("/context", json!(1))]), "context");
    t.bad("attachments is an object", stmt([set("/attachments", attachment())]), "attachments");
    t.run();
}

#[test]
fn uuids() {
    let mut t = Table::default();
    t.ok("upper-case UUID", stmt([set("/id", json!("AA97B177-9383-4934-8543-0F91A7A02836"))]));
    t.ok("nil UUID", stmt([set("/id", json!("00000000-0000-0000-0000-000000000000"))]));
    t.ok("no id (the LRS assigns one)", stmt([del("/id")]));
    for (name, id) in [
        ("numeric id", json!(12345)),
        ("object id", json!({"key": "should fail"})),
        ("null id", Value::Null),
        ("too many digits", json!("AA97B177-9383-4934-8543-0F91A7A028368")),
        ("non-hex letter", json!("MA97B177-9383-4934-8543-0F91A7A02836")),
        ("no hyphens", json!("9dc99b37e9204a68a066917faca28949")),
        ("braces", json!("{9dc99b37-e920-4a68-a066-917faca28949}")),
        ("urn form", json!("urn:uuid:9dc99b37-e920-4a68-a066-917faca28949")),
        ("empty string", json!("")),
    ] {
        t.bad(&format!("statement id: {name}"), stmt([set("/id", id.clone())]), "id");
        t.bad(
            &format!("statementref id: {name}"),
            stmt([set("/object", json!({"objectType": "StatementRef", "id": id.clone()}))]),
            "object.id",
        );
        t.bad(
            &format!("registration: {name}"),
            stmt([set("/context/registration", id.clone())]),
            "context.registration",
        );
        t.bad(
            &format!("context statement id: {name}"),
            stmt([set("/context/statement", json!({"objectType": "StatementRef", "id": id}))]),
            "context.statement.id",
        );
    }
    t.run();
}

#[test]
fn agents() {
    let mut t = Table::default();
    for (name, ifi) in [
        ("mbox", json!({"mbox": "mailto:xapi@adlnet.gov"})),
        ("mbox_sha1sum", json!({"mbox_sha1sum": "cd9b00a5611f94eaa7b1661edab976068e364975"})),
        ("upper-case mbox_sha1sum", json!({"mbox_sha1sum": "CD9B00A5611F94EAA7B1661EDAB976068E364975"})),
        ("openid", json!({"openid": "http://openid.example.org/12345"})),
        ("account", json!({"account": {"homePage": "http://www.example.com", "name": "1625378"}})),
    ] {
        t.ok(&format!("actor identified by {name}"), stmt([set("/actor", agent(ifi.clone()))]));
        t.ok(&format!("instructor identified by {name}"), stmt([set("/context/instructor", agent(ifi.clone()))]));
        t.ok(&format!("authority identified by {name}"), stmt([set("/authority", agent(ifi.clone()))]));
        t.ok(&format!("object Agent identified by {name}"), stmt([set("/object", agent(ifi))]));
    }
    t.ok("actor without objectType", stmt([set("/actor", json!({"mbox": "mailto:a@example.com"}))]));
    t.ok("actor with a name", stmt([set("/actor/name", json!("Ann"))]));
    t.bad("no IFI", stmt([set("/actor", json!({"objectType": "Agent", "name": "Ann"}))]), "actor");
    t.bad("empty agent", stmt([set("/actor", json!({}))]), "actor");
    let ifis = [
        ("mbox", json!("mailto:xapi@adlnet.gov")),
        ("mbox_sha1sum", json!("cd9b00a5611f94eaa7b1661edab976068e364975")),
        ("openid", json!("http://openid.example.org/12345")),
        ("account", json!({"homePage": "http://www.example.com", "name": "xAPI account name"})),
    ];
    for (i, (a, va)) in ifis.iter().enumerate() {
        for (b, vb) in &ifis[i + 1..] {
            let two = json!({"objectType": "Agent", (*a): va, (*b): vb});
            t.bad(&format!("actor with {a} and {b}"), stmt([set("/actor", two.clone())]), "actor");
            t.bad(
                &format!("instructor with {a} and {b}"),
                stmt([set("/context/instructor", two.clone())]),
                "context.instructor",
            );
            t.bad(&format!("object Agent with {a} and {b}"), stmt([set("/object", two)]), "object");
        }
    }
    for (name, mbox) in [
        ("no mailto scheme", json!("xapi@adlnet.gov")),
        ("http IRI", json!("http://should.fail.com")),
        ("no @", json!("mailto:should.fail.com")),
        ("empty local part", json!("mailto:@example.com")),
        ("empty domain", json!("mailto:a@")),
        ("space", json!("mailto:a b@example.com")),
        ("upper-case scheme", json!("MAILTO:a@example.com")),
        ("number", json!(12345)),
        ("null", Value::Null),
        ("empty string", json!("")),
    ] {
        t.bad(&format!("mbox {name}"), stmt([set("/actor/mbox", mbox.clone())]), "actor.mbox");
        t.bad(
            &format!("group mbox {name}"),
            stmt([set("/actor", json!({"objectType": "Group", "mbox": mbox.clone()}))]),
            "actor.mbox",
        );
        t.bad(
            &format!("substatement actor mbox {name}"),
            stmt([set("/object", sub_statement()), set("/object/actor/mbox", mbox)]),
            "object.actor.mbox",
        );
    }
    for (name, sha) in [
        ("39 digits", json!("cd9b00a5611f94eaa7b1661edab976068e36497")),
        ("41 digits", json!("cd9b00a5611f94eaa7b1661edab976068e3649750")),
        ("non-hex", json!("zd9b00a5611f94eaa7b1661edab976068e364975")),
        ("number", json!(1234567890)),
        ("object", json!({"sha1": "cd9b00a5611f94eaa7b1661edab976068e364975"})),
    ] {
        t.bad(
            &format!("mbox_sha1sum {name}"),
            stmt([set("/actor", json!({"mbox_sha1sum": sha.clone()}))]),
            "actor.mbox_sha1sum",
        );
        t.bad(
            &format!("authority mbox_sha1sum {name}"),
            stmt([set("/authority", json!({"mbox_sha1sum": sha}))]),
            "authority.mbox_sha1sum",
        );
    }
    for (name, openid) in [
        ("invalid scheme", json!("ab=c://should.fail.com")),
        ("no scheme", json!("openid.example.org/12345")),
        ("space", json!("should fail")),
        ("number", json!(1)),
    ] {
        t.bad(&format!("openid {name}"), stmt([set("/actor", json!({"openid": openid.clone()}))]), "actor.openid");
        t.bad(
            &format!("team openid {name}"),
            stmt([set("/context/team", json!({"objectType": "Group", "openid": openid}))]),
            "context.team.openid",
        );
    }
    t.bad(
        "account missing homePage",
        stmt([set("/actor", json!({"account": {"name": "n"}}))]),
        "actor.account.homePage",
    );
    t.bad(
        "account missing name",
        stmt([set("/actor", json!({"account": {"homePage": "http://example.com"}}))]),
        "actor.account.name",
    );
    t.bad(
        "account homePage not an IRL",
        stmt([set("/actor", json!({"account": {"homePage": "ab=c://should.fail.com", "name": "n"}}))]),
        "actor.account.homePage",
    );
    t.bad(
        "account homePage without a scheme",
        stmt([set("/actor", json!({"account": {"homePage": "www.example.com", "name": "n"}}))]),
        "actor.account.homePage",
    );
    t.bad(
        "account name is an object",
        stmt([set("/actor", json!({"account": {"homePage": "http://example.com", "name": {"key": "value"}}}))]),
        "actor.account.name",
    );
    t.bad(
        "account name is a number",
        stmt([set("/context/instructor", json!({"account": {"homePage": "http://example.com", "name": 42}}))]),
        "context.instructor.account.name",
    );
    t.bad(
        "account has an extra property",
        stmt([set("/actor", json!({"account": {"homePage": "http://example.com", "name": "n", "id": 1}}))]),
        "actor.account.id",
    );
    t.bad("account is a string", stmt([set("/actor", json!({"account": "http://example.com/n"}))]), "actor.account");
    for (name, ot) in [
        ("lower-case agent", json!("agent")),
        ("Person", json!("Person")),
        ("Activity", json!("Activity")),
        ("number", json!(123)),
        ("object", json!({"key": "value"})),
        ("null", Value::Null),
    ] {
        t.bad(&format!("actor objectType {name}"), stmt([set("/actor/objectType", ot.clone())]), "actor.objectType");
        t.bad(
            &format!("authority objectType {name}"),
            stmt([set("/authority", json!({"objectType": ot.clone(), "mbox": "mailto:a@example.com"}))]),
            "authority.objectType",
        );
        t.bad(
            &format!("instructor objectType {name}"),
            stmt([set("/context/instructor", json!({"objectType": ot, "mbox": "mailto:a@example.com"}))]),
            "context.instructor.objectType",
        );
    }
    t.bad("actor name is a number", stmt([set("/actor/name", json!(123))]), "actor.name");
    t.bad("actor name is an object", stmt([set("/actor/name", json!({"key": "value"}))]), "actor.name");
    t.bad("actor unknown property", stmt([set("/actor/age", json!(30))]), "actor.age");
    t.bad(
        "Agent with a member list",
        stmt([set("/actor/member", json!([{"mbox": "mailto:b@example.com"}]))]),
        "actor.member",
    );
    t.bad(
        "group members without objectType Group are an Agent's",
        stmt([set("/actor", json!({"member": [{"mbox": "mailto:b@example.com"}]}))]),
        "actor.member",
    );
    t.run();
}

#[test]
fn groups() {
    let mut t = Table::default();
    let members = json!([{"objectType": "Agent", "mbox": "mailto:a@example.com"}, {"account": {"homePage": "http://example.com", "name": "b"}}]);
    t.ok("identified Group with members", stmt([set("/actor", json!({"objectType": "Group", "name": "Team", "mbox": "mailto:team@example.com", "member": members.clone()}))]));
    t.ok(
        "identified Group without members",
        stmt([set("/actor", json!({"objectType": "Group", "openid": "http://example.com/team"}))]),
    );
    t.ok(
        "identified Group with empty members",
        stmt([set(
            "/actor",
            json!({"objectType": "Group", "account": {"homePage": "http://example.com", "name": "t"}, "member": []}),
        )]),
    );
    t.ok("anonymous Group", stmt([set("/actor", json!({"objectType": "Group", "member": members.clone()}))]));
    t.ok("Group as object", stmt([set("/object", json!({"objectType": "Group", "member": members.clone()}))]));
    t.ok(
        "Group as instructor",
        stmt([set("/context/instructor", json!({"objectType": "Group", "member": members.clone()}))]),
    );
    t.ok("Group as team", stmt([set("/context/team", json!({"objectType": "Group", "member": members.clone()}))]));
    for (position, pointer, path) in [
        ("actor", "/actor", "actor.member"),
        ("object", "/object", "object.member"),
        ("instructor", "/context/instructor", "context.instructor.member"),
        ("team", "/context/team", "context.team.member"),
        ("substatement actor", "/object", "object.actor.member"),
    ] {
        let build = |group: Value| {
            if position == "substatement actor" {
                let mut s = sub_statement();
                s["actor"] = group;
                stmt([set(pointer, s)])
            } else {
                stmt([set(pointer, group)])
            }
        };
        t.bad(
            &format!("{position}: anonymous Group without member"),
            build(json!({"objectType": "Group", "name": "g"})),
            path,
        );
        t.bad(
            &format!("{position}: anonymous Group with no members"),
            build(json!({"objectType": "Group", "member": []})),
            path,
        );
        t.bad(
            &format!("{position}: member is an object"),
            build(json!({"objectType": "Group", "member": {"mbox": "mailto:a@example.com"}})),
            path,
        );
        t.bad(
            &format!("{position}: member is a string"),
            build(json!({"objectType": "Group", "member": "mailto:a@example.com"})),
            path,
        );
    }
    t.bad(
        "member is a Group",
        stmt([set(
            "/actor",
            json!({"objectType": "Group", "member": [{"objectType": "Group", "mbox": "mailto:g@example.com"}]}),
        )]),
        "actor.member[0].objectType",
    );
    t.bad(
        "identified Group member is a Group",
        stmt([set("/actor", json!({"objectType": "Group", "mbox": "mailto:t@example.com", "member": [{"mbox": "mailto:a@example.com"}, {"objectType": "Group", "member": [{"mbox": "mailto:b@example.com"}]}]}))]),
        "actor.member[1].objectType",
    );
    t.bad(
        "member without IFI",
        stmt([set(
            "/actor",
            json!({"objectType": "Group", "member": [{"mbox": "mailto:a@example.com"}, {"name": "no ifi"}]}),
        )]),
        "actor.member[1]",
    );
    t.bad(
        "member with a bad mbox",
        stmt([set("/actor", json!({"objectType": "Group", "member": [{"mbox": "a@example.com"}]}))]),
        "actor.member[0].mbox",
    );
    t.bad(
        "identified Group with two IFIs",
        stmt([set(
            "/actor",
            json!({"objectType": "Group", "mbox": "mailto:t@example.com", "openid": "http://example.com/t"}),
        )]),
        "actor",
    );
    t.bad(
        "lower-case group objectType",
        stmt([set("/actor", json!({"objectType": "group", "mbox": "mailto:t@example.com"}))]),
        "actor.objectType",
    );
    t.bad(
        "Group unknown property",
        stmt([set("/actor", json!({"objectType": "Group", "mbox": "mailto:t@example.com", "members": []}))]),
        "actor.members",
    );
    t.bad(
        "team is an Agent",
        stmt([set("/context/team", json!({"mbox": "mailto:a@example.com"}))]),
        "context.team.objectType",
    );
    t.bad(
        "team objectType Agent",
        stmt([set("/context/team", json!({"objectType": "Agent", "mbox": "mailto:a@example.com"}))]),
        "context.team.objectType",
    );
    t.bad("team is a string", stmt([set("/context/team", json!("team"))]), "context.team");
    t.run();
}

#[test]
fn authority() {
    let mut t = Table::default();
    let oauth_pair = json!([
        {"account": {"homePage": "http://example.com/xAPI/OAuth/Token", "name": "oauth_consumer_x75db"}},
        {"mbox": "mailto:bob@example.com"}
    ]);
    t.ok(
        "authority Agent",
        stmt([set("/authority", json!({"objectType": "Agent", "mbox": "mailto:admin@example.com"}))]),
    );
    t.ok(
        "authority 3-legged OAuth Group",
        stmt([set("/authority", json!({"objectType": "Group", "member": oauth_pair}))]),
    );
    t.bad(
        "authority identified Group",
        stmt([set(
            "/authority",
            json!({"objectType": "Group", "mbox": "mailto:g@example.com",
            "member": [{"mbox": "mailto:a@example.com"}, {"mbox": "mailto:b@example.com"}]}),
        )]),
        "authority",
    );
    t.bad(
        "authority Group of one",
        stmt([set("/authority", json!({"objectType": "Group", "member": [{"mbox": "mailto:a@example.com"}]}))]),
        "authority.member",
    );
    t.bad(
        "authority Group of three",
        stmt([set("/authority", json!({"objectType": "Group", "member": [{"mbox": "mailto:a@example.com"}, {"mbox": "mailto:b@example.com"}, {"mbox": "mailto:c@example.com"}]}))]),
        "authority.member",
    );
    t.bad(
        "authority anonymous Group without members",
        stmt([set("/authority", json!({"objectType": "Group"}))]),
        "authority.member",
    );
    t.bad("authority Agent without IFI", stmt([set("/authority", json!({"objectType": "Agent"}))]), "authority");
    t.bad("authority is a string", stmt([set("/authority", json!("admin"))]), "authority");
    t.bad(
        "authority member is a Group",
        stmt([set("/authority", json!({"objectType": "Group", "member": [{"objectType": "Group", "mbox": "mailto:g@example.com"}, {"mbox": "mailto:b@example.com"}]}))]),
        "authority.member[0].objectType",
    );
    t.run();
}

#[test]
fn verbs() {
    let mut t = Table::default();
    t.ok("verb without display", stmt([del("/verb/display")]));
    t.ok(
        "verb with several languages",
        stmt([set(
            "/verb/display",
            json!({"en-US": "defenestrated", "es": "defenestrado", "de": "x", "zh-Hant": "y", "sr-Cyrl": "z"}),
        )]),
    );
    t.ok("verb with an empty display", stmt([set("/verb/display", json!({}))]));
    t.ok("verb id with a fragment", stmt([set("/verb/id", json!("http://example.com/xapi/verbs#defenestrated"))]));
    t.ok("verb id with non-ASCII characters", stmt([set("/verb/id", json!("http://example.com/فعل/خواندن"))]));
    t.ok(
        "voided verb",
        stmt([
            set("/verb/id", json!(xapi::VOIDED_VERB)),
            set("/object", json!({"objectType": "StatementRef", "id": "e05aa883-acaf-40ad-bf54-02c8ce485fb0"})),
        ]),
    );
    t.bad("verb id missing", stmt([del("/verb/id")]), "verb.id");
    t.bad("verb id not an IRI", stmt([set("/verb/id", json!("ab=c://should.fail.com"))]), "verb.id");
    t.bad("verb id without a scheme", stmt([set("/verb/id", json!("adlnet.gov/expapi/verbs/completed"))]), "verb.id");
    t.bad("verb id relative", stmt([set("/verb/id", json!("/verbs/completed"))]), "verb.id");
    t.bad("verb id empty", stmt([set("/verb/id", json!(""))]), "verb.id");
    t.bad("verb id with a space", stmt([set("/verb/id", json!("http://example.com/verbs/com pleted"))]), "verb.id");
    t.bad("verb id a number", stmt([set("/verb/id", json!(42))]), "verb.id");
    t.bad("verb display numeric", stmt([set("/verb/display", json!(12345))]), "verb.display");
    t.bad("verb display string", stmt([set("/verb/display", json!("a12345 attended"))]), "verb.display");
    t.bad(
        "verb display invalid tag",
        stmt([set("/verb/display", json!({"a12345": "attended"}))]),
        "verb.display.a12345",
    );
    t.bad("verb display value not a string", stmt([set("/verb/display", json!({"en-US": 1}))]), "verb.display.en-US");
    t.bad("verb display value null", stmt([set("/verb/display", json!({"en-US": null}))]), "verb.display.en-US");
    t.bad("verb unknown property", stmt([set("/verb/name", json!({"en-US": "completed"}))]), "verb.name");
    t.bad("verb is a string", stmt([set("/verb", json!("http://adlnet.gov/expapi/verbs/completed"))]), "verb");
    t.bad(
        "voided verb with an Activity object",
        stmt([set("/verb/id", json!(xapi::VOIDED_VERB))]),
        "object.objectType",
    );
    t.bad(
        "voided verb with a SubStatement object",
        stmt([set("/verb/id", json!(xapi::VOIDED_VERB)), set("/object", sub_statement())]),
        "object.objectType",
    );
    t.run();
}

#[test]
fn language_tags() {
    let mut t = Table::default();
    for tag in [
        "de",
        "de-DE",
        "zh-Hant",
        "sr-Latn-RS",
        "cmn",
        "es-419",
        "zh-Hans-CN",
        "ase",
        "ja",
        "fr-CA",
        "es-MX",
        "en-GB-oed",
        "i-klingon",
        "x-private",
        "de-CH-1901",
        "sl-rozaj-biske",
        "en-a-bbb-x-ccc",
        "EN-us",
    ] {
        t.ok(&format!("display tag {tag}"), stmt([set("/verb/display", json!({tag: "x"}))]));
        t.ok(&format!("context.language {tag}"), stmt([set("/context/language", json!(tag))]));
    }
    for tag in [
        "a12345",
        "a12345678",
        "something",
        "e",
        "en-",
        "en--US",
        "en_US",
        "zh-z-aaa-z-bbb-c-ccc",
        "de-1901-1901",
        "123",
        "en-a",
        "x",
        "",
    ] {
        t.bad(
            &format!("display tag {tag:?}"),
            stmt([set("/verb/display", json!({tag: "x"}))]),
            format!("verb.display.{tag}"),
        );
        t.bad(&format!("context.language {tag:?}"), stmt([set("/context/language", json!(tag))]), "context.language");
    }
    t.bad("context.language number", stmt([set("/context/language", json!(12345))]), "context.language");
    t.bad("context.language object", stmt([set("/context/language", json!({"en": "English"}))]), "context.language");
    t.run();
}

#[test]
fn activities() {
    let mut t = Table::default();
    t.ok("Activity without objectType", stmt([del("/object/objectType")]));
    t.ok("Activity without definition", stmt([del("/object/definition")]));
    t.ok("Activity with an empty definition", stmt([set("/object/definition", json!({}))]));
    t.ok("Activity id with an unusual scheme", stmt([set("/object/id", json!("course-v1:FUN-MOOC+00002+session01"))]));
    t.ok("Activity id uuid scheme", stmt([set("/object/id", json!("uuid://7d4f3c70-1e79-4243-9b7d-166076ce8bfb"))]));
    t.ok("full definition", stmt([set("/object/definition", json!({
        "name": {"en-US": "Example", "de": "Beispiel"}, "description": {"en-US": "An example"},
        "type": "http://adlnet.gov/expapi/activities/course", "moreInfo": "https://example.com/course/info",
        "extensions": {"http://example.com/ext": null, "http://example.com/ext2": "", "http://example.com/ext3": {}}
    }))]));
    t.bad("Activity id missing", stmt([del("/object/id")]), "object.id");
    t.bad("Activity id not an IRI", stmt([set("/object/id", json!("ab=c://should.fail.com"))]), "object.id");
    t.bad("Activity id an IRI fragment", stmt([set("/object/id", json!("#activity"))]), "object.id");
    t.bad("Activity id a number", stmt([set("/object/id", json!(12345))]), "object.id");
    t.bad("Activity objectType lower case", stmt([set("/object/objectType", json!("activity"))]), "object.objectType");
    for bad in ["agent", "group", "statementref", "substatement", "Statement", ""] {
        t.bad(
            &format!("object objectType {bad:?}"),
            stmt([set("/object/objectType", json!(bad))]),
            "object.objectType",
        );
    }
    t.bad("object objectType a number", stmt([set("/object/objectType", json!(1))]), "object.objectType");
    t.bad("Activity unknown property", stmt([set("/object/name", json!("x"))]), "object.name");
    t.bad("definition a string", stmt([set("/object/definition", json!("should error"))]), "object.definition");
    t.bad("definition name a number", stmt([set("/object/definition/name", json!(12345))]), "object.definition.name");
    t.bad(
        "definition name a string",
        stmt([set("/object/definition/name", json!("should error"))]),
        "object.definition.name",
    );
    t.bad(
        "definition name bad tag",
        stmt([set("/object/definition/name", json!({"a12345678": "x"}))]),
        "object.definition.name.a12345678",
    );
    t.bad(
        "definition description a string",
        stmt([set("/object/definition/description", json!("x"))]),
        "object.definition.description",
    );
    t.bad(
        "definition description bad tag",
        stmt([set("/object/definition/description", json!({"something": "x"}))]),
        "object.definition.description.something",
    );
    t.bad(
        "definition type not an IRI",
        stmt([set("/object/definition/type", json!("course"))]),
        "object.definition.type",
    );
    t.bad(
        "definition moreInfo not an IRL",
        stmt([set("/object/definition/moreInfo", json!("ab=c://should.fail.com"))]),
        "object.definition.moreInfo",
    );
    t.bad(
        "definition extensions a string",
        stmt([set("/object/definition/extensions", json!("should error"))]),
        "object.definition.extensions",
    );
    t.bad(
        "definition extensions an IRI string",
        stmt([set("/object/definition/extensions", json!("http://example.com"))]),
        "object.definition.extensions",
    );
    t.bad(
        "definition extension key not an IRI",
        stmt([set("/object/definition/extensions", json!({"should fail": true}))]),
        "object.definition.extensions.should fail",
    );
    t.bad("definition unknown property", stmt([set("/object/definition/foo", json!(1))]), "object.definition.foo");
    t.bad(
        "definition property with the wrong case",
        stmt([set("/object/definition/moreinfo", json!("http://example.com"))]),
        "object.definition.moreinfo",
    );
    t.run();
}

#[test]
fn interactions() {
    let mut t = Table::default();
    let choices = json!([{"id": "golf", "description": {"en-US": "Golf Example"}}, {"id": "facebook", "description": {"en-US": "Facebook App"}}]);
    let scale = json!([{"id": "likert_0", "description": {"en-US": "It's OK"}}, {"id": "likert_1"}]);
    let source = json!([{"id": "ben", "description": {"en-US": "Ben"}}, {"id": "chris"}]);
    let target = json!([{"id": "1", "description": {"en-US": "Swift"}}, {"id": "2"}]);
    let steps = json!([{"id": "pong", "description": {"en-US": "Net pong"}}, {"id": "dg"}]);
    let definition = |it: &str, extra: Value| {
        let mut d = json!({"type": "http://adlnet.gov/expapi/activities/cmi.interaction", "interactionType": it,
            "correctResponsesPattern": ["pattern"]});
        if let (Value::Object(m), Value::Object(e)) = (&mut d, extra) {
            m.extend(e);
        }
        stmt([set("/object/definition", d)])
    };
    t.ok("true-false", definition("true-false", json!({"correctResponsesPattern": ["true"]})));
    t.ok("choice", definition("choice", json!({"choices": choices.clone()})));
    t.ok(
        "fill-in",
        definition("fill-in", json!({"correctResponsesPattern": ["{case_matters=false}Bob's your uncle"]})),
    );
    t.ok("long-fill-in", definition("long-fill-in", json!({})));
    t.ok("matching", definition("matching", json!({"source": source.clone(), "target": target.clone(), "correctResponsesPattern": ["ben[.]3[,]chris[.]2"]})));
    t.ok(
        "matching with ids shared between source and target",
        definition("matching", json!({"source": [{"id": "a"}], "target": [{"id": "a"}]})),
    );
    t.ok("performance", definition("performance", json!({"steps": steps.clone()})));
    t.ok("sequencing", definition("sequencing", json!({"choices": choices.clone()})));
    t.ok("likert", definition("likert", json!({"scale": scale.clone()})));
    t.ok("numeric", definition("numeric", json!({"correctResponsesPattern": ["4[:]"]})));
    t.ok("other", definition("other", json!({"correctResponsesPattern": ["(35.937432,-86.868896)"]})));
    t.ok("empty correctResponsesPattern", definition("choice", json!({"correctResponsesPattern": []})));
    t.ok("empty component list", definition("choice", json!({"choices": []})));
    for wrong in [
        "true-faLse",
        "choiCe",
        "fill-iN",
        "long-fiLl-in",
        "matchIng",
        "perfOrmance",
        "seqUencing",
        "liKert",
        "nUmeric",
        "Other",
        "should error",
        "http://example.com/choice",
        "multiple-choice",
    ] {
        t.bad(&format!("interactionType {wrong}"), definition(wrong, json!({})), "object.definition.interactionType");
    }
    t.bad(
        "interactionType a number",
        definition("x", json!({"interactionType": 12345})),
        "object.definition.interactionType",
    );
    t.bad(
        "interactionType an object",
        definition("x", json!({"interactionType": {"something": "value"}})),
        "object.definition.interactionType",
    );
    let without_type = |extra: Value| {
        let mut d = json!({"type": "http://adlnet.gov/expapi/activities/cmi.interaction"});
        if let (Value::Object(m), Value::Object(e)) = (&mut d, extra) {
            m.extend(e);
        }
        stmt([set("/object/definition", d)])
    };
    t.bad(
        "correctResponsesPattern without interactionType",
        without_type(json!({"correctResponsesPattern": ["true"]})),
        "object.definition.correctResponsesPattern",
    );
    for list in ["choices", "scale", "source", "target", "steps"] {
        t.bad(
            &format!("{list} without interactionType"),
            without_type(json!({list: [{"id": "a"}]})),
            format!("object.definition.{list}"),
        );
    }
    for (it, list) in [
        ("true-false", "choices"),
        ("choice", "scale"),
        ("likert", "choices"),
        ("matching", "steps"),
        ("performance", "source"),
        ("sequencing", "target"),
        ("fill-in", "choices"),
        ("numeric", "scale"),
        ("other", "steps"),
    ] {
        t.bad(
            &format!("{list} not allowed for {it}"),
            definition(it, json!({list: [{"id": "a"}]})),
            format!("object.definition.{list}"),
        );
    }
    t.bad(
        "correctResponsesPattern a string",
        definition("true-false", json!({"correctResponsesPattern": "true"})),
        "object.definition.correctResponsesPattern",
    );
    t.bad(
        "correctResponsesPattern with a number",
        definition("numeric", json!({"correctResponsesPattern": ["1", 2]})),
        "object.definition.correctResponsesPattern[1]",
    );
    t.bad(
        "correctResponsesPattern with null",
        definition("numeric", json!({"correctResponsesPattern": [null]})),
        "object.definition.correctResponsesPattern[0]",
    );
    t.bad("choices an object", definition("choice", json!({"choices": {"id": "a"}})), "object.definition.choices");
    t.bad(
        "component without id",
        definition("choice", json!({"choices": [{"description": {"en-US": "x"}}]})),
        "object.definition.choices[0].id",
    );
    t.bad(
        "component id a number",
        definition("likert", json!({"scale": [{"id": 1}]})),
        "object.definition.scale[0].id",
    );
    t.bad(
        "duplicate component ids",
        definition("choice", json!({"choices": [{"id": "a"}, {"id": "b"}, {"id": "a"}]})),
        "object.definition.choices[2].id",
    );
    t.bad(
        "component description bad tag",
        definition("performance", json!({"steps": [{"id": "a", "description": {"a12345": "x"}}]})),
        "object.definition.steps[0].description.a12345",
    );
    t.bad(
        "component description a string",
        definition("matching", json!({"source": [{"id": "a", "description": "x"}]})),
        "object.definition.source[0].description",
    );
    t.bad(
        "component unknown property",
        definition("matching", json!({"target": [{"id": "a", "name": "x"}]})),
        "object.definition.target[0].name",
    );
    t.bad("component a string", definition("sequencing", json!({"choices": ["a"]})), "object.definition.choices[0]");
    t.run();
}

#[test]
fn agent_group_statementref_objects() {
    let mut t = Table::default();
    t.ok(
        "StatementRef",
        stmt([set("/object", json!({"objectType": "StatementRef", "id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0"}))]),
    );
    t.bad(
        "Agent object without objectType",
        stmt([set("/object", json!({"mbox": "mailto:a@example.com"}))]),
        "object.mbox",
    );
    t.bad(
        "Group object without objectType",
        stmt([set("/object", json!({"member": [{"mbox": "mailto:a@example.com"}]}))]),
        "object.member",
    );
    t.bad(
        "Agent object with a bad account",
        stmt([set("/object", json!({"objectType": "Agent", "account": {"homePage": "nope", "name": "n"}}))]),
        "object.account.homePage",
    );
    t.bad(
        "Agent object with an Activity property",
        stmt([set("/object", json!({"objectType": "Agent", "mbox": "mailto:a@example.com", "definition": {}}))]),
        "object.definition",
    );
    t.bad("StatementRef without id", stmt([set("/object", json!({"objectType": "StatementRef"}))]), "object.id");
    t.bad(
        "StatementRef id an IRI",
        stmt([set("/object", json!({"objectType": "StatementRef", "id": "http://example.com/statement"}))]),
        "object.id",
    );
    t.bad(
        "StatementRef with a definition",
        stmt([set(
            "/object",
            json!({"objectType": "StatementRef", "id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0", "definition": {}}),
        )]),
        "object.definition",
    );
    t.bad(
        "StatementRef objectType lower case",
        stmt([set("/object", json!({"objectType": "statementRef", "id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0"}))]),
        "object.objectType",
    );
    t.run();
}

#[test]
fn sub_statements() {
    let mut t = Table::default();
    let with = |edits: Vec<(&str, Value)>| {
        let mut s = sub_statement();
        for (k, v) in edits {
            s[k] = v;
        }
        stmt([set("/object", s)])
    };
    t.ok("SubStatement", with(vec![]));
    t.ok(
        "SubStatement with result, context, timestamp, attachments",
        with(vec![
            ("result", json!({"success": true, "duration": "PT1H0M0.1S"})),
            (
                "context",
                json!({"registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7", "revision": "1", "platform": "web",
            "contextActivities": {"parent": activity("http://example.com/p")}}),
            ),
            ("timestamp", json!("2099-01-01T00:00:00Z")),
            ("attachments", json!([attachment()])),
        ]),
    );
    t.ok(
        "SubStatement with an Agent object",
        with(vec![("object", json!({"objectType": "Agent", "mbox": "mailto:a@example.com"}))]),
    );
    t.ok(
        "SubStatement with a Group object",
        with(vec![("object", json!({"objectType": "Group", "member": [{"mbox": "mailto:a@example.com"}]}))]),
    );
    t.ok(
        "SubStatement with a StatementRef object",
        with(vec![("object", json!({"objectType": "StatementRef", "id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0"}))]),
    );
    t.ok(
        "SubStatement with a Group actor",
        with(vec![("actor", json!({"objectType": "Group", "mbox": "mailto:t@example.com"}))]),
    );
    for key in ["id", "stored", "version", "authority"] {
        let value = match key {
            "id" => json!("9dc99b37-e920-4a68-a066-917faca28949"),
            "stored" => json!("2024-01-02T03:04:05.678Z"),
            "version" => json!("1.0.0"),
            _ => json!({"mbox": "mailto:admin@example.com"}),
        };
        t.bad(&format!("SubStatement with {key}"), with(vec![(key, value)]), format!("object.{key}"));
    }
    t.bad("nested SubStatement", with(vec![("object", sub_statement())]), "object.object.objectType");
    t.bad("SubStatement without actor", stmt([set("/object", sub_statement()), del("/object/actor")]), "object.actor");
    t.bad("SubStatement without verb", stmt([set("/object", sub_statement()), del("/object/verb")]), "object.verb");
    t.bad(
        "SubStatement without object",
        stmt([set("/object", sub_statement()), del("/object/object")]),
        "object.object",
    );
    t.bad("SubStatement objectType lower case", with(vec![("objectType", json!("substatement"))]), "object.objectType");
    t.bad("SubStatement unknown property", with(vec![("foo", json!(1))]), "object.foo");
    t.bad("SubStatement bad timestamp", with(vec![("timestamp", json!("should fail"))]), "object.timestamp");
    t.bad(
        "SubStatement -00:00 timestamp",
        with(vec![("timestamp", json!("2008-09-15T15:53:00.601-00:00"))]),
        "object.timestamp",
    );
    t.bad("SubStatement bad verb", with(vec![("verb", json!({"id": "ab=c://should.fail.com"}))]), "object.verb.id");
    t.bad(
        "SubStatement object Activity without id",
        with(vec![("object", json!({"objectType": "Activity"}))]),
        "object.object.id",
    );
    t.bad(
        "SubStatement Agent object without objectType",
        with(vec![("object", json!({"mbox": "mailto:a@example.com"}))]),
        "object.object.mbox",
    );
    t.bad(
        "SubStatement context revision with Agent object",
        with(vec![
            ("object", json!({"objectType": "Agent", "mbox": "mailto:a@example.com"})),
            ("context", json!({"revision": "1"})),
        ]),
        "object.context.revision",
    );
    t.bad(
        "SubStatement context platform with StatementRef object",
        with(vec![
            ("object", json!({"objectType": "StatementRef", "id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0"})),
            ("context", json!({"platform": "web"})),
        ]),
        "object.context.platform",
    );
    t.bad(
        "SubStatement result scaled out of range",
        with(vec![("result", json!({"score": {"scaled": -1.00001}}))]),
        "object.result.score.scaled",
    );
    t.bad("SubStatement attachment without sha2", with(vec![("attachments", json!([{"usageType": "http://example.com/u", "display": {"en": "x"}, "contentType": "text/plain", "length": 1}]))]), "object.attachments[0].sha2");
    t.run();
}

#[test]
fn results() {
    let mut t = Table::default();
    for d in [
        "PT4H35M59.14S",
        "P16559.14S",
        "PT16559.14S",
        "P3Y1M29DT4H35M59.14S",
        "P3Y",
        "P4W",
        "PT1H0M0.1S",
        "P1DT12H36M0.12567S",
        "PT0S",
    ] {
        t.ok(&format!("duration {d}"), stmt([set("/result/duration", json!(d))]));
    }
    for d in [
        "P4W1D",
        "PA1H0M0S",
        "should fail",
        "PT",
        "P",
        "4H",
        "P1H",
        "PT1D",
        "P0003-01-29T04:35:59",
        "P1.5Y2M",
        "-PT1S",
        "",
    ] {
        t.bad(&format!("duration {d:?}"), stmt([set("/result/duration", json!(d))]), "result.duration");
    }
    t.bad("duration a number", stmt([set("/result/duration", json!(12345))]), "result.duration");
    t.bad("duration an object", stmt([set("/result/duration", json!({"key": "invalid"}))]), "result.duration");
    t.ok("scaled decimal", stmt([set("/result/score", json!({"scaled": 0.6767676}))]));
    t.ok("scaled 1.0", stmt([set("/result/score", json!({"scaled": 1.0}))]));
    t.ok("scaled -1", stmt([set("/result/score", json!({"scaled": -1}))]));
    t.ok("raw without bounds", stmt([set("/result/score", json!({"raw": 100.6767676}))]));
    t.ok("raw at min and max", stmt([set("/result/score", json!({"raw": 5, "min": 5, "max": 5}))]));
    t.ok("raw negative within bounds", stmt([set("/result/score", json!({"raw": -3.5, "min": -10, "max": 0}))]));
    t.ok("empty score", stmt([set("/result/score", json!({}))]));
    t.ok("empty result", stmt([set("/result", json!({}))]));
    t.bad("scaled 1.01", stmt([set("/result/score", json!({"scaled": 1.01}))]), "result.score.scaled");
    t.bad("scaled -1.00001", stmt([set("/result/score", json!({"scaled": -1.00001}))]), "result.score.scaled");
    t.bad("scaled a string", stmt([set("/result/score", json!({"scaled": "0.5"}))]), "result.score.scaled");
    t.bad("raw a string", stmt([set("/result/score", json!({"raw": "95"}))]), "result.score.raw");
    t.bad(
        "raw greater than max",
        stmt([set("/result/score", json!({"raw": 0.6767676, "max": 0.6567676}))]),
        "result.score.raw",
    );
    t.bad(
        "raw less than min",
        stmt([set("/result/score", json!({"raw": 0.6767676, "min": 1.4067676}))]),
        "result.score.raw",
    );
    t.bad("min greater than max", stmt([set("/result/score", json!({"min": 10, "max": 1}))]), "result.score.min");
    t.bad("min a boolean", stmt([set("/result/score", json!({"min": true}))]), "result.score.min");
    t.bad("max null", stmt([set("/result/score", json!({"max": null}))]), "result.score.max");
    t.bad("score unknown property", stmt([set("/result/score", json!({"percent": 50}))]), "result.score.percent");
    t.bad("score a number", stmt([set("/result/score", json!(12345))]), "result.score");
    t.bad("score a string", stmt([set("/result/score", json!("should fail"))]), "result.score");
    t.bad("success \"true\"", stmt([set("/result/success", json!("true"))]), "result.success");
    t.bad("success \"false\"", stmt([set("/result/success", json!("false"))]), "result.success");
    t.bad("success 1", stmt([set("/result/success", json!(1))]), "result.success");
    t.bad("completion \"true\"", stmt([set("/result/completion", json!("true"))]), "result.completion");
    t.bad("completion null", stmt([set("/result/completion", Value::Null)]), "result.completion");
    t.bad("response a number", stmt([set("/result/response", json!(12345))]), "result.response");
    t.bad("response an object", stmt([set("/result/response", json!({"key": "invalid"}))]), "result.response");
    t.bad("response null", stmt([set("/result/response", Value::Null)]), "result.response");
    t.bad("extensions a number", stmt([set("/result/extensions", json!(12345))]), "result.extensions");
    t.bad("extensions a string", stmt([set("/result/extensions", json!("should fail"))]), "result.extensions");
    t.bad(
        "extension key not an IRI",
        stmt([set("/result/extensions", json!({"should fail": true}))]),
        "result.extensions.should fail",
    );
    t.bad("result unknown property", stmt([set("/result/passed", json!(true))]), "result.passed");
    t.run();
}

#[test]
fn extensions_values_are_free() {
    let mut t = Table::default();
    for (name, value) in [
        ("null", Value::Null),
        ("empty string", json!("")),
        ("empty object", json!({})),
        ("boolean", json!(true)),
        ("number", json!(12345)),
        ("object", json!({"key": "valid"})),
        ("string", json!("valid")),
        ("array", json!([null, {}])),
    ] {
        t.ok(
            &format!("activity extension value {name}"),
            stmt([set("/object/definition/extensions", json!({"http://example.com/ex": value.clone()}))]),
        );
        t.ok(
            &format!("result extension value {name}"),
            stmt([set("/result/extensions", json!({"http://example.com/ex": value.clone()}))]),
        );
        t.ok(
            &format!("context extension value {name}"),
            stmt([set("/context/extensions", json!({"http://example.com/ex": value}))]),
        );
    }
    t.ok(
        "empty extensions",
        stmt([
            set("/object/definition/extensions", json!({})),
            set("/result/extensions", json!({})),
            set("/context/extensions", json!({})),
        ]),
    );
    t.bad("extensions null", stmt([set("/context/extensions", Value::Null)]), "context.extensions");
    t.run();
}

#[test]
fn contexts() {
    let mut t = Table::default();
    t.ok("empty context", stmt([set("/context", json!({}))]));
    t.ok(
        "context instructor Group",
        stmt([set("/context/instructor", json!({"objectType": "Group", "mbox": "mailto:teachers@example.com"}))]),
    );
    t.ok(
        "revision and platform with an Activity object without objectType",
        stmt([
            del("/object/objectType"),
            set("/context/revision", json!("2")),
            set("/context/platform", json!("Example virtual meeting software")),
        ]),
    );
    t.ok(
        "context statement",
        stmt([set(
            "/context/statement",
            json!({"objectType": "StatementRef", "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"}),
        )]),
    );
    t.bad(
        "registration an object",
        stmt([set("/context/registration", json!({"key": "should fail"}))]),
        "context.registration",
    );
    t.bad(
        "registration a non-UUID string",
        stmt([set("/context/registration", json!("should fail"))]),
        "context.registration",
    );
    t.bad(
        "instructor an object without IFI",
        stmt([set("/context/instructor", json!({"key": "should fail"}))]),
        "context.instructor.key",
    );
    t.bad("instructor a string", stmt([set("/context/instructor", json!("should fail"))]), "context.instructor");
    t.bad(
        "instructor anonymous Group without member",
        stmt([set("/context/instructor", json!({"objectType": "Group"}))]),
        "context.instructor.member",
    );
    for (object_name, object) in [
        ("Agent", json!({"objectType": "Agent", "mbox": "mailto:a@example.com"})),
        ("Group", json!({"objectType": "Group", "mbox": "mailto:g@example.com"})),
        ("StatementRef", json!({"objectType": "StatementRef", "id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0"})),
        ("SubStatement", sub_statement()),
    ] {
        for key in ["revision", "platform"] {
            t.bad(
                &format!("{key} with a {object_name} object"),
                stmt([set("/object", object.clone()), set(&format!("/context/{key}"), json!("x"))]),
                format!("context.{key}"),
            );
        }
    }
    t.bad("revision a number", stmt([set("/context/revision", json!(12345))]), "context.revision");
    t.bad("revision an object", stmt([set("/context/revision", json!({"key": "should fail"}))]), "context.revision");
    t.bad("platform a number", stmt([set("/context/platform", json!(12345))]), "context.platform");
    t.bad(
        "statement objectType lower case",
        stmt([set(
            "/context/statement",
            json!({"objectType": "statementref", "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"}),
        )]),
        "context.statement.objectType",
    );
    t.bad(
        "statement without objectType",
        stmt([set("/context/statement", json!({"id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"}))]),
        "context.statement.objectType",
    );
    t.bad(
        "statement an Activity",
        stmt([set("/context/statement", activity("http://example.com/a"))]),
        "context.statement.objectType",
    );
    t.bad(
        "statement a string",
        stmt([set("/context/statement", json!("6690e6c9-3ef0-4ed3-8b37-7f3964730bee"))]),
        "context.statement",
    );
    t.bad(
        "context extensions key not an IRI",
        stmt([set("/context/extensions", json!({"should fail": 1}))]),
        "context.extensions.should fail",
    );
    t.bad("context unknown property", stmt([set("/context/location", json!("x"))]), "context.location");
    t.bad(
        "context property with the wrong case",
        stmt([set("/context/Registration", json!("ec531277-b57b-4c15-8d91-d292c5b2b8f7"))]),
        "context.Registration",
    );
    t.run();
}

#[test]
fn context_activities() {
    let mut t = Table::default();
    for key in ["parent", "grouping", "category", "other"] {
        t.ok(
            &format!("{key} array"),
            stmt([set(&format!("/context/contextActivities/{key}"), json!([activity("http://example.com/a")]))]),
        );
        t.ok(
            &format!("{key} single Activity"),
            stmt([set(&format!("/context/contextActivities/{key}"), activity("http://example.com/a"))]),
        );
        t.ok(&format!("{key} empty array"), stmt([set(&format!("/context/contextActivities/{key}"), json!([]))]));
        t.bad(
            &format!("{key} array with an invalid object"),
            stmt([set(
                &format!("/context/contextActivities/{key}"),
                json!([activity("http://example.com/a"), {"key": "should fail"}]),
            )]),
            format!("context.contextActivities.{key}[1].key"),
        );
        t.bad(
            &format!("{key} Activity without id"),
            stmt([set(&format!("/context/contextActivities/{key}"), json!([{"objectType": "Activity"}]))]),
            format!("context.contextActivities.{key}[0].id"),
        );
        t.bad(
            &format!("{key} single Activity with a bad id"),
            stmt([set(&format!("/context/contextActivities/{key}"), json!({"id": "not an iri"}))]),
            format!("context.contextActivities.{key}.id"),
        );
        t.bad(
            &format!("{key} a string"),
            stmt([set(&format!("/context/contextActivities/{key}"), json!("http://example.com/a"))]),
            format!("context.contextActivities.{key}"),
        );
    }
    t.ok(
        "all four keys",
        stmt([set(
            "/context/contextActivities",
            json!({
        "parent": [activity("http://example.com/p")], "grouping": [activity("http://example.com/g")],
        "category": [{"id": "https://w3id.org/xapi/video"}], "other": [activity("http://example.com/o")]}),
        )]),
    );
    t.ok("empty contextActivities", stmt([set("/context/contextActivities", json!({}))]));
    t.ok(
        "contextActivities with an Agent object",
        stmt([
            set("/object", json!({"objectType": "Agent", "mbox": "mailto:a@example.com"})),
            set("/context/contextActivities/grouping", json!([activity("http://example.com/Algebra1")])),
        ]),
    );
    t.bad(
        "contextActivities a string",
        stmt([set("/context/contextActivities", json!("should fail"))]),
        "context.contextActivities",
    );
    t.bad(
        "contextActivities unknown key",
        stmt([set("/context/contextActivities/parents", json!([activity("http://example.com/a")]))]),
        "context.contextActivities.parents",
    );
    t.bad(
        "contextActivities key with the wrong case",
        stmt([set("/context/contextActivities/Parent", json!([activity("http://example.com/a")]))]),
        "context.contextActivities.Parent",
    );
    t.bad(
        "context Activity objectType Agent",
        stmt([set(
            "/context/contextActivities/parent",
            json!([{"objectType": "Agent", "id": "http://example.com/a"}]),
        )]),
        "context.contextActivities.parent[0].objectType",
    );
    t.bad(
        "context Activity bad definition",
        stmt([set(
            "/context/contextActivities/parent",
            json!([{"id": "http://example.com/a", "definition": {"type": "course"}}]),
        )]),
        "context.contextActivities.parent[0].definition.type",
    );
    t.bad(
        "context Activity null",
        stmt([set("/context/contextActivities/other", json!([null]))]),
        "context.contextActivities.other[0]",
    );
    t.run();
}

#[test]
fn context_agents_and_groups() {
    let mut t = Table::default();
    let agents = json!([{"objectType": "contextAgent", "agent": {"objectType": "Agent", "mbox": "mailto:player-1@example.com"},
        "relevantTypes": ["https://example.com/xapi/american-footbal/activity-types/personnel/player"]}]);
    let groups = json!([{"objectType": "contextGroup", "group": {"objectType": "Group", "mbox": "mailto:team-1@example.com",
        "member": [{"objectType": "Agent", "mbox": "mailto:player-1@example.com"}]},
        "relevantTypes": ["https://example.com/xapi/american-footbal/activity-types/team/a"]}]);
    t.ok_in(V2_ONLY, "contextAgents", stmt([set("/context/contextAgents", agents.clone())]));
    t.ok_in(V2_ONLY, "contextGroups", stmt([set("/context/contextGroups", groups.clone())]));
    t.ok_in(
        V2_ONLY,
        "contextAgent without relevantTypes",
        stmt([set(
            "/context/contextAgents",
            json!([{"objectType": "contextAgent", "agent": {"mbox": "mailto:a@example.com"}}]),
        )]),
    );
    t.ok_in(V2_ONLY, "contextGroup with an anonymous Group", stmt([set("/context/contextGroups", json!([{"objectType": "contextGroup", "group": {"objectType": "Group", "member": [{"mbox": "mailto:a@example.com"}]}}]))]));
    t.ok_in(
        V2_ONLY,
        "SubStatement contextAgents",
        stmt([set("/object", sub_statement()), set("/object/context/contextAgents", agents.clone())]),
    );
    t.bad_in(
        V1_ONLY,
        "contextAgents in 1.0.3",
        stmt([set("/context/contextAgents", agents.clone())]),
        "context.contextAgents",
    );
    t.bad_in(
        V1_ONLY,
        "contextGroups in 1.0.3",
        stmt([set("/context/contextGroups", groups.clone())]),
        "context.contextGroups",
    );
    t.bad_in(
        V2_ONLY,
        "contextAgents an object",
        stmt([set("/context/contextAgents", agents[0].clone())]),
        "context.contextAgents",
    );
    t.bad_in(
        V2_ONLY,
        "contextAgent objectType wrong",
        stmt([
            set("/context/contextAgents", agents.clone()),
            set("/context/contextAgents/0/objectType", json!("Should fail")),
        ]),
        "context.contextAgents[0].objectType",
    );
    t.bad_in(
        V2_ONLY,
        "contextAgent objectType missing",
        stmt([set("/context/contextAgents", agents.clone()), del("/context/contextAgents/0/objectType")]),
        "context.contextAgents[0].objectType",
    );
    t.bad_in(
        V2_ONLY,
        "contextAgent agent invalid",
        stmt([
            set("/context/contextAgents", agents.clone()),
            set("/context/contextAgents/0/agent", json!({"key": "Should fail"})),
        ]),
        "context.contextAgents[0].agent.key",
    );
    t.bad_in(
        V2_ONLY,
        "contextAgent agent is a Group",
        stmt([
            set("/context/contextAgents", agents.clone()),
            set("/context/contextAgents/0/agent", json!({"objectType": "Group", "mbox": "mailto:g@example.com"})),
        ]),
        "context.contextAgents[0].agent.objectType",
    );
    t.bad_in(
        V2_ONLY,
        "contextAgent agent missing",
        stmt([set("/context/contextAgents", agents.clone()), del("/context/contextAgents/0/agent")]),
        "context.contextAgents[0].agent",
    );
    t.bad_in(
        V2_ONLY,
        "contextAgent relevantTypes empty",
        stmt([set("/context/contextAgents", agents.clone()), set("/context/contextAgents/0/relevantTypes", json!([]))]),
        "context.contextAgents[0].relevantTypes",
    );
    t.bad_in(
        V2_ONLY,
        "contextAgent relevantTypes not IRIs",
        stmt([
            set("/context/contextAgents", agents.clone()),
            set("/context/contextAgents/0/relevantTypes", json!(["abc"])),
        ]),
        "context.contextAgents[0].relevantTypes[0]",
    );
    t.bad_in(
        V2_ONLY,
        "contextAgent relevantTypes a string",
        stmt([
            set("/context/contextAgents", agents.clone()),
            set("/context/contextAgents/0/relevantTypes", json!("http://example.com/t")),
        ]),
        "context.contextAgents[0].relevantTypes",
    );
    t.bad_in(
        V2_ONLY,
        "contextAgent unknown property",
        stmt([set("/context/contextAgents", agents.clone()), set("/context/contextAgents/0/group", json!({}))]),
        "context.contextAgents[0].group",
    );
    t.bad_in(
        V2_ONLY,
        "contextGroup objectType wrong",
        stmt([
            set("/context/contextGroups", groups.clone()),
            set("/context/contextGroups/0/objectType", json!("contextAgent")),
        ]),
        "context.contextGroups[0].objectType",
    );
    t.bad_in(
        V2_ONLY,
        "contextGroup group invalid",
        stmt([
            set("/context/contextGroups", groups.clone()),
            set("/context/contextGroups/0/group", json!({"key": "Should fail"})),
        ]),
        "context.contextGroups[0].group.objectType",
    );
    t.bad_in(
        V2_ONLY,
        "contextGroup group is an Agent",
        stmt([
            set("/context/contextGroups", groups.clone()),
            set("/context/contextGroups/0/group", json!({"objectType": "Agent", "mbox": "mailto:a@example.com"})),
        ]),
        "context.contextGroups[0].group.objectType",
    );
    t.bad_in(
        V2_ONLY,
        "contextGroup group missing",
        stmt([set("/context/contextGroups", groups.clone()), del("/context/contextGroups/0/group")]),
        "context.contextGroups[0].group",
    );
    t.bad_in(
        V2_ONLY,
        "contextGroup relevantTypes empty",
        stmt([set("/context/contextGroups", groups.clone()), set("/context/contextGroups/0/relevantTypes", json!([]))]),
        "context.contextGroups[0].relevantTypes",
    );
    t.bad_in(
        V2_ONLY,
        "contextGroup relevantTypes not IRIs",
        stmt([
            set("/context/contextGroups", groups.clone()),
            set("/context/contextGroups/0/relevantTypes", json!(["abc"])),
        ]),
        "context.contextGroups[0].relevantTypes[0]",
    );
    t.bad_in(
        V2_ONLY,
        "contextGroup with a stray member list",
        stmt([set("/context/contextGroups", groups.clone()), set("/context/contextGroups/0/member", json!([]))]),
        "context.contextGroups[0].member",
    );
    t.run();
}

#[test]
fn timestamps_and_stored() {
    let mut t = Table::default();
    for ts in [
        "2008-09-15T15:53:00.601+00:00",
        "2013-05-18T05:32:34.804Z",
        "2021-11-29T23:09:00.867219+00:00",
        "2023-05-04T12:00:00-05:00",
        "2015-11-18T12:17:00+0100",
        "2015-11-18T12:17:00+01",
        "2016-02-29T23:59:60Z",
    ] {
        t.ok(&format!("timestamp {ts}"), stmt([set("/timestamp", json!(ts))]));
        t.ok(&format!("stored {ts}"), stmt([set("/stored", json!(ts))]));
    }
    t.ok_in(
        V1_ONLY,
        "timestamp without a time zone in 1.0.3",
        stmt([set("/timestamp", json!("2008-09-15T15:53:00.601"))]),
    );
    t.bad_in(
        V2_ONLY,
        "timestamp without a time zone in 2.0",
        stmt([set("/timestamp", json!("2008-09-15T15:53:00.601"))]),
        "timestamp",
    );
    t.bad_in(
        V2_ONLY,
        "stored without a time zone in 2.0",
        stmt([set("/stored", json!("2008-09-15T15:53:00"))]),
        "stored",
    );
    for ts in [
        "01/011/2015",
        "should fail",
        "2008-09-15T15:53:00.601-00",
        "2008-09-15T15:53:00.601-0000",
        "2008-09-15T15:53:00.601-00:00",
        "2008-09-15",
        "2008-09-15 15:53:00Z",
        "2015-02-29T00:00:00Z",
        "2015-01-01T24:00:00Z",
        "2015-01-01T00:00:00+24:00",
        "2015-01-01T00:00:00.Z",
        "",
    ] {
        t.bad(&format!("timestamp {ts:?}"), stmt([set("/timestamp", json!(ts))]), "timestamp");
        t.bad(&format!("stored {ts:?}"), stmt([set("/stored", json!(ts))]), "stored");
    }
    t.bad("timestamp a number", stmt([set("/timestamp", json!(1_700_000_000))]), "timestamp");
    t.bad("timestamp null", stmt([set("/timestamp", Value::Null)]), "timestamp");
    t.run();
}

#[test]
fn versions() {
    let mut t = Table::default();
    for v in ["1.0", "1.0.0", "1.0.1", "1.0.2", "1.0.3", "1.0.9"] {
        t.ok(&format!("version {v}"), stmt([set("/version", json!(v))]));
    }
    for v in ["2.0", "2.0.0"] {
        t.ok_in(V2_ONLY, &format!("version {v} in 2.0"), stmt([set("/version", json!(v))]));
        t.bad_in(V1_ONLY, &format!("version {v} in 1.0.3"), stmt([set("/version", json!(v))]), "version");
    }
    for v in [
        json!("should fail"),
        json!("0.9.9"),
        json!("0.95"),
        json!("1.1.0"),
        json!("1"),
        json!("1.0."),
        json!("2.1.0"),
        json!("3.0.0"),
        json!(""),
        json!(1.0),
        json!(null),
    ] {
        t.bad(&format!("version {v}"), stmt([set("/version", v)]), "version");
    }
    t.run();
}

#[test]
fn attachments() {
    let mut t = Table::default();
    t.ok("attachment", stmt([set("/attachments", json!([attachment()]))]));
    t.ok("no attachments", stmt([set("/attachments", json!([]))]));
    t.ok(
        "attachment without description and fileUrl",
        stmt([
            set("/attachments", json!([attachment()])),
            del("/attachments/0/description"),
            del("/attachments/0/fileUrl"),
        ]),
    );
    t.ok(
        "attachment display in two languages",
        stmt([
            set("/attachments", json!([attachment()])),
            set("/attachments/0/display", json!({"en-US": "A test attachment", "es": "Un accesorio de prueba"})),
        ]),
    );
    t.ok(
        "signature attachment",
        stmt([
            set("/attachments", json!([attachment()])),
            set("/attachments/0/usageType", json!("http://adlnet.gov/expapi/attachments/signature")),
            set("/attachments/0/contentType", json!("application/octet-stream")),
        ]),
    );
    t.ok(
        "sha-512 attachment",
        stmt([set("/attachments", json!([attachment()])), set("/attachments/0/sha2", json!("a".repeat(128)))]),
    );
    t.bad("attachment a number", stmt([set("/attachments", json!([12345]))]), "attachments[0]");
    t.bad("attachment a string", stmt([set("/attachments", json!(["should fail"]))]), "attachments[0]");
    t.bad("attachments a string", stmt([set("/attachments", json!("should fail"))]), "attachments");
    for key in ["usageType", "display", "contentType", "length", "sha2"] {
        t.bad(
            &format!("attachment without {key}"),
            stmt([set("/attachments", json!([attachment()])), del(&format!("/attachments/0/{key}"))]),
            format!("attachments[0].{key}"),
        );
    }
    for (key, value) in [
        ("usageType", json!("should fail")),
        ("usageType", json!(12345)),
        ("display", json!(12345)),
        ("display", json!("A test attachment")),
        ("description", json!("A description")),
        ("contentType", json!(12345)),
        ("contentType", json!("text")),
        ("contentType", json!("text/plain; charset")),
        ("length", json!("should fail")),
        ("length", json!("27")),
        ("length", json!(-1)),
        ("length", json!(27.5)),
        ("sha2", json!(12345)),
        ("sha2", json!("should fail")),
        ("sha2", json!("495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848")),
        ("fileUrl", json!("should fail")),
        ("fileUrl", json!(12345)),
        ("foo", json!("bar")),
    ] {
        t.bad(
            &format!("attachment {key} {value}"),
            stmt([set("/attachments", json!([attachment()])), set(&format!("/attachments/0/{key}"), value)]),
            format!("attachments[0].{key}"),
        );
    }
    t.bad(
        "attachment display with an invalid tag",
        stmt([
            set("/attachments", json!([attachment()])),
            set("/attachments/0/display", json!({"en-US": "A test attachment", "something": "x"})),
        ]),
        "attachments[0].display.something",
    );
    t.bad(
        "attachment description with an invalid tag",
        stmt([
            set("/attachments", json!([attachment()])),
            set("/attachments/0/description", json!({"something": "x"})),
        ]),
        "attachments[0].description.something",
    );
    t.bad(
        "signature attachment with another content type",
        stmt([
            set("/attachments", json!([attachment()])),
            set("/attachments/0/usageType", json!("http://adlnet.gov/expapi/attachments/signature")),
        ]),
        "attachments[0].contentType",
    );
    t.bad(
        "second attachment invalid",
        stmt([
            set("/attachments", json!([attachment(), attachment()])),
            set("/attachments/1/fileUrl", json!("relative/file.txt")),
        ]),
        "attachments[1].fileUrl",
    );
    t.run();
}

#[test]
fn null_is_rejected_except_in_extensions() {
    let mut t = Table::default();
    for (pointer, path) in [
        ("/id", "id"),
        ("/actor/name", "actor.name"),
        ("/actor/mbox", "actor.mbox"),
        ("/verb/id", "verb.id"),
        ("/verb/display", "verb.display"),
        ("/object/id", "object.id"),
        ("/object/definition", "object.definition"),
        ("/object/definition/name", "object.definition.name"),
        ("/object/definition/type", "object.definition.type"),
        ("/context/registration", "context.registration"),
        ("/context/platform", "context.platform"),
        ("/context/contextActivities", "context.contextActivities"),
        ("/context/contextActivities/parent", "context.contextActivities.parent"),
        ("/result/score", "result.score"),
        ("/result/duration", "result.duration"),
        ("/stored", "stored"),
        ("/authority", "authority"),
        ("/version", "version"),
        ("/attachments", "attachments"),
        ("/object/objectType", "object.objectType"),
        ("/actor/objectType", "actor.objectType"),
    ] {
        t.bad(&format!("null at {pointer}"), stmt([set(pointer, Value::Null)]), path);
    }
    t.run();
}

#[test]
fn errors_render_as_path_colon_rule() {
    let s = stmt([set("/actor/mbox", json!("learner@example.com"))]);
    let e = validate::statement(&s, V1).expect_err("invalid");
    assert_eq!(e.to_string(), format!("actor.mbox: {}", e.rule));
    assert!(e.rule.contains("mailto"), "{e}");
    let s = stmt([set("/context/contextActivities/parent", json!([{"id": "nope"}]))]);
    let e = validate::statement(&s, V2).expect_err("invalid");
    assert!(e.to_string().starts_with("context.contextActivities.parent[0].id: "), "{e}");
}

#[test]
fn both_versions_accept_the_spec_examples() {
    // Examples from the specification text (Appendix A style), checked under both versions.
    let examples = [
        json!({"actor": {"objectType": "Agent", "name": "Example Admin", "mbox": "mailto:admin@example.adlnet.gov"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}},
            "object": {"objectType": "StatementRef", "id": "e05aa883-acaf-40ad-bf54-02c8ce485fb0"}}),
        json!({"actor": {"objectType": "Agent", "mbox": "mailto:test@example.com"},
            "verb": {"id": "http://example.com/commented", "display": {"en-US": "commented"}},
            "object": {"objectType": "StatementRef", "id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0"},
            "result": {"response": "Wow, nice work!"}}),
        json!({"actor": {"objectType": "Agent", "mbox": "mailto:test@example.com"},
            "verb": {"id": "http://example.com/planned", "display": {"en-US": "planned"}},
            "object": {"objectType": "SubStatement", "actor": {"objectType": "Agent", "mbox": "mailto:test@example.com"},
                "verb": {"id": "http://example.com/visited", "display": {"en-US": "will visit"}},
                "object": {"objectType": "Activity", "id": "http://example.com/website",
                    "definition": {"name": {"en-US": "Some Awesome Website"}}}}}),
        json!({"id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0", "timestamp": "2015-11-18T12:17:00+00:00",
            "actor": {"objectType": "Agent", "name": "Project Tin Can API", "mbox": "mailto:user@example.com"},
            "verb": {"id": "http://example.com/xapi/verbs#sent-a-statement", "display": {"en-US": "sent "}},
            "object": {"id": "http://example.com/xapi/activity/simplestatement",
                "definition": {"name": {"en-US": "simple statement"},
                    "description": {"en-US": "A simple Experience API statement. Note that the LRS does not need to have any prior information about the Actor (learner), the verb, or the Activity/object."}}}}),
        json!({"actor": {"name": "Team PB", "mbox": "mailto:teampb@example.com", "member": [
                {"name": "Andrew Downes", "account": {"homePage": "http://www.example.com", "name": "13936749"}, "objectType": "Agent"},
                {"name": "Toby Nichols", "openid": "http://toby.openid.example.org/", "objectType": "Agent"},
                {"name": "Ena Hills", "mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9", "objectType": "Agent"}],
                "objectType": "Group"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/attended", "display": {"en-GB": "attended", "en-US": "attended"}},
            "result": {"extensions": {"http://example.com/profiles/meetings/resultextensions/minuteslocation": "X:\\meetings\\minutes\\examplemeeting.one"},
                "success": true, "completion": true, "response": "We agreed on some example actions.", "duration": "PT1H0M0S"},
            "context": {"registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
                "contextActivities": {"parent": [{"id": "http://www.example.com/meetings/series/267", "objectType": "Activity"}],
                    "category": [{"id": "http://www.example.com/meetings/categories/teammeeting", "objectType": "Activity",
                        "definition": {"name": {"en": "team meeting"}, "description": {"en": "A category of meeting used for regular team meetings."},
                            "type": "http://example.com/expapi/activities/meetingcategory"}}],
                    "other": [{"id": "http://www.example.com/meetings/occurances/34257", "objectType": "Activity"},
                        {"id": "http://www.example.com/meetings/occurances/3425567", "objectType": "Activity"}]},
                "instructor": {"name": "Andrew Downes", "account": {"homePage": "http://www.example.com", "name": "13936749"}, "objectType": "Agent"},
                "team": {"name": "Team PB", "mbox": "mailto:teampb@example.com", "objectType": "Group"},
                "platform": "Example virtual meeting software", "language": "tlh",
                "statement": {"objectType": "StatementRef", "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"}},
            "timestamp": "2013-05-18T05:32:34.804+00:00", "stored": "2013-05-18T05:32:34.804+00:00",
            "authority": {"account": {"homePage": "http://cloud.scorm.com/", "name": "anonymous"}, "objectType": "Agent"},
            "version": "1.0.0",
            "object": {"id": "http://www.example.com/meetings/occurances/34534",
                "definition": {"extensions": {"http://example.com/profiles/meetings/activitydefinitionextensions/room": {"name": "Kilby", "id": "http://example.com/rooms/342"}},
                    "name": {"en-GB": "example meeting", "en-US": "example meeting"},
                    "description": {"en-GB": "An example meeting that happened on a specific occasion with certain people present.",
                        "en-US": "An example meeting that happened on a specific occasion with certain people present."},
                    "type": "http://adlnet.gov/expapi/activities/meeting", "moreInfo": "http://virtualmeeting.example.com/345256"},
                "objectType": "Activity"}}),
    ];
    for (i, e) in examples.iter().enumerate() {
        for v in BOTH {
            if let Err(err) = validate::statement(e, *v) {
                panic!("example {i} rejected under {v:?}: {err}");
            }
        }
    }
}
