//! What the client needs from its surroundings. `JsEnv` (`js_env.rs`) implements it with the
//! JS fetch, storage and dispatch callbacks; native tests implement it with fakes, so the whole
//! pipeline and refresh coordinator run under `cargo test`.

use std::future::Future;
use std::pin::Pin;

use crate::error::{Code, Error};

/// A boxed local future.
pub type Fut<T> = Pin<Box<dyn Future<Output = T>>>;

/// Which token a storage operation is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// `${storageKey}.accessToken`
    Access,
    /// `${storageKey}.refreshToken`
    Refresh,
}

/// A value read from storage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stored {
    /// Nothing stored (`null` / `undefined`).
    Missing,
    /// A string; not yet checked for usability.
    Text(String),
    /// Something that is not a string.
    NotText,
}

/// A token set from a refresh or a login.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TokenSet {
    /// The new access token.
    pub access: String,
    /// A new refresh token (rotation), or `None` to keep the old one.
    pub refresh: Option<String>,
    /// `expiresIn`, seconds, for tokens that are not JWTs.
    pub expires_in: Option<f64>,
}

/// What the refresh endpoint answered, for `refreshFailed`'s payload.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status; `None` when there was no HTTP answer (a function, a network error).
    pub status: Option<u16>,
    /// The OAuth 2.0 `error` of the response body (RFC 6749 section 5.2).
    pub oauth_error: Option<String>,
}

/// One refresh attempt's result, already classified.
#[derive(Clone, Debug)]
pub enum Attempt {
    /// New tokens, with the server's `Date` (ms) when the response had one.
    Tokens(TokenSet, Option<f64>),
    /// The refresh token was refused (400/401/403, with OAuth 2.0 `invalid_grant` only; `null`
    /// from the function).
    Definitive(Error, Answer),
    /// OAuth 2.0: any other `error` in a 4xx (`invalid_client`, ...): a configuration mistake.
    /// The tokens are kept and it is not retried.
    Misconfigured(Error, Answer),
    /// Network error, timeout, 5xx, 429; with `Retry-After` in ms when given.
    Transient(Error, Option<f64>, Answer),
    /// A 2xx without a usable access token.
    Unusable(Error, Answer),
    /// Another tab already refreshed: its tokens, read from the shared storage.
    Adopted(TokenSet),
    /// The token the refresh was for was replaced while it waited (another tab's tokens,
    /// taken from its message) and the new one is not due: nothing to call.
    Renewed,
}

/// What a token tells about itself, once decoded. `C` is the claims object handed to JS.
#[derive(Clone, Debug, Default)]
pub struct TokenInfo<C> {
    /// The decoded payload, `None` for opaque tokens.
    pub claims: Option<C>,
    /// `exp` in ms.
    pub expires_at: Option<f64>,
    /// `iat` in ms.
    pub issued_at: Option<f64>,
}

/// Why a refresh started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// Before sending: the token expires within the leeway, or only a refresh token is stored.
    Expiring,
    /// A response matched `refreshOn`.
    Rejected,
    /// `client.refresh()`.
    Manual,
    /// The auto-refresh timer.
    Timer,
}

impl Reason {
    /// As the action payload names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Expiring => "expiring",
            Reason::Rejected => "rejected",
            Reason::Manual => "manual",
            Reason::Timer => "timer",
        }
    }
}

/// Why a session ended (`sessionExpired`'s `reason`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndReason {
    /// The refresh endpoint or function refused the refresh token.
    RefreshRejected,
    /// As `RefreshRejected`, but an earlier attempt of the same refresh may have reached the
    /// server and rotated the token before its answer was lost.
    LostRotation,
    /// A refresh was needed and no refresh token was stored.
    NoRefreshToken,
    /// The access token was rejected and there is no way to refresh it.
    AccessRejected,
    /// Another tab or client sharing the storage ended the session.
    OtherTab,
}

impl EndReason {
    /// As the action payload names it.
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::RefreshRejected => "refresh_rejected",
            EndReason::LostRotation => "lost_rotation",
            EndReason::NoRefreshToken => "no_refresh_token",
            EndReason::AccessRejected => "access_rejected",
            EndReason::OtherTab => "other_tab",
        }
    }
}

/// What a tab tells the other tabs that share its storage. A message about new tokens names
/// them by [`pair_fingerprint`], never by the tokens themselves: the receiver takes them from
/// storage only once storage holds that very pair, so a message that overtakes the write (tabs
/// are separate processes) is not lost, and two keys read between another tab's two writes are
/// never taken as a pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Broadcast {
    /// A refresh stored this pair.
    Tokens(u64),
    /// A `login()` stored this pair.
    LoggedIn(u64),
    /// The user logged out.
    LoggedOut,
    /// The session expired.
    SessionExpired,
}

impl Broadcast {
    /// The message as it goes on the channel: `"tokens <fp>"`, `"login <fp>"` (the fingerprint
    /// in hex), `"loggedOut"`, `"sessionExpired"`.
    pub fn text(self) -> String {
        match self {
            Broadcast::Tokens(fp) => format!("tokens {fp:x}"),
            Broadcast::LoggedIn(fp) => format!("login {fp:x}"),
            Broadcast::LoggedOut => "loggedOut".into(),
            Broadcast::SessionExpired => "sessionExpired".into(),
        }
    }

