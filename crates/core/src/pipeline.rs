//! One request's way through the client (API.md, "What client.fetch does"): origin check, wait
//! for a refresh in flight, refresh first when expiring, attach the token read at send time,
//! send, judge the response, resend at most once.
//!
//! The host drives each request and the core decides, without waiting: [`Core::ready_now`]
//! before each send (send now, or wait for a refresh or a storage write and ask again),
//! [`Core::on_response`] on each response, and [`Core::after_rejection`] when the first one
//! rejected the token (answer as it is, fail, or refresh and send once more). No request has
//! a future in the core.

use std::rc::Rc;

use crate::core::Core;
use crate::env::{EndReason, Env, Reason};
use crate::error::Error;
use crate::policy::insufficient_scope;
use crate::session::State;
use crate::shared::Shared;

/// A refresh that held requests wait for, and its outcome.
pub type Held = Rc<Shared<Result<(), Error>>>;

/// Which time a request asks [`Core::ready_now`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Before its first send: it writes tokens that storage refused before it goes, once.
    First,
    /// After a wait, before its first send.
    Again,
    /// Before its resend, after a rejection ([`Rejection::Resend`]): it must carry a token.
    Resend,
}

/// What a request may do now ([`Core::ready_now`]).
pub enum Ready {
    /// Not for our token (`auth: false`, or an origin the allowlist refuses): send it as it is;
    /// the client has nothing more to do with it.
    Bypass,
    /// Send it with this header value (`None`: logged out, no header), then hand the response to
    /// [`Core::on_response`] with this generation.
    Send {
        /// The header value.
        authorization: Option<String>,
        /// The generation of the token it carries.
        generation: u64,
    },
    /// Wait first, then ask again (or reject, for [`Wait::Reject`]).
    Wait(Wait),
}

/// What a request or `getAccessToken()` waits for before asking again.
pub enum Wait {
    /// This refresh (in flight, or started now because the token is due). Every request one
    /// refresh holds gets the same one: a storm shares one wait.
    Refresh(Held),
    /// The write of tokens storage refused earlier, one for every
    /// request that asks while it runs.
    Save(Held),
    /// Nothing: reject with this error (the client was disposed, or a resend found the session
    /// over).
    Reject(Error),
}

/// What a response to a request that carried our token says of the token
/// ([`Core::on_response`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing against it: the response is the answer.
    Answer,
    /// It rejects the token (by the `refreshOn` statuses).
    Rejected,
    /// Ask the `refreshOn` predicate, then tell [`Core::accepted`] when it says no.
    Ask,
}

/// The fast path's grant ([`Core::lease`]): until device ms `until`, and while
/// [`Core::lease_holds`] says so, the first send of a request to an allowed origin may carry
/// `authorization` without asking [`Core::ready_now`], which would answer the same; and a
/// response whose status is not among the `refreshOn` statuses is its answer, as
/// [`Core::on_response`] would judge it (tell [`Core::accepted`] once, and
/// [`Core::noted_date`] the `Date` of a response every [`Lease::date_every_ms`]). Every other
/// case asks.
#[derive(Clone, Debug, PartialEq)]
pub struct Lease {
    /// The header value.
    pub authorization: String,
    /// The generation of the token it carries.
    pub generation: u64,
    /// Device ms from which the token is due (a refresh first, or, with nothing to refresh
    /// with, expired); infinite for a token without expiry.
    pub until: f64,
    /// How often the shell tells [`Core::noted_date`] of an accepted response's `Date` (and
    /// takes the `until` it returns), device ms: 0 (every response) while the clock has no
    /// token's `iat` to go by; then a sample suffices to notice a device clock that was set.
    pub date_every_ms: f64,
    /// The refreshes failed so far ([`Core::failures`]): what each request sent under the lease
    /// notes, since the lease holds only while no refresh fails.
    pub failures: u64,
}

/// Under a lease, once the clock has a token's `iat` to go by, the `Date` of one response in
/// this many device ms is enough to notice that the device's clock was set (by NTP, or by hand).
pub const DATE_SAMPLE_MS: f64 = 1_000.0;

/// What follows a first response that rejected the token ([`Core::after_rejection`]).
pub enum Rejection {
    /// Answer with the rejection as it is: a refresh cannot help.
    Answer,
    /// Reject the request with this error.
    Fail(Error),
    /// The session ends ([`Core::expire_rejected`]): there is no refresh token.
    Expire,
    /// Send it once more, asking [`Core::ready_now`] with [`Step::Resend`]; after this refresh
    /// when there is one to wait for.
    Resend(Option<Held>),
}

