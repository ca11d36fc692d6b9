//! `createAuthClient`'s option rules, natively on plain values: what is refused (always
//! `INVALID_CONFIG`, naming the option), and what the defaults become (one `Config`, the facts
//! the shell performs with included).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use authlane_core::config::ClientAuth;
use authlane_core::config::Config;
use authlane_core::error::Code;
use authlane_core::options::{parse, Environment, Value};

/// A JS value, as far as options go.
#[derive(Clone, Debug)]
enum V {
    Undefined,
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<V>),
    Obj(Vec<(&'static str, V)>),
    Func,
}

impl Value for V {
    fn get(&self, key: &str) -> Self {
        match self {
            V::Obj(fields) => fields
                .iter()
                .find(|(k, _)| *k == key)
                .map_or(V::Undefined, |(_, v)| v.clone()),
            _ => V::Undefined,
        }
    }
    fn present(&self) -> bool {
        !matches!(self, V::Undefined | V::Null)
    }
    fn is_object(&self) -> bool {
        matches!(self, V::Obj(_) | V::Arr(_))
    }
    fn is_function(&self) -> bool {
        matches!(self, V::Func)
    }
    fn as_string(&self) -> Option<String> {
        match self {
            V::Str(s) => Some(s.clone()),
            _ => None,
        }
    }
    fn as_f64(&self) -> Option<f64> {
        match self {
            V::Num(n) => Some(*n),
            _ => None,
        }
    }
    fn as_bool(&self) -> Option<bool> {
        match self {
            V::Bool(b) => Some(*b),
            _ => None,
        }
    }
    fn items(&self) -> Option<Vec<Self>> {
        match self {
            V::Arr(items) => Some(items.clone()),
            _ => None,
        }
    }
    fn keys(&self) -> Vec<String> {
        match self {
            V::Obj(fields) => fields.iter().map(|(k, _)| k.to_string()).collect(),
            _ => Vec::new(),
        }
    }
}

fn s(t: &str) -> V {
    V::Str(t.to_string())
}

fn browser() -> Environment {
    Environment {
        document_url: Some("https://app.example.com/home".into()),
        global_fetch: true,
        web_locks: true,
        random: Some(vec![7; 32]),
        signer: true,
    }
}

/// `{ baseUrl, refresh: { url: "/auth/refresh" }, ...extra }`
fn options(extra: Vec<(&'static str, V)>) -> V {
    let mut fields = vec![
        ("baseUrl", s("https://api.example.com")),
        ("refresh", V::Obj(vec![("url", s("/auth/refresh"))])),
    ];
    for (k, v) in extra {
        fields.retain(|(key, _)| *key != k);
        fields.push((k, v));
    }
    V::Obj(fields)
}

fn ok(o: V, env: Environment) -> Config {
    match parse(&o, env) {
        Ok(parsed) => parsed,
        Err(e) => panic!("refused: {}", e.message()),
    }
}

/// The message of the refusal; every refusal is INVALID_CONFIG and says it is createAuthClient's.
fn refused(o: V, env: Environment) -> String {
    match parse(&o, env) {
        Ok(_) => panic!("accepted"),
        Err(e) => {
            assert_eq!(e.code(), Code::InvalidConfig);
            assert!(
                e.message().starts_with("createAuthClient: "),
                "{}",
                e.message()
            );
            e.message().to_string()
        }
    }
}

#[test]
fn defaults_from_the_smallest_options() {
    let config = ok(options(vec![]), browser());
    assert_eq!(config.allowed_origins, ["https://api.example.com"]);
    assert_eq!(config.refresh_on, [401]);
    assert!(!config.ask_refresh_on);
    assert_eq!(config.leeway_ms, 60_000.0);
    assert_eq!(config.scheme, "Bearer");
    assert!(config.cross_tab, "Web Locks are there");
    assert!(!config.oauth2 && !config.cookie && config.revoke_url.is_none());
    assert_eq!(config.header_name, "Authorization");
    assert_eq!(
        config.refresh.url.as_deref(),
        Some("https://api.example.com/auth/refresh")
    );
    assert_eq!(config.refresh.method, "POST");
    assert_eq!(
        (config.timeout_ms, config.refresh_timeout_ms),
        (60_000.0, 10_000.0)
    );
    assert_eq!(config.refresh_cooldown_ms, 10_000.0);
    assert_eq!(config.storage_key, "authlane");
    assert!(config.unknown.is_empty());
    // Every attempt with its timeout, the backoff between them, and a second of margin.
    let r = &config.retry;
    let expected =
        f64::from(r.attempts) * 10_000.0 + f64::from(r.attempts - 1) * r.max_delay_ms + 1_000.0;
    assert_eq!(config.lock_timeout_ms, expected);

    let config = ok(
        options(vec![]),
        Environment {
            web_locks: false,
            ..browser()
        },
    );
    assert!(
        !config.cross_tab,
        "no Web Locks: no cross-tab coordination by default"
    );
}

#[test]
fn relative_urls_resolve_against_base_url_then_the_page() {
    let no_base = V::Obj(vec![("refresh", V::Obj(vec![("url", s("/auth/refresh"))]))]);
    let config = ok(no_base.clone(), browser());
    assert_eq!(
        config.refresh.url.as_deref(),
        Some("https://app.example.com/auth/refresh")
    );
    assert_eq!(config.allowed_origins, ["https://app.example.com"]);
    let why = refused(
        no_base,
        Environment {
            document_url: None,
            ..browser()
        },
    );
    assert!(why.contains("refresh.url"), "{why}");
}

#[test]
fn allowed_origins_are_exact_origins_only() {
    let list = |items: Vec<V>| options(vec![("allowedOrigins", V::Arr(items))]);
    let config = ok(
        list(vec![
            s("https://api.example.com"),
            s("http://localhost:8080"),
        ]),
        browser(),
    );
    assert_eq!(
        config.allowed_origins,
        ["https://api.example.com", "http://localhost:8080"]
    );
    for bad in [
        "https://*.example.com",
        "https://api.example.com/v1",
        "https://user@api.example.com",
        "api.example.com",
        "",
    ] {
        assert!(refused(list(vec![s(bad)]), browser()).contains("allowedOrigins"));
    }
    assert!(refused(list(vec![V::Num(1.0)]), browser()).contains("allowedOrigins"));
    let not_array = options(vec![("allowedOrigins", s("https://api.example.com"))]);
    assert!(refused(not_array, browser()).contains("array of origins"));
}

#[test]
fn refresh_must_be_an_endpoint_or_a_function() {
    let config = ok(options(vec![("refresh", V::Func)]), browser());
    assert_eq!(config.refresh.url, None);
    assert!(config.refresh.function);
    for bad in [V::Undefined, V::Null, s("/auth/refresh"), V::Num(1.0)] {
        assert!(refused(options(vec![("refresh", bad)]), browser()).contains("refresh is required"));
    }
    let endpoint = |extra: (&'static str, V)| {
        options(vec![(
            "refresh",
            V::Obj(vec![("url", s("/auth/refresh")), extra]),
        )])
    };
    for (key, wrong) in [
        ("method", V::Num(1.0)),
        ("headers", s("x")),
        ("body", s("x")),
        ("clientId", V::Num(1.0)),
        ("cookie", s("true")),
        ("grant", s("password")),
        ("clientAuth", s("private_key_jwt")),
    ] {
        let why = refused(endpoint((key, wrong)), browser());
        assert!(why.contains(&format!("refresh.{key}")), "{why}");
    }
    let config = ok(endpoint(("grant", s("oauth2"))), browser());
    assert!(config.oauth2);
    let config = ok(endpoint(("cookie", V::Bool(true))), browser());
    assert!(config.cookie);
    let config = ok(endpoint(("body", V::Func)), browser());
    assert!(config.refresh.body_function && !config.refresh.function);
}

#[test]
fn refresh_on_retry_header_and_numbers() {
    let config = ok(
        options(vec![(
            "refreshOn",
            V::Arr(vec![V::Num(401.0), V::Num(419.0)]),
        )]),
        browser(),
    );
    assert_eq!(config.refresh_on, [401, 419]);
    for bad in [V::Num(99.0), V::Num(600.0), V::Num(401.5), s("401")] {
        let why = refused(options(vec![("refreshOn", V::Arr(vec![bad]))]), browser());
        assert!(why.contains("refreshOn"), "{why}");
    }
    let retry = |fields: Vec<(&'static str, V)>| options(vec![("refreshRetry", V::Obj(fields))]);
    let config = ok(retry(vec![("attempts", V::Num(1.0))]), browser());
    assert_eq!(config.retry.attempts, 1);
    for bad in [V::Num(0.0), V::Num(101.0), V::Num(2.5), s("3")] {
        assert!(
            refused(retry(vec![("attempts", bad)]), browser()).contains("refreshRetry.attempts")
        );
    }
    let header = |fields: Vec<(&'static str, V)>| options(vec![("header", V::Obj(fields))]);
    let config = ok(
        header(vec![("name", s("X-Api-Token")), ("scheme", s(""))]),
        browser(),
    );
    assert_eq!(
        (config.header_name.as_str(), config.scheme.as_str()),
        ("X-Api-Token", "")
    );
    assert_eq!(config.authorization("t"), "t", "the bare token");
    assert!(refused(header(vec![("name", s("X Token"))]), browser()).contains("header.name"));
    assert!(refused(header(vec![("scheme", s("Bearer x"))]), browser()).contains("header.scheme"));
    for key in [
        "leewaySeconds",
        "timeoutMs",
        "refreshTimeoutMs",
        "refreshCooldownMs",
    ] {
        for bad in [V::Num(-1.0), V::Num(f64::INFINITY), s("5")] {
            assert!(refused(options(vec![(key, bad)]), browser()).contains(key));
        }
    }
    let config = ok(options(vec![("leewaySeconds", V::Num(5.0))]), browser());
    assert_eq!(config.leeway_ms, 5_000.0);
}

#[test]
fn fetch_storage_cross_tab_and_revoke() {
    let no_fetch = Environment {
        global_fetch: false,
        ..browser()
    };
    assert!(refused(options(vec![]), no_fetch.clone()).contains("no global fetch"));
    ok(options(vec![("fetch", V::Func)]), no_fetch);
    assert!(refused(options(vec![("dispatch", s("x"))]), browser()).contains("dispatch"));

    let store = || {
        V::Obj(vec![
            ("getItem", V::Func),
            ("setItem", V::Func),
            ("removeItem", V::Func),
        ])
    };
    ok(options(vec![("storage", store())]), browser());
    ok(
        options(vec![(
            "storage",
            V::Obj(vec![("access", store()), ("refresh", store())]),
        )]),
        browser(),
    );
    let half = V::Obj(vec![("getItem", V::Func), ("setItem", V::Func)]);
    assert!(refused(options(vec![("storage", half)]), browser()).contains("storage"));
    assert!(refused(options(vec![("storageKey", s(""))]), browser()).contains("storageKey"));

    let config = ok(options(vec![("crossTab", V::Bool(false))]), browser());
    assert!(!config.cross_tab);
    assert!(refused(options(vec![("crossTab", s("no"))]), browser()).contains("crossTab"));

    let config = ok(
        options(vec![("revoke", V::Obj(vec![("url", s("/auth/revoke"))]))]),
        browser(),
    );
    assert_eq!(
        config.revoke_url.as_deref(),
        Some("https://api.example.com/auth/revoke")
    );
    assert!(refused(options(vec![("revoke", V::Obj(vec![]))]), browser()).contains("revoke"));
    assert!(refused(s("x"), browser()).contains("options must be an object"));
}

#[test]
fn a_refresh_function_predicate_and_storage_key() {
    let config = ok(options(vec![("refreshOn", V::Func)]), browser());
    assert!(config.ask_refresh_on, "the shell asks the predicate");
    let config = ok(options(vec![("storageKey", s("app"))]), browser());
    assert_eq!(config.storage_key, "app");
    let config = ok(
        options(vec![(
            "refresh",
            V::Obj(vec![("url", s("/auth/refresh")), ("method", s("PUT"))]),
        )]),
        browser(),
    );
    assert_eq!(config.refresh.method, "PUT");
    let config = ok(
        options(vec![
            ("refreshCooldownMs", V::Num(0.0)),
            ("refreshTimeoutMs", V::Num(0.0)),
        ]),
        browser(),
    );
    assert_eq!(config.refresh_cooldown_ms, 0.0);
    assert_eq!(config.refresh_timeout_ms, 0.0, "none");
    // With no refresh timeout, a lock wait still ends: 10 s per attempt.
    let r = &config.retry;
    let expected =
        f64::from(r.attempts) * 10_000.0 + f64::from(r.attempts - 1) * r.max_delay_ms + 1_000.0;
    assert_eq!(config.lock_timeout_ms, expected);
}

#[test]
fn oauth2_client_authentication_and_params() {
    let oauth = |extra: Vec<(&'static str, V)>| {
        let mut fields = vec![
            ("url", s("/token")),
            ("grant", s("oauth2")),
            ("clientId", s("app")),
        ];
        fields.extend(extra);
        options(vec![("refresh", V::Obj(fields))])
    };
    let config = ok(oauth(vec![]), browser());
    assert_eq!(config.refresh.client_id.as_deref(), Some("app"));
    assert_eq!(
        config.refresh.client_auth,
        Some(ClientAuth::None),
        "no secret: a public client"
    );
    let config = ok(oauth(vec![("clientSecret", s("s"))]), browser());
    assert_eq!(
        config.refresh.client_auth,
        Some(ClientAuth::Basic),
        "the default with a secret"
    );
    let config = ok(
        oauth(vec![
            ("clientSecret", s("s")),
            ("clientAuth", s("client_secret_post")),
        ]),
        browser(),
    );
    assert_eq!(config.refresh.client_auth, Some(ClientAuth::Post));
    assert_eq!(config.refresh.client_secret.as_deref(), Some("s"));
    // `params`, in their order, through `Value::keys`.
    let config = ok(
        oauth(vec![
            ("scope", s("openid")),
            (
                "params",
                V::Obj(vec![
                    ("resource", s("https://api")),
                    ("audience", s("x")),
                    ("max_age", V::Num(300.0)),
                    ("ratio", V::Num(1.5)),
                    ("offline", V::Bool(true)),
                    ("skip", V::Null),
                    ("nested", V::Obj(vec![])),
                ]),
            ),
        ]),
        browser(),
    );
    assert_eq!(config.refresh.scope.as_deref(), Some("openid"));
    // Numbers and booleans as URLSearchParams writes them (as the JS shell of 0.1 sent them).
    let params: Vec<(&str, &str)> = config
        .refresh
        .params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        params,
        [
            ("resource", "https://api"),
            ("audience", "x"),
            ("max_age", "300"),
            ("ratio", "1.5"),
            ("offline", "true"),
        ]
    );
    for (key, wrong) in [
        ("clientSecret", V::Num(1.0)),
        ("scope", V::Num(1.0)),
        ("params", s("a=b")),
    ] {
        let why = refused(oauth(vec![(key, wrong)]), browser());
        assert!(why.contains(&format!("refresh.{key}")), "{why}");
    }
}

/// An option this version does not know (a typo, or a newer version's) is not refused: it is
/// named in `Config::unknown`, and the shell warns about it.
#[test]
fn unknown_options_are_reported_not_refused() {
    let config = ok(
        options(vec![("leeway", V::Num(5.0)), ("retry", V::Obj(vec![]))]),
        browser(),
    );
    assert_eq!(config.unknown, ["leeway", "retry"]);
    assert_eq!(config.leeway_ms, 60_000.0, "the typo changed nothing");
    let known = options(vec![
        ("storageKey", s("k")),
        ("dispatch", V::Func),
        ("now", V::Func),
        (
            "connectivity",
            V::Obj(vec![("isOnline", V::Func), ("subscribe", V::Func)]),
        ),
    ]);
    assert!(ok(known, browser()).unknown.is_empty());
}

/// `connectivity` is `{ isOnline, subscribe }`, both functions.
#[test]
fn connectivity_needs_is_online_and_subscribe() {
    for wrong in [
        V::Bool(true),
        V::Obj(vec![]),
        V::Obj(vec![("isOnline", V::Func)]),
        V::Obj(vec![("isOnline", V::Bool(true)), ("subscribe", V::Func)]),
    ] {
        let why = refused(options(vec![("connectivity", wrong)]), browser());
        assert!(why.contains("connectivity"), "{why}");
    }
}

/// The module without DPoP refuses `dpop`, naming it (the shell loads the other module for a
/// client with `dpop`), rather than leaving tokens silently unbound.
#[cfg(not(feature = "dpop"))]
#[test]
fn the_module_without_dpop_refuses_it() {
    for value in [V::Bool(true), V::Obj(vec![])] {
        let why = refused(options(vec![("dpop", value)]), browser());
        assert!(why.contains("dpop"), "{why}");
    }
    ok(options(vec![("dpop", V::Undefined)]), browser());
    ok(options(vec![("dpop", V::Bool(false))]), browser());
}

/// `dpop: true` or `{ keyStore: { load, save, remove } }`; anything else, or an engine with no
/// randomness or no signer, is refused with what to do.
#[cfg(feature = "dpop")]
#[test]
fn dpop_needs_a_key_store_shape_randomness_and_a_signer() {
    assert!(ok(options(vec![("dpop", V::Bool(true))]), browser()).dpop);
    let store = V::Obj(vec![
        ("load", V::Func),
        ("save", V::Func),
        ("remove", V::Func),
    ]);
    assert!(
        ok(
            options(vec![("dpop", V::Obj(vec![("keyStore", store)]))]),
            browser()
        )
        .dpop
    );
    assert!(!ok(options(vec![("dpop", V::Bool(false))]), browser()).dpop);
    for bad in [
        V::Str("yes".into()),
        V::Obj(vec![("keyStore", V::Obj(vec![("load", V::Func)]))]),
        V::Obj(vec![("keyStore", V::Bool(true))]),
    ] {
        let why = refused(options(vec![("dpop", bad)]), browser());
        assert!(why.contains("dpop"), "{why}");
    }
    let mut no_random = browser();
    no_random.random = None;
    let why = refused(options(vec![("dpop", V::Bool(true))]), no_random);
    assert!(why.contains("react-native-get-random-values"), "{why}");
    let mut no_signer = browser();
    no_signer.signer = false;
    let why = refused(options(vec![("dpop", V::Bool(true))]), no_signer);
    assert!(why.contains("authlane/dpop"), "{why}");
}
