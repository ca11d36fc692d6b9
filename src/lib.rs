//! authlane's wasm module: `authlane-core` behind a small typed boundary, for the JS shell
//! (`js/core.js` is the other side). No wasm-bindgen and no JS value inside: numbers in, text in
//! and out through one buffer in linear memory.
//!
//! - `buf(len)` makes the buffer hold at least `len` bytes and returns where it is; the shell
//!   writes a call's text there (UTF-8), and its numbers into the 8 `f64`s at `nums()`.
//! - Each call reads them and writes its answer (UTF-8, mostly JSON) back into the buffer; it
//!   returns the answer's length, negated when the buffer moved (ask `buf(0)` where it is now).
//! - `client_new` answers `{"handle":…,"facts":…}` or `{"error":…}`; `client_handle` hands
//!   a client one event and answers the effects to perform as a JSON array, its last item the
//!   time to be called back at (`null`: none).
#![deny(missing_docs)]

use std::cell::{Cell, RefCell};

use authlane_core::action::session_json;
use authlane_core::effect::{write_error, Lock};
use authlane_core::input::{Input, Reply, Stored};
use authlane_core::json::{write_num, Json};
use authlane_core::jwt::{decode, invalid, Part};
use authlane_core::options::{parse, Environment};
use authlane_core::Client;

/// Talc instead of Rust's default dlmalloc: about a third of its code size; the module is
/// single-threaded (no `atomics`), which is what talc's sync cell requires.
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

thread_local! {
    static BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static NUMS: [Cell<f64>; 8] = const { [const { Cell::new(0.0) }; 8] };
    static CLIENTS: RefCell<Vec<Option<Client>>> = const { RefCell::new(Vec::new()) };
}

fn num(i: usize) -> f64 {
    NUMS.with(|n| n.get(i).map_or(f64::NAN, Cell::get))
}

/// A number the shell passes for "none": NaN.
fn opt(i: usize) -> Option<f64> {
    Some(num(i)).filter(|n| !n.is_nan())
}

/// Where the 8 numbers of a call go.
#[no_mangle]
pub extern "C" fn nums() -> *const f64 {
    NUMS.with(|n| n.as_ptr().cast::<f64>())
}

/// Makes the buffer hold at least `len` bytes; returns where it is.
#[no_mangle]
pub extern "C" fn buf(len: u32) -> *mut u8 {
    BUF.with(|b| {
        let mut b = b.borrow_mut();
        let len = len as usize;
        if b.len() < len {
            b.resize(len.max(256), 0);
        }
        b.as_mut_ptr()
    })
}

/// The call's text: the first `len` bytes of the buffer.
fn text(len: u32) -> String {
    BUF.with(|b| {
        let b = b.borrow();
        let bytes = b.get(..len as usize).unwrap_or(&[]);
        String::from_utf8_lossy(bytes).into_owned()
    })
}

/// Writes the answer into the buffer; its length, negated when the buffer moved.
fn answer(out: &str) -> i32 {
    BUF.with(|b| {
        let mut b = b.borrow_mut();
        let before = b.as_ptr();
        if b.len() < out.len() {
            b.resize(out.len(), 0);
        }
        if let Some(dst) = b.get_mut(..out.len()) {
            dst.copy_from_slice(out.as_bytes());
        }
        let n = out.len() as i32;
        if b.as_ptr() == before {
            n
        } else {
            -n
        }
    })
}

fn with_client<T>(handle: u32, f: impl FnOnce(&mut Client) -> T) -> Option<T> {
    CLIENTS.with(|c| {
        let mut clients = c.borrow_mut();
        let slot = clients.get_mut((handle as usize).checked_sub(1)?)?;
        slot.as_mut().map(f)
    })
}

/// Makes a client from the options record (the buffer's `len` bytes: `{"options":…,"env":…}`),
/// `nums[0]` its seed.
#[no_mangle]
pub extern "C" fn client_new(len: u32) -> i32 {
    let record = Json::parse(&text(len)).unwrap_or(Json::Null);
    let options = record.get("options").cloned().unwrap_or(Json::Null);
    let env = record
        .get("env")
        .map(Environment::from_record)
        .unwrap_or_default();
    let mut out = String::new();
    match parse(&options, env) {
        Err(e) => {
            out.push_str("{\"error\":");
            write_error(&mut out, &e);
            out.push('}');
        }
        Ok(config) => {
            let seed = num(0).abs() as u64;
            let client = Client::new(config, seed);
            let handle = CLIENTS.with(|c| {
                let mut clients = c.borrow_mut();
                let free = clients.iter().position(Option::is_none);
                match free {
                    Some(at) => {
                        if let Some(slot) = clients.get_mut(at) {
                            *slot = Some(client);
                        }
                        at + 1
                    }
                    None => {
                        clients.push(Some(client));
                        clients.len()
                    }
                }
            });
            out.push_str("{\"handle\":");
            write_num(&mut out, handle as f64);
            out.push_str(",\"facts\":");
            with_client(handle as u32, |c| c.config().facts_json(&mut out));
            out.push('}');
        }
    }
    answer(&out)
}

/// Frees a client.
#[no_mangle]
pub extern "C" fn client_free(handle: u32) {
    CLIENTS.with(|c| {
        if let Some(slot) = c.borrow_mut().get_mut((handle as usize).wrapping_sub(1)) {
            *slot = None;
        }
    });
}

