//! A MongoDB for the checks of lessons 04 and later: the practice server, or `MONGODB_URI`.

use mongodb::bson::{oid::ObjectId, Document};
use mongodb::Collection;
use practice_mongo::test_support::TestMongo;

use crate::{Mismatch, Program};

/// A MongoDB for one check, the program started on it (with `MONGODB_URI` and `env`), and the
/// `post` collection.
pub async fn start_with_mongo(
    program: &Program,
    env: &[(&str, &str)],
) -> Result<
    (
        harness::Lesson,
        Collection<Document>,
        mongodb::Client,
        TestMongo,
    ),
    Mismatch,
> {
    let mongo = TestMongo::start()
        .await
        .map_err(|e| Mismatch::stopped(&format!("no MongoDB for the check: {e}")))?;
    let uri = mongo.uri_for_db();
    let mut with_uri = vec![("MONGODB_URI", uri.as_str())];
    with_uri.extend_from_slice(env);
    let lesson = program.start(&with_uri).await;
    let client = mongodb::Client::with_uri_str(&uri)
        .await
        .map_err(|e| Mismatch::stopped(&format!("the check's own MongoDB client: {e}")))?;
    let posts = client.database(mongo.db_name()).collection("post");
    Ok((lesson, posts, client, mongo))
}

pub fn write_failed(e: mongodb::error::Error) -> Mismatch {
    Mismatch::stopped(&format!("the check could not write to MongoDB: {e}"))
}

/// A fixed `_id` for a check's post.
pub fn object_id(hex: &str) -> Result<ObjectId, Mismatch> {
    ObjectId::parse_str(hex).map_err(|e| Mismatch::stopped(&format!("bad ObjectId {hex}: {e}")))
}
