//! Lesson 08, one instance: `cargo run -p lesson08` (MongoDB first, as in lesson04).
//! `INSTANCE=a PORT=3001 cargo run -p lesson08` names it; `cargo run -p lesson08 --bin cluster`
//! runs three of them behind nginx. The lesson lives in `lib.rs` and the files it lists.

#[tokio::main]
async fn main() {
    lesson08::run().await;
}
