//! What `lrsctl` shares with the end-to-end tests: the generated demo organisation.

pub mod organisation;