impl<E: Env> Core<E> {
    /// What a request to `url` may do now, decided without waiting: the host sends it, or waits
    /// for what [`Ready`] names and asks again.
    ///
    /// The host's loop ends: a refresh's own token never looks due on arrival
    /// (`Lifetime::refresh_at`), and a failed refresh rejects the request; only a new login or a
    /// sleep can make another round.
    pub fn ready_now(self: &Rc<Self>, url: &str, auth: bool, step: Step) -> Ready {
        if let Err(e) = self.check_alive() {
            return Ready::Wait(Wait::Reject(e));
        }
        if self.bypasses(url, auth) {
            return Ready::Bypass;
        }
        if let Some(wait) = self.hold(step == Step::First) {
            return Ready::Wait(wait);
        }
        match self.authorization() {
            (None, _) if step == Step::Resend => Ready::Wait(Wait::Reject(self.ended_error())),
            (authorization, generation) => Ready::Send {
                authorization,
                generation,
            },
        }
    }

    /// The lease on the token held now, when sending with it needs no decision: a token is
    /// held, and [`Core::lease_holds`].
    pub fn lease(&self) -> Option<Lease> {
        let (authorization, generation) = self.authorization();
        let authorization = authorization?;
        let until = self.lease_until();
        let failures = self.failures();
        self.lease_holds(generation, until, failures)
            .then(|| Lease {
                authorization,
                generation,
                until,
                date_every_ms: match self.state().clock().wants_date() {
                    true => 0.0,
                    false => DATE_SAMPLE_MS,
                },
                failures,
            })
    }

    /// Whether a lease on the token of `generation`, due at device ms `until`, granted when
    /// `failures` refreshes had failed, still holds: it is the token held, still due then (the
    /// clock's offset has not moved), no refresh failed since, and nothing is for the core to
    /// decide first (a refresh in flight, tokens storage refused, a disposed client, a
    /// `refreshOn` predicate that judges each response).
    pub fn lease_holds(&self, generation: u64, until: f64, failures: u64) -> bool {
        let st = self.state();
        st.generation() == generation
            && st.failures() == failures
            && !st.disposed()
            && !st.unsaved()
            && st.flight().is_none()
            && !self.config.ask_refresh_on
            && until == self.lease_until_of(&st)
    }

    /// A response under a lease carried `Date: date_ms` (what [`Core::on_response`] notes of
    /// any response); returns the lease's `until` after it.
    pub fn noted_date(&self, date_ms: f64) -> f64 {
        let local = self.env.now_ms();
        self.state_mut().observe_date(date_ms, local);
        self.lease_until()
    }

    /// Device ms from which the token held is due ([`Core::due_at`], server time, through the
    /// clock); infinite when it never is.
    fn lease_until(&self) -> f64 {
        self.lease_until_of(&self.state())
    }

    fn lease_until_of(&self, st: &State<E::Claims>) -> f64 {
        self.due_at(st)
            .map_or(f64::INFINITY, |at| at - st.clock().offset_ms())
    }

    /// A response to a request sent with the token of `generation` (`None`: sent without a
    /// token), with its `status` and the `url` it came from after redirects (`None` when the
    /// engine does not say), which the host reads: the server's `Date` noted, then what it says
    /// of the token. An answer with nothing against the token counts as the API accepting it.
    pub fn on_response(
        &self,
        response: &E::Response,
        status: u16,
        url: Option<&str>,
        generation: Option<u64>,
    ) -> Verdict {
        self.observe_date(response);
        let Some(generation) = generation else {
            return Verdict::Answer;
        };
        // A rejection from another origin (the request was redirected there) says nothing about
        // our token, and the `refreshOn` predicate never sees such a response.
        if url.is_some_and(|url| !self.config.allows(url)) {
            return Verdict::Answer;
        }
        if self.config.ask_refresh_on {
            Verdict::Ask
        } else if self.config.refresh_on.contains(&status) {
            Verdict::Rejected
        } else {
            self.accepted(generation);
            Verdict::Answer
        }
    }

    /// How many refreshes have failed so far: a request notes it when it is sent and hands it
    /// to [`Core::after_rejection`].
    pub fn failures(&self) -> u64 {
        self.state().failures()
    }

