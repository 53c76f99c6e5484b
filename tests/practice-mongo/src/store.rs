//! The data: collections of documents, a logical clock, and per-collection change history.
//!
//! Every write that changes something appends an [`Event`] to its collection's [`History`],
//! which is what change streams read (a real replica set reads its oplog the same way). Each
//! event gets the next sequence number (`seq`, server-wide and strictly increasing) and the next
//! cluster time. A resume token is, underneath, a `seq`: "give me what came after this".
//!
//! The history of a collection keeps at most `history_limit` events; when older ones are
//! dropped we remember the newest dropped `seq`, so a stream asking to resume from before it can
//! get MongoDB's `ChangeStreamHistoryLost` error instead of silently missing events.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use bson::oid::ObjectId;
use bson::spec::BinarySubtype;
use bson::{doc, Binary, Bson, DateTime, Document, Timestamp};

use crate::errors::CommandError;
use crate::matcher::{compare_values, Filter};
use crate::update::UpdateSpec;

/// A database and collection name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Namespace {
    pub db: String,
    pub coll: String,
}

impl Namespace {
    pub fn new(db: &str, coll: &str) -> Self {
        Namespace {
            db: db.to_owned(),
            coll: coll.to_owned(),
        }
    }
}

impl std::fmt::Display for Namespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.db, self.coll)
    }
}

/// One change, as recorded at write time. Change streams turn it into an event document.
#[derive(Debug, Clone)]
pub struct Event {
    pub seq: u64,
    pub cluster_time: Timestamp,
    pub wall_time: DateTime,
    pub ns: Namespace,
    pub change: Change,
}

#[derive(Debug, Clone)]
pub enum Change {
    Insert {
        doc: Document,
    },
    Update {
        key: Document,
        updated_fields: Document,
        removed_fields: Vec<String>,
    },
    Replace {
        key: Document,
        doc: Document,
    },
    Delete {
        key: Document,
    },
    /// The collection was dropped. Streams on it see `drop`, then `invalidate`.
    Drop,
}

/// Where a change stream looks: one collection, or every collection of a database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Collection(Namespace),
    Database(String),
}

impl Scope {
    fn covers(&self, ns: &Namespace) -> bool {
        match self {
            Scope::Collection(n) => n == ns,
            Scope::Database(db) => &ns.db == db,
        }
    }
}

/// The resume point a stream asked for is older than what we still keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryLost;

#[derive(Debug, Default)]
struct History {
    events: VecDeque<Arc<Event>>,
    /// `seq` and cluster time of the newest event dropped from `events` (0 / None: none yet).
    evicted_through: u64,
    evicted_time: Option<Timestamp>,
}

#[derive(Debug)]
struct Collection {
    /// Documents in insertion ("natural") order, keyed by a slot number.
    docs: BTreeMap<u64, Document>,
    /// `_id` (as a canonical string) -> slot, for the unique `_id` index.
    by_id: HashMap<String, u64>,
    next_slot: u64,
    uuid: Binary,
}

/// Outcome of one `update` statement.
#[derive(Debug, Default)]
pub struct UpdateOutcome {
    pub matched: u64,
    pub modified: u64,
    pub upserted_id: Option<Bson>,
}

#[derive(Debug)]
pub struct Store {
    collections: BTreeMap<Namespace, Collection>,
    histories: HashMap<Namespace, History>,
    clock: Timestamp,
    last_seq: u64,
    history_limit: usize,
    uuids_made: u64,
    /// Tells this server run's resume tokens from another run's.
    instance: u32,
}

impl Store {
    pub fn new(history_limit: usize) -> Self {
        Store {
            collections: BTreeMap::new(),
            histories: HashMap::new(),
            clock: Timestamp {
                time: unix_seconds(),
                increment: 1,
            },
            last_seq: 0,
            history_limit: history_limit.max(1),
            uuids_made: 0,
            instance: new_instance_id(),
        }
    }

    pub fn instance(&self) -> u32 {
        self.instance
    }

