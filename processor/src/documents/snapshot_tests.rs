//! Every document command example in `schemas/examples/document-commands/` decodes from its Kafka record and
//! applies to an empty store; both are snapshotted.

use super::{apply, decode, Current};
use crate::pipeline::Record;
use lrs_common::kafka::{DOCUMENT_COMMAND_HEADER, STORE_HEADER};
use serde_json::Value;
use std::path::{Path, PathBuf};

#[test]
fn every_example_command() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas/examples/document-commands");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(!files.is_empty());
    for (offset, path) in files.iter().enumerate() {
        let example: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let record = Record {
            topic: "xapi-documents".into(),
            partition: 2,
            offset: offset as i64,
            key: None,
            payload: Some(example["body"].as_str().unwrap().as_bytes().to_vec()),
            headers: vec![
                (STORE_HEADER.into(), example["store"].as_str().unwrap().as_bytes().to_vec()),
                (DOCUMENT_COMMAND_HEADER.into(), example["command"].to_string().into_bytes()),
            ],
        };
        let incoming = decode(&record).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let applied = apply(std::slice::from_ref(&incoming), &mut Current::new(), 1_741_083_631_000);
        let stem = path.file_stem().unwrap().to_string_lossy();
        insta::assert_debug_snapshot!(format!("command-{stem}"), (incoming, applied));
    }
}

#[test]
fn undecodable_commands_say_why() {
    let record = Record { topic: "t".into(), partition: 0, offset: 0, key: None, payload: None, headers: vec![] };
    assert_eq!(decode(&record).unwrap_err().kind, "missing_header");
    let bad = Record {
        headers: vec![(STORE_HEADER.into(), b"s".to_vec()), (DOCUMENT_COMMAND_HEADER.into(), b"{".to_vec())],
        ..record
    };
    assert_eq!(decode(&bad).unwrap_err().kind, "undecodable");
}
