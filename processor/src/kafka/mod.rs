//! The Kafka side of the processor: the consumer-group source, its rebalance context, and the dead-letter
//! producer.

mod context;
mod dead_letter;
mod source;

pub use dead_letter::DeadLetters;
pub use source::{consume, SourceConfig};