    /// The current cluster time (what `operationTime` and `$clusterTime` report).
    pub fn cluster_time(&self) -> Timestamp {
        self.clock
    }

    /// The `seq` of the newest event (0 before any write).
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// Advances the logical clock: seconds since the epoch, and a counter within a second.
    fn tick(&mut self) -> Timestamp {
        let now = unix_seconds();
        if now > self.clock.time {
            self.clock = Timestamp {
                time: now,
                increment: 1,
            };
        } else {
            self.clock.increment = self.clock.increment.wrapping_add(1);
        }
        self.clock
    }

    fn record(&mut self, ns: &Namespace, change: Change) {
        let cluster_time = self.tick();
        self.last_seq += 1;
        let event = Arc::new(Event {
            seq: self.last_seq,
            cluster_time,
            wall_time: DateTime::now(),
            ns: ns.clone(),
            change,
        });
        let history = self.histories.entry(ns.clone()).or_default();
        history.events.push_back(event);
        while history.events.len() > self.history_limit {
            if let Some(old) = history.events.pop_front() {
                history.evicted_through = old.seq;
                history.evicted_time = Some(old.cluster_time);
            }
        }
    }

    /// Events in `scope` with `seq > after`, oldest first, at most `max`.
    pub fn events_after(
        &self,
        scope: &Scope,
        after: u64,
        max: usize,
    ) -> Result<Vec<Arc<Event>>, HistoryLost> {
        let mut out = Vec::new();
        for (ns, history) in &self.histories {
            if !scope.covers(ns) {
                continue;
            }
            if history.evicted_through > after {
                return Err(HistoryLost);
            }
            let start = history.events.partition_point(|e| e.seq <= after);
            out.extend(history.events.iter().skip(start).take(max).cloned());
        }
        // A database-wide stream merges several histories: put them back in write order.
        out.sort_by_key(|e| e.seq);
        out.truncate(max);
        Ok(out)
    }

    /// The position (a `seq`) from which events at or after cluster time `t` are delivered:
    /// what `startAtOperationTime` means.
    pub fn position_at_time(&self, scope: &Scope, t: Timestamp) -> Result<u64, HistoryLost> {
        let at_or_after = |ts: Timestamp| (ts.time, ts.increment) >= (t.time, t.increment);
        let mut position = self.last_seq;
        for (ns, history) in &self.histories {
            if !scope.covers(ns) {
                continue;
            }
            if history.evicted_time.is_some_and(at_or_after) {
                return Err(HistoryLost);
            }
            if let Some(first) = history.events.iter().find(|e| at_or_after(e.cluster_time)) {
                position = position.min(first.seq - 1);
            }
        }
        Ok(position)
    }

    fn collection_mut(&mut self, ns: &Namespace) -> &mut Collection {
        let uuids_made = &mut self.uuids_made;
        self.collections.entry(ns.clone()).or_insert_with(|| {
            *uuids_made += 1;
            // A UUID-shaped value, unique within this server; nobody parses it.
            let mut bytes = ObjectId::new().bytes().to_vec();
            bytes.extend_from_slice(&(*uuids_made as u32).to_be_bytes());
            Collection {
                docs: BTreeMap::new(),
                by_id: HashMap::new(),
                next_slot: 0,
                uuid: Binary {
                    subtype: BinarySubtype::Uuid,
                    bytes,
                },
            }
        })
    }

    /// Inserts one document, giving it an ObjectId `_id` (as its first field) when it has none.
    pub fn insert(&mut self, ns: &Namespace, doc: Document) -> Result<(), CommandError> {
        let doc = with_id_first(doc)?;
        check_insertable(&doc)?;
        let id = doc.get("_id").cloned().unwrap_or(Bson::Null);
        let key = id_key(&id);
        let coll = self.collection_mut(ns);
        if coll.by_id.contains_key(&key) {
            return Err(duplicate_key(ns, &id));
        }
        let slot = coll.next_slot;
        coll.next_slot += 1;
        coll.by_id.insert(key, slot);
        coll.docs.insert(slot, doc.clone());
        self.record(ns, Change::Insert { doc });
        Ok(())
    }

