//! The small query language the practice server understands, shared by `find`, `update`,
//! `delete`, `count`, `$match` on documents and `$match` on change events.
//!
//! Supported: `{ field: value }` equality (field may be a dotted path like `fullDocument.title`),
//! `$eq`, `$ne`, `$in`, `$nin`, and top-level `$and` / `$or`. Equality follows MongoDB where it
//! matters to learners: numbers compare by value across types (`1 == 1.0`), an array field
//! matches a value it contains, and `null` matches a missing field. Any other operator is an error
//! that names it, rather than a silent wrong answer.

use std::cmp::Ordering;

use bson::{Bson, Document};

use crate::errors::CommandError;

/// A parsed filter, ready to test documents against.
#[derive(Debug, Clone)]
pub enum Filter {
    All(Vec<Filter>),
    Any(Vec<Filter>),
    Field { path: String, test: Test },
}

#[derive(Debug, Clone)]
pub enum Test {
    Eq(Bson),
    Ne(Bson),
    In(Vec<Bson>),
    Nin(Vec<Bson>),
}

/// Query operators that exist in MongoDB but not here, so the error can say "not supported"
/// instead of "unknown".
const REAL_BUT_UNSUPPORTED: &[&str] = &[
    "$gt",
    "$gte",
    "$lt",
    "$lte",
    "$exists",
    "$type",
    "$regex",
    "$options",
    "$elemMatch",
    "$size",
    "$all",
    "$not",
    "$nor",
    "$expr",
    "$mod",
    "$text",
    "$where",
    "$jsonSchema",
];

impl Filter {
    pub fn parse(filter: &Document) -> Result<Filter, CommandError> {
        let mut parts = Vec::new();
        for (key, value) in filter {
            match key.as_str() {
                "$and" | "$or" => {
                    let Bson::Array(items) = value else {
                        return Err(CommandError::bad_value(format!("{key} must be an array")));
                    };
                    if items.is_empty() {
                        return Err(CommandError::bad_value(format!(
                            "{key} must be a nonempty array"
                        )));
                    }
                    let mut subs = Vec::new();
                    for item in items {
                        let Bson::Document(d) = item else {
                            return Err(CommandError::bad_value(format!(
                                "{key} argument's entries must be objects"
                            )));
                        };
                        subs.push(Filter::parse(d)?);
                    }
                    parts.push(if key == "$and" {
                        Filter::All(subs)
                    } else {
                        Filter::Any(subs)
                    });
                }
                k if k.starts_with('$') => return Err(unknown_operator(k)),
                path => parse_field(path, value, &mut parts)?,
            }
        }
        Ok(Filter::All(parts))
    }

    pub fn matches(&self, doc: &Document) -> bool {
        match self {
            Filter::All(parts) => parts.iter().all(|p| p.matches(doc)),
            Filter::Any(parts) => parts.iter().any(|p| p.matches(doc)),
            Filter::Field { path, test } => {
                let value = lookup(doc, path);
                match test {
                    Test::Eq(v) => field_equals(value, v),
                    Test::Ne(v) => !field_equals(value, v),
                    Test::In(vs) => vs.iter().any(|v| field_equals(value, v)),
                    Test::Nin(vs) => !vs.iter().any(|v| field_equals(value, v)),
                }
            }
        }
    }

    /// The plain `{field: value}` equalities at the top level: what an upsert copies into the
    /// document it creates.
    pub fn equalities(&self) -> Vec<(String, Bson)> {
        let mut out = Vec::new();
        if let Filter::All(parts) = self {
            for p in parts {
                if let Filter::Field {
                    path,
                    test: Test::Eq(v),
                } = p
                {
                    if !path.contains('.') {
                        out.push((path.clone(), v.clone()));
                    }
                }
            }
        }
        out
    }
}

