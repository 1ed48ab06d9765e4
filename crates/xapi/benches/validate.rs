//! Statement ingestion cost on 22,000 real statements (`/work/shared/data/video-statements.ndjson.gz`, one JSON
//! statement per line): (a) `serde_json::from_slice::<Value>` alone, the floor any JSON LRS pays; (b)
//! `prepare_batch` per statement (parse + validate + normalise + serialise); (c) `validate::statement` alone on
//! already parsed values; (d) `serde_json::to_vec` alone of the parsed values (the re-serialisation part of (b)).
//! Reported per statement and per byte of statement JSON.
//!
//! Run: `cargo bench -p xapi --bench validate`. Set `XAPI_BENCH_DATA` to use another NDJSON(.gz) file.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is a failed test

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde_json::{json, Value};
use std::hint::black_box;
use std::io::Read;
use std::time::Duration;
use xapi::prepare::{prepare_batch, PrepareContext};
use xapi::{validate, XapiVersion};

const DEFAULT_DATA: &str = "/work/shared/data/video-statements.ndjson.gz";

fn load() -> Vec<u8> {
    let path = std::env::var("XAPI_BENCH_DATA").unwrap_or_else(|_| DEFAULT_DATA.to_string());
    let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    if path.ends_with(".gz") {
        let mut out = Vec::with_capacity(raw.len() * 10);
        flate2::read::GzDecoder::new(&raw[..]).read_to_end(&mut out).expect("gzip");
        out
    } else {
        raw
    }
}

fn bench(c: &mut Criterion) {
    let data = load();
    let lines: Vec<&[u8]> = data.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect();
    let bytes: usize = lines.iter().map(|l| l.len()).sum();
    let authority = json!({"objectType": "Agent", "account": {"homePage": "http://lrs.example.com", "name": "bench"}});
    let ctx = PrepareContext { version: XapiVersion::V1_0_3, stored_ms: 1_700_000_000_000, authority: &authority };
    let ctx2 = PrepareContext { version: XapiVersion::V2_0_0, ..ctx };

    // Every real statement must be valid under both versions' rules.
    for (i, line) in lines.iter().enumerate() {
        if let Err(e) = prepare_batch(line, &ctx) {
            panic!("statement {i} rejected under 1.0.3: {e}");
        }
        if let Err(e) = prepare_batch(line, &ctx2) {
            panic!("statement {i} rejected under 2.0.0: {e}");
        }
    }
    eprintln!("{} statements, {:.1} MB of JSON, all valid", lines.len(), bytes as f64 / 1e6);

    let parsed: Vec<Value> = lines.iter().map(|l| serde_json::from_slice(l).expect("json")).collect();

    for (name, throughput) in
        [("statements", Throughput::Elements(lines.len() as u64)), ("bytes", Throughput::Bytes(bytes as u64))]
    {
        let mut group = c.benchmark_group(name);
        group.throughput(throughput);
        group.sample_size(10);
        group.warm_up_time(Duration::from_secs(2));
        group.measurement_time(Duration::from_secs(8));
        group.bench_function("a_serde_json_from_slice", |b| {
            b.iter(|| {
                for line in &lines {
                    let v: Value = serde_json::from_slice(black_box(line)).expect("json");
                    black_box(v);
                }
            })
        });
        group.bench_function("b_prepare_batch", |b| {
            b.iter(|| {
                for line in &lines {
                    black_box(prepare_batch(black_box(line), &ctx).expect("valid"));
                }
            })
        });
        group.bench_function("c_validate_only", |b| {
            b.iter(|| {
                for v in &parsed {
                    validate::statement(black_box(v), XapiVersion::V1_0_3).expect("valid");
                }
            })
        });
        group.bench_function("d_serialize_only", |b| {
            b.iter(|| {
                for v in &parsed {
                    black_box(serde_json::to_vec(black_box(v)).expect("json"));
                }
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
