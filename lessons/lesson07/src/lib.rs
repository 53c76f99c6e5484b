//! Lesson 07 as a library, so that lesson08 runs the very same service as several instances.
//! `main.rs` says what each module is for.

pub mod changes;
pub mod clients;
pub mod config;
pub mod frames;
pub mod logout;
pub mod sse;
