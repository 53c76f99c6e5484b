//! What the tests of the post-list pages (lessons 05 to 07) share: each page shows a post as an
//! `li` of `#posts` with its title in an `h3`, and the tests write posts through the driver.

use mongodb::bson::{doc, Document};
use mongodb::Collection;

use crate::{js_string, Page, DEADLINE};

/// The titles in the page's list, top to bottom, as one JavaScript array.
pub const TITLES: &str = "[...document.querySelectorAll('#posts li h3')].map((h) => h.textContent)";

/// Waits until the page's list shows exactly `titles` (newest first), each once.
pub async fn wait_for_titles(page: &Page, titles: &[&str]) -> Result<(), String> {
    let want = serde_json::json!(titles).to_string();
    page.wait_for(
        &format!("JSON.stringify({TITLES}) === {}", js_string(&want)),
        DEADLINE,
    )
    .await
    .map(|_| ())
}

/// Inserts a post that has only a title.
pub async fn insert(posts: &Collection<Document>, title: &str) -> Result<(), String> {
    posts
        .insert_one(doc! { "title": title })
        .await
        .map(|_| ())
        .map_err(|e| format!("insert {title}: {e}"))
}
