//! Text from JS the core parses as JSON: the options record, a refresh response or a refresh
//! function's value, `login()`'s argument, a token's payload. Any bytes, never a panic; what
//! parses is read by the option rules and the refresh rules without a panic either, and a
//! number written back reads as itself.
#![no_main]

use authlane_core::input::Reply;
use authlane_core::json::{write_num, Json};
use authlane_core::options::{parse, Environment};
use authlane_core::reply::{classify, token_set};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(value) = Json::parse(&text) {
        let _ = token_set(&value);
        let _ = parse(&value, Environment::default());
        let _ = parse(
            &value,
            Environment {
                document_url: Some("https://app.example/x".into()),
                global_fetch: true,
                web_locks: true,
                random: Some(vec![1; 32]),
                signer: true,
            },
        );
        if let Some(n) = value.num() {
            let mut out = String::new();
            write_num(&mut out, n);
            assert!(Json::parse(&out).is_ok(), "{n} wrote {out}");
        }
    }
    for status in [200, 400, 401, 503] {
        let reply = Reply::Http {
            status,
            body: Some(&text),
            date: None,
            retry_after_ms: None,
            nonce: None,
        };
        let _ = classify(reply, status == 400);
    }
    let _ = classify(Reply::Function(Some(&text)), false);
});
