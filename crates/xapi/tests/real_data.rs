//! The 22,000 real statements of `/work/shared/data/video-statements.ndjson.gz` (xAPI video profile, from a MOOC)
//! are all valid under both versions, and what `prepare_batch` makes of them is readable by `extract`.
//! Skipped (with a note) when the data file is absent.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is a failed test

use serde_json::{json, Value};
use std::io::Read;
use xapi::prepare::{prepare_batch, PrepareContext};
use xapi::{extract, validate, XapiVersion};

const DATA: &str = "/work/shared/data/video-statements.ndjson.gz";

#[test]
fn every_real_statement_is_valid() {
    let Ok(raw) = std::fs::read(DATA) else {
        eprintln!("{DATA} not found; skipping");
        return;
    };
    let mut text = Vec::new();
    flate2::read::GzDecoder::new(&raw[..]).read_to_end(&mut text).expect("gzip");
    let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 22_000);
    let authority = json!({"objectType": "Agent", "account": {"homePage": "http://lrs.example.com", "name": "key"}});
    let ctx = PrepareContext { version: XapiVersion::V1_0_3, stored_ms: 1_700_000_000_000, authority: &authority };
    for (i, line) in lines.iter().enumerate() {
        // 1.0.3: the whole ingestion path, then what the processor reads back.
        let prepared = prepare_batch(line, &ctx).unwrap_or_else(|e| panic!("line {i} rejected under 1.0.3: {e}"));
        for p in &prepared {
            extract(&p.payload).unwrap_or_else(|e| panic!("line {i}: {e}"));
        }
        // 2.0.0: the validation rules.
        let value: Value = serde_json::from_slice(line).expect("json");
        validate::statement(&value, XapiVersion::V2_0_0)
            .unwrap_or_else(|e| panic!("line {i} rejected under 2.0.0: {e}"));
    }
}
