//! The native tests' fake world and driver: `world.rs` (the API, the refresh and revocation
//! endpoints, storage, the clock, the record), `sim.rs` (clients on a virtual clock, fed as the JS
//! shell feeds them), `shell.rs` and `locks.rs` (their effects, performed as the JS shell
//! performs them), `harness.rs` (a client started, and the checks the tests share).

pub mod harness;
pub mod locks;
pub mod shell;
pub mod sim;
pub mod world;