fn parse_field(path: &str, value: &Bson, parts: &mut Vec<Filter>) -> Result<(), CommandError> {
    // `{field: {$op: ...}}` is an operator expression; any other value is equality.
    let operators = match value {
        Bson::Document(d) if d.keys().next().is_some_and(|k| k.starts_with('$')) => d,
        _ => {
            parts.push(Filter::Field {
                path: path.to_owned(),
                test: Test::Eq(value.clone()),
            });
            return Ok(());
        }
    };
    for (op, arg) in operators {
        let test = match op.as_str() {
            "$eq" => Test::Eq(arg.clone()),
            "$ne" => Test::Ne(arg.clone()),
            "$in" | "$nin" => {
                let Bson::Array(values) = arg else {
                    return Err(CommandError::bad_value(format!("{op} needs an array")));
                };
                if op == "$in" {
                    Test::In(values.clone())
                } else {
                    Test::Nin(values.clone())
                }
            }
            other => return Err(unknown_operator(other)),
        };
        parts.push(Filter::Field {
            path: path.to_owned(),
            test,
        });
    }
    Ok(())
}

fn unknown_operator(op: &str) -> CommandError {
    if REAL_BUT_UNSUPPORTED.contains(&op) {
        CommandError::bad_value(format!(
            "practice-mongo does not support the query operator {op} (it supports equality, \
             $eq, $ne, $in, $nin, $and, $or); use a real MongoDB for more"
        ))
    } else {
        CommandError::bad_value(format!("unknown operator: {op}"))
    }
}

/// Follows a dotted path through embedded documents. Arrays on the way are not traversed.
pub fn lookup<'a>(doc: &'a Document, path: &str) -> Option<&'a Bson> {
    let mut parts = path.split('.');
    let mut current = doc.get(parts.next()?)?;
    for part in parts {
        match current {
            Bson::Document(d) => current = d.get(part)?,
            _ => return None,
        }
    }
    Some(current)
}

/// MongoDB equality for a query: missing matches null, and an array matches any element.
fn field_equals(field: Option<&Bson>, wanted: &Bson) -> bool {
    match field {
        None => matches!(wanted, Bson::Null),
        Some(value) => {
            values_equal(value, wanted)
                || matches!(value, Bson::Array(items) if items.iter().any(|i| values_equal(i, wanted)))
        }
    }
}

/// Value equality, with numbers compared by value whatever their BSON type.
pub fn values_equal(a: &Bson, b: &Bson) -> bool {
    compare_values(a, b) == Ordering::Equal
}

/// MongoDB's sort order between BSON types ("Comparison/Sort Order" in the MongoDB manual):
/// MinKey, Null, numbers, strings, objects, arrays, binary, ObjectId, booleans, dates,
/// timestamps, regular expressions, MaxKey.
fn type_rank(v: &Bson) -> u8 {
    match v {
        Bson::MinKey => 0,
        Bson::Null | Bson::Undefined => 1,
        Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_) | Bson::Decimal128(_) => 2,
        Bson::String(_) | Bson::Symbol(_) => 3,
        Bson::Document(_) => 4,
        Bson::Array(_) => 5,
        Bson::Binary(_) => 6,
        Bson::ObjectId(_) => 7,
        Bson::Boolean(_) => 8,
        Bson::DateTime(_) => 9,
        Bson::Timestamp(_) => 10,
        Bson::RegularExpression(_) => 11,
        Bson::MaxKey => 13,
        _ => 12,
    }
}

fn as_f64(v: &Bson) -> Option<f64> {
    match v {
        Bson::Int32(i) => Some(f64::from(*i)),
        Bson::Int64(i) => Some(*i as f64),
        Bson::Double(d) => Some(*d),
        _ => None,
    }
}

