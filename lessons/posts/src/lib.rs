//! The notes' posts in MongoDB (database `yelp-camp`, collection `post`), shared by lessons
//! 04–08. Each module is taught by one lesson and used by the later ones:
//!
//! - [`mongo`]: connect, and open the change stream of inserts, with every start-up error
//!   explained (lesson04);
//! - [`feed`]: drive that one stream in one task and fan it out to every SSE client (lesson04);
//! - [`json_stringify`]: a BSON document as JavaScript's `JSON.stringify` writes it (lesson04);
//! - [`new_post`] and [`routes`]: checking what a writer sends, `GET /posts` and `POST /posts`
//!   (lesson05);
//! - [`serve_feed`]: connect once, open the one change stream once, then serve: the notes'
//!   `main()` (lesson04; lesson05 and the exercises of both start the same way);
//! - [`resume_id`]: a change stream's resume token as an SSE `id:` and back (lesson06).

pub mod feed;
pub mod json_stringify;
pub mod mongo;
pub mod new_post;
pub mod resume_id;
pub mod routes;
pub mod serve_feed;
