//! What the shell tells the core ([`Input`]): calls of the API, and what came of the effects it
//! performed. Every input comes with the device time; the core reads no clock of its own.

use crate::effect::{Id, Io, Lock};

/// A value read from storage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stored<'a> {
    /// Nothing stored (`null` / `undefined`).
    Missing,
    /// A string; not yet checked for usability.
    Text(&'a str),
    /// Something that is not a string.
    NotText,
}

/// What a refresh call came to.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Reply<'a> {
    /// The refresh function resolved: the JSON text of its value (`None` for `null` or
    /// `undefined`; `Some("")` when it could not be written as JSON).
    Function(Option<&'a str>),
    /// The call threw or rejected: with the `status` property of what it threw, and our own code
    /// when the shell's transport raised it (`TIMEOUT`, `NETWORK_ERROR`).
    Threw {
        /// The thrown value's `status`, when it had a number there.
        status: Option<u16>,
        /// A timeout (`true`) or a network error (`false`) of the shell's own, when it was one.
        timeout: Option<bool>,
    },
    /// The refresh endpoint answered.
    Http {
        /// The HTTP status.
        status: u16,
        /// Its `DPoP-Nonce` header.
        nonce: Option<&'a str>,
        /// The body's text (for a 2xx, after `refresh.parse` when there is one, as JSON); `None`
        /// when it was not read or could not be.
        body: Option<&'a str>,
        /// The `Date` header, ms.
        date: Option<f64>,
        /// `Retry-After`, ms from now.
        retry_after_ms: Option<f64>,
    },
}

/// One event for the core.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Input<'a> {
    /// Read the stored tokens (`createAuthClient`); settles API call `id`.
    Start {
        /// The call.
        id: Id,
    },
    /// `client.fetch` of request `id` to `url` (resolved, see `Client::resolve`); `auth`:
    /// `init.auth !== false`.
    Request {
        /// The request.
        id: Id,
        /// Its URL.
        url: &'a str,
        /// Its method (for a DPoP proof's `htm`).
        method: &'a str,
        /// Not `auth: false`.
        auth: bool,
    },
    /// Request `id` got a response (its status, the URL it came from after redirects, its
    /// `Date` in ms and `WWW-Authenticate`). `lease`: it was sent under the lease, with the
    /// lease's generation and failures, and the core has not seen it yet.
    Response {
        /// The request.
        id: Id,
        /// The status.
        status: u16,
        /// The final URL, when the engine says.
        url: Option<&'a str>,
        /// `Date`, ms.
        date: Option<f64>,
        /// `WWW-Authenticate`.
        challenge: Option<&'a str>,
        /// `DPoP-Nonce`.
        nonce: Option<&'a str>,
        /// `(generation, failures)` of the lease it was sent under.
        lease: Option<(u64, u64)>,
    },
    /// The `refreshOn` predicate said whether request `id`'s response rejects the token.
    Judged {
        /// The request.
        id: Id,
        /// It does.
        rejects: bool,
    },
    /// Request `id` is over for the shell (its send failed, or its caller's signal aborted it):
    /// the core forgets it.
    Gone {
        /// The request.
        id: Id,
    },
    /// Under the lease, the API answered the token of `generation` (the shell says so once).
    Accepted {
        /// The token's generation.
        generation: u64,
    },
    /// Under the lease, a response carried `Date` (ms).
    Dated {
        /// `Date`, ms.
        date: f64,
    },
    /// The refresh call made.
    Refreshed(Reply<'a>),
    /// A storage read ended: its value, or `None` when the callback threw or rejected.
    Loaded {
        /// The operation.
        io: Io,
        /// The value.
        value: Option<Stored<'a>>,
    },
    /// A storage write or removal ended.
    Saved {
        /// The operation.
        io: Io,
        /// It worked.
        ok: bool,
    },
    /// A lock asked for: `granted` (or the wait timed out, or there is no such lock here),
    /// `contended` (another tab held it first), `shared` (other clients of this app share the
    /// storage, or tabs may).
    Locked {
        /// Which.
        which: Lock,
        /// Granted.
        granted: bool,
        /// Another holder came first.
        contended: bool,
        /// Others share the storage.
        shared: bool,
    },
    /// A time the core asked to be called at ([`crate::Client::poll_timeout`]) has come.
    Timer,
    /// A message from another tab or client sharing the storage.
    Message(&'a str),
    /// `login(tokens)`: the JSON text of its argument (`""` when it could not be written as
    /// JSON).
    Login {
        /// The call.
        id: Id,
        /// The tokens.
        tokens: &'a str,
    },
    /// `logout()`.
    Logout {
        /// The call.
        id: Id,
    },
    /// The revocation of `logout()` call `id` ended: the endpoint's status (`None`: no answer),
    /// its `DPoP-Nonce` and its body.
    Revoked {
        /// The `logout()` call.
        id: Id,
        /// The status.
        status: Option<u16>,
        /// `DPoP-Nonce`.
        nonce: Option<&'a str>,
        /// The body.
        body: Option<&'a str>,
    },
    /// The DPoP key pair the shell holds now: its public `x` and `y` (`None`: the key store
    /// failed).
    Key(Option<(&'a str, &'a str)>),
    /// The signature (base64url) of the signing input of operation `io` (`None`: signing failed).
    Signed {
        /// The operation.
        io: Io,
        /// The signature.
        signature: Option<&'a str>,
    },
    /// `dpopProof(method, url, { nonce })`.
    Proof {
        /// The call.
        id: Id,
        /// The method.
        method: &'a str,
        /// The URL.
        url: &'a str,
        /// The server's nonce, when the app has one.
        nonce: Option<&'a str>,
    },
    /// `getAccessToken()`.
    AccessToken {
        /// The call.
        id: Id,
    },
    /// `refresh()`.
    Refresh {
        /// The call.
        id: Id,
    },
    /// `startAutoRefresh()` (`true`) / `stopAutoRefresh()`.
    AutoRefresh(bool),
    /// `dispose()`.
    Dispose,
    /// Whether the device can reach the network now (`connectivity`, or `navigator.onLine`):
    /// the state at start and after each change the shell hears of.
    Online(bool),
}
