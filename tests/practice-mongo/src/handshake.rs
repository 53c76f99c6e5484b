//! The handshake: `hello` (and its legacy names `isMaster` / `ismaster`).
//!
//! Drivers send it first on every connection, then again every few seconds to monitor the
//! server. We answer as the primary of a one-member replica set named `rs0`, because change
//! streams exist only on replica sets: a standalone server would get error 40573 for `watch`.
//! Fields follow the "hello" page of the MongoDB manual
//! (https://www.mongodb.com/docs/manual/reference/command/hello/).

use bson::oid::ObjectId;
use bson::{doc, Bson, DateTime, Document, Timestamp};

/// A MongoDB 7.0 server speaks wire version 21.
pub const MAX_WIRE_VERSION: i32 = 21;
pub const REPLICA_SET: &str = "rs0";

/// The reply to `hello` (`legacy` = asked as `isMaster`/`ismaster`, which answer `ismaster`
/// where `hello` answers `isWritablePrimary`). A `standalone` server leaves out every
/// replica-set field, as a `mongod` started without `--replSet` does.
pub fn hello_reply(
    host_port: &str,
    cluster_time: Timestamp,
    connection_id: u64,
    legacy: bool,
    standalone: bool,
) -> Document {
    let primary_field = if legacy {
        "ismaster"
    } else {
        "isWritablePrimary"
    };
    let now = DateTime::now();
    let mut reply = doc! {
        // We deliberately send no `topologyVersion`: with one, the Rust driver switches its
        // monitor to the streaming (exhaust) protocol, which this server does not implement.
        "helloOk": true,
        primary_field: true,
        "hosts": [host_port],
        "setName": REPLICA_SET,
        "setVersion": 1,
        "secondary": false,
        "primary": host_port,
        "me": host_port,
        // Constant: this one member never loses an election.
        "electionId": Bson::ObjectId(ObjectId::from_bytes([0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 1])),
        "lastWrite": {
            "opTime": { "ts": cluster_time, "t": 1_i64 },
            "lastWriteDate": now,
            "majorityOpTime": { "ts": cluster_time, "t": 1_i64 },
            "majorityWriteDate": now,
        },
        "maxBsonObjectSize": 16 * 1024 * 1024,
        "maxMessageSizeBytes": crate::wire::MAX_MESSAGE_SIZE as i32,
        "maxWriteBatchSize": 100_000,
        "localTime": now,
        "logicalSessionTimeoutMinutes": 30,
        "connectionId": connection_id as i64,
        "minWireVersion": 0,
        "maxWireVersion": MAX_WIRE_VERSION,
        "readOnly": false,
    };
    if standalone {
        for field in [
            "hosts",
            "setName",
            "setVersion",
            "secondary",
            "primary",
            "me",
            "electionId",
            "lastWrite",
        ] {
            reply.remove(field);
        }
    }
    reply.insert("ok", 1.0);
    reply
}

/// The application name a driver reports in its first `hello` (`client.application.name`).
pub fn app_name(hello: &Document) -> Option<String> {
    hello
        .get_document("client")
        .ok()?
        .get_document("application")
        .ok()?
        .get_str("name")
        .ok()
        .map(str::to_owned)
}

pub fn is_hello(name: &str) -> bool {
    matches!(name, "hello" | "isMaster" | "ismaster")
}