/// Total order used by `sort` and by equality.
pub fn compare_values(a: &Bson, b: &Bson) -> Ordering {
    let (ra, rb) = (type_rank(a), type_rank(b));
    if ra != rb {
        return ra.cmp(&rb);
    }
    match (a, b) {
        (Bson::Int32(x), Bson::Int32(y)) => x.cmp(y),
        (Bson::Int64(x), Bson::Int64(y)) => x.cmp(y),
        (Bson::Int32(x), Bson::Int64(y)) => i64::from(*x).cmp(y),
        (Bson::Int64(x), Bson::Int32(y)) => x.cmp(&i64::from(*y)),
        _ if ra == 2 => match (as_f64(a), as_f64(b)) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            _ => a.to_string().cmp(&b.to_string()),
        },
        (Bson::String(x), Bson::String(y)) => x.cmp(y),
        (Bson::Document(x), Bson::Document(y)) => {
            for ((kx, vx), (ky, vy)) in x.iter().zip(y.iter()) {
                let ord = compare_values(vx, vy).then_with(|| kx.cmp(ky));
                if ord != Ordering::Equal {
                    return ord;
                }
            }
            x.len().cmp(&y.len())
        }
        (Bson::Array(x), Bson::Array(y)) => {
            for (vx, vy) in x.iter().zip(y.iter()) {
                let ord = compare_values(vx, vy);
                if ord != Ordering::Equal {
                    return ord;
                }
            }
            x.len().cmp(&y.len())
        }
        (Bson::ObjectId(x), Bson::ObjectId(y)) => x.bytes().cmp(&y.bytes()),
        (Bson::Boolean(x), Bson::Boolean(y)) => x.cmp(y),
        (Bson::DateTime(x), Bson::DateTime(y)) => x.cmp(y),
        (Bson::Timestamp(x), Bson::Timestamp(y)) => {
            (x.time, x.increment).cmp(&(y.time, y.increment))
        }
        (Bson::Binary(x), Bson::Binary(y)) => x.bytes.cmp(&y.bytes),
        (Bson::Null | Bson::Undefined, Bson::Null | Bson::Undefined)
        | (Bson::MinKey, Bson::MinKey)
        | (Bson::MaxKey, Bson::MaxKey) => Ordering::Equal,
        _ => a.to_string().cmp(&b.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::doc;

    fn m(filter: Document, d: Document) -> bool {
        Filter::parse(&filter).unwrap().matches(&d)
    }

    #[test]
    fn equality_in_nin_and_paths() {
        let ev = doc! {"operationType": "insert", "fullDocument": {"x": 1, "tags": ["a", "b"]}};
        assert!(m(doc! {"operationType": "insert"}, ev.clone()));
        assert!(!m(doc! {"operationType": "delete"}, ev.clone()));
        assert!(m(doc! {"fullDocument.x": 1.0}, ev.clone()));
        assert!(m(doc! {"fullDocument.x": 1_i64}, ev.clone()));
        assert!(m(doc! {"fullDocument.tags": "b"}, ev.clone()));
        assert!(m(
            doc! {"operationType": {"$in": ["update", "insert"]}},
            ev.clone()
        ));
        assert!(!m(
            doc! {"operationType": {"$nin": ["update", "insert"]}},
            ev.clone()
        ));
        assert!(m(doc! {"fullDocument.missing": null}, ev.clone()));
        assert!(m(
            doc! {"$or": [{"operationType": "x"}, {"fullDocument.x": 1}]},
            ev.clone()
        ));
        assert!(!m(
            doc! {"$and": [{"operationType": "x"}, {"fullDocument.x": 1}]},
            ev
        ));
    }

    #[test]
    fn unsupported_operators_are_named() {
        let e = Filter::parse(&doc! {"x": {"$gt": 1}}).unwrap_err();
        assert!(e.errmsg.contains("$gt"), "{}", e.errmsg);
        let e = Filter::parse(&doc! {"x": {"$bogus": 1}}).unwrap_err();
        assert_eq!(e.errmsg, "unknown operator: $bogus");
    }

    #[test]
    fn sort_order_across_types() {
        let mut v = vec![
            Bson::String("a".into()),
            Bson::Int32(2),
            Bson::Null,
            Bson::Double(1.5),
        ];
        v.sort_by(compare_values);
        assert_eq!(
            v,
            vec![
                Bson::Null,
                Bson::Double(1.5),
                Bson::Int32(2),
                Bson::String("a".into())
            ]
        );
    }
}
