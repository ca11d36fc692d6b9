//! `createAuthClient` options: validated and turned into the core's [`Config`]. Every problem is
//! `INVALID_CONFIG` with a message that names the option. The rules read options through
//! [`Value`], so they run natively on plain values in the tests; the shell hands them over as a
//! JSON record ([`Json`] implements [`Value`]) in which a function is `{"\u0000":"function"}`, a
//! number JSON cannot hold `{"\u0000":"number"}`, and an object that is not a plain one (a
//! `Storage`, a class instance) `{"\u0000":"object", name: function, ...}` with its methods only.

use crate::config::{ClientAuth, Config, RefreshCall, Retry};
use crate::error::{cat, Code, Error};
use crate::json::Json;
use crate::url::{exact_origin, origin, resolve};

/// An options value as the rules see it: JS semantics (`is_object` is `typeof v === "object"`
/// and not `null`, so a function is not an object).
pub trait Value: Sized {
    /// `v[key]`, `undefined` when `v` has no such property or is not an object.
    fn get(&self, key: &str) -> Self;
    /// Neither `undefined` nor `null`.
    fn present(&self) -> bool;
    /// A non-null object (arrays included, functions not).
    fn is_object(&self) -> bool;
    /// A function.
    fn is_function(&self) -> bool;
    /// The string, if it is one.
    fn as_string(&self) -> Option<String>;
    /// The number, if it is one.
    fn as_f64(&self) -> Option<f64>;
    /// The boolean, if it is one.
    fn as_bool(&self) -> Option<bool>;
    /// The items, if it is an array.
    fn items(&self) -> Option<Vec<Self>>;
    /// The own property names of a plain object.
    fn keys(&self) -> Vec<String>;
}

const MARK: &str = "\u{0}";

fn marker(v: &Json) -> Option<&str> {
    v.members()?
        .iter()
        .find(|(k, _)| k == MARK)
        .and_then(|(_, m)| m.str())
}

impl Value for Json {
    fn get(&self, key: &str) -> Self {
        match (self, key == MARK) {
            (Json::Obj(_), false) => Json::get(self, key).cloned().unwrap_or(Json::Null),
            _ => Json::Null,
        }
    }
    fn present(&self) -> bool {
        !matches!(self, Json::Null)
    }
    fn is_object(&self) -> bool {
        match self {
            Json::Arr(_) => true,
            Json::Obj(_) => matches!(marker(self), None | Some("object")),
            _ => false,
        }
    }
    fn is_function(&self) -> bool {
        marker(self) == Some("function")
    }
    fn as_string(&self) -> Option<String> {
        self.str().map(str::to_string)
    }
    fn as_f64(&self) -> Option<f64> {
        match marker(self) {
            Some("number") => Some(f64::NAN),
            _ => self.num(),
        }
    }
    fn as_bool(&self) -> Option<bool> {
        self.bool()
    }
    fn items(&self) -> Option<Vec<Self>> {
        Json::items(self).map(<[Json]>::to_vec)
    }
    fn keys(&self) -> Vec<String> {
        match marker(self) {
            None => self
                .members()
                .map(|m| m.iter().map(|(k, _)| k.clone()).collect())
                .unwrap_or_default(),
            Some(_) => Vec::new(),
        }
    }
}

/// What the rules need to know about the environment.
#[derive(Clone, Debug, Default)]
pub struct Environment {
    /// The page's URL in a browser (relative URLs resolve against it when there is no
    /// `baseUrl`).
    pub document_url: Option<String>,
    /// There is a global `fetch`.
    pub global_fetch: bool,
    /// There are Web Locks (`navigator.locks`): `crossTab` defaults to them.
    pub web_locks: bool,
    /// 32 bytes from `crypto.getRandomValues` (`None`: there is none here).
    pub random: Option<Vec<u8>>,
    /// DPoP proofs can be signed here: WebCrypto's `crypto.subtle`, or the signer `authlane/dpop`
    /// registers (React Native).
    pub signer: bool,
}

