//! The origin check against the WHATWG URL parser that `fetch` uses: whenever authlane resolves a
//! request URL and finds its origin, the URL that `fetch` is given must parse to that same origin.
//! Otherwise a token could go to a host the allowlist never named.
#![no_main]

use authlane_core::url::{origin, resolve};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Split into (base, input) at the first newline; no newline: no base.
    let (base, input) = match text.split_once('\n') {
        Some((b, i)) => (Some(b), i),
        None => (None, text),
    };
    check(origin(input), input);
    if let Some(resolved) = resolve(base, input) {
        check(origin(&resolved), &resolved);
    }
});

fn check(ours: Option<String>, fetched: &str) {
    let Some(ours) = ours else {
        return; // not an allowed origin: no token is attached
    };
    // A URL that WHATWG cannot parse makes fetch throw: nothing is sent anywhere.
    let Ok(theirs) = url::Url::parse(fetched) else {
        return;
    };
    let normalised = url::Url::parse(&ours).unwrap_or_else(|e| {
        panic!("{fetched:?} parses, but authlane's origin {ours:?} for it does not: {e}")
    });
    assert_eq!(
        normalised.origin(),
        theirs.origin(),
        "authlane says {ours:?} for {fetched:?}; fetch would go to {}",
        theirs.origin().ascii_serialization()
    );
}