    /// The message `s`, if it is one.
    ///
    /// ```
    /// use authlane_core::env::Broadcast;
    /// for m in [Broadcast::Tokens(0xabc), Broadcast::LoggedIn(7), Broadcast::LoggedOut] {
    ///     assert_eq!(Broadcast::parse(&m.text()), Some(m));
    /// }
    /// assert_eq!(Broadcast::parse("tokens"), None);
    /// ```
    pub fn parse(s: &str) -> Option<Self> {
        let fp = |hex: &str| u64::from_str_radix(hex, 16).ok();
        match s.split_once(' ') {
            Some(("tokens", hex)) => fp(hex).map(Broadcast::Tokens),
            Some(("login", hex)) => fp(hex).map(Broadcast::LoggedIn),
            None if s == "loggedOut" => Some(Broadcast::LoggedOut),
            None if s == "sessionExpired" => Some(Broadcast::SessionExpired),
            _ => None,
        }
    }
}

/// A token pair's fingerprint (64-bit FNV-1a over both tokens): what a "new tokens" message says
/// of the pair it announces. Not a secret and not a token: it only tells a pair read from storage
/// apart from another one.
///
/// ```
/// use authlane_core::env::pair_fingerprint;
/// assert_ne!(pair_fingerprint("a", Some("b")), pair_fingerprint("a", Some("c")));
/// assert_ne!(pair_fingerprint("ab", None), pair_fingerprint("a", Some("b")));
/// ```
pub fn pair_fingerprint(access: &str, refresh: Option<&str>) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |b: u8| {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    };
    access.bytes().for_each(&mut eat);
    // Tokens are visible ASCII (`usable_token`): these separators cannot occur in them.
    match refresh {
        Some(r) => {
            eat(b' ');
            r.bytes().for_each(&mut eat);
        }
        None => eat(b'\n'),
    }
    hash
}

/// A lifecycle action; never holds a token.
#[derive(Clone, Debug)]
pub enum Action<C> {
    /// Storage was read at start.
    Restored {
        /// A token is stored.
        authenticated: bool,
        /// The access token's claims.
        claims: Option<C>,
        /// Its expiry, ms.
        expires_at: Option<f64>,
    },
    /// `login()` stored new tokens.
    LoggedIn {
        /// Claims.
        claims: Option<C>,
        /// Expiry, ms.
        expires_at: Option<f64>,
    },
    /// A refresh call started.
    RefreshStarted(Reason),
    /// New tokens are stored.
    RefreshSucceeded {
        /// Claims.
        claims: Option<C>,
        /// Expiry, ms.
        expires_at: Option<f64>,
        /// A new refresh token replaced the old one.
        rotated: bool,
    },
    /// The refresh failed; `code` is what held requests reject with.
    RefreshFailed {
        /// The code.
        code: Code,
        /// The message.
        message: String,
        /// Tokens were kept and the next request tries again.
        transient: bool,
        /// What the endpoint answered.
        answer: Answer,
    },
    /// The session is over, and why.
    SessionExpired(EndReason),
    /// `logout()`.
    LoggedOut,
}

impl<C> Action<C> {
    /// The action's name; its type in JS is `authlane/` + name (API.md, "Lifecycle actions").
    pub fn name(&self) -> &'static str {
        match self {
            Action::Restored { .. } => "restored",
            Action::LoggedIn { .. } => "loggedIn",
            Action::RefreshStarted(_) => "refreshStarted",
            Action::RefreshSucceeded { .. } => "refreshSucceeded",
            Action::RefreshFailed { .. } => "refreshFailed",
            Action::SessionExpired(_) => "sessionExpired",
            Action::LoggedOut => "loggedOut",
        }
    }
}

/// The client's surroundings.
pub trait Env: 'static {
    /// A response.
    type Response;
    /// Decoded claims as handed to listeners.
    type Claims: Clone + 'static;
    /// A held cross-tab lock; released when dropped.
    type Lock;

    /// Device time, ms since the epoch.
    fn now_ms(&self) -> f64;
    /// A number in `[0, 1)` for jitter.
    fn random(&self) -> f64;
    /// Runs a task to completion in the background (the shared refresh).
    fn spawn(&self, task: Fut<()>);
    /// Resolves after `ms`.
    fn sleep(&self, ms: f64) -> Fut<()>;

    /// The response's `Date` header, ms.
    fn server_date(&self, response: &Self::Response) -> Option<f64>;
    /// The response's `WWW-Authenticate` header.
    fn www_authenticate(&self, response: &Self::Response) -> Option<String>;

    /// One refresh attempt; `None` in cookie mode (the cookie carries the refresh token).
    fn call_refresh(&self, refresh_token: Option<String>) -> Fut<Attempt>;
    /// Revokes `token` (RFC 7009; `None` in cookie mode) with its `token_type_hint`; true when
    /// the endpoint accepted it. Bounded by `refreshTimeoutMs`, never retried.
    fn revoke(&self, token: Option<String>, hint: &'static str) -> Fut<bool>;

    /// Cancels the refresh call in flight: a login, logout or dispose discarded its result, so
    /// the network call (or the refresh function, through its `signal`) can stop.
    fn cancel_refresh(&self);
    /// Decodes an access token.
    fn inspect(&self, access_token: &str) -> TokenInfo<Self::Claims>;

    /// Reads a slot.
    fn load(&self, slot: Slot) -> Fut<Result<Stored, Error>>;
    /// Writes a slot.
    fn store(&self, slot: Slot, value: String) -> Fut<Result<(), Error>>;
    /// Removes a slot.
    fn remove(&self, slot: Slot) -> Fut<Result<(), Error>>;

    /// Hands an action to `dispatch` and the listeners; never fails.
    fn dispatch(&self, action: Action<Self::Claims>);

    /// Takes the refresh lock of the storage this client shares with other clients of the app
    /// and, with `crossTab`, other tabs; `None` when there is none to take or the wait timed
    /// out (a frozen tab must not block the others).
    fn lock(&self) -> Fut<Option<Self::Lock>>;
    /// Tells the other tabs (no-op where there is no channel).
    fn broadcast(&self, message: Broadcast);
}
