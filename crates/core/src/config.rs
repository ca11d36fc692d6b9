//! The validated options (`options.rs` checks them): what the core decides with, and the facts the
//! shell needs to perform (`Config::facts_json`).

use crate::json::{write_num, write_str};

/// Backoff for transient refresh failures.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Retry {
    /// Every call counts, the first included.
    pub attempts: u32,
    /// The first retry's ceiling, ms.
    pub base_delay_ms: f64,
    /// The largest delay, ms.
    pub max_delay_ms: f64,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            attempts: 3,
            base_delay_ms: 200.0,
            max_delay_ms: 5_000.0,
        }
    }
}

/// How the client authenticates at an OAuth 2.0 token endpoint (RFC 6749 section 2.3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuth {
    /// A public client: `client_id` in the form, when given.
    None,
    /// `Authorization: Basic` with the form-encoded id and secret.
    Basic,
    /// `client_id` and `client_secret` in the form.
    Post,
}

/// The refresh call, as the options describe it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RefreshCall {
    /// `refresh` is a function: the shell calls it with the refresh token.
    pub function: bool,
    /// `refresh.body(token)` makes the JSON body.
    pub body_function: bool,
    /// The endpoint's URL, resolved.
    pub url: Option<String>,
    /// `refresh.method`, `POST` by default.
    pub method: String,
    /// `refresh.clientId`.
    pub client_id: Option<String>,
    /// `refresh.clientSecret`.
    pub client_secret: Option<String>,
    /// `refresh.clientAuth`, or its default.
    pub client_auth: Option<ClientAuth>,
    /// `refresh.scope`.
    pub scope: Option<String>,
    /// `refresh.params`, in order (strings, and numbers and booleans as text; others are left out).
    pub params: Vec<(String, String)>,
}

/// What the core decides with.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Normalised origins that get the token (see `url::origin`).
    pub allowed_origins: Vec<String>,
    /// Where relative request URLs resolve: `baseUrl`, or the page.
    pub base_url: Option<String>,
    /// Statuses that mean "token rejected" (when `refreshOn` is not a predicate).
    pub refresh_on: Vec<u16>,
    /// `refreshOn` is a predicate: the shell asks it whether a response rejects the token.
    pub ask_refresh_on: bool,
    /// Refresh before sending when the token expires within this, ms.
    pub leeway_ms: f64,
    /// Refresh backoff.
    pub retry: Retry,
    /// The auth header's name.
    pub header_name: String,
    /// The header's scheme, `Bearer` by default; empty for the bare token.
    pub scheme: String,
    /// One refresh across tabs that share storage (Web Locks + BroadcastChannel).
    pub cross_tab: bool,
    /// The refresh endpoint is an OAuth 2.0 token endpoint (`grant: "oauth2"`).
    pub oauth2: bool,
    /// The refresh token lives in an HttpOnly cookie (`refresh.cookie`).
    pub cookie: bool,
    /// The refresh call.
    pub refresh: RefreshCall,
    /// The revocation endpoint's URL, resolved (`revoke.url`).
    pub revoke_url: Option<String>,
    /// How long rejections of a token fresh from a refresh that was rejected again start no
    /// refresh, ms (`refreshCooldownMs`).
    pub refresh_cooldown_ms: f64,
    /// Per request attempt, ms (0: none).
    pub timeout_ms: f64,
    /// Per refresh attempt, ms (0: none).
    pub refresh_timeout_ms: f64,
    /// How long to wait for a refresh lock: the longest a refresh can legitimately run (every
    /// attempt with its timeout and backoff), and no longer, so a frozen tab cannot block this
    /// one.
    pub lock_timeout_ms: f64,
    /// `storageKey`.
    pub storage_key: String,
    /// Options the client does not know (a typo, or a feature of a newer version): the shell
    /// warns about each.
    pub unknown: Vec<String>,
    /// `dpop`: tokens bound to a key (RFC 9449).
    pub dpop: bool,
    /// The secret seed of DPoP's `jti`s (from `crypto.getRandomValues`).
    pub seed: Vec<u8>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            allowed_origins: Vec::new(),
            base_url: None,
            refresh_on: vec![401],
            ask_refresh_on: false,
            leeway_ms: 60_000.0,
            retry: Retry::default(),
            header_name: "Authorization".into(),
            scheme: "Bearer".into(),
            cross_tab: false,
            oauth2: false,
            cookie: false,
            refresh: RefreshCall {
                method: "POST".into(),
                ..RefreshCall::default()
            },
            revoke_url: None,
            refresh_cooldown_ms: 10_000.0,
            timeout_ms: 60_000.0,
            refresh_timeout_ms: 10_000.0,
            lock_timeout_ms: 3.0 * 10_000.0 + 2.0 * 5_000.0 + 1_000.0,
            storage_key: "authlane".into(),
            unknown: Vec::new(),
            dpop: false,
            seed: Vec::new(),
        }
    }
}

