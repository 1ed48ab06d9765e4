//! Extensions maps (activity definition, result, context): keys are IRIs, values are any JSON (including
//! `null`, empty strings and empty objects) and are never a reason to reject a statement.

use super::{as_object, iri, Checked, Path};
use serde_json::Value;

pub(crate) fn extensions(value: &Value, path: &Path) -> Checked {
    for key in as_object(value, path)?.keys() {
        if !iri::is_absolute_iri(key) {
            return Err(path.key(key).err("an extension key must be an absolute IRI"));
        }
    }
    Ok(())
}
