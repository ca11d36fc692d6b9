//! authlane's decision logic, with no JS, no I/O, no clock and no executor: a state machine that
//! the shell drives ([`Client`]: events in with the time, effects out, a timer to call back at),
//! in the shape of quinn-proto's `Connection`. The session and its only writer (`session`),
//! requests (`requests`), the single-flight refresh (`flight`), storage work (`tasks`,
//! `storage`), other tabs (`tabs`), the calls the client makes itself (`calls`); pure rules:
//! options (`options`, `config`), refresh results (`reply`), `policy`, the corrected `clock`,
//! origins (`url`), JWT (`jwt`), a JSON reader (`json`), actions and messages (`action`), errors
//! as data (`error`). The wasm binding (the `authlane` crate) runs it for the JS shell; the
//! native tests run it against a fake world.
#![deny(missing_docs)]

pub mod action;
pub mod calls;
mod client;
pub mod clock;
pub mod config;
pub mod dpop;
pub mod effect;
pub mod error;
mod flight;
pub mod input;
pub mod json;
pub mod jwt;
mod keys;
mod logout;
mod offline;
pub mod options;
pub mod policy;
pub mod reply;
mod requests;
mod session;
pub mod sha256;
mod storage;
mod tabs;
mod tasks;
pub mod url;

pub use client::Client;
pub use requests::DATE_SAMPLE_MS;