/// The event of kind `kind` (see `js/core.js`) for client `handle`, its text the buffer's `len`
/// bytes (parts separated by NUL) and its numbers `nums[0..]` (`nums[0]` the device time,
/// `nums[1]` the monotonic time, the event's own from `nums[2]`);
/// answers the effects, then the time to be called back at and whether work is in progress.
#[no_mangle]
pub extern "C" fn client_handle(handle: u32, kind: u32, len: u32) -> i32 {
    let payload = text(len);
    let mut parts = payload.split('\u{0}');
    let mut part = || parts.next().unwrap_or("");
    let (a, b, c, d, e) = (num(2), num(3), num(4), num(5), num(6));
    let id = a as u32;
    let s1 = part();
    let s2 = part();
    let s3 = part();
    let lock = |n: f64| match n as i32 {
        1 => Lock::Call,
        2 => Lock::Revoke,
        3 => Lock::Fallback,
        4 => Lock::Logout,
        _ => Lock::Refresh,
    };
    let input = match kind {
        0 => Input::Start { id },
        1 => Input::Request {
            id,
            url: s1,
            method: s2,
            auth: b != 0.0,
        },
        2 => Input::Response {
            id,
            status: b as u16,
            url: Some(s1).filter(|s| !s.is_empty()),
            date: opt(4),
            challenge: Some(s2).filter(|s| !s.is_empty()),
            nonce: Some(s3).filter(|s| !s.is_empty()),
            lease: opt(5).map(|g| (g as u64, e as u64)),
        },
        3 => Input::Judged {
            id,
            rejects: b != 0.0,
        },
        4 => Input::Gone { id },
        5 => Input::Accepted {
            generation: a as u64,
        },
        6 => Input::Dated { date: a },
        7 => Input::Refreshed(match a as i32 {
            0 => Reply::Function((b != 0.0).then_some(s1)),
            1 => Reply::Threw {
                status: opt(3).map(|s| s as u16),
                timeout: opt(4).map(|t| t != 0.0),
            },
            _ => Reply::Http {
                status: b as u16,
                nonce: Some(s2).filter(|s| !s.is_empty()),
                body: (c != 0.0).then_some(s1),
                date: opt(5),
                retry_after_ms: opt(6),
            },
        }),
        8 => Input::Loaded {
            io: id,
            value: match b as i32 {
                0 => Some(Stored::Missing),
                1 => Some(Stored::Text(s1)),
                2 => Some(Stored::NotText),
                _ => None,
            },
        },
        9 => Input::Saved {
            io: id,
            ok: b != 0.0,
        },
        10 => Input::Locked {
            which: lock(a),
            granted: b != 0.0,
            contended: c != 0.0,
            shared: d != 0.0,
        },
        11 => Input::Timer,
        12 => Input::Message(s1),
        13 => Input::Login { id, tokens: s1 },
        14 => Input::Logout { id },
        15 => Input::Revoked {
            id,
            status: opt(3).map(|s| s as u16),
            nonce: Some(s2).filter(|s| !s.is_empty()),
            body: (c != 0.0).then_some(s1),
        },
        16 => Input::AccessToken { id },
        17 => Input::Refresh { id },
        18 => Input::AutoRefresh(a != 0.0),
        20 if cfg!(feature = "dpop") => Input::Key((a != 0.0).then_some((s1, s2))),
        21 if cfg!(feature = "dpop") => Input::Signed {
            io: id,
            signature: (b != 0.0).then_some(s1),
        },
        22 => Input::Proof {
            id,
            method: s1,
            url: s2,
            nonce: Some(s3).filter(|s| !s.is_empty()),
        },
        19 => Input::Dispose,
        23 => Input::Online(a != 0.0),
        // An event this module does not know (DPoP's, in the module without it): nothing.
        _ => Input::Timer,
    };
    let (now, mono) = (num(0), num(1));
    let mut out = String::from("[");
    let handled = with_client(handle, |client| {
        client.handle(now, mono, input);
        while let Some(effect) = client.poll() {
            effect.write_json(&mut out);
            out.push(',');
        }
        match client.poll_timeout() {
            Some(at) => write_num(&mut out, at),
            None => out.push_str("null"),
        }
        out.push_str(if client.busy() { ",true" } else { ",false" });
    });
    if handled.is_none() {
        out.push_str("null,false");
    }
    out.push(']');
    answer(&out)
}

/// `session()` of client `handle`.
#[no_mangle]
pub extern "C" fn client_session(handle: u32) -> i32 {
    let mut out = String::new();
    with_client(handle, |c| session_json(&c.session(), c.jkt(), &mut out));
    answer(&out)
}

/// The buffer's URL resolved against the client's base (empty: it cannot be).
#[no_mangle]
pub extern "C" fn client_resolve(handle: u32, len: u32) -> i32 {
    let input = text(len);
    let out = with_client(handle, |c| c.resolve(&input))
        .flatten()
        .unwrap_or_default();
    answer(&out)
}

/// Whether a request to the buffer's URL may carry client `handle`'s token (1) or not (0).
#[no_mangle]
pub extern "C" fn client_allows(handle: u32, len: u32) -> i32 {
    let url = text(len);
    i32::from(with_client(handle, |c| c.config().allows(&url)) == Some(true))
}

/// `decodeJwt`: the JSON text of the buffer's token's payload (`part` 1: its header), after
/// `1`; or `0` and the error as JSON (`part` 2: the token given was not a string).
#[no_mangle]
pub extern "C" fn decode_jwt(len: u32, part: u32) -> i32 {
    let token = text(len);
    let decoded = match part {
        0 => decode(&token, Part::Payload),
        1 => decode(&token, Part::Header),
        _ => Err(invalid(&["must be a string"])),
    };
    let mut out = String::new();
    match decoded {
        Ok(json) => {
            out.push('1');
            out.push_str(&json);
        }
        Err(e) => {
            out.push('0');
            write_error(&mut out, &e);
        }
    }
    answer(&out)
}
