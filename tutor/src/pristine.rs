//! The unsolved exercise files, as shipped, built into the tutor so that `cargo tutor reset N` can
//! put them back whatever the learner did to the copies in `lessons/`.
//!
//! `tutor/pristine/lessonNN/<file>.rs` is a copy of `lessons/lessonNN/exercises/<file>.rs`.
//! `cargo tutor verify` (CI) fails if the two differ, and `cargo test` fails if an exercise has no
//! copy here, so they cannot drift apart unnoticed.

/// `pristine!("lesson01", "ex1_framed.rs")` is the pair (path of the learner's file, its unsolved text).
macro_rules! pristine {
    ($lesson:literal, $file:literal) => {
        (
            concat!("lessons/", $lesson, "/exercises/", $file),
            include_str!(concat!("../pristine/", $lesson, "/", $file)),
        )
    };
}

/// Every unsolved exercise file: (path from the workspace root, text).
pub const FILES: &[(&str, &str)] = &[
    pristine!("lesson01", "ex1_framed.rs"),
    pristine!("lesson01", "ex2_second_write.rs"),
    pristine!("lesson02", "ex1_id_and_retry.rs"),
    pristine!("lesson02", "ex2_heartbeat.rs"),
    pristine!("lesson03", "ex1_period_from_query.rs"),
    pristine!("lesson03", "ex2_done_after_n.rs"),
    pristine!("lesson04", "ex1_updates_and_deletes.rs"),
    pristine!("lesson04", "ex2_welcome.rs"),
    pristine!("lesson05", "ex1_limit.rs"),
    pristine!("lesson05", "ex2_readers_online.rs"),
    pristine!("lesson06", "ex1_retry_from_env.rs"),
    pristine!("lesson06", "ex2_id_in_query.rs"),
    pristine!("lesson07", "ex1_allowed_origin.rs"),
    pristine!("lesson07", "ex2_shutdown_reason.rs"),
    pristine!("lesson08", "ex1_proxy_headers.rs"),
    pristine!("lesson08", "ex2_keep_alive_period.rs"),
];
