//! `createAuthClient` options: validated and turned into the core's [`Config`] and the host's
//! settings. Every problem is `INVALID_CONFIG` with a message that names the option. The rules
//! read options through [`Value`], so they run natively on plain values in the tests; the JS
//! binding (`src/js_options.rs`) implements it for JS values.

use crate::config::{Config, Retry};
use crate::error::{Code, Error};
use crate::url::{exact_origin, origin, resolve};

/// What the host needs besides the core's config.
pub struct HostSettings {
    /// The auth header's name.
    pub header_name: String,
    /// Per request attempt, ms (0: none).
    pub timeout_ms: f64,
    /// Per refresh attempt, ms (0: none).
    pub refresh_timeout_ms: f64,
    /// The refresh endpoint's URL, resolved; `None` for a refresh function.
    pub refresh_url: Option<String>,
    /// Where relative request URLs resolve.
    pub base_url: Option<String>,
    /// How long to wait for another tab's refresh lock: the longest a refresh can legitimately
    /// run (every attempt with its timeout and backoff), and no longer, so a frozen tab cannot
    /// block this one.
    pub lock_timeout_ms: f64,
    /// `refresh.grant === "oauth2"`.
    pub oauth2: bool,
    /// The revocation endpoint's URL, resolved (`revoke.url`).
    pub revoke_url: Option<String>,
}

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
}

fn bad(message: impl Into<String>) -> Error {
    Error::new(
        Code::InvalidConfig,
        format!("createAuthClient: {}", message.into()),
    )
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
        _ => Err(bad(format!("{name} must be a finite number >= 0"))),
    }
}

fn is_storage<V: Value>(v: &V) -> bool {
    ["getItem", "setItem", "removeItem"]
        .iter()
        .all(|m| v.get(m).is_function())
}

