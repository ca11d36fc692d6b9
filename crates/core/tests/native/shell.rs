//! The JS shell's side of the fake world: `client.fetch`, `getAccessToken()` and the
//! auto-refresh timer run as js/client.js runs them over the core, so the native tests and the
//! simulations drive the core exactly as the package does.

use std::future::Future;
use std::rc::Rc;
use std::task::Poll;

use authlane_core::core::Core;
use authlane_core::env::Env;
use authlane_core::error::Error;
use authlane_core::pipeline::{Ready, Rejection, Step, Verdict, Wait};
use futures::executor::LocalSpawner;
use futures::task::LocalSpawnExt;

use super::{FakeEnv, Req, Resp, W};

/// Each request's id and what it ended with (its status, or the error).
pub type Results = Rc<std::cell::RefCell<Vec<(usize, Result<u16, Error>)>>>;

/// Starts request `id` to `url` as the JS shell sends it ([`shell_fetch`]); its result goes to
/// `results` once the pool has run it to the end.
pub fn spawn_request(
    spawner: &LocalSpawner,
    core: &Rc<Core<FakeEnv>>,
    id: usize,
    url: String,
    results: &Results,
) {
    let (core, results) = (core.clone(), results.clone());
    spawner
        .spawn_local(async move {
            let r = shell_fetch(&core, Req { id, url }, true)
                .await
                .map(|r| r.status);
            results.borrow_mut().push((id, r));
        })
        .unwrap_or_else(|e| panic!("spawn: {e}"));
}

/// `client.fetch` as the JS shell runs it (js/client.js): a first send under the core's lease
/// goes without asking; otherwise it asks the core what the request may do, sends it or waits
/// (for a refresh, or a storage write; the request's abort ends the wait) and asks again; a
/// response goes to the core's judgement, and a rejection may bring a resend.
pub async fn shell_fetch(core: &Rc<Core<FakeEnv>>, req: Req, auth: bool) -> Result<Resp, Error> {
    let env = core.env();
    let mut step = Step::First;
    loop {
        let url = env.url(&req);
        let leased = leased(core, &url, auth && step != Step::Resend);
        let ready = match &leased {
            Some((authorization, generation, _)) => Ready::Send {
                authorization: Some(authorization.clone()),
                generation: *generation,
            },
            None => core.ready_now(&url, auth, step),
        };
        let wait = match ready {
            Ready::Bypass => return env.send(&req, None, 0).await,
            Ready::Wait(wait) => wait,
            Ready::Send {
                authorization,
                generation,
            } => {
                if leased.is_none() && authorization.is_some() {
                    take_lease(core);
                }
                let sent = authorization.is_some().then_some(generation);
                let failures = match &leased {
                    Some((_, _, failures)) => *failures,
                    None => core.failures(),
                };
                let resend = step == Step::Resend;
                let response = env.send(&req, authorization, u8::from(resend)).await?;
                let verdict = match leased {
                    Some(_) if !core.config().refresh_on.contains(&response.status) => {
                        accept_once(core, generation);
                        note_date(core, &response, generation);
                        Verdict::Answer
                    }
                    _ => core.on_response(&response, response.status, None, sent),
                };
                match verdict {
                    Verdict::Answer => return Ok(response),
                    Verdict::Ask => panic!("the fake has no refreshOn predicate"),
                    Verdict::Rejected if resend => {
                        core.refused_fresh(generation);
                        return Ok(response);
                    }
                    Verdict::Rejected => {}
                }
                step = Step::Resend;
                match core.after_rejection(&response, generation, failures) {
                    Rejection::Answer => return Ok(response),
                    Rejection::Fail(e) => return Err(e),
                    Rejection::Expire => return Err(core.expire_rejected().await),
                    Rejection::Resend(None) => continue,
                    Rejection::Resend(Some(refresh)) => Wait::Refresh(refresh),
                }
            }
        };
        let waited = match wait {
            Wait::Reject(e) => Err(e),
            Wait::Refresh(held) | Wait::Save(held) => {
                match select(held.wait(), env.aborted(&req)).await {
                    Either::Left(outcome) => outcome,
                    Either::Right(e) => Err(e),
                }
            }
        };
        waited?;
        if step == Step::First {
            step = Step::Again;
        }
    }
}

