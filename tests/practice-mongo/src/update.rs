//! The update language: `{ $set: {...}, $unset: {...} }` or a whole replacement document.
//!
//! Applying an update also says what changed, because that is exactly what a change stream's
//! `updateDescription` reports (`updatedFields`, `removedFields`).

use bson::{Bson, Document};

use crate::errors::CommandError;
use crate::matcher::values_equal;
use crate::store::MAX_STORED_DEPTH;

#[derive(Debug, Clone)]
pub enum UpdateSpec {
    /// `$set` / `$unset`, as (dotted path, value) and dotted paths.
    Modifiers {
        set: Vec<(String, Bson)>,
        unset: Vec<String>,
    },
    /// A document without `$` operators replaces the whole document (keeping `_id`).
    Replacement(Document),
}

/// What applying an update did to one document.
#[derive(Debug, Clone)]
pub struct Applied {
    pub new_doc: Document,
    pub updated_fields: Document,
    pub removed_fields: Vec<String>,
}

const REAL_BUT_UNSUPPORTED: &[&str] = &[
    "$inc",
    "$mul",
    "$rename",
    "$setOnInsert",
    "$min",
    "$max",
    "$currentDate",
    "$push",
    "$pull",
    "$pullAll",
    "$addToSet",
    "$pop",
    "$bit",
];

impl UpdateSpec {
    pub fn parse(u: &Bson) -> Result<UpdateSpec, CommandError> {
        let u = match u {
            Bson::Document(d) => d,
            Bson::Array(_) => {
                return Err(CommandError::failed_to_parse(
                    "practice-mongo does not support pipeline-style updates; use $set",
                ))
            }
            _ => return Err(CommandError::type_mismatch("update must be an object")),
        };
        if !u.keys().any(|k| k.starts_with('$')) {
            return Ok(UpdateSpec::Replacement(u.clone()));
        }
        let mut set = Vec::new();
        let mut unset = Vec::new();
        for (op, arg) in u {
            let Bson::Document(fields) = arg else {
                return Err(CommandError::failed_to_parse(format!(
                    "Modifiers operate on fields but we found type {:?} instead",
                    arg.element_type()
                )));
            };
            // set_path and remove_path walk a path recursively, one level per dot: bound it
            // before anything walks it (a 10 MB path of dots would overflow the stack).
            if let Some(path) = fields
                .keys()
                .find(|path| path.split('.').count() > MAX_STORED_DEPTH)
            {
                return Err(CommandError::overflow(format!(
                    "the path '{}...' has more than {MAX_STORED_DEPTH} parts: a document \
                     cannot be nested deeper than {MAX_STORED_DEPTH} levels",
                    path.chars().take(40).collect::<String>()
                )));
            }
            match op.as_str() {
                "$set" => set.extend(fields.iter().map(|(k, v)| (k.clone(), v.clone()))),
                "$unset" => unset.extend(fields.keys().cloned()),
                other if REAL_BUT_UNSUPPORTED.contains(&other) => {
                    return Err(CommandError::failed_to_parse(format!(
                        "practice-mongo supports only $set and $unset in updates, not {other}"
                    )))
                }
                other if other.starts_with('$') => {
                    return Err(CommandError::failed_to_parse(format!(
                        "Unknown modifier: {other}. Expected a valid update modifier or \
                         pipeline-style update specified as an array"
                    )))
                }
                _ => {
                    return Err(CommandError::failed_to_parse(
                        "an update document mixes $-operators and plain fields",
                    ))
                }
            }
        }
        Ok(UpdateSpec::Modifiers { set, unset })
    }

