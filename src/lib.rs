//! authlane: an auth-aware `fetch`, compiled to WebAssembly.
//!
//! The wasm binding of `authlane-core` (crates/core), which holds every decision and no JS. This
//! crate turns JS values into the core's plain types and back: options (`js_options`), refresh
//! results (`js_refresh`), errors (`js_error`), actions (`js_action`), the host the core calls
//! (`js_env`), and the exported API (`api`, `client`).
#![deny(missing_docs)]

/// Talc instead of Rust's default dlmalloc: about a third of its code size; the module is
/// single-threaded (no `atomics`), which is what talc's sync cell requires.
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

pub mod api;
pub mod client;
pub mod js_action;
pub mod js_env;
pub mod js_error;
pub mod js_options;
pub mod js_refresh;
