//! The client state machine driven by any sequence of events: whatever the shell reports (any
//! ids, any storage values, any replies, any times, in any order), the core never panics, and the
//! effects it asks for are well formed (their JSON parses). A panic in the wasm module would poison
//! the instance for the whole app.
#![no_main]

use authlane_core::config::Config;
use authlane_core::effect::Lock;
use authlane_core::input::{Input, Reply, Stored};
use authlane_core::json::Json;
use authlane_core::Client;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut config = Config {
        allowed_origins: vec!["https://api.example".into()],
        base_url: Some("https://api.example/".into()),
        ..Config::default()
    };
    let mut bytes = data.iter().copied();
    let mut next = move || bytes.next();
    let flags = next().unwrap_or(0);
    config.cookie = flags & 1 != 0;
    config.cross_tab = flags & 2 != 0;
    config.oauth2 = flags & 4 != 0;
    config.ask_refresh_on = flags & 8 != 0;
    config.dpop = flags & 16 != 0;
    config.seed = vec![flags; 32];
    config.revoke_url = (flags & 32 != 0).then(|| "https://api.example/revoke".into());
    let mut client = Client::new(config, u64::from(flags));
    let mut now = 1_700_000_000_000.0;
    let texts = ["", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE3MDAwMDAwMDAsImlhdCI6MTZ9.x", "{\"accessToken\":\"t1\",\"refreshToken\":\"r1\"}", "{\"access_token\":\"x y\"}", "tokens 00000000000000ff", "login 1", "loggedOut", "https://api.example/x", "https://evil.example/", "DPoP error=\"use_dpop_nonce\""];
    while let Some(op) = next() {
        let id = u32::from(next().unwrap_or(0) % 8);
        let text = texts[usize::from(next().unwrap_or(0)) % texts.len()];
        let n = f64::from(next().unwrap_or(0));
        now += n * 997.0;
        let input = match op % 24 {
            0 => Input::Start { id },
            1 => Input::Request { id, url: text, method: if n > 128.0 { "POST" } else { "GET" }, auth: n > 64.0 },
            2 => Input::Response { id, status: [200, 401, 403, 500][usize::from(op) % 4], url: Some(text), date: Some(now - n * 1000.0), challenge: Some(text), lease: (n > 200.0).then_some((1, 0)), nonce: (n > 90.0).then_some("n1") },
            3 => Input::Judged { id, rejects: n > 100.0 },
            4 => Input::Gone { id },
            5 => Input::Accepted { generation: u64::from(id) },
            6 => Input::Dated { date: now + (n - 128.0) * 60_000.0 },
            7 => Input::Refreshed(match id % 3 {
                0 => Reply::Function(Some(text)),
                1 => Reply::Threw { status: Some(400 + id as u16), timeout: Some(n > 100.0) },
                _ => Reply::Http { status: [200, 400, 401, 429, 503][usize::from(op) % 5], body: Some(text), date: Some(now), retry_after_ms: Some(n * 10.0), nonce: (n > 90.0).then_some("n2") },
            }),
            8 => Input::Loaded { io: id, value: [Some(Stored::Missing), Some(Stored::Text(text)), Some(Stored::NotText), None][usize::from(op) % 4] },
            9 => Input::Saved { io: id, ok: n > 50.0 },
            10 => Input::Locked { which: [Lock::Refresh, Lock::Call, Lock::Revoke][(id % 3) as usize], granted: n > 30.0, contended: n > 150.0, shared: n > 100.0 },
            11 => Input::Timer,
            12 => Input::Message(text),
            13 => Input::Login { id, tokens: text },
            14 => Input::Logout { id },
            15 => Input::Revoked { id: if n > 200.0 { 0x7000_0001 } else { id }, status: (n > 60.0).then_some([200, 400, 503][usize::from(op) % 3]), nonce: None, body: Some(text) },
            16 => Input::AccessToken { id },
            17 => Input::Refresh { id },
            18 => Input::AutoRefresh(n > 100.0),
            19 => Input::Online(n > 80.0),
            20 => Input::Key((n > 20.0).then_some(("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"))),
            21 => Input::Signed { io: id, signature: (n > 20.0).then_some("c2ln") },
            22 => Input::Proof { id, method: "POST", url: text, nonce: (n > 100.0).then_some("n3") },
            _ => Input::Dispose,
        };
        client.handle(now, now, input);
        while let Some(effect) = client.poll() {
            let mut out = String::new();
            effect.write_json(&mut out);
            assert!(Json::parse(&out).is_ok(), "{out}");
        }
        let _ = client.poll_timeout();
        let _ = client.session();
    }
});
