//! One request's way through the client (API.md, "What client.fetch does"): origin check, wait
//! for a refresh in flight, refresh first when expiring, attach the token read at send time,
//! send, judge the response, resend at most once.
//!
//! The host drives each request and the core decides, without waiting: [`Core::ready_now`]
//! before sending (send now, or wait for a refresh or a storage write and ask again),
//! [`Core::first_response`] on the response, and only for a rejection the asynchronous rest
//! ([`Core::after_first`]: a refresh and one resend).

use std::rc::Rc;

use crate::core::Core;
use crate::env::{EndReason, Env, Fut, Reason};
use crate::error::Error;
use crate::policy::insufficient_scope;
use crate::session::Outcome;
use crate::shared::{select, Either, Shared};

/// A refresh that held requests wait for, and its outcome.
pub type Held = Rc<Shared<Result<(), Error>>>;

/// What a request may do now ([`Core::ready_now`]).
pub enum Ready {
    /// Not for our token (`auth: false`, or an origin the allowlist refuses): send it as it is;
    /// the client has nothing more to do with it.
    Bypass,
    /// Send it with this header value (`None`: logged out, no header), then hand the response to
    /// [`Core::first_response`] with this generation.
    Send {
        /// The header value.
        authorization: Option<String>,
        /// The generation of the token it carries.
        generation: u64,
    },
    /// Wait for this refresh (in flight, or started now because the token is due), then ask
    /// again. Every request one refresh holds gets the same one: a storm shares one wait.
    Wait(Held),
    /// Write the tokens storage refused earlier first ([`Core::save_unsaved`]), then ask again.
    Save,
    /// The client was disposed.
    Closed(Error),
}

/// What a first response needs ([`Core::first_response`]).
pub enum First<R> {
    /// Nothing: it is the answer.
    Done(R),
    /// To be judged and, if rejected, answered by a refresh and a resend ([`Core::after_first`]):
    /// the `refreshOn` predicate's pending verdict, or `None` when the status already said
    /// "rejected".
    Judge(R, Option<Fut<bool>>),
}

impl<E: Env> Core<E> {
    /// What a request to `url` may do now, decided without waiting: the host sends it, or waits
    /// for what [`Ready`] names and asks again. `first` is true the first time a request asks: it
    /// tries writing tokens that storage refused before it goes, once.
    ///
    /// The host's loop ends: a refresh's own token never looks due on arrival
    /// (`Lifetime::refresh_at`), and a failed refresh rejects the request; only a new login or a
    /// sleep can make another round.
    pub fn ready_now(self: &Rc<Self>, url: &str, auth: bool, first: bool) -> Ready {
        if let Err(e) = self.check_alive() {
            return Ready::Closed(e);
        }
        if self.bypasses(url, auth) {
            return Ready::Bypass;
        }
        if first && self.state().unsaved() {
            return Ready::Save;
        }
        if let Some(outcome) = self.flight() {
            return Ready::Wait(outcome);
        }
        if self.needs_refresh_first() {
            return Ready::Wait(self.join_or_start(Reason::Expiring));
        }
        let (authorization, generation) = self.authorization();
        Ready::Send {
            authorization,
            generation,
        }
    }

    /// The first response of a request sent with the token of `generation` (`None`: sent
    /// without a token): the server's `Date` noted, then whether it is the answer or must be
    /// judged. Decided without waiting, except for a `refreshOn` predicate's verdict.
    pub fn first_response(
        &self,
        response: E::Response,
        generation: Option<u64>,
    ) -> First<E::Response> {
        self.observe_date(&response);
        // A rejection from another origin (the request was redirected there) says nothing about
        // our token.
        let from_allowed = self
            .env
            .response_url(&response)
            .is_none_or(|url| self.config.allows(&url));
        let Some(generation) = generation.filter(|_| from_allowed) else {
            return First::Done(response);
        };
        match self.verdict(&response) {
            Err(pending) => First::Judge(response, Some(pending)),
            Ok(true) => First::Judge(response, None),
            Ok(false) => {
                self.accepted(generation);
                First::Done(response)
            }
        }
    }

    /// Not for our token: `auth: false`, or an origin the allowlist refuses.
    fn bypasses(&self, url: &str, auth: bool) -> bool {
        !auth || !self.config.allows(url)
    }

    /// Whether `response` rejects the token: by its status, or the `refreshOn` predicate's
    /// verdict still to come.
    fn verdict(&self, response: &E::Response) -> Result<bool, Fut<bool>> {
        match self.env.rejects(response) {
            Some(pending) => Err(pending),
            None => Ok(self.config.refresh_on.contains(&self.env.status(response))),
        }
    }