impl Environment {
    /// From the record's `env` member (`documentUrl`, `globalFetch`, `webLocks`).
    pub fn from_record(env: &Json) -> Self {
        Environment {
            document_url: env
                .get("documentUrl")
                .and_then(Json::str)
                .map(str::to_string),
            global_fetch: env.get("globalFetch").and_then(Json::bool) == Some(true),
            web_locks: env.get("webLocks").and_then(Json::bool) == Some(true),
            random: env
                .get("random")
                .and_then(Json::str)
                .and_then(|r| crate::jwt::base64url_decode(r).ok())
                .filter(|r| r.len() >= 16),
            signer: env.get("signer").and_then(Json::bool) == Some(true),
        }
    }
}

/// The options `createAuthClient` knows (API.md); any other is reported in [`Config::unknown`].
pub const KNOWN: [&str; 19] = [
    "baseUrl",
    "allowedOrigins",
    "refresh",
    "storage",
    "storageKey",
    "refreshOn",
    "leewaySeconds",
    "timeoutMs",
    "refreshTimeoutMs",
    "refreshRetry",
    "header",
    "fetch",
    "dispatch",
    "crossTab",
    "revoke",
    "refreshCooldownMs",
    "dpop",
    "connectivity",
    "now",
];

fn bad(message: &[&str]) -> Error {
    let mut parts = vec!["createAuthClient: "];
    parts.extend_from_slice(message);
    Error::new(Code::InvalidConfig, cat(&parts))
}

fn number<V: Value>(obj: &V, key: &str) -> Option<f64> {
    obj.get(key).as_f64().filter(|n| n.is_finite())
}

fn non_negative<V: Value>(obj: &V, key: &str, name: &str, default: f64) -> Result<f64, Error> {
    let v = obj.get(key);
    if !v.present() {
        return Ok(default);
    }
    match v.as_f64() {
        Some(n) if n.is_finite() && n >= 0.0 => Ok(n),
        _ => Err(bad(&[name, " must be a finite number >= 0"])),
    }
}

fn is_storage<V: Value>(v: &V) -> bool {
    ["getItem", "setItem", "removeItem"]
        .iter()
        .all(|m| v.get(m).is_function())
}

