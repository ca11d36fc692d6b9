//! The crate's wasm tests in Node (`wasm-pack test --node -- --test node`).
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

#[path = "wasm/client.rs"]
mod client;
#[path = "wasm/decode.rs"]
mod decode;