/// The header and generation of the shell's lease, for a first send to `url` (js/client.js
/// `leased`): while the URL is on an allowed origin, the lease's time has not run out and the
/// core says it holds; a lease that no longer holds is dropped.
fn leased(core: &Rc<Core<FakeEnv>>, url: &str, first: bool) -> Option<(String, u64, u64)> {
    let env = core.env();
    let allowed = |o: &String| {
        url.strip_prefix(o.as_str())
            .is_some_and(|p| p.starts_with('/'))
    };
    if !first || !core.config().allowed_origins.iter().any(allowed) {
        return None;
    }
    let mut slot = env.lease.borrow_mut();
    let (lease, _, _) = slot.as_ref()?;
    if env.now_ms() >= lease.until
        || !core.lease_holds(lease.generation, lease.until, lease.failures)
    {
        *slot = None;
        return None;
    }
    Some((
        lease.authorization.clone(),
        lease.generation,
        lease.failures,
    ))
}

/// After the core said to send with a token: the lease on it, when there is none yet.
fn take_lease(core: &Rc<Core<FakeEnv>>) {
    let mut slot = core.env().lease.borrow_mut();
    if slot.is_none() {
        *slot = core.lease().map(|lease| (lease, false, f64::NEG_INFINITY));
    }
}

/// A response under the lease with nothing against the token: the core hears of the first.
fn accept_once(core: &Rc<Core<FakeEnv>>, generation: u64) {
    let first = match core.env().lease.borrow_mut().as_mut() {
        Some((lease, told, _)) if lease.generation == generation => !std::mem::replace(told, true),
        _ => true,
    };
    if first {
        core.accepted(generation);
    }
}

/// A response under the lease: every `date_every_ms`, the core notes its `Date`, and the lease
/// runs until the time it returns.
fn note_date(core: &Rc<Core<FakeEnv>>, response: &Resp, generation: u64) {
    let env = core.env();
    let mut slot = env.lease.borrow_mut();
    if let Some((lease, _, next)) = slot.as_mut() {
        let now = env.now_ms();
        if lease.generation == generation && now >= *next {
            *next = now + lease.date_every_ms;
            if let Some(date) = env.server_date(response) {
                lease.until = core.noted_date(date);
            }
        }
    }
}

/// `getAccessToken()` as js/client.js runs it: the token now, or a wait and the question again.
pub async fn shell_access_token(core: &Rc<Core<FakeEnv>>) -> Result<Option<String>, Error> {
    let mut first = true;
    loop {
        match core.access_token_now(first) {
            Ok(token) => return Ok(token),
            Err(Wait::Refresh(held) | Wait::Save(held)) => held.wait().await?,
            Err(Wait::Reject(e)) => return Err(e),
        }
        first = false;
    }
}

/// The host's auto-refresh timer as js/client.js runs it: a check when `tick()` says, and again
/// whenever a refresh ends or tokens arrive. `step` once per step of device time, and again after
/// the pool ran (to see the actions it dispatched).
pub struct HostTimer {
    next: f64,
    seen_actions: usize,
}

impl HostTimer {
    pub fn new(w: &W) -> Self {
        HostTimer {
            next: w.borrow().local_ms,
            seen_actions: w.borrow().actions.len(),
        }
    }

    pub fn step(&mut self, core: &Rc<Core<FakeEnv>>, w: &W) {
        const RESCHEDULE: [&str; 4] = ["Restored", "LoggedIn", "RefreshSucceeded", "RefreshFailed"];
        let (now, rescheduled) = {
            let w = w.borrow();
            let new = w.actions[self.seen_actions..]
                .iter()
                .any(|a| RESCHEDULE.iter().any(|r| a.starts_with(r)));
            self.seen_actions = w.actions.len();
            (w.local_ms, new)
        };
        if rescheduled || now >= self.next {
            self.next = now + core.tick();
        }
    }
}

/// Which of two futures finished first.
enum Either<A, B> {
    /// The first.
    Left(A),
    /// The second.
    Right(B),
}

/// Polls both futures; returns the first output (the first future wins a tie): the shell's
/// `Promise.race` of a wait and the request's abort.
async fn select<A: Future, B: Future>(a: A, b: B) -> Either<A::Output, B::Output> {
    let mut a = Box::pin(a);
    let mut b = Box::pin(b);
    std::future::poll_fn(move |cx| {
        if let Poll::Ready(v) = a.as_mut().poll(cx) {
            return Poll::Ready(Either::Left(v));
        }
        if let Poll::Ready(v) = b.as_mut().poll(cx) {
            return Poll::Ready(Either::Right(v));
        }
        Poll::Pending
    })
    .await
}