impl Config {
    /// The header value for `token`.
    ///
    /// ```
    /// let c = authlane_core::config::Config::default();
    /// assert_eq!(c.authorization("abc"), "Bearer abc");
    /// ```
    pub fn authorization(&self, token: &str) -> String {
        if self.scheme.is_empty() {
            token.to_string()
        } else {
            crate::error::cat(&[&self.scheme, " ", token])
        }
    }

    /// Whether a request to `url` may carry the token.
    pub fn allows(&self, url: &str) -> bool {
        crate::url::origin(url).is_some_and(|o| self.allowed_origins.contains(&o))
    }

    /// The origin that a path-absolute URL (`/x`) resolves to: `baseUrl`'s (or the page's),
    /// `None` when there is none or its root is not the origin and `/` (credentials in it).
    pub fn base_origin(&self) -> Option<String> {
        let base = self.base_url.as_deref()?;
        let origin = crate::url::origin(base)?;
        let root = crate::url::resolve(Some(base), "/")?;
        (root.strip_prefix(origin.as_str()) == Some("/")).then_some(origin)
    }

    /// The facts the shell performs with, as JSON: `headerName`, `timeoutMs`, `refreshUrl`,
    /// `method`, `revokeUrl`, `cookie`, `manualRedirects`, `crossTab`, `dpop`, `storageKey`, `unknown`
    /// (options to warn about), and for the fast path `origins`, `base` (see
    /// [`Config::base_origin`]) and `statuses` (`null` with a `refreshOn` predicate).
    pub fn facts_json(&self, out: &mut String) {
        out.push_str("{\"headerName\":");
        write_str(out, &self.header_name);
        out.push_str(",\"timeoutMs\":");
        write_num(out, self.timeout_ms);
        out.push_str(",\"refreshUrl\":");
        opt(out, self.refresh.url.as_deref());
        out.push_str(",\"method\":");
        write_str(out, &self.refresh.method);
        out.push_str(",\"revokeUrl\":");
        opt(out, self.revoke_url.as_deref());
        out.push_str(if self.cookie {
            ",\"cookie\":true"
        } else {
            ",\"cookie\":false"
        });
        // fetch drops only `Authorization` when a redirect leaves the origin: a custom header
        // would follow it anywhere, so the shell follows redirects itself (asking `allows` at each
        // hop) for a request that carries one and has no redirect mode of its own.
        out.push_str(
            match self.header_name.eq_ignore_ascii_case("authorization") {
                true => ",\"manualRedirects\":false",
                false => ",\"manualRedirects\":true",
            },
        );
        out.push_str(if self.cross_tab {
            ",\"crossTab\":true"
        } else {
            ",\"crossTab\":false"
        });
        out.push_str(if self.dpop {
            ",\"dpop\":true"
        } else {
            ",\"dpop\":false"
        });
        out.push_str(",\"storageKey\":");
        write_str(out, &self.storage_key);
        out.push_str(",\"unknown\":");
        list(out, self.unknown.iter().map(String::as_str));
        out.push_str(",\"origins\":");
        list(out, self.allowed_origins.iter().map(String::as_str));
        out.push_str(",\"base\":");
        opt(out, self.base_origin().as_deref());
        out.push_str(",\"statuses\":");
        if self.ask_refresh_on {
            out.push_str("null");
        } else {
            out.push('[');
            for (i, s) in self.refresh_on.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_num(out, f64::from(*s));
            }
            out.push(']');
        }
        out.push('}');
    }
}

fn opt(out: &mut String, s: Option<&str>) {
    match s {
        Some(s) => write_str(out, s),
        None => out.push_str("null"),
    }
}

fn list<'a>(out: &mut String, items: impl Iterator<Item = &'a str>) {
    out.push('[');
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_str(out, item);
    }
    out.push(']');
}
