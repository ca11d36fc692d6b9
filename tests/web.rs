//! The crate's wasm tests in headless Chromium (`wasm-pack test --headless --chrome -- --test web`).
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

#[path = "wasm/client.rs"]
mod client;
#[path = "wasm/decode.rs"]
mod decode;
