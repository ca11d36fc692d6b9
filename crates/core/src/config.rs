//! The validated options the core needs (the JS-facing parsing is in `options.rs`).

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

/// What the core decides with.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Normalised origins that get the token (see `url::origin`).
    pub allowed_origins: Vec<String>,
    /// Statuses that mean "token rejected" (when `refreshOn` is not a predicate).
    pub refresh_on: Vec<u16>,
    /// `refreshOn` is a predicate: the host asks it whether a response rejects the token.
    pub ask_refresh_on: bool,
    /// Refresh before sending when the token expires within this, ms.
    pub leeway_ms: f64,
    /// Refresh backoff.
    pub retry: Retry,
    /// The header's scheme, `Bearer` by default; empty for the bare token.
    pub scheme: String,
    /// One refresh across tabs that share storage (Web Locks + BroadcastChannel).
    pub cross_tab: bool,
    /// The refresh endpoint is an OAuth 2.0 token endpoint (`grant: "oauth2"`).
    pub oauth2: bool,
    /// The refresh token lives in an HttpOnly cookie (`refresh.cookie`).
    pub cookie: bool,
    /// `logout()` revokes the refresh token (`revoke`).
    pub revoke: bool,
    /// How long rejections of a token fresh from a refresh that was rejected again start no
    /// refresh, ms (`refreshCooldownMs`).
    pub refresh_cooldown_ms: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            allowed_origins: Vec::new(),
            refresh_on: vec![401],
            ask_refresh_on: false,
            leeway_ms: 60_000.0,
            retry: Retry::default(),
            scheme: "Bearer".into(),
            cross_tab: false,
            oauth2: false,
            cookie: false,
            revoke: false,
            refresh_cooldown_ms: 10_000.0,
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
            format!("{} {token}", self.scheme)
        }
    }

    /// Whether a request to `url` may carry the token.
    pub fn allows(&self, url: &str) -> bool {
        crate::url::origin(url).is_some_and(|o| self.allowed_origins.contains(&o))
    }
}