    /// The first response (sent with the token of `generation` when `failures` refreshes had
    /// failed, [`Core::failures`]) rejected the token: what follows, decided without waiting.
    pub fn after_rejection(
        self: &Rc<Self>,
        response: &E::Response,
        generation: u64,
        failures: u64,
    ) -> Rejection {
        // A refresh cannot grant a missing scope; and a token that a refresh just produced and
        // the server refused before ever accepting it is refused for another reason: no
        // refresh storms.
        let challenge = self.env.www_authenticate(response);
        if challenge.is_some_and(|c| insufficient_scope(&c))
            || self.cooling(generation)
            || self.refused_fresh(generation)
        {
            return Rejection::Answer;
        }
        // A token older than the current one: another request refreshed meanwhile; one in
        // flight is waited for by the resend's `ready_now`.
        let (has_refresh, current) = {
            let st = self.state();
            (
                st.refresh().is_some() || self.config.cookie,
                st.generation(),
            )
        };
        if generation != current || self.flight().is_some() {
            return Rejection::Resend(None);
        }
        // A refresh for this token failed after it was sent: it shares that failure (the next
        // request, sent after the failure, tries again).
        if let Some(error) = self.state().failed_since(generation, failures) {
            return Rejection::Fail(error);
        }
        if !has_refresh {
            return Rejection::Expire;
        }
        Rejection::Resend(Some(self.join_or_start(Reason::Rejected)))
    }

    /// [`Rejection::Expire`]: the API rejected the token and there is no refresh token; ends
    /// the session and returns the error to reject the request with.
    pub async fn expire_rejected(&self) -> Error {
        self.expire_session(EndReason::AccessRejected).await;
        self.ended_error()
    }

    /// Not for our token: `auth: false`, or an origin the allowlist refuses.
    fn bypasses(&self, url: &str, auth: bool) -> bool {
        !auth || !self.config.allows(url)
    }

    /// True while rejections of the token of `generation` start no refresh (API.md, "No
    /// refresh storms").
    fn cooling(&self, generation: u64) -> bool {
        let now = self.env.now_ms();
        self.state().cooling(generation, now)
    }

    /// The API accepted the token of `generation`: its response had nothing against it, or the
    /// `refreshOn` predicate said no ([`Verdict::Ask`]).
    pub fn accepted(&self, generation: u64) {
        self.state_mut().accepted(generation);
    }

    /// The token of `generation`, fresh from a refresh that a rejection started and never
    /// accepted, was rejected again: the server refuses it for another reason than its age, so
    /// for `refreshCooldownMs` its rejections are returned as they are. Any other token (one the
    /// API accepted, one from a refresh for expiry) is refreshed at its first rejection. True
    /// when this rejection started the cooldown. The host tells it of a resend's rejection.
    pub fn refused_fresh(&self, generation: u64) -> bool {
        let until = self.env.now_ms() + self.config.refresh_cooldown_ms;
        self.state_mut().refused_fresh(generation, until)
    }

    /// The header value from the token held now, and that token's generation.
    fn authorization(&self) -> (Option<String>, u64) {
        let st = self.state();
        (
            st.access().map(|t| self.config.authorization(t)),
            st.generation(),
        )
    }

    /// Notes the response's `Date` (see `clock.rs`).
    fn observe_date(&self, response: &E::Response) {
        if let Some(date) = self.env.server_date(response) {
            let local = self.env.now_ms();
            self.state_mut().observe_date(date, local);
        }
    }

    /// `getAccessToken()` decided without waiting: a valid token (`None`: logged out), or, as
    /// `Err`, what to wait for before asking again with `first` false.
    pub fn access_token_now(self: &Rc<Self>, first: bool) -> Result<Option<String>, Wait> {
        if let Some(wait) = self.hold(first) {
            return Err(wait);
        }
        Ok(self.state().access().cloned())
    }

    /// What a request or `getAccessToken()` must wait for before the token is ready: nothing
    /// (`None`), a refresh in flight or started now because the token is due, a storage write
    /// refused earlier (tried the `first` time only), or nothing ever (the client was disposed).
    fn hold(self: &Rc<Self>, first: bool) -> Option<Wait> {
        if let Err(e) = self.check_alive() {
            return Some(Wait::Reject(e));
        }
        if first && self.state().unsaved() {
            return Some(Wait::Save(self.join_or_start_save()));
        }
        if let Some(outcome) = self.flight() {
            return Some(Wait::Refresh(outcome));
        }
        self.needs_refresh_first()
            .then(|| Wait::Refresh(self.join_or_start(Reason::Expiring)))
    }
}
