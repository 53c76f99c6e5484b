//! One client connection: read a message, run it, write the reply, repeat.
//!
//! While a command runs (a change stream's `getMore` may wait up to its `maxTimeMS`), we keep
//! reading the socket, so a client that hangs up is noticed at once: the command is abandoned
//! and the connection's cursors freed, as mongod interrupts operations of a gone client.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedReadHalf;
use tokio::net::TcpStream;

use crate::commands::{self, Outcome};
use crate::cursors::ConnId;
use crate::errors::CommandError;
use crate::server::Shared;
use crate::wire::{self, Request, WireError, HEADER_LEN, MAX_MESSAGE_SIZE};

/// What the server knows about a connection.
pub(crate) struct Conn {
    pub id: ConnId,
    /// `client.application.name` from the handshake (the URI's `appName`), for fail points.
    pub app_name: Option<String>,
}

/// Counts the connection while it lives, and frees its cursors when it ends, however it ends
/// (clean close, malformed input, or the server shutting down and dropping this future).
struct Registration {
    shared: Arc<Shared>,
    id: ConnId,
}

impl Drop for Registration {
    fn drop(&mut self) {
        let freed = self.shared.lock().cursors.close_owned_by(self.id);
        self.shared.open_connections.fetch_sub(1, Ordering::SeqCst);
        if freed > 0 {
            tracing::debug!(conn = self.id, freed, "freed cursors of closed connection");
        }
    }
}

pub(crate) async fn serve(shared: Arc<Shared>, stream: TcpStream, peer: SocketAddr) {
    let id = shared.next_conn_id.fetch_add(1, Ordering::SeqCst);
    shared.open_connections.fetch_add(1, Ordering::SeqCst);
    let _registration = Registration {
        shared: shared.clone(),
        id,
    };
    tracing::debug!(conn = id, %peer, "connection opened");
    let mut conn = Conn { id, app_name: None };
    match run(&shared, &mut conn, stream).await {
        Ok(()) => tracing::debug!(conn = id, "connection closed"),
        Err(reason) => tracing::warn!(conn = id, %peer, %reason, "closing connection"),
    }
}

async fn run(shared: &Shared, conn: &mut Conn, stream: TcpStream) -> Result<(), WireError> {
    let (mut reader, mut writer) = stream.into_split();
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let Some(message) = next_message(&mut reader, &mut buf).await? else {
            return Ok(()); // the client closed between messages: a normal end
        };
        let request = match wire::parse_message(&message) {
            Ok(request) => request,
            Err(error) => {
                // A well-framed message whose BSON we refuse gets an error reply, as from
                // mongod, and the connection goes on (the next message starts where this
                // one's header said it ends). Anything else closes the connection.
                let Some(reply) = refusal_reply(shared, &message, &error) else {
                    return Err(error);
                };
                tracing::warn!(conn = conn.id, reason = %error, "refused a message");
                writer
                    .write_all(&reply)
                    .await
                    .map_err(|e| WireError::close(format!("write failed: {e}")))?;
                continue;
            }
        };
        let outcome = {
            let work = handle(shared, conn, &request);
            tokio::pin!(work);
            loop {
                tokio::select! {
                    outcome = &mut work => break outcome,
                    // Keep reading while the command runs, to notice a hang-up. Bytes that
                    // arrive are kept for the next message (bounded by one full message).
                    read = read_more(&mut reader, &mut buf), if buf.len() <= MAX_MESSAGE_SIZE => {
                        if read? == 0 {
                            return Ok(()); // hung up mid-command: abandon it
                        }
                    }
                }
            }
        };
        match outcome {
            Outcome::Reply(bytes) => writer
                .write_all(&bytes)
                .await
                .map_err(|e| WireError::close(format!("write failed: {e}")))?,
            Outcome::NoReply => {}
            Outcome::Close => return Ok(()),
        }
    }
}

/// The error reply to a message refused for its content, in the op code it came in; `None`
/// when the connection must be closed instead.
fn refusal_reply(shared: &Shared, message: &[u8], error: &WireError) -> Option<Vec<u8>> {
    let refusal = error.refusal?;
    let (op_code, request_id) = wire::refusal_target(message, error)?;
    let refused = CommandError::new(refusal.code, refusal.code_name, error.message.clone());
    let Outcome::Reply(doc) = commands::reply(shared, Err(refused)) else {
        return None;
    };
    let reply_id = NEXT_REPLY_ID.fetch_add(1, Ordering::Relaxed);
    Some(if op_code == wire::OP_QUERY {
        wire::encode_op_reply(request_id, reply_id, &doc)
    } else {
        wire::encode_op_msg(request_id, reply_id, &doc)
    })
}

/// Replies need ids of their own; nobody relies on their values.
static NEXT_REPLY_ID: AtomicI32 = AtomicI32::new(1);

/// Runs a request and encodes the reply in the matching op code.
async fn handle(shared: &Shared, conn: &mut Conn, request: &Request) -> Outcome<Vec<u8>> {
    let reply_id = NEXT_REPLY_ID.fetch_add(1, Ordering::Relaxed);
    match request {
        Request::Msg {
            request_id,
            flags,
            command,
        } => {
            let outcome = commands::run(shared, conn, command.clone()).await;
            // With moreToCome the client asked for no reply at all (unacknowledged writes).
            if flags & wire::FLAG_MORE_TO_COME != 0 {
                return match outcome {
                    Outcome::Close => Outcome::Close,
                    _ => Outcome::NoReply,
                };
            }
            outcome.map(|doc| wire::encode_op_msg(*request_id, reply_id, &doc))
        }
        Request::Query {
            request_id,
            collection,
            query,
        } => commands::run_legacy_query(shared, conn, collection, query)
            .map(|doc| wire::encode_op_reply(*request_id, reply_id, &doc)),
    }
}

/// Reads until `buf` holds one whole message and returns it, or `None` on a clean EOF.
async fn next_message(
    reader: &mut OwnedReadHalf,
    buf: &mut Vec<u8>,
) -> Result<Option<Vec<u8>>, WireError> {
    loop {
        if buf.len() >= HEADER_LEN {
            // The header is checked as soon as it is in, before waiting for the body.
            let header = wire::parse_header(&buf[..HEADER_LEN])?;
            if buf.len() >= header.length {
                let rest = buf.split_off(header.length);
                return Ok(Some(std::mem::replace(buf, rest)));
            }
        }
        if read_more(reader, buf).await? == 0 {
            return if buf.is_empty() {
                Ok(None)
            } else {
                Err(WireError::close(format!(
                    "connection closed in the middle of a message ({} bytes)",
                    buf.len()
                )))
            };
        }
    }
}

/// One read into `buf`. Cancel-safe, so it can sit in a `select!`.
async fn read_more(reader: &mut OwnedReadHalf, buf: &mut Vec<u8>) -> Result<usize, WireError> {
    // Grow in modest steps: a header may claim 48 MB that never comes.
    buf.reserve(16 * 1024);
    reader
        .read_buf(buf)
        .await
        .map_err(|e| WireError::close(format!("read failed: {e}")))
}
