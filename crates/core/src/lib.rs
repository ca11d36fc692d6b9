//! authlane's decision logic, with no JS in it: the session state and its only writer
//! (`session`), the session operations and the single-flight refresh (`core`, `refresh`,
//! `cross_tab`), the request pipeline's decisions (`pipeline`, `policy`), the
//! clock corrected to the server's (`clock`), origins (`url`), JWT decoding (`jwt`), the rules for
//! options (`options`, `config`) and refresh results (`refresh_result`), errors as data
//! (`error`). What it needs from its surroundings is the `Env` trait (`env`): the wasm binding
//! (the `authlane` crate) implements it with JS, the native tests and the simulation with fakes.
#![deny(missing_docs)]

pub mod clock;
pub mod config;
pub mod core;
pub mod cross_tab;
pub mod env;
pub mod error;
pub mod jwt;
pub mod options;
pub mod pipeline;
pub mod policy;
pub mod refresh;
pub mod refresh_result;
mod session;
pub mod shared;
pub mod url;
