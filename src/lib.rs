//! authlane: an auth-aware `fetch`, compiled to WebAssembly.
//!
//! One refresh for any number of expired requests, held requests that always settle, an origin
//! allowlist for the token, expiry decisions on a clock corrected to the server's. The pure parts
//! (JWT decoding, the refresh state machine, the clock) have no JS in them and are tested natively;
//! the JS boundary is in `api.rs`, `error.rs` and the client's glue.
#![deny(missing_docs)]

/// Talc instead of Rust's default dlmalloc: about a third of its code size; the module is
/// single-threaded (no `atomics`), which is what talc's sync cell requires.
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

pub mod api;
pub mod client;
pub mod clock;
pub mod config;
pub mod core;
pub mod cross_tab;
pub mod env;
pub mod error;
pub mod js_action;
pub mod js_env;
pub mod js_options;
pub mod js_refresh;
pub mod jwt;
pub mod options;
pub mod pipeline;
pub mod policy;
pub mod refresh;
pub mod refresh_result;
pub mod shared;
pub mod url;