    /// The rest of a request after a first response to judge: the `refreshOn` verdict awaited
    /// (when there is one), and for a rejection a refresh and one resend. `sent_at` is device ms
    /// when the first send left.
    pub async fn after_first(
        self: &Rc<Self>,
        request: &E::Request,
        response: E::Response,
        verdict: Option<Fut<bool>>,
        generation: u64,
        sent_at: f64,
    ) -> Result<E::Response, Error> {
        if let Some(verdict) = verdict {
            if !verdict.await {
                self.accepted(generation);
                return Ok(response);
            }
        }
        // A refresh cannot grant a missing scope; and a token that a refresh just produced and
        // the server refused before ever accepting it is refused for another reason: no
        // refresh storms.
        let challenge = self.env.www_authenticate(&response);
        if challenge.is_some_and(|c| insufficient_scope(&c))
            || self.cooling(generation)
            || self.refused_fresh(generation)
        {
            return Ok(response);
        }

        // Rejected. A token older than the current one: another request refreshed meanwhile.
        let (has_refresh, current) = {
            let st = self.state();
            (
                st.refresh().is_some() || self.config.cookie,
                st.generation(),
            )
        };
        if generation == current && self.flight().is_none() {
            let failure = self.state().failed_since(generation, sent_at);
            if let Some(error) = failure {
                return Err(error);
            }
            if !has_refresh {
                self.expire_session(EndReason::AccessRejected).await;
                return Err(self.ended_error());
            }
            let outcome = self.join_or_start(Reason::Rejected);
            self.wait(&outcome, request).await?;
        }
        // As before the first send: wait for a refresh in flight, and refresh first when the
        // current token is itself expiring (a straggler may come back long after it left).
        self.ready_to_send(request).await?;
        let (Some(authorization), generation) = self.authorization() else {
            return Err(self.ended_error());
        };
        let response = self.env.send(request, Some(authorization), 1).await?;
        self.observe_date(&response);
        if self.is_rejection(&response).await {
            self.refused_fresh(generation);
        } else {
            self.accepted(generation);
        }
        Ok(response)
    }

    /// True while rejections of the token of `generation` start no refresh (API.md, "No
    /// refresh storms").
    fn cooling(&self, generation: u64) -> bool {
        let now = self.env.now_ms();
        self.state().cooling(generation, now)
    }

    /// The API accepted the token of `generation`.
    fn accepted(&self, generation: u64) {
        self.state_mut().accepted(generation);
    }

    /// The token of `generation`, fresh from a refresh that a rejection started and never
    /// accepted, was rejected again: the server refuses it for another reason than its age, so
    /// for `refreshCooldownMs` its rejections are returned as they are. Any other token (one the
    /// API accepted, one from a refresh for expiry) is refreshed at its first rejection. True when this rejection started the
    /// cooldown.
    fn refused_fresh(&self, generation: u64) -> bool {
        let until = self.env.now_ms() + self.config.refresh_cooldown_ms;
        self.state_mut().refused_fresh(generation, until)
    }

    /// Steps 2 and 3: wait for a refresh in flight; refresh first when the token is expiring
    /// or only a refresh token is stored. Checked again after each wait: a login or another tab
    /// may have replaced the refresh's token meanwhile, or the device slept. This ends: a
    /// refresh's own token never looks due on arrival (`Lifetime::refresh_at`), and a failed one
    /// rejects the request; only a new login or a sleep can make another round.
    async fn ready_to_send(self: &Rc<Self>, request: &E::Request) -> Result<(), Error> {
        loop {
            if let Some(outcome) = self.flight() {
                self.wait(&outcome, request).await?;
            } else if self.needs_refresh_first() {
                let outcome = self.join_or_start(Reason::Expiring);
                self.wait(&outcome, request).await?;
            } else {
                break;
            }
        }
        Ok(())
    }

    /// Waits for a refresh; the request's abort signal wins, leaving the refresh running.
    async fn wait(&self, outcome: &Rc<Shared<Outcome>>, request: &E::Request) -> Outcome {
        match select(outcome.wait(), self.env.aborted(request)).await {
            Either::Left(result) => result,
            Either::Right(abort) => Err(abort),
        }
    }

    /// The header value from the token held now, and that token's generation.
    fn authorization(&self) -> (Option<String>, u64) {
        let st = self.state();
        (
            st.access().map(|t| self.config.authorization(t)),
            st.generation(),
        )
    }

    /// Notes the response's `Date` while the clock can still learn from it.
    fn observe_date(&self, response: &E::Response) {
        let wants_date = self.state().clock().wants_date();
        if let Some(date) = wants_date.then(|| self.env.server_date(response)).flatten() {
            let local = self.env.now_ms();
            self.state_mut().observe_date(date, local);
        }
    }

    async fn is_rejection(&self, response: &E::Response) -> bool {
        match self.verdict(response) {
            Ok(rejected) => rejected,
            Err(pending) => pending.await,
        }
    }

    /// `getAccessToken()`: a valid token, refreshing first when needed; `None` when logged out.
    pub async fn access_token(self: &Rc<Self>) -> Result<Option<String>, Error> {
        self.check_alive()?;
        self.save_unsaved().await;
        if let Some(outcome) = self.flight() {
            outcome.wait().await?;
        }
        if self.needs_refresh_first() {
            self.join_or_start(Reason::Expiring).wait().await?;
        }
        Ok(self.state().access().cloned())
    }
}
