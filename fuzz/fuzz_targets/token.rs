//! Tokens as they come from storage, refresh responses and `decodeJwt`, and `WWW-Authenticate`
//! challenges (the same text is both): any bytes, never a panic,
//! and the decoder's contract holds (a part that decodes is the base64url of what it gave).
#![no_main]

use authlane_core::jwt::{base64url_decode, part_text, Part};
use authlane_core::policy::{insufficient_scope, usable_token};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let token = String::from_utf8_lossy(data);
    let _ = usable_token(&token);
    let _ = insufficient_scope(&token);
    for part in [Part::Header, Part::Payload] {
        if let Err(e) = part_text(&token, part) {
            assert!(
                e.message().starts_with("Invalid token specified: "),
                "{}",
                e.message()
            );
        }
    }
    if let Ok(bytes) = base64url_decode(&token) {
        // Every 4 characters give at most 3 bytes.
        assert!(bytes.len() <= token.len() / 4 * 3 + 3);
    }
});
