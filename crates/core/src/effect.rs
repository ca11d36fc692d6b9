//! What the core asks the shell to do ([`Effect`]), and its JSON form: the JS shell reads a batch
//! of effects as one JSON array per call into the core (`Effect::write_json`), performs each, and
//! reports what came of it as an [`crate::input::Input`].

use crate::action::Action;
use crate::error::{Cause, Error, Host};
use crate::json::{write_int, write_num, write_str};

/// An id the shell chose: a request's (`client.fetch`), or an API call's (`login()`,
/// `getAccessToken()`, ...) whose Promise the shell settles on [`Effect::Resolve`] or
/// [`Effect::Reject`].
pub type Id = u32;

/// A storage operation's id, chosen by the core; the shell hands it back with the result.
pub type Io = u32;

/// Which token a storage operation is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// `${storageKey}.accessToken`
    Access,
    /// `${storageKey}.refreshToken`
    Refresh,
    /// `${storageKey}.pendingRevocations`, where the refresh token is kept: the revocations of
    /// logouts made offline, sent once online.
    Pending,
}

impl Slot {
    fn as_str(self) -> &'static str {
        match self {
            Slot::Access => "access",
            Slot::Refresh => "refresh",
            Slot::Pending => "pending",
        }
    }
}

/// The locks a refresh takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lock {
    /// For the whole refresh: this app's clients sharing the storage take turns (and, with
    /// `crossTab`, every tab's: the Web Lock `<storageKey>.refresh`).
    Refresh,
    /// With `crossTab`, around each refresh call and the write of its result (the Web Lock
    /// `<storageKey>.refresh.call`): tabs that stopped waiting for a frozen tab's refresh lock
    /// still call one at a time, and so does a frozen tab that wakes up.
    Call,
    /// With `crossTab`, around sending the revocations kept while offline (the Web Lock
    /// `<storageKey>.revoke`): tabs that come online together send each one once.
    Revoke,
    /// With `crossTab`, in place of the call lock when the wait for it timed out (the Web Lock
    /// `<storageKey>.refresh.fallback`): a frozen tab may hold both of the others, and the tabs
    /// that waited for them in vain still call one at a time.
    Fallback,
    /// With `crossTab`, a `logout()` around its removal of the tokens: the call lock again (the
    /// same Web Lock, `<storageKey>.refresh.call`), asked for apart from a refresh's.
    Logout,
}

/// How a header goes on the refresh call: set whatever `refresh.headers` says, or only when
/// `refresh.headers` has none of that name.
#[derive(Clone, Debug, PartialEq)]
pub struct Header {
    /// The header's name, lowercase.
    pub name: &'static str,
    /// Its value.
    pub value: String,
    /// `false`: only when the app's own headers lack it.
    pub force: bool,
}

/// A refresh call to make. With a refresh function, the shell calls it with `token` and reports
/// what it returned; with an endpoint, it sends this request (with `refresh.method`, the
/// headers of `refresh.headers` and `headers`, with credentials in cookie mode) and reports the
/// answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// The refresh token (`None` in cookie mode: the cookie carries it).
    pub token: Option<String>,
    /// The request body; `None` when `refresh.body(token)` makes it (the shell calls it and
    /// sends its result as JSON).
    pub body: Option<String>,
    /// Headers the core adds.
    pub headers: Vec<Header>,
    /// The attempt's timeout, ms (0: none).
    pub timeout_ms: f64,
    /// The `DPoP` header (a proof), with `dpop`.
    pub dpop: Option<String>,
}

/// A revocation to send (RFC 7009), bounded by the timeout, never retried; the shell reports
/// whether the endpoint accepted it.
#[derive(Clone, Debug, PartialEq)]
pub struct Revoke {
    /// The `logout()` call it is for (the shell reports with it).
    pub id: Id,
    /// The body (`None`: an empty POST with credentials, cookie mode).
    pub body: Option<String>,
    /// Headers the core adds (besides `revoke.headers`).
    pub headers: Vec<Header>,
    /// ms.
    pub timeout_ms: f64,
    /// The `DPoP` header (a proof), with `dpop`.
    pub dpop: Option<String>,
}

