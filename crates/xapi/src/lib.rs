//! The xAPI statement model: parsing, validation and normalisation of statements, and the fields the LRS
//! extracts from them for storage. Pure: nothing here does I/O, so every rule is unit-testable and the
//! ingest gateway, the processor and the query service agree on one definition.

pub mod activity;
pub mod agent;
pub mod analytics;
pub mod compare;
pub mod document;
pub mod envelope;
pub mod error;
pub mod extract;
pub mod format;
pub mod import;
pub mod index;
pub mod multipart;
pub mod prepare;
pub mod signature;
pub mod time;
pub mod validate;
pub mod version;
mod walk;

pub use error::ValidationError;
pub use extract::{extract, StatementFields};
pub use prepare::{prepare_batch, PrepareContext, Prepared};
pub use version::XapiVersion;

/// The verb whose StatementRef object voids its target.
pub const VOIDED_VERB: &str = "http://adlnet.gov/expapi/verbs/voided";
