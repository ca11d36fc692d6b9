//! Lifecycle actions (API.md, "Lifecycle actions"): Flux Standard Actions that carry claims and
//! times, never a token; and the messages tabs send each other.

use crate::error::Code;
use crate::json::{write_num, write_str};

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

/// What the refresh endpoint answered, for `refreshFailed`'s payload.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Answered {
    /// The HTTP status; `None` when there was no HTTP answer (a function, a network error).
    pub status: Option<u16>,
    /// The OAuth 2.0 `error` of the response body (RFC 6749 section 5.2).
    pub oauth_error: Option<String>,
}

/// The session as actions and `session()` show it: the access token's claims (the JSON text of
/// its payload, `None` for an opaque token) and expiry (server ms).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Shown {
    /// A token is held.
    pub authenticated: bool,
    /// The payload's JSON text.
    pub claims: Option<String>,
    /// `exp`, ms.
    pub expires_at: Option<f64>,
}

/// A lifecycle action; never holds a token.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Storage was read at start.
    Restored(Shown),
    /// A login (here, or in another tab).
    LoggedIn(Shown),
    /// A refresh started.
    RefreshStarted(Reason),
    /// New tokens are held.
    RefreshSucceeded {
        /// The session now.
        shown: Shown,
        /// A new refresh token replaced the old one.
        rotated: bool,
    },
    /// A refresh failed; `code` is what held requests reject with.
    RefreshFailed {
        /// The code.
        code: Code,
        /// The message.
        message: String,
        /// Tokens were kept and the next request tries again.
        transient: bool,
        /// What the endpoint answered.
        answered: Answered,
    },
    /// The session is over, and why.
    SessionExpired(EndReason),
    /// A logout (here, or in another tab).
    LoggedOut,
}

impl Action {
    /// The action's name; its type in JS is `authlane/` + name.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Restored(_) => "restored",
            Action::LoggedIn(_) => "loggedIn",
            Action::RefreshStarted(_) => "refreshStarted",
            Action::RefreshSucceeded { .. } => "refreshSucceeded",
            Action::RefreshFailed { .. } => "refreshFailed",
            Action::SessionExpired(_) => "sessionExpired",
            Action::LoggedOut => "loggedOut",
        }
    }

    /// Every action's name, in API.md's order.
    pub const NAMES: [&'static str; 7] = [
        "restored",
        "loggedIn",
        "refreshStarted",
        "refreshSucceeded",
        "refreshFailed",
        "sessionExpired",
        "loggedOut",
    ];

    /// Appends the action as a Flux Standard Action in JSON (the claims as their own JSON text).
    pub fn write_json(&self, out: &mut String) {
        out.push_str("{\"type\":\"authlane/");
        out.push_str(self.name());
        out.push_str("\",\"payload\":{");
        match self {
            Action::Restored(shown) => {
                out.push_str("\"authenticated\":");
                out.push_str(if shown.authenticated {
                    "true,"
                } else {
                    "false,"
                });
                write_shown(out, shown);
            }
            Action::LoggedIn(shown) => write_shown(out, shown),
            Action::RefreshStarted(reason) => {
                out.push_str("\"reason\":\"");
                out.push_str(reason.as_str());
                out.push('"');
            }
            Action::RefreshSucceeded { shown, rotated } => {
                write_shown(out, shown);
                out.push_str(if *rotated {
                    ",\"rotated\":true"
                } else {
                    ",\"rotated\":false"
                });
            }
            Action::RefreshFailed {
                code,
                message,
                transient,
                answered,
            } => {
                out.push_str("\"code\":\"");
                out.push_str(code.as_str());
                out.push_str("\",\"message\":");
                write_str(out, message);
                out.push_str(if *transient {
                    ",\"transient\":true,\"status\":"
                } else {
                    ",\"transient\":false,\"status\":"
                });
                match answered.status {
                    Some(s) => write_num(out, f64::from(s)),
                    None => out.push_str("null"),
                }
                out.push_str(",\"oauthError\":");
                match &answered.oauth_error {
                    Some(e) => write_str(out, e),
                    None => out.push_str("null"),
                }
            }
            Action::SessionExpired(reason) => {
                out.push_str("\"code\":\"SESSION_EXPIRED\",\"reason\":\"");
                out.push_str(reason.as_str());
                out.push('"');
            }
            Action::LoggedOut => {}
        }
        out.push_str("}}");
    }
}