/// Validates `options` in `env`.
pub fn parse<V: Value>(options: &V, env: Environment) -> Result<(Config, HostSettings), Error> {
    if !options.is_object() {
        return Err(bad("options must be an object"));
    }
    let base_url = match options.get("baseUrl") {
        v if !v.present() => None,
        v => match v.as_string().filter(|u| origin(u).is_some()) {
            Some(u) => Some(u),
            None => return Err(bad("baseUrl must be an absolute http(s) URL")),
        },
    };
    let base = base_url.clone().or(env.document_url);

    let refresh = options.get("refresh");
    let refresh_url = if refresh.is_function() {
        None
    } else if refresh.is_object() {
        let url = refresh
            .get("url")
            .as_string()
            .ok_or_else(|| bad("refresh.url must be a string"))?;
        let resolved = resolve(base.as_deref(), &url)
            .filter(|u| origin(u).is_some())
            .ok_or_else(|| {
                bad("refresh.url must be an http(s) URL (relative URLs need baseUrl)")
            })?;
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
                return Err(bad(format!("refresh.{key} must be {kind}")));
            }
        }
        match refresh.get("grant") {
            v if !v.present() => {}
            v if v.as_string().as_deref() == Some("oauth2") => {}
            _ => return Err(bad("refresh.grant must be \"oauth2\" (or left out)")),
        }
        match refresh.get("clientAuth") {
            v if !v.present() => {}
            v if matches!(
                v.as_string().as_deref(),
                Some("none" | "client_secret_basic" | "client_secret_post")
            ) => {}
            _ => {
                return Err(bad(
                    "refresh.clientAuth must be \"none\", \"client_secret_basic\" or \"client_secret_post\"",
                ))
            }
        }
        Some(resolved)
    } else {
        return Err(bad(
            "refresh is required: { url } of the refresh endpoint, or an async function",
        ));
    };

    let allowed_origins = match options.get("allowedOrigins") {
        v if !v.present() => {
            let mut list: Vec<String> = base_url
                .iter()
                .chain(refresh_url.iter())
                .filter_map(|u| origin(u))
                .collect();
            list.dedup();
            if list.is_empty() {
                return Err(bad(
                    "no origin would get the token: set baseUrl or allowedOrigins",
                ));
            }
            list
        }
        v => {
            let items = v
                .items()
                .ok_or_else(|| bad("allowedOrigins must be an array of origins"))?;
            let mut list = Vec::new();
            for item in items {
                let text = item.as_string().unwrap_or_default();
                match exact_origin(&text) {
                    Some(o) if !text.bytes().any(|b| b == b'*') => list.push(o),
                    _ => return Err(bad("allowedOrigins must hold origins like \"https://api.example.com\": scheme, host and port only (no path, user info or wildcards)")),
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
        return Err(bad(
            "storage must have getItem, setItem and removeItem, or be { access, refresh } of such",
        ));
    }
    let key = options.get("storageKey");
    if key.present() && key.as_string().is_none_or(|k| k.is_empty()) {
        return Err(bad("storageKey must be a non-empty string"));
    }

    let refresh_on_value = options.get("refreshOn");
    let refresh_on = if !refresh_on_value.present() || refresh_on_value.is_function() {
        vec![401]
    } else {
        let items = refresh_on_value
            .items()
            .ok_or_else(|| bad("refreshOn must be an array of HTTP statuses or a function"))?;
        let list: Option<Vec<u16>> = items
            .iter()
            .map(|v| {
                v.as_f64()
                    .filter(|n| n.fract() == 0.0 && (100.0..=599.0).contains(n))
                    .map(|n| n as u16)
            })
            .collect();
        list.ok_or_else(|| bad("refreshOn must hold HTTP statuses (integers 100 to 599)"))?
    };

    let retry_value = options.get("refreshRetry");
    let mut retry = Retry::default();
    if retry_value.present() {
        if !retry_value.is_object() {
            return Err(bad(
                "refreshRetry must be { attempts, baseDelayMs, maxDelayMs }",
            ));
        }
        if retry_value.get("attempts").present() {
            retry.attempts = number(&retry_value, "attempts")
                .filter(|n| n.fract() == 0.0 && (1.0..=100.0).contains(n))
                .ok_or_else(|| bad("refreshRetry.attempts must be an integer from 1 to 100"))?
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
        if let Some(name) = header
            .get("name")
            .present()
            .then(|| header.get("name").as_string())
        {
            header_name = name
                .filter(|n| {
                    !n.is_empty()
                        && n.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
                })
                .ok_or_else(|| bad("header.name must be an HTTP header name"))?;
        }
        if header.get("scheme").present() {
            scheme = header
                .get("scheme")
                .as_string()
                .filter(|s| !s.chars().any(|c| c.is_whitespace() || c.is_control()))
                .ok_or_else(|| {
                    bad("header.scheme must be a string without spaces (\"\" for the bare token)")
                })?;
        }
    }

    for (key, kind) in [
        ("fetch", "a function"),
        ("dispatch", "a function"),
        ("now", "a function"),
    ] {
        let v = options.get(key);
        if v.present() && !v.is_function() {
            return Err(bad(format!("{key} must be {kind}")));
        }
    }
    if !options.get("fetch").present() && !env.global_fetch {
        return Err(bad(
            "fetch: there is no global fetch here; pass options.fetch",
        ));
    }
    let cross_tab = match options.get("crossTab") {
        v if !v.present() => env.web_locks,
        v => v
            .as_bool()
            .ok_or_else(|| bad("crossTab must be a boolean"))?,
    };

    let flag = |key: &str| refresh.is_object() && refresh.get(key).as_bool() == Some(true);
    let oauth2 =
        refresh.is_object() && refresh.get("grant").as_string().as_deref() == Some("oauth2");
    let revoke = options.get("revoke");
    let revoke_url = if revoke.present() {
        let url = revoke.get("url").as_string();
        let headers = revoke.get("headers");
        if headers.present() && !headers.is_object() {
            return Err(bad("revoke.headers must be an object"));
        }
        Some(
            url.and_then(|u| resolve(base.as_deref(), &u))
                .filter(|u| origin(u).is_some())
                .ok_or_else(|| {
                    bad("revoke must be { url } of the revocation endpoint (relative URLs need baseUrl)")
                })?,
        )
    } else {
        None
    };
    let config = Config {
        allowed_origins,
        refresh_on,
        ask_refresh_on: refresh_on_value.is_function(),
        leeway_ms: non_negative(options, "leewaySeconds", "leewaySeconds", 60.0)? * 1_000.0,
        retry,
        scheme,
        cross_tab,
        oauth2,
        cookie: flag("cookie"),
        revoke: revoke_url.is_some(),
        refresh_cooldown_ms: non_negative(
            options,
            "refreshCooldownMs",
            "refreshCooldownMs",
            10_000.0,
        )?,
    };
    let refresh_timeout_ms =
        non_negative(options, "refreshTimeoutMs", "refreshTimeoutMs", 10_000.0)?;
    let per_attempt = if refresh_timeout_ms > 0.0 {
        refresh_timeout_ms
    } else {
        10_000.0
    };
    let attempts = f64::from(config.retry.attempts);
    let settings = HostSettings {
        header_name,
        timeout_ms: non_negative(options, "timeoutMs", "timeoutMs", 60_000.0)?,
        refresh_timeout_ms,
        refresh_url,
        base_url: base,
        lock_timeout_ms: attempts * per_attempt
            + (attempts - 1.0) * config.retry.max_delay_ms
            + 1_000.0,
        oauth2,
        revoke_url,
    };
    Ok((config, settings))
}