    /// Matching documents in natural order (clones).
    pub fn find(&self, ns: &Namespace, filter: &Filter) -> Vec<Document> {
        match self.collections.get(ns) {
            None => Vec::new(),
            Some(c) => c
                .docs
                .values()
                .filter(|d| filter.matches(d))
                .cloned()
                .collect(),
        }
    }

    /// The current version of the document with this `documentKey` (for `updateLookup`).
    pub fn find_by_key(&self, ns: &Namespace, key: &Document) -> Option<Document> {
        let coll = self.collections.get(ns)?;
        let slot = coll.by_id.get(&id_key(key.get("_id")?))?;
        coll.docs.get(slot).cloned()
    }

    pub fn update(
        &mut self,
        ns: &Namespace,
        filter: &Filter,
        spec: &UpdateSpec,
        multi: bool,
        upsert: bool,
    ) -> Result<UpdateOutcome, CommandError> {
        let mut outcome = UpdateOutcome::default();
        let slots: Vec<u64> = match self.collections.get(ns) {
            None => Vec::new(),
            Some(c) => c
                .docs
                .iter()
                .filter(|(_, d)| filter.matches(d))
                .map(|(slot, _)| *slot)
                .take(if multi { usize::MAX } else { 1 })
                .collect(),
        };
        for slot in slots {
            let coll = self.collection_mut(ns);
            let Some(old) = coll.docs.get(&slot) else {
                continue;
            };
            let applied = spec.apply(old)?;
            check_updated(&applied.new_doc)?;
            outcome.matched += 1;
            if &applied.new_doc == old {
                continue; // a no-op update changes nothing and emits no event, as in MongoDB
            }
            let key = doc! { "_id": applied.new_doc.get("_id").cloned().unwrap_or(Bson::Null) };
            coll.docs.insert(slot, applied.new_doc.clone());
            outcome.modified += 1;
            let change = match spec {
                UpdateSpec::Replacement(_) => Change::Replace {
                    key,
                    doc: applied.new_doc,
                },
                UpdateSpec::Modifiers { .. } => Change::Update {
                    key,
                    updated_fields: applied.updated_fields,
                    removed_fields: applied.removed_fields,
                },
            };
            self.record(ns, change);
        }
        if outcome.matched == 0 && upsert {
            // Build the new document from the filter's equalities, then apply the update.
            let mut base = Document::new();
            for (k, v) in filter.equalities() {
                base.insert(k, v);
            }
            let base = with_id_first(base)?;
            let mut new_doc = spec.apply(&base)?.new_doc;
            if let UpdateSpec::Replacement(_) = spec {
                new_doc = with_id_first(new_doc)?;
            }
            outcome.upserted_id = new_doc.get("_id").cloned();
            self.insert(ns, new_doc)?;
        }
        Ok(outcome)
    }

    /// Deletes the first (`just_one`) or every matching document; returns how many.
    pub fn delete(&mut self, ns: &Namespace, filter: &Filter, just_one: bool) -> u64 {
        let Some(coll) = self.collections.get_mut(ns) else {
            return 0;
        };
        let slots: Vec<u64> = coll
            .docs
            .iter()
            .filter(|(_, d)| filter.matches(d))
            .map(|(slot, _)| *slot)
            .take(if just_one { 1 } else { usize::MAX })
            .collect();
        let mut keys = Vec::new();
        for slot in &slots {
            if let Some(doc) = coll.docs.remove(slot) {
                let id = doc.get("_id").cloned().unwrap_or(Bson::Null);
                coll.by_id.remove(&id_key(&id));
                keys.push(doc! { "_id": id });
            }
        }
        let n = keys.len() as u64;
        for key in keys {
            self.record(ns, Change::Delete { key });
        }
        n
    }