/// `"claims":…,"expiresAt":…`
fn write_shown(out: &mut String, shown: &Shown) {
    out.push_str("\"claims\":");
    out.push_str(shown.claims.as_deref().unwrap_or("null"));
    out.push_str(",\"expiresAt\":");
    match shown.expires_at {
        Some(at) => write_num(out, at),
        None => out.push_str("null"),
    }
}

/// `session()` as JSON: `{"authenticated":…,"claims":…,"expiresAt":…}`, and with DPoP
/// `"dpop":{"jkt":…}` (the key's thumbprint).
pub fn session_json(shown: &Shown, jkt: Option<&str>, out: &mut String) {
    out.push_str("{\"authenticated\":");
    out.push_str(if shown.authenticated {
        "true,"
    } else {
        "false,"
    });
    write_shown(out, shown);
    if let Some(jkt) = jkt {
        out.push_str(",\"dpop\":{\"jkt\":");
        write_str(out, jkt);
        out.push('}');
    }
    out.push('}');
}

/// What a tab tells the other tabs that share its storage. A message about new tokens names
/// them by [`pair_fingerprint`], never by the tokens themselves: the receiver takes them from
/// storage only once storage holds that very pair, so a message that overtakes the write (tabs
/// are separate processes) is not lost, and two keys read between another tab's two writes are
/// never taken as a pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Message {
    /// A refresh stored this pair.
    Tokens(u64),
    /// A `login()` stored this pair.
    LoggedIn(u64),
    /// The user logged out; the pair this tab held then (0: none), so that a tab whose session
    /// began later (its own login, another tab's) does not take an old message for its own.
    LoggedOut(u64),
    /// The session expired; the pair this tab held then (0: none).
    SessionExpired(u64),
}

impl Message {
    /// The message as it goes on the channel: `"tokens <fp>"`, `"login <fp>"`,
    /// `"loggedOut <fp>"`, `"sessionExpired <fp>"` (the fingerprint in hex).
    pub fn text(self) -> String {
        let hex = |fp: u64| {
            let mut s = String::new();
            for shift in (0..16).rev() {
                let d = ((fp >> (shift * 4)) & 15) as u32;
                s.push(char::from_digit(d, 16).unwrap_or('0'));
            }
            s
        };
        match self {
            Message::Tokens(fp) => crate::error::cat(&["tokens ", &hex(fp)]),
            Message::LoggedIn(fp) => crate::error::cat(&["login ", &hex(fp)]),
            Message::LoggedOut(fp) => crate::error::cat(&["loggedOut ", &hex(fp)]),
            Message::SessionExpired(fp) => crate::error::cat(&["sessionExpired ", &hex(fp)]),
        }
    }

    /// The message `s`, if it is one.
    ///
    /// ```
    /// use authlane_core::action::Message;
    /// for m in [Message::Tokens(0xabc), Message::LoggedIn(7), Message::LoggedOut(0)] {
    ///     assert_eq!(Message::parse(&m.text()), Some(m));
    /// }
    /// assert_eq!(Message::parse("tokens"), None);
    /// ```
    pub fn parse(s: &str) -> Option<Self> {
        let fp = |hex: &str| {
            let ok = !hex.is_empty() && hex.len() <= 16;
            hex.bytes()
                .try_fold(0u64, |acc, b| {
                    let d = char::from(b).to_digit(16)?;
                    Some((acc << 4) | u64::from(d))
                })
                .filter(|_| ok)
        };
        match s.split_once(' ') {
            Some(("tokens", hex)) => fp(hex).map(Message::Tokens),
            Some(("login", hex)) => fp(hex).map(Message::LoggedIn),
            Some(("loggedOut", hex)) => fp(hex).map(Message::LoggedOut),
            Some(("sessionExpired", hex)) => fp(hex).map(Message::SessionExpired),
            _ => None,
        }
    }
}

/// A token pair's fingerprint (64-bit FNV-1a over both tokens): what a "new tokens" message says
/// of the pair it announces. Not a secret and not a token: it only tells a pair read from storage
/// apart from another one.
///
/// ```
/// use authlane_core::action::pair_fingerprint;
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