/// The call number of work no API call waits for (the shell numbers calls from 1).
pub const NO_CALLER: Id = 0;

/// What a settled API call resolves with.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    /// `undefined`
    Nothing,
    /// The access token (`getAccessToken()`), or `null` when logged out.
    Token(Option<String>),
    /// `session()` now (`refresh()`).
    Session,
    /// `logout()`: `{ revoked, pending? }`.
    LoggedOut {
        /// The endpoint accepted the revocation.
        revoked: bool,
        /// Offline: the revocation is kept, and sent once online.
        pending: bool,
    },
    /// `dpopProof()`: the `DPoP` header value.
    Proof(String),
}

/// What to do with the DPoP key pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyOp {
    /// Read it from the key store (making and saving one when there is none), and report it.
    Load,
    /// Discard it and make a new one (a new session's), and report it.
    Replace,
}

/// The fast path's grant: until device ms `until`, a first send of a request to an allowed
/// origin (see the client's facts: `origins`, `base`) may carry `header` without asking the
/// core, and a response whose status is not one of the `refreshOn` statuses is its answer. The
/// shell tells the core of the first such answer ([`crate::input::Input::Accepted`]) and of a
/// response's `Date` every `date_every_ms`; a rejection goes to the core with `generation` and
/// `failures`. A new lease (or none) replaces it at once, whenever anything it depends on
/// changes.
#[derive(Clone, Debug, PartialEq)]
pub struct Lease {
    /// The header value.
    pub header: String,
    /// The token's generation.
    pub generation: u64,
    /// Refresh failures so far.
    pub failures: u64,
    /// Device ms from which the token is due.
    pub until: f64,
    /// How often to hand the core a `Date`: 0 for every response.
    pub date_every_ms: f64,
}

/// One thing for the shell to do.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Send request `id` with this header value (`None`: without), then report its response
    /// (or that it could not be sent); `resend`: a send after the first, whose body must be
    /// replayable.
    Send {
        /// The request.
        id: Id,
        /// The auth header's value.
        header: Option<String>,
        /// A send after the first.
        resend: bool,
        /// The `DPoP` header (a proof), for a DPoP-bound token.
        dpop: Option<String>,
    },
    /// Send request `id` as it is and hand its response to the caller: it is not for our token.
    Pass {
        /// The request.
        id: Id,
    },
    /// The response request `id` got is its answer.
    Deliver {
        /// The request.
        id: Id,
    },
    /// Reject request `id` with `error`.
    Fail {
        /// The request.
        id: Id,
        /// Why.
        error: Error,
    },
    /// Ask the `refreshOn` predicate about request `id`'s response.
    Ask {
        /// The request.
        id: Id,
    },
    /// Make a refresh call.
    Call(Call),
    /// Abort the refresh call in flight: a login, logout or dispose discarded it.
    Cancel,
    /// Read a slot.
    Load {
        /// The operation.
        io: Io,
        /// Which slot.
        slot: Slot,
    },
    /// Write a slot.
    Store {
        /// The operation.
        io: Io,
        /// Which slot.
        slot: Slot,
        /// The token.
        value: String,
    },
    /// Remove a slot.
    Remove {
        /// The operation.
        io: Io,
        /// Which slot.
        slot: Slot,
    },
    /// Take a lock, waiting at most `timeout_ms`.
    Lock {
        /// Which.
        which: Lock,
        /// ms.
        timeout_ms: f64,
    },
    /// Let go of a lock taken (or one still asked for).
    Unlock {
        /// Which.
        which: Lock,
    },
    /// Tell the other tabs and clients sharing the storage.
    Post(String),
    /// Hand an action to `dispatch` and the listeners.
    Dispatch(Action),
    /// Revoke a token.
    Revoke(Revoke),
    /// Resolve API call `id`.
    Resolve {
        /// The call.
        id: Id,
        /// With what.
        value: Answer,
    },
    /// Reject API call `id`.
    Reject {
        /// The call.
        id: Id,
        /// Why.
        error: Error,
    },
    /// The fast path's lease now (`None`: every request asks).
    Lease(Option<Lease>),
    /// The DPoP key pair: load it, or replace it; report with [`crate::input::Input::Key`].
    Key(KeyOp),
    /// Sign `input` (ES256, with the DPoP key) and report with
    /// [`crate::input::Input::Signed`].
    Sign {
        /// The operation.
        io: Io,
        /// The JWS signing input.
        input: String,
    },
}