    /// Drops a collection; returns whether it existed.
    pub fn drop_collection(&mut self, ns: &Namespace) -> bool {
        if self.collections.remove(ns).is_some() {
            self.record(ns, Change::Drop);
            true
        } else {
            false
        }
    }

    /// (name, uuid) of every collection of `db`, sorted by name.
    pub fn collections_of(&self, db: &str) -> Vec<(String, Binary)> {
        self.collections
            .iter()
            .filter(|(ns, _)| ns.db == db)
            .map(|(ns, c)| (ns.coll.clone(), c.uuid.clone()))
            .collect()
    }
}

/// Different for every `Store` made, within a process and (very likely) across processes.
fn new_instance_id() -> u32 {
    static MADE: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let made = MADE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    nanos ^ made.wrapping_mul(0x9E37_79B9) ^ std::process::id().rotate_left(16)
}

fn unix_seconds() -> u32 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    u32::try_from(secs).unwrap_or(u32::MAX)
}

/// The deepest nesting a stored document may have: the MongoDB manual's limit ("Nested Depth
/// for BSON Documents" in "MongoDB Limits and Thresholds"). (mongod itself counts a little
/// more generously; what matters here is that no document grows without bound: every
/// encoder, comparison and drop that walks it is recursive.)
pub const MAX_STORED_DEPTH: usize = 100;

/// mongod's checks before an insert ("object to insert too large", BadValue; too deep,
/// Overflow), in its words.
fn check_insertable(doc: &Document) -> Result<(), CommandError> {
    let size = crate::bson_encoder::document_bytes(doc).len();
    if size > crate::wire::MAX_BSON_OBJECT_SIZE {
        return Err(CommandError::bad_value(format!(
            "object to insert too large. size in bytes: {size}, max size: {}",
            crate::wire::MAX_BSON_OBJECT_SIZE
        )));
    }
    if depth(doc) > MAX_STORED_DEPTH {
        return Err(CommandError::overflow(format!(
            "cannot insert document because it exceeds {MAX_STORED_DEPTH} levels of nesting"
        )));
    }
    Ok(())
}

/// mongod's checks of a document an update produced (BSONObjectTooLarge 10334; too deep,
/// Overflow), in its words.
fn check_updated(doc: &Document) -> Result<(), CommandError> {
    let size = crate::bson_encoder::document_bytes(doc).len();
    if size > crate::wire::MAX_BSON_OBJECT_SIZE {
        return Err(CommandError::new(
            10334,
            "BSONObjectTooLarge",
            format!(
                "Resulting document after update is larger than {}",
                crate::wire::MAX_BSON_OBJECT_SIZE
            ),
        ));
    }
    if depth(doc) > MAX_STORED_DEPTH {
        return Err(CommandError::overflow(format!(
            "Document exceeds maximum nesting depth of {MAX_STORED_DEPTH}"
        )));
    }
    Ok(())
}

/// How deeply `doc` nests: 1 for a flat document. Recursive, but only over documents that came
/// through the wire's depth check or out of an update whose paths are bounded (update.rs).
fn depth(doc: &Document) -> usize {
    1 + doc.values().map(value_depth).max().unwrap_or(0)
}