/// Checks `refresh`; returns the refresh call (its URL resolved against `base`).
fn refresh_call<V: Value>(refresh: &V, base: Option<&str>) -> Result<RefreshCall, Error> {
    if refresh.is_function() {
        return Ok(RefreshCall {
            function: true,
            method: "POST".into(),
            ..RefreshCall::default()
        });
    }
    if !refresh.is_object() {
        return Err(bad(&[
            "refresh is required: { url } of the refresh endpoint, or an async function",
        ]));
    }
    let url = refresh
        .get("url")
        .as_string()
        .ok_or_else(|| bad(&["refresh.url must be a string"]))?;
    let resolved = resolve(base, &url)
        .filter(|u| origin(u).is_some())
        .ok_or_else(|| bad(&["refresh.url must be an http(s) URL (relative URLs need baseUrl)"]))?;
    for (key, kind) in [
        ("method", "a string"),
        ("headers", "an object"),
        ("body", "a function"),
        ("parse", "a function"),
        ("clientId", "a string"),
        ("clientSecret", "a string"),
        ("scope", "a string"),
        ("params", "an object"),
        ("cookie", "a boolean"),
    ] {
        let v = refresh.get(key);
        let ok = match kind {
            "a string" => v.as_string().is_some(),
            "an object" => v.is_object(),
            "a boolean" => v.as_bool().is_some(),
            _ => v.is_function(),
        };
        if v.present() && !ok {
            return Err(bad(&["refresh.", key, " must be ", kind]));
        }
    }
    match refresh.get("grant") {
        v if !v.present() => {}
        v if v.as_string().as_deref() == Some("oauth2") => {}
        _ => return Err(bad(&["refresh.grant must be \"oauth2\" (or left out)"])),
    }
    let secret = refresh.get("clientSecret").as_string();
    let client_auth = match refresh.get("clientAuth") {
        v if !v.present() => None,
        v => match v.as_string().as_deref() {
            Some("none") => Some(ClientAuth::None),
            Some("client_secret_basic") => Some(ClientAuth::Basic),
            Some("client_secret_post") => Some(ClientAuth::Post),
            _ => {
                return Err(bad(&[
                    "refresh.clientAuth must be \"none\", \"client_secret_basic\" or \"client_secret_post\"",
                ]))
            }
        },
    };
    // Form fields as URLSearchParams writes them: a number or a boolean as its text; null,
    // undefined, objects and functions are left out.
    let params = refresh.get("params");
    let params = params
        .keys()
        .into_iter()
        .filter_map(|k| {
            let v = params.get(&k);
            let text = v.as_string().or_else(|| {
                v.as_f64().filter(|n| n.is_finite()).map(|n| {
                    let mut out = String::new();
                    crate::json::write_num(&mut out, n);
                    out
                })
            });
            let text = text.or_else(|| v.as_bool().map(|b| b.to_string()));
            text.map(|t| (k, t))
        })
        .collect();
    Ok(RefreshCall {
        function: false,
        body_function: refresh.get("body").is_function(),
        url: Some(resolved),
        method: refresh
            .get("method")
            .as_string()
            .unwrap_or_else(|| "POST".into()),
        client_id: refresh.get("clientId").as_string(),
        client_auth: client_auth.or(Some(match secret {
            Some(_) => ClientAuth::Basic,
            None => ClientAuth::None,
        })),
        client_secret: secret,
        scope: refresh.get("scope").as_string(),
        params,
    })
}

/// `dpop` in the module without DPoP (the shell loads the other one for a client with `dpop`).
#[cfg(not(feature = "dpop"))]
fn dpop_option<V: Value>(dpop: &V, _env: &Environment) -> Result<Option<Vec<u8>>, Error> {
    match !dpop.present() || dpop.as_bool() == Some(false) {
        true => Ok(None),
        false => Err(bad(&["dpop: this module has no DPoP"])),
    }
}

/// `dpop`: `true` or `{ keyStore? }` (a keyStore has `load`, `save` and `remove`); with it, the
/// engine must give randomness (`crypto.getRandomValues`) and a way to sign. Returns the seed of
/// the proofs' `jti`s, `None` when DPoP is off.
#[cfg(feature = "dpop")]
fn dpop_option<V: Value>(dpop: &V, env: &Environment) -> Result<Option<Vec<u8>>, Error> {
    if !dpop.present() || dpop.as_bool() == Some(false) {
        return Ok(None);
    }
    let store = dpop.get("keyStore");
    let ok = dpop.as_bool() == Some(true)
        || (dpop.is_object()
            && (!store.present()
                || ["load", "save", "remove"]
                    .iter()
                    .all(|m| store.get(m).is_function())));
    if !ok {
        return Err(bad(&[
            "dpop must be true or { keyStore } (keyStore: { load, save, remove } of a private JWK)",
        ]));
    }
    let Some(seed) = env.random.clone() else {
        return Err(bad(&[
            "dpop: this engine has no crypto.getRandomValues; install a polyfill first (React Native: import 'react-native-get-random-values' before authlane)",
        ]));
    };
    if !env.signer {
        return Err(bad(&[
            "dpop: this engine has no WebCrypto (crypto.subtle) to sign proofs with; import 'authlane/dpop' once in the app (it carries a signer for React Native and other engines without it)",
        ]));
    }
    Ok(Some(seed))
}

