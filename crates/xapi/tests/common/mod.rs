//! Helpers for the table-driven validation corpus: a valid base statement, JSON-pointer edits of it, and a
//! table of cases each expecting validity or an error at an exact path, per xAPI version.

#![allow(dead_code)]

use serde_json::{json, Value};
use xapi::{validate, XapiVersion};

pub const V1: XapiVersion = XapiVersion::V1_0_3;
pub const V2: XapiVersion = XapiVersion::V2_0_0;
pub const BOTH: &[XapiVersion] = &[V1, V2];

/// A valid statement using the common properties.
pub fn base() -> Value {
    json!({
        "id": "9dc99b37-e920-4a68-a066-917faca28949",
        "actor": {"objectType": "Agent", "name": "Learner", "mbox": "mailto:learner@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
        "object": {
            "objectType": "Activity",
            "id": "http://example.com/activities/course-1",
            "definition": {"name": {"en-US": "Course 1"}}
        },
        "timestamp": "2024-01-02T03:04:05.678Z"
    })
}

/// One change to the base statement: set (creating parent objects) or delete the value at a JSON pointer.
pub enum Edit {
    Set(String, Value),
    Del(String),
}

pub fn set(pointer: &str, value: Value) -> Edit {
    Edit::Set(pointer.to_string(), value)
}

pub fn del(pointer: &str) -> Edit {
    Edit::Del(pointer.to_string())
}

/// The base statement with `edits` applied in order.
pub fn stmt(edits: impl IntoIterator<Item = Edit>) -> Value {
    let mut v = base();
    for edit in edits {
        apply(&mut v, edit);
    }
    v
}

fn apply(root: &mut Value, edit: Edit) {
    let (pointer, new) = match edit {
        Edit::Set(p, v) => (p, Some(v)),
        Edit::Del(p) => (p, None),
    };
    let tokens: Vec<&str> = pointer.split('/').skip(1).collect();
    let (last, parents) = tokens.split_last().expect("pointer has a token");
    let mut at = root;
    for token in parents {
        at = match at {
            Value::Array(items) => &mut items[token.parse::<usize>().expect("index")],
            Value::Object(map) => map.entry(token.to_string()).or_insert_with(|| json!({})),
            other => panic!("cannot descend into {other}"),
        };
    }
    match (at, new) {
        (Value::Object(map), Some(v)) => {
            map.insert(last.to_string(), v);
        }
        (Value::Object(map), None) => {
            map.shift_remove(*last);
        }
        (Value::Array(items), Some(v)) => {
            let i: usize = last.parse().expect("index");
            if i == items.len() {
                items.push(v);
            } else {
                items[i] = v;
            }
        }
        (Value::Array(items), None) => {
            items.remove(last.parse::<usize>().expect("index"));
        }
        (other, _) => panic!("cannot edit {other}"),
    }
}

pub enum Expect {
    Valid,
    /// Invalid, with the error at this exact path.
    Invalid(String),
}

pub struct Case {
    pub name: String,
    pub versions: &'static [XapiVersion],
    pub statement: Value,
    pub expect: Expect,
}

#[derive(Default)]
pub struct Table {
    pub cases: Vec<Case>,
}

impl Table {
    pub fn ok(&mut self, name: &str, statement: Value) {
        self.ok_in(BOTH, name, statement);
    }

    pub fn ok_in(&mut self, versions: &'static [XapiVersion], name: &str, statement: Value) {
        self.cases.push(Case { name: name.to_string(), versions, statement, expect: Expect::Valid });
    }

    pub fn bad(&mut self, name: &str, statement: Value, path: impl Into<String>) {
        self.bad_in(BOTH, name, statement, path);
    }

    pub fn bad_in(&mut self, versions: &'static [XapiVersion], name: &str, statement: Value, path: impl Into<String>) {
        self.cases.push(Case { name: name.to_string(), versions, statement, expect: Expect::Invalid(path.into()) });
    }

    /// Runs every case under each of its versions; panics listing every mismatch.
    pub fn run(&self) -> usize {
        let mut failures = Vec::new();
        let mut checks = 0;
        for case in &self.cases {
            for &version in case.versions {
                checks += 1;
                let got = validate::statement(&case.statement, version);
                match (&case.expect, got) {
                    (Expect::Valid, Ok(())) => {}
                    (Expect::Valid, Err(e)) => {
                        failures.push(format!("{} [{version:?}]: expected valid, got `{e}`", case.name))
                    }
                    (Expect::Invalid(path), Ok(())) => {
                        failures.push(format!("{} [{version:?}]: expected an error at `{path}`, got valid", case.name))
                    }
                    (Expect::Invalid(path), Err(e)) => {
                        if e.path != *path {
                            failures
                                .push(format!("{} [{version:?}]: expected an error at `{path}`, got `{e}`", case.name));
                        } else if e.rule.is_empty() {
                            failures.push(format!("{} [{version:?}]: error at `{path}` has no rule", case.name));
                        }
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{} of {checks} checks failed:\n{}", failures.len(), failures.join("\n"));
        eprintln!("{} cases, {checks} checks passed", self.cases.len());
        checks
    }
}
