//! Inserts one post into the lesson's collection, so you can watch it arrive on the page.
//!
//!   cargo run -p lesson04 --bin insert-post -- "제목" "본문"
//!
//! With a real MongoDB, `mongosh` does the same: `db.post.insertOne({ title: "제목" })`.

use mongodb::bson::{doc, DateTime, Document};
use mongodb::options::ClientOptions;
use mongodb::Client;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let Some(title) = args.next() else {
        eprintln!("usage: insert-post <title> [body]");
        std::process::exit(2);
    };
    let body = args.next().unwrap_or_default();
    let uri = posts::mongo::uri_from_env();

    let result = async {
        let options = ClientOptions::parse(&uri).await?;
        let database = options
            .default_database
            .clone()
            .unwrap_or_else(|| posts::mongo::DEFAULT_DATABASE.to_owned());
        let posts = Client::with_options(options)?
            .database(&database)
            .collection::<Document>(posts::mongo::COLLECTION);
        let post = doc! { "title": title, "body": body, "createdAt": DateTime::now() };
        posts.insert_one(post).await
    };
    match result.await {
        Ok(inserted) => match inserted.inserted_id.as_object_id() {
            Some(id) => println!("inserted post {}", id.to_hex()),
            None => println!("inserted post {}", inserted.inserted_id),
        },
        Err(err) => {
            eprintln!("error: could not insert the post: {err}");
            std::process::exit(1);
        }
    }
}