impl Effect {
    /// Appends the effect as JSON: an array whose first item names it.
    pub fn write_json(&self, out: &mut String) {
        let id = |out: &mut String, id: Id| write_int(out, u64::from(id));
        match self {
            Effect::Send {
                id: i,
                header,
                resend,
                dpop,
            } => {
                out.push_str("[\"send\",");
                id(out, *i);
                out.push(',');
                opt_str(out, header.as_deref());
                out.push_str(if *resend { ",true," } else { ",false," });
                opt_str(out, dpop.as_deref());
                out.push(']');
            }
            Effect::Pass { id: i } => tagged(out, "pass", *i),
            Effect::Deliver { id: i } => tagged(out, "deliver", *i),
            Effect::Ask { id: i } => tagged(out, "ask", *i),
            Effect::Fail { id: i, error } => {
                out.push_str("[\"fail\",");
                id(out, *i);
                out.push(',');
                write_error(out, error);
                out.push(']');
            }
            Effect::Call(call) => {
                out.push_str("[\"call\",");
                opt_str(out, call.token.as_deref());
                out.push(',');
                opt_str(out, call.body.as_deref());
                out.push(',');
                write_headers(out, &call.headers);
                out.push(',');
                write_num(out, call.timeout_ms);
                out.push(',');
                opt_str(out, call.dpop.as_deref());
                out.push(']');
            }
            Effect::Cancel => out.push_str("[\"cancel\"]"),
            Effect::Load { io, slot } => storage(out, "load", *io, *slot, None),
            Effect::Store { io, slot, value } => storage(out, "store", *io, *slot, Some(value)),
            Effect::Remove { io, slot } => storage(out, "remove", *io, *slot, None),
            Effect::Lock { which, timeout_ms } => {
                out.push_str(match which {
                    Lock::Refresh => "[\"lock\",\"refresh\",",
                    Lock::Call => "[\"lock\",\"call\",",
                    Lock::Revoke => "[\"lock\",\"revoke\",",
                    Lock::Fallback => "[\"lock\",\"fallback\",",
                    Lock::Logout => "[\"lock\",\"logout\",",
                });
                write_num(out, *timeout_ms);
                out.push(']');
            }
            Effect::Unlock { which } => out.push_str(match which {
                Lock::Refresh => "[\"unlock\",\"refresh\"]",
                Lock::Call => "[\"unlock\",\"call\"]",
                Lock::Revoke => "[\"unlock\",\"revoke\"]",
                Lock::Fallback => "[\"unlock\",\"fallback\"]",
                Lock::Logout => "[\"unlock\",\"logout\"]",
            }),
            Effect::Post(message) => {
                out.push_str("[\"post\",");
                write_str(out, message);
                out.push(']');
            }
            Effect::Dispatch(action) => {
                out.push_str("[\"dispatch\",");
                action.write_json(out);
                out.push(']');
            }
            Effect::Revoke(revoke) => {
                out.push_str("[\"revoke\",");
                id(out, revoke.id);
                out.push(',');
                opt_str(out, revoke.body.as_deref());
                out.push(',');
                write_headers(out, &revoke.headers);
                out.push(',');
                write_num(out, revoke.timeout_ms);
                out.push(',');
                opt_str(out, revoke.dpop.as_deref());
                out.push(']');
            }
            Effect::Resolve { id: i, value } => {
                out.push_str("[\"resolve\",");
                id(out, *i);
                out.push(',');
                match value {
                    Answer::Nothing => out.push('0'),
                    Answer::Token(t) => {
                        out.push_str("1,");
                        opt_str(out, t.as_deref());
                    }
                    Answer::Session => out.push('2'),
                    Answer::Proof(proof) => {
                        out.push_str("4,");
                        write_str(out, proof);
                    }
                    Answer::LoggedOut { revoked, pending } => {
                        out.push_str(match (revoked, pending) {
                            (true, _) => "3,true",
                            (false, false) => "3,false",
                            (false, true) => "3,null",
                        })
                    }
                }
                out.push(']');
            }
            Effect::Reject { id: i, error } => {
                out.push_str("[\"reject\",");
                id(out, *i);
                out.push(',');
                write_error(out, error);
                out.push(']');
            }
            Effect::Key(KeyOp::Load) => out.push_str("[\"key\",\"load\"]"),
            Effect::Key(KeyOp::Replace) => out.push_str("[\"key\",\"replace\"]"),
            Effect::Sign { io, input } => {
                out.push_str("[\"sign\",");
                write_int(out, u64::from(*io));
                out.push(',');
                write_str(out, input);
                out.push(']');
            }
            Effect::Lease(None) => out.push_str("[\"lease\",null]"),
            Effect::Lease(Some(l)) => {
                out.push_str("[\"lease\",");
                write_str(out, &l.header);
                // A token never due leases until forever, which JSON has no number for: the
                // largest time a JS Date holds is as good (`null` would compare as 0).
                let until = l.until.min(MAX_TIME_MS);
                for n in [
                    l.generation as f64,
                    l.failures as f64,
                    until,
                    l.date_every_ms,
                ] {
                    out.push(',');
                    write_num(out, n);
                }
                out.push(']');
            }
        }
    }
}

