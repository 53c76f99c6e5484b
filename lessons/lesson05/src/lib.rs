//! Lesson 05 as a library, so that later lessons reuse `/posts` (lesson06 both routes, lesson07
//! only `GET /posts`):
//!
//! - [`new_post`]: checking what a writer sends to `POST /posts`;
//! - [`posts`]: the `GET /posts` and `POST /posts` handlers, and JSON errors for everything else.

pub mod new_post;
pub mod posts;
