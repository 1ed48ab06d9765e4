//! Every example in `schemas/examples/` becomes rows, snapshotted (Snuba's schema tests are the model): a
//! change in what a statement or a request envelope becomes shows up as a reviewed snapshot diff. Refresh
//! with `INSTA_UPDATE=always cargo test -p lrs-processor` (or `cargo insta review`).

use super::transform::{to_rows, Position};
use serde_json::Value;
use std::path::{Path, PathBuf};
use xapi::envelope::{Envelope, EnvelopeAttachment, EnvelopeStatement};

const AT: Position = Position { partition: 3, offset: 41 };

fn examples(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas/examples").join(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no examples in {}", dir.display());
    files
}

fn name(path: &Path) -> String {
    path.file_stem().unwrap().to_string_lossy().into_owned()
}

#[test]
fn every_example_statement() {
    for path in examples("statements") {
        let text = std::fs::read_to_string(&path).unwrap();
        let bytes = Envelope {
            statements: vec![EnvelopeStatement { fingerprint: 0, json: text.trim().as_bytes() }],
            attachments: vec![],
        }
        .encode()
        .unwrap();
        let rows = to_rows(Some("default"), Some(&bytes), AT, 0).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        insta::assert_debug_snapshot!(format!("statement-{}", name(&path)), rows);
    }
}

#[test]
fn every_example_envelope() {
    for path in examples("envelopes") {
        let example: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let jsons: Vec<(u64, String)> = example["statements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["fingerprint"].as_u64().unwrap(), s["json"].to_string()))
            .collect();
        let attachments: Vec<(&str, &str, &str)> = example["attachments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| (a["sha2"].as_str().unwrap(), a["content_type"].as_str().unwrap(), a["content"].as_str().unwrap()))
            .collect();
        let envelope = Envelope {
            statements: jsons.iter().map(|(f, j)| EnvelopeStatement { fingerprint: *f, json: j.as_bytes() }).collect(),
            attachments: attachments
                .iter()
                .map(|(sha2, content_type, content)| EnvelopeAttachment {
                    sha2,
                    content_type,
                    content: content.as_bytes(),
                })
                .collect(),
        };
        let bytes = envelope.encode().unwrap();
        assert_eq!(xapi::envelope::decode(&bytes).as_ref(), Ok(&envelope), "{}", path.display());
        let rows = to_rows(example["store"].as_str(), Some(&bytes), AT, 0)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        insta::assert_debug_snapshot!(format!("envelope-{}", name(&path)), rows);
    }
}
