//! The JSON the JS shell reads: effects (`Effect::write_json`, one array each, its first item the
//! name; js/runner.js and js/requests.js read the rest by position), actions
//! (`Action::write_json`, dispatched as they are: API.md's payloads), errors (`write_error`, whose
//! `cause` names what the shell holds) and the client's facts (`Config::facts_json`, what the
//! shell performs with). A shape the shell misreads fails silently there, so it is pinned here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "native/mod.rs"]
#[allow(dead_code)] // shared with the other native tests
mod native;

use authlane_core::action::{session_json, Action, Answered, EndReason, Message, Reason, Shown};
use authlane_core::config::Config;
use authlane_core::effect::{write_error, Answer, Call, Effect, Header, Lease, Lock, Revoke, Slot};
use authlane_core::error::{Code, Error, Host};
use authlane_core::json::Json;
use native::harness::{config_from, harness, API};

fn effect(e: Effect) -> String {
    let mut out = String::new();
    e.write_json(&mut out);
    assert!(Json::parse(&out).is_ok(), "not JSON: {out}");
    out
}

fn action(a: Action) -> String {
    let mut out = String::new();
    a.write_json(&mut out);
    assert!(Json::parse(&out).is_ok(), "not JSON: {out}");
    out
}

fn facts(config: &Config) -> Json {
    let mut out = String::new();
    config.facts_json(&mut out);
    Json::parse(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn request_effects() {
    let send = |header: Option<&str>, resend| {
        effect(Effect::Send {
            id: 7,
            header: header.map(str::to_string),
            resend,
            dpop: None,
        })
    };
    assert_eq!(
        send(Some("Bearer a\"b"), false),
        r#"["send",7,"Bearer a\"b",false,null]"#
    );
    // requests.js: a send with `header === null` goes without one and is its own answer.
    assert_eq!(send(None, true), r#"["send",7,null,true,null]"#);
    assert_eq!(effect(Effect::Pass { id: 1 }), r#"["pass",1]"#);
    assert_eq!(effect(Effect::Deliver { id: 2 }), r#"["deliver",2]"#);
    assert_eq!(effect(Effect::Ask { id: 3 }), r#"["ask",3]"#);
    let error = Error::new(Code::SessionExpired, "over");
    assert_eq!(
        effect(Effect::Fail { id: 4, error }),
        r#"["fail",4,{"code":"SESSION_EXPIRED","message":"over"}]"#
    );
}

#[test]
fn errors_name_their_cause() {
    let write = |e: &Error| {
        let mut out = String::new();
        write_error(&mut out, e);
        out
    };
    let inner = Error::new(Code::Timeout, "slow");
    let e = Error::new(Code::RefreshFailed, "failed").caused_by(inner.caused_by_host(Host::Call));
    assert_eq!(
        write(&e),
        r#"{"code":"REFRESH_FAILED","message":"failed","cause":{"code":"TIMEOUT","message":"slow","cause":"call"}}"#
    );
    for (slot, name) in [(Slot::Access, "access"), (Slot::Refresh, "refresh")] {
        let e = Error::new(Code::StorageError, "disk").caused_by_host(Host::Storage(slot));
        assert_eq!(
            write(&e),
            format!(r#"{{"code":"STORAGE_ERROR","message":"disk","cause":"{name}"}}"#)
        );
    }
}

#[test]
fn storage_lock_and_message_effects() {
    assert_eq!(
        effect(Effect::Load {
            io: 3,
            slot: Slot::Access
        }),
        r#"["load",3,"access"]"#
    );
    assert_eq!(
        effect(Effect::Store {
            io: 4,
            slot: Slot::Refresh,
            value: "r1".into()
        }),
        r#"["store",4,"refresh","r1"]"#
    );
    assert_eq!(
        effect(Effect::Remove {
            io: 5,
            slot: Slot::Refresh
        }),
        r#"["remove",5,"refresh"]"#
    );
    assert_eq!(
        effect(Effect::Lock {
            which: Lock::Refresh,
            timeout_ms: 41_000.0
        }),
        r#"["lock","refresh",41000]"#
    );
    assert_eq!(
        effect(Effect::Lock {
            which: Lock::Call,
            timeout_ms: 0.5
        }),
        r#"["lock","call",0.5]"#
    );
    assert_eq!(
        effect(Effect::Unlock { which: Lock::Call }),
        r#"["unlock","call"]"#
    );
    assert_eq!(
        effect(Effect::Post(Message::Tokens(0xab).text())),
        r#"["post","tokens 00000000000000ab"]"#
    );
    assert_eq!(
        effect(Effect::Dispatch(Action::LoggedOut)),
        r#"["dispatch",{"type":"authlane/loggedOut","payload":{}}]"#
    );
}

#[test]
fn refresh_call_and_revocation_effects() {
    // transport.js: `[, token, body, extra, timeoutMs]`, each header `[name, value, force]`.
    let call = Call {
        token: Some("r1".into()),
        body: Some(r#"{"refreshToken":"r1"}"#.into()),
        headers: vec![Header {
            name: "content-type",
            value: "application/json".into(),
            force: false,
        }],
        timeout_ms: 10_000.0,
        dpop: None,
    };
    assert_eq!(
        effect(Effect::Call(call)),
        r#"["call","r1","{\"refreshToken\":\"r1\"}",[["content-type","application/json",false]],10000,null]"#
    );
    // A refresh function, or refresh.body: no body (the shell makes it); cookie mode: no token.
    let call = Call {
        token: None,
        body: None,
        headers: vec![],
        timeout_ms: 0.0,
        dpop: Some("e.p.s".into()),
    };
    assert_eq!(
        effect(Effect::Call(call)),
        r#"["call",null,null,[],0,"e.p.s"]"#
    );
    assert_eq!(effect(Effect::Cancel), r#"["cancel"]"#);
    // runner.js: `[, id, body, headers, timeout]`, reported with the id.
    let revoke = Revoke {
        id: 9,
        body: Some("token=r1&token_type_hint=refresh_token".into()),
        headers: vec![Header {
            name: "authorization",
            value: "Basic YTpi".into(),
            force: true,
        }],
        timeout_ms: 10_000.0,
        dpop: None,
    };
    assert_eq!(
        effect(Effect::Revoke(revoke)),
        r#"["revoke",9,"token=r1&token_type_hint=refresh_token",[["authorization","Basic YTpi",true]],10000,null]"#
    );
    let cookie = Revoke {
        id: 9,
        body: None,
        headers: vec![],
        timeout_ms: 10_000.0,
        dpop: None,
    };
    assert_eq!(
        effect(Effect::Revoke(cookie)),
        r#"["revoke",9,null,[],10000,null]"#
    );
}

#[test]
fn api_calls_settle() {
    // runner.js: kind 1 a token (or null), 2 session(), 3 `{ revoked }`, else undefined.
    let resolve = |value| effect(Effect::Resolve { id: 2, value });
    assert_eq!(resolve(Answer::Nothing), r#"["resolve",2,0]"#);
    assert_eq!(
        resolve(Answer::Token(Some("a.b.c".into()))),
        r#"["resolve",2,1,"a.b.c"]"#
    );
    assert_eq!(resolve(Answer::Token(None)), r#"["resolve",2,1,null]"#);
    assert_eq!(resolve(Answer::Session), r#"["resolve",2,2]"#);
    for (revoked, pending, json) in [
        (true, false, r#"["resolve",2,3,true]"#),
        (false, false, r#"["resolve",2,3,false]"#),
        // runner.js: null is `{ revoked: false, pending: true }`.
        (false, true, r#"["resolve",2,3,null]"#),
    ] {
        assert_eq!(resolve(Answer::LoggedOut { revoked, pending }), json);
    }
    let error = Error::new(Code::LoggedOut, "gone");
    assert_eq!(
        effect(Effect::Reject { id: 2, error }),
        r#"["reject",2,{"code":"LOGGED_OUT","message":"gone"}]"#
    );
}

#[test]
fn the_lease() {
    // runner.js: `{ header: e[1], generation: e[2], failures: e[3], until: e[4], dateEvery: e[5] }`.
    assert_eq!(effect(Effect::Lease(None)), r#"["lease",null]"#);
    let lease = Lease {
        header: "Bearer a".into(),
        generation: 3,
        failures: 1,
        until: 1_700_000_060_000.5,
        date_every_ms: 1_000.0,
    };
    assert_eq!(
        effect(Effect::Lease(Some(lease))),
        r#"["lease","Bearer a",3,1,1700000060000.5,1000]"#
    );
}

/// A token that is never due (opaque, without `expiresIn`) has a lease until forever, which JSON
/// cannot write as a number. Found writing these tests: it went out as `null`, which requests.js
/// compares as 0 (`run.now() < null` is false), so such a session never took the fast path.
#[test]
fn a_lease_on_a_token_that_is_never_due_runs_until_the_end_of_time() {
    let lease = Lease {
        header: "Bearer opaque".into(),
        generation: 1,
        failures: 0,
        until: f64::INFINITY,
        date_every_ms: 0.0,
    };
    let json = Json::parse(&effect(Effect::Lease(Some(lease)))).unwrap();
    let until = json.items().unwrap()[4].num();
    // The largest time a JS Date holds: later than any `Date.now()`.
    assert_eq!(until, Some(8.64e15), "{json:?}");
    // What a client hands out for an opaque token.
    let mut h = harness(1, 900_000.0);
    h.login(0, "opaque-token", Some("r"));
    h.run();
    assert_eq!(h.tabs[0].lease().map(|l| l.until), Some(f64::INFINITY));
}

#[test]
fn actions_carry_api_md_payloads() {
    let shown = Shown {
        authenticated: true,
        claims: Some(r#"{"sub":"u","exp":1700000900}"#.into()),
        expires_at: Some(1_700_000_900_000.0),
    };
    assert_eq!(
        action(Action::Restored(shown.clone())),
        r#"{"type":"authlane/restored","payload":{"authenticated":true,"claims":{"sub":"u","exp":1700000900},"expiresAt":1700000900000}}"#
    );
    assert_eq!(
        action(Action::Restored(Shown::default())),
        r#"{"type":"authlane/restored","payload":{"authenticated":false,"claims":null,"expiresAt":null}}"#
    );
    assert_eq!(
        action(Action::LoggedIn(shown.clone())),
        r#"{"type":"authlane/loggedIn","payload":{"claims":{"sub":"u","exp":1700000900},"expiresAt":1700000900000}}"#
    );
    for (reason, name) in [
        (Reason::Expiring, "expiring"),
        (Reason::Rejected, "rejected"),
        (Reason::Manual, "manual"),
        (Reason::Timer, "timer"),
    ] {
        assert_eq!(
            action(Action::RefreshStarted(reason)),
            format!(r#"{{"type":"authlane/refreshStarted","payload":{{"reason":"{name}"}}}}"#)
        );
    }
    assert_eq!(
        action(Action::RefreshSucceeded {
            shown,
            rotated: true
        }),
        r#"{"type":"authlane/refreshSucceeded","payload":{"claims":{"sub":"u","exp":1700000900},"expiresAt":1700000900000,"rotated":true}}"#
    );
    assert_eq!(
        action(Action::RefreshFailed {
            code: Code::RefreshFailed,
            message: "the token endpoint answered \"HTTP 401 invalid_client\"".into(),
            transient: false,
            answered: Answered {
                status: Some(401),
                oauth_error: Some("invalid_client".into()),
            },
        }),
        r#"{"type":"authlane/refreshFailed","payload":{"code":"REFRESH_FAILED","message":"the token endpoint answered \"HTTP 401 invalid_client\"","transient":false,"status":401,"oauthError":"invalid_client"}}"#
    );
    assert_eq!(
        action(Action::RefreshFailed {
            code: Code::BadRefreshResponse,
            message: String::new(),
            transient: true,
            answered: Answered::default(),
        }),
        r#"{"type":"authlane/refreshFailed","payload":{"code":"BAD_REFRESH_RESPONSE","message":"","transient":true,"status":null,"oauthError":null}}"#
    );
    for (reason, name) in [
        (EndReason::RefreshRejected, "refresh_rejected"),
        (EndReason::LostRotation, "lost_rotation"),
        (EndReason::NoRefreshToken, "no_refresh_token"),
        (EndReason::AccessRejected, "access_rejected"),
        (EndReason::OtherTab, "other_tab"),
    ] {
        assert_eq!(
            action(Action::SessionExpired(reason)),
            format!(
                r#"{{"type":"authlane/sessionExpired","payload":{{"code":"SESSION_EXPIRED","reason":"{name}"}}}}"#
            )
        );
    }
    let mut out = String::new();
    session_json(&Shown::default(), None, &mut out);
    assert_eq!(
        out,
        r#"{"authenticated":false,"claims":null,"expiresAt":null}"#
    );
}

/// The actions a client dispatches carry its token's claims, as JSON, never the token.
#[test]
fn a_clients_actions_are_json_with_the_tokens_claims() {
    let mut h = harness(2, -1_000.0);
    h.burst(1, &format!("{API}/x"));
    let (_, succeeded) =
        h.w.actions
            .iter()
            .find(|(_, a)| a.name() == "refreshSucceeded")
            .unwrap();
    let json = Json::parse(&action(succeeded.clone())).unwrap();
    let payload = json.get("payload").unwrap();
    assert_eq!(
        payload.get("claims").and_then(|c| c.get("sub")),
        Some(&Json::Str("user".into()))
    );
    let exp = payload.get("expiresAt").and_then(Json::num).unwrap();
    assert!((exp - (h.w.server_now() + 900_000.0)).abs() < 10_000.0);
}

#[test]
fn the_facts_the_shell_performs_with() {
    let config = config_from(
        r#"{"baseUrl":"https://api.example.com/v1/","refresh":{"url":"/auth/refresh","method":"PUT"},"revoke":{"url":"https://auth.example.com/revoke"},"timeoutMs":0,"storageKey":"app","refreshOn":[401,419],"crossTab":true,"header":{"name":"X-Token"},"leeway":5}"#,
    );
    let f = facts(&config);
    let text = |k: &str| f.get(k).and_then(Json::str).map(str::to_string);
    let flag = |k: &str| f.get(k).and_then(Json::bool);
    assert_eq!(text("headerName").as_deref(), Some("X-Token"));
    assert_eq!(f.get("timeoutMs").and_then(Json::num), Some(0.0), "none");
    assert_eq!(
        text("refreshUrl").as_deref(),
        Some("https://api.example.com/auth/refresh")
    );
    assert_eq!(text("method").as_deref(), Some("PUT"));
    assert_eq!(
        text("revokeUrl").as_deref(),
        Some("https://auth.example.com/revoke")
    );
    assert_eq!(flag("cookie"), Some(false));
    assert_eq!(
        flag("manualRedirects"),
        Some(true),
        "a custom header would follow a redirect anywhere"
    );
    assert_eq!(flag("crossTab"), Some(true));
    assert_eq!(text("storageKey").as_deref(), Some("app"));
    assert_eq!(
        f.get("unknown"),
        Some(&Json::Arr(vec![Json::Str("leeway".into())]))
    );
    assert_eq!(
        f.get("origins"),
        Some(&Json::Arr(vec![Json::Str(
            "https://api.example.com".into()
        )]))
    );
    assert_eq!(text("base").as_deref(), Some("https://api.example.com"));
    assert_eq!(
        f.get("statuses"),
        Some(&Json::Arr(vec![Json::Num(401.0), Json::Num(419.0)]))
    );

    // A refresh function, a refreshOn predicate, the Authorization header, cookie mode.
    let config = config_from(
        r#"{"refresh":{"url":"/auth/refresh","cookie":true},"refreshOn":{"\u0000":"function"},"header":{"name":"authorization"}}"#,
    );
    let f = facts(&config);
    assert_eq!(
        f.get("statuses"),
        Some(&Json::Null),
        "the shell asks the predicate"
    );
    assert_eq!(f.get("manualRedirects"), Some(&Json::Bool(false)));
    assert_eq!(f.get("cookie"), Some(&Json::Bool(true)));
    assert_eq!(f.get("revokeUrl"), Some(&Json::Null));
    let config = config_from(r#"{"refresh":{"\u0000":"function"}}"#);
    let f = facts(&config);
    assert_eq!(f.get("refreshUrl"), Some(&Json::Null));
    assert_eq!(f.get("method"), Some(&Json::Str("POST".into())));
    // A base with user info has no plain root: the shell asks the core for every path.
    let config = config_from(
        r#"{"baseUrl":"https://u:p@api.example.com/","refresh":{"url":"/auth/refresh"}}"#,
    );
    assert_eq!(facts(&config).get("base"), Some(&Json::Null));
}