/// The largest time value of a JS `Date`, ms: later than any `Date.now()`.
const MAX_TIME_MS: f64 = 8.64e15;

fn tagged(out: &mut String, name: &str, id: Id) {
    out.push_str("[\"");
    out.push_str(name);
    out.push_str("\",");
    write_int(out, u64::from(id));
    out.push(']');
}

fn storage(out: &mut String, op: &str, io: Io, slot: Slot, value: Option<&str>) {
    out.push_str("[\"");
    out.push_str(op);
    out.push_str("\",");
    write_int(out, u64::from(io));
    out.push_str(",\"");
    out.push_str(slot.as_str());
    out.push('"');
    if let Some(v) = value {
        out.push(',');
        write_str(out, v);
    }
    out.push(']');
}

fn opt_str(out: &mut String, s: Option<&str>) {
    match s {
        Some(s) => write_str(out, s),
        None => out.push_str("null"),
    }
}

fn write_headers(out: &mut String, headers: &[Header]) {
    out.push('[');
    for (i, h) in headers.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('[');
        write_str(out, h.name);
        out.push(',');
        write_str(out, &h.value);
        out.push_str(if h.force { ",true]" } else { ",false]" });
    }
    out.push(']');
}

/// An error as `{"code":..,"message":..,"cause":..}`: the cause an error of ours, `"call"` or
/// `"access"`/`"refresh"` (a storage slot's callback) for a value the shell holds, or absent.
pub fn write_error(out: &mut String, e: &Error) {
    out.push_str("{\"code\":\"");
    out.push_str(e.code().as_str());
    out.push_str("\",\"message\":");
    write_str(out, e.message());
    match e.cause() {
        None => {}
        Some(Cause::Inner(inner)) => {
            out.push_str(",\"cause\":");
            write_error(out, inner);
        }
        Some(Cause::Host(Host::Call)) => out.push_str(",\"cause\":\"call\""),
        Some(Cause::Host(Host::Offline)) => out.push_str(",\"cause\":\"offline\""),
        Some(Cause::Host(Host::Storage(slot))) => {
            out.push_str(",\"cause\":\"");
            out.push_str(slot.as_str());
            out.push('"');
        }
    }
    out.push('}');
}