fn value_depth(value: &Bson) -> usize {
    match value {
        Bson::Document(d) => depth(d),
        Bson::Array(items) => 1 + items.iter().map(value_depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// Puts `_id` first (generating an ObjectId if missing), as mongod stores documents.
fn with_id_first(doc: Document) -> Result<Document, CommandError> {
    if let Some(Bson::Array(_)) = doc.get("_id") {
        return Err(CommandError::new(
            53,
            "InvalidIdField",
            "The '_id' value cannot be of type array",
        ));
    }
    if doc.keys().next().map(String::as_str) == Some("_id") {
        return Ok(doc);
    }
    let mut out = Document::new();
    out.insert(
        "_id",
        doc.get("_id")
            .cloned()
            .unwrap_or_else(|| Bson::ObjectId(ObjectId::new())),
    );
    for (k, v) in doc {
        if k != "_id" {
            out.insert(k, v);
        }
    }
    Ok(out)
}

/// A hashable spelling of an `_id` in which equal values (1, 1.0, 1i64) are spelled the same.
fn id_key(id: &Bson) -> String {
    let as_number = match id {
        Bson::Int32(i) => Some(f64::from(*i)),
        Bson::Int64(i) => Some(*i as f64),
        Bson::Double(d) => Some(*d),
        _ => None,
    };
    match (id, as_number) {
        (_, Some(n)) if n.fract() == 0.0 && n.abs() < 9.0e15 => format!("n:{}", n as i64),
        (_, Some(n)) => format!("d:{n}"),
        (Bson::String(s), _) => format!("s:{s}"),
        (Bson::ObjectId(o), _) => format!("o:{o}"),
        (other, _) => format!("x:{other:?}"),
    }
}

/// The E11000 error, worded as mongod words it ("Duplicate Key Error" / error code 11000).
fn duplicate_key(ns: &Namespace, id: &Bson) -> CommandError {
    let mut e = CommandError::new(
        11000,
        "DuplicateKey",
        format!(
            "E11000 duplicate key error collection: {ns} index: _id_ dup key: {{ _id: {} }}",
            shell_format(id)
        ),
    );
    e.extra = Some(Box::new(
        doc! { "keyPattern": { "_id": 1 }, "keyValue": { "_id": id.clone() } },
    ));
    e
}

/// Values written roughly as the mongo shell writes them, for error messages.
fn shell_format(v: &Bson) -> String {
    match v {
        Bson::String(s) => format!("\"{s}\""),
        Bson::ObjectId(o) => format!("ObjectId('{o}')"),
        Bson::Int32(i) => i.to_string(),
        Bson::Int64(i) => i.to_string(),
        Bson::Double(d) => d.to_string(),
        other => other.to_string(),
    }
}

/// Sorts documents by one field, ascending (`1`) or descending (`-1`).
pub fn sort_by_field(docs: &mut [Document], field: &str, descending: bool) {
    docs.sort_by(|a, b| {
        let va = crate::matcher::lookup(a, field).unwrap_or(&Bson::Null);
        let vb = crate::matcher::lookup(b, field).unwrap_or(&Bson::Null);
        let ord = compare_values(va, vb);
        if descending {
            ord.reverse()
        } else {
            ord
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_is_bounded_and_reports_loss() {
        let mut store = Store::new(3);
        let ns = Namespace::new("d", "c");
        for i in 0..5 {
            store.insert(&ns, doc! {"_id": i}).unwrap();
        }
        let scope = Scope::Collection(ns.clone());
        // Events 1 and 2 were evicted: resuming after event 1 would miss event 2.
        assert_eq!(store.events_after(&scope, 1, 100).unwrap_err(), HistoryLost);
        let after2: Vec<u64> = store
            .events_after(&scope, 2, 100)
            .unwrap()
            .iter()
            .map(|e| e.seq)
            .collect();
        assert_eq!(after2, vec![3, 4, 5]);
    }

    #[test]
    fn duplicate_ids_are_refused_across_numeric_types() {
        let mut store = Store::new(10);
        let ns = Namespace::new("d", "c");
        store.insert(&ns, doc! {"_id": 1}).unwrap();
        let e = store.insert(&ns, doc! {"_id": 1.0}).unwrap_err();
        assert_eq!(e.code, 11000);
        assert_eq!(
            e.errmsg,
            "E11000 duplicate key error collection: d.c index: _id_ dup key: { _id: 1 }"
        );
    }

    #[test]
    fn missing_id_is_generated_first() {
        let mut store = Store::new(10);
        let ns = Namespace::new("d", "c");
        store.insert(&ns, doc! {"a": 1}).unwrap();
        let docs = store.find(&ns, &Filter::parse(&doc! {}).unwrap());
        assert_eq!(docs[0].keys().next().unwrap(), "_id");
        assert!(matches!(docs[0].get("_id"), Some(Bson::ObjectId(_))));
    }
}