/// Validates `options` in `env`.
pub fn parse<V: Value>(options: &V, env: Environment) -> Result<Config, Error> {
    if !options.is_object() {
        return Err(bad(&["options must be an object"]));
    }
    let base_url = match options.get("baseUrl") {
        v if !v.present() => None,
        v => match v.as_string().filter(|u| origin(u).is_some()) {
            Some(u) => Some(u),
            None => return Err(bad(&["baseUrl must be an absolute http(s) URL"])),
        },
    };
    let base = base_url.clone().or(env.document_url.clone());
    let refresh_value = options.get("refresh");
    let refresh = refresh_call(&refresh_value, base.as_deref())?;

    let allowed_origins = match options.get("allowedOrigins") {
        v if !v.present() => {
            let mut list: Vec<String> = base_url
                .iter()
                .chain(refresh.url.iter())
                .filter_map(|u| origin(u))
                .collect();
            list.dedup();
            if list.is_empty() {
                return Err(bad(&[
                    "no origin would get the token: set baseUrl or allowedOrigins",
                ]));
            }
            list
        }
        v => {
            let items = v
                .items()
                .ok_or_else(|| bad(&["allowedOrigins must be an array of origins"]))?;
            let mut list = Vec::new();
            for item in items {
                let text = item.as_string().unwrap_or_default();
                match exact_origin(&text) {
                    Some(o) if !text.bytes().any(|b| b == b'*') => list.push(o),
                    _ => return Err(bad(&["allowedOrigins must hold origins like \"https://api.example.com\": scheme, host and port only (no path, user info or wildcards)"])),
                }
            }
            list
        }
    };

    let storage = options.get("storage");
    if storage.present()
        && !is_storage(&storage)
        && !(is_storage(&storage.get("access")) && is_storage(&storage.get("refresh")))
    {
        return Err(bad(&[
            "storage must have getItem, setItem and removeItem, or be { access, refresh } of such",
        ]));
    }
    let key = options.get("storageKey");
    if key.present() && key.as_string().is_none_or(|k| k.is_empty()) {
        return Err(bad(&["storageKey must be a non-empty string"]));
    }

    let refresh_on_value = options.get("refreshOn");
    let refresh_on = if !refresh_on_value.present() || refresh_on_value.is_function() {
        vec![401]
    } else {
        let items = refresh_on_value
            .items()
            .ok_or_else(|| bad(&["refreshOn must be an array of HTTP statuses or a function"]))?;
        let list: Option<Vec<u16>> = items
            .iter()
            .map(|v| {
                v.as_f64()
                    .filter(|n| n.fract() == 0.0 && (100.0..=599.0).contains(n))
                    .map(|n| n as u16)
            })
            .collect();
        list.ok_or_else(|| bad(&["refreshOn must hold HTTP statuses (integers 100 to 599)"]))?
    };

    let retry_value = options.get("refreshRetry");
    let mut retry = Retry::default();
    if retry_value.present() {
        if !retry_value.is_object() {
            return Err(bad(&[
                "refreshRetry must be { attempts, baseDelayMs, maxDelayMs }",
            ]));
        }
        if retry_value.get("attempts").present() {
            retry.attempts = number(&retry_value, "attempts")
                .filter(|n| n.fract() == 0.0 && (1.0..=100.0).contains(n))
                .ok_or_else(|| bad(&["refreshRetry.attempts must be an integer from 1 to 100"]))?
                as u32;
        }
        retry.base_delay_ms = non_negative(
            &retry_value,
            "baseDelayMs",
            "refreshRetry.baseDelayMs",
            retry.base_delay_ms,
        )?;
        retry.max_delay_ms = non_negative(
            &retry_value,
            "maxDelayMs",
            "refreshRetry.maxDelayMs",
            retry.max_delay_ms,
        )?;
    }

    let header = options.get("header");
    let (mut header_name, mut scheme) = ("Authorization".to_string(), "Bearer".to_string());
    if header.present() {
        if header.get("name").present() {
            header_name = header
                .get("name")
                .as_string()
                .filter(|n| {
                    !n.is_empty()
                        && n.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
                })
                .ok_or_else(|| bad(&["header.name must be an HTTP header name"]))?;
        }
        if header.get("scheme").present() {
            scheme = header
                .get("scheme")
                .as_string()
                .filter(|s| !s.chars().any(|c| c.is_whitespace() || c.is_control()))
                .ok_or_else(|| {
                    bad(&[
                        "header.scheme must be a string without spaces (\"\" for the bare token)",
                    ])
                })?;
        }
    }

    for key in ["fetch", "dispatch", "now"] {
        let v = options.get(key);
        if v.present() && !v.is_function() {
            return Err(bad(&[key, " must be a function"]));
        }
    }
    if !options.get("fetch").present() && !env.global_fetch {
        return Err(bad(&[
            "fetch: there is no global fetch here; pass options.fetch",
        ]));
    }
    let cross_tab = match options.get("crossTab") {
        v if !v.present() => env.web_locks,
        v => v
            .as_bool()
            .ok_or_else(|| bad(&["crossTab must be a boolean"]))?,
    };
    let dpop = dpop_option(&options.get("dpop"), &env)?;
    let connectivity = options.get("connectivity");
    if connectivity.present()
        && !(connectivity.get("isOnline").is_function()
            && connectivity.get("subscribe").is_function())
    {
        return Err(bad(&[
            "connectivity must be { isOnline(), subscribe(listener) } (React Native: wrap @react-native-community/netinfo)",
        ]));
    }

    let flag =
        |key: &str| refresh_value.is_object() && refresh_value.get(key).as_bool() == Some(true);
    let oauth2 = refresh_value.is_object()
        && refresh_value.get("grant").as_string().as_deref() == Some("oauth2");
    let revoke = options.get("revoke");
    let revoke_url = if revoke.present() {
        let url = revoke.get("url").as_string();
        let headers = revoke.get("headers");
        if headers.present() && !headers.is_object() {
            return Err(bad(&["revoke.headers must be an object"]));
        }
        Some(
            url.and_then(|u| resolve(base.as_deref(), &u))
                .filter(|u| origin(u).is_some())
                .ok_or_else(|| {
                    bad(&["revoke must be { url } of the revocation endpoint (relative URLs need baseUrl)"])
                })?,
        )
    } else {
        None
    };
    let refresh_timeout_ms =
        non_negative(options, "refreshTimeoutMs", "refreshTimeoutMs", 10_000.0)?;
    let per_attempt = if refresh_timeout_ms > 0.0 {
        refresh_timeout_ms
    } else {
        10_000.0
    };
    let attempts = f64::from(retry.attempts);
    let lock_timeout_ms = attempts * per_attempt + (attempts - 1.0) * retry.max_delay_ms + 1_000.0;
    let unknown = options
        .keys()
        .into_iter()
        .filter(|k| !KNOWN.contains(&k.as_str()))
        .collect();
    Ok(Config {
        allowed_origins,
        base_url: base,
        refresh_on,
        ask_refresh_on: refresh_on_value.is_function(),
        leeway_ms: non_negative(options, "leewaySeconds", "leewaySeconds", 60.0)? * 1_000.0,
        retry,
        header_name,
        scheme,
        cross_tab,
        oauth2,
        cookie: flag("cookie"),
        refresh,
        revoke_url,
        refresh_cooldown_ms: non_negative(
            options,
            "refreshCooldownMs",
            "refreshCooldownMs",
            10_000.0,
        )?,
        timeout_ms: non_negative(options, "timeoutMs", "timeoutMs", 60_000.0)?,
        refresh_timeout_ms,
        lock_timeout_ms,
        storage_key: key.as_string().unwrap_or_else(|| "authlane".into()),
        unknown,
        dpop: dpop.is_some(),
        seed: dpop.unwrap_or_default(),
    })
}
