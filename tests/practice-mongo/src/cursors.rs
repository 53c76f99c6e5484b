//! Open cursors: what `find`/`aggregate` did not return in the first batch, and change streams.
//!
//! A cursor belongs to the connection that last used it. When that connection closes, its
//! cursors are freed (a real mongod keeps idle cursors for 10 minutes instead; for a practice
//! server, freeing them at once keeps a learner's crashed programs from piling them up, and
//! lets tests count them).

use std::collections::{HashMap, VecDeque};

use bson::Document;

use crate::change_stream::StreamState;
use crate::store::Namespace;

/// Identifies one client connection.
pub type ConnId = u64;

#[derive(Debug)]
pub enum CursorKind {
    /// Documents of a `find` or `aggregate` still to be sent.
    Documents(VecDeque<Document>),
    ChangeStream(StreamState),
}

#[derive(Debug)]
pub struct Cursor {
    /// The namespace `getMore` must name, and the `ns` reported in replies.
    pub ns: Namespace,
    pub kind: CursorKind,
    pub owner: ConnId,
    /// A `getMore` is running on it (possibly waiting for change events).
    pub busy: bool,
}

#[derive(Debug, Default)]
pub struct CursorTable {
    cursors: HashMap<i64, Cursor>,
    last_id: i64,
}

impl CursorTable {
    pub fn open(&mut self, cursor: Cursor) -> i64 {
        // Ids only need to be unique and non-zero (0 means "no cursor" on the wire).
        self.last_id += 1;
        let id = self.last_id;
        self.cursors.insert(id, cursor);
        id
    }

    pub fn get_mut(&mut self, id: i64) -> Option<&mut Cursor> {
        self.cursors.get_mut(&id)
    }

    pub fn remove(&mut self, id: i64) -> Option<Cursor> {
        self.cursors.remove(&id)
    }

    pub fn len(&self) -> usize {
        self.cursors.len()
    }

    /// Frees every cursor whose owner is `conn`; returns how many.
    pub fn close_owned_by(&mut self, conn: ConnId) -> usize {
        let before = self.cursors.len();
        self.cursors.retain(|_, c| c.owner != conn);
        before - self.cursors.len()
    }
}