    pub fn apply(&self, old: &Document) -> Result<Applied, CommandError> {
        match self {
            UpdateSpec::Replacement(replacement) => {
                let mut new_doc = Document::new();
                if let Some(id) = old.get("_id") {
                    if let Some(new_id) = replacement.get("_id") {
                        if !values_equal(id, new_id) {
                            return Err(immutable_id());
                        }
                    }
                    new_doc.insert("_id", id.clone());
                }
                for (k, v) in replacement {
                    if k != "_id" {
                        new_doc.insert(k.clone(), v.clone());
                    }
                }
                Ok(Applied {
                    new_doc,
                    updated_fields: Document::new(),
                    removed_fields: Vec::new(),
                })
            }
            UpdateSpec::Modifiers { set, unset } => {
                let mut new_doc = old.clone();
                let mut updated_fields = Document::new();
                let mut removed_fields = Vec::new();
                for (path, value) in set {
                    if path == "_id" || path.starts_with("_id.") {
                        if old.get("_id").is_some_and(|id| values_equal(id, value)) {
                            continue;
                        }
                        return Err(immutable_id());
                    }
                    if set_path(&mut new_doc, path, value.clone())? {
                        updated_fields.insert(path.clone(), value.clone());
                    }
                }
                for path in unset {
                    if path == "_id" {
                        return Err(immutable_id());
                    }
                    if remove_path(&mut new_doc, path) {
                        removed_fields.push(path.clone());
                    }
                }
                Ok(Applied {
                    new_doc,
                    updated_fields,
                    removed_fields,
                })
            }
        }
    }
}

fn immutable_id() -> CommandError {
    CommandError::immutable_field(
        "Performing an update on the path '_id' would modify the immutable field '_id'",
    )
}

/// Sets `a.b.c`, creating missing embedded documents. Returns whether anything changed.
fn set_path(doc: &mut Document, path: &str, value: Bson) -> Result<bool, CommandError> {
    match path.split_once('.') {
        None => {
            if doc.get(path).is_some_and(|old| old == &value) {
                return Ok(false);
            }
            doc.insert(path, value);
            Ok(true)
        }
        Some((head, rest)) => {
            let child = doc
                .entry(head.to_owned())
                .or_insert_with(|| Bson::Document(Document::new()));
            match child {
                Bson::Document(d) => set_path(d, rest, value),
                other => Err(CommandError::path_not_viable(format!(
                    "Cannot create field '{}' in element {{{head}: {other}}}",
                    rest.split('.').next().unwrap_or(rest)
                ))),
            }
        }
    }
}

/// Removes `a.b.c` if it exists. Returns whether anything was removed.
fn remove_path(doc: &mut Document, path: &str) -> bool {
    match path.split_once('.') {
        None => doc.remove(path).is_some(),
        Some((head, rest)) => match doc.get_mut(head) {
            Some(Bson::Document(d)) => remove_path(d, rest),
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::doc;

    #[test]
    fn set_and_unset_report_their_changes() {
        let spec = UpdateSpec::parse(&Bson::Document(
            doc! {"$set": {"title": "new", "meta.views": 3, "same": 1}, "$unset": {"gone": "", "never": ""}},
        ))
        .unwrap();
        let applied = spec
            .apply(&doc! {"_id": 1, "title": "old", "same": 1, "gone": true})
            .unwrap();
        assert_eq!(
            applied.new_doc,
            doc! {"_id": 1, "title": "new", "same": 1, "meta": {"views": 3}}
        );
        assert_eq!(
            applied.updated_fields,
            doc! {"title": "new", "meta.views": 3}
        );
        assert_eq!(applied.removed_fields, vec!["gone".to_string()]);
    }

    #[test]
    fn id_is_immutable_and_unknown_modifiers_are_refused() {
        let spec = UpdateSpec::parse(&Bson::Document(doc! {"$set": {"_id": 2}})).unwrap();
        assert_eq!(spec.apply(&doc! {"_id": 1}).unwrap_err().code, 66);
        assert_eq!(
            UpdateSpec::parse(&Bson::Document(doc! {"$inc": {"n": 1}}))
                .unwrap_err()
                .code,
            9
        );
    }
}
