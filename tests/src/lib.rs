//! Test harness for the end-to-end tests: each test gets its own ClickHouse database, topics and consumer
//! group on the one Kafka and ClickHouse that `make test` started, and runs the real services against them
//! (the gateway and query service in-process, the processor in-process or as a separate OS process that a
//! test can SIGKILL).

// Test support: a failed expectation here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod browser;
mod data;
pub mod multipart;
mod private;
mod stack;

pub use data::{real_statements, synthetic_statement};
pub use private::PrivateClickHouse;
pub use stack::{bin_dir, ProcessorMode, Stack};

pub const KEY: &str = "e2e-key";
pub const SECRET: &str = "e2e-secret";
