//! The effects performed as the JS shell performs them: requests and the lease
//! (js/requests.js), storage, the refresh call and the revocation, API calls settled
//! (js/runner.js), the messages of tabs sharing a storage (js/tabs.js). What
//! comes of each is fed back to the core after a delay. The locks are in `locks.rs`.

use std::cell::RefCell;
use std::rc::Rc;

use authlane_core::effect::{Effect, Id, Lease, Slot};
use authlane_core::error::{Code, Error};
use authlane_core::input::{Input, Reply, Stored};
use authlane_core::json::Json;

use super::sim::{Got, Sim};
use super::world::{Resp, Sent, ACCESS_KEY, PENDING_KEY, REFRESH_KEY};

/// The lease as the shell keeps it (js/runner.js): whether it told the core of an acceptance,
/// and from when it hands the core a `Date` again. Requests sent under it share it.
#[derive(Debug)]
pub struct Leased {
    pub lease: Lease,
    told: bool,
    next_date: f64,
}

/// A request the shell runs.
pub struct Req {
    url: String,
    response: Option<Resp>,
    /// A send is in flight (an abort then ends the send, not a wait).
    sending: bool,
}

fn key(slot: Slot) -> &'static str {
    match slot {
        Slot::Access => ACCESS_KEY,
        Slot::Refresh => REFRESH_KEY,
        Slot::Pending => PENDING_KEY,
    }
}

impl Sim {
    /// A new request (js/requests.js `fetch`): under the lease, a first send to an allowed origin
    /// goes without asking the core; otherwise the core decides.
    pub(super) fn start_request(&mut self, tab: usize, id: Id, url: &str) {
        let now = self.device_now(tab);
        let t = &mut self.tabs[tab];
        let req = Req {
            url: url.to_string(),
            response: None,
            sending: false,
        };
        t.reqs.insert(id, req);
        let allowed = t.client.config().allowed_origins.iter().any(|o| {
            url.strip_prefix(o.as_str())
                .is_some_and(|rest| rest.starts_with('/'))
        });
        let lease = t
            .lease
            .clone()
            .filter(|l| allowed && now < l.borrow().lease.until);
        match lease {
            Some(l) => {
                let header = l.borrow().lease.header.clone();
                self.send(tab, id, Some(header), false, Some(l));
            }
            None => self.feed(
                tab,
                Input::Request {
                    id,
                    url,
                    method: "GET",
                    auth: true,
                },
            ),
        }
    }

    /// The caller's signal aborts request `id`: a wait for the core ends (the core forgets it); a
    /// send in flight is the engine's to abort, not modelled here.
    pub fn abort(&mut self, tab: usize, id: Id) {
        let t = &mut self.tabs[tab];
        if t.reqs.get(&id).is_some_and(|r| !r.sending) {
            t.reqs.remove(&id);
            t.results.insert(id, Got::Aborted);
            self.feed(tab, Input::Gone { id });
        }
    }

    pub(super) fn perform(&mut self, tab: usize, effect: Effect) {
        // What the JS shell would get: one JSON array per effect.
        let mut json = String::new();
        effect.write_json(&mut json);
        assert!(
            Json::parse(&json).is_ok(),
            "an effect that is not JSON: {json}"
        );
        match effect {
            Effect::Send {
                id, header, resend, ..
            } => self.send(tab, id, header, resend, None),
            Effect::Pass { id } => self.send(tab, id, None, false, None),
            Effect::Deliver { id } => {
                let response = self.tabs[tab]
                    .reqs
                    .get(&id)
                    .and_then(|r| r.response.as_ref());
                if let Some(status) = response.map(|r| r.status) {
                    self.finish(tab, id, Got::Status(status));
                }
            }
            Effect::Fail { id, error } => self.finish(tab, id, Got::Failed(error)),
            Effect::Ask { id } => {
                // The fake's `refreshOn` predicate: a 401 rejects the token.
                let response = self.tabs[tab]
                    .reqs
                    .get(&id)
                    .and_then(|r| r.response.as_ref());
                let rejects = response.is_some_and(|r| r.status == 401);
                self.at(
                    0.0,
                    Box::new(move |s| s.feed(tab, Input::Judged { id, rejects })),
                );
            }
            Effect::Call(call) => {
                if self.tabs[tab].calling.is_some() {
                    let v = format!("tab {tab} made a second refresh call while one was out");
                    self.w.violations.push(v);
                }
                let stored = self.w.storage.get(REFRESH_KEY).cloned();
                if self.w.check_presented && stored.is_some() && stored != call.token {
                    let v = format!(
                        "tab {tab} presented {:?}, but storage holds {stored:?}",
                        call.token
                    );
                    self.w.violations.push(v);
                }
                let claims = self.tabs[tab].client.session().claims;
                let held = claims.as_deref().and_then(|c| self.w.access_of(c));
                let issued = held.and_then(|a| self.w.pairs.get(a)).cloned();
                if self.w.check_presented && issued.is_some() && issued != call.token {
                    let v = format!(
                        "tab {tab} presented {:?}, but holds the access token issued with {issued:?}",
                        call.token
                    );
                    self.w.violations.push(v);
                }
                let n = self.w.calls.len();
                self.w.log.push(format!("tab {tab} call"));
                self.w.calls.push((tab, call));
                self.tabs[tab].calling = Some(n);
                self.later(Box::new(move |s| s.arrive(tab, n)));
            }
            Effect::Cancel => {
                if self.tabs[tab].calling.take().is_some() {
                    self.w.cancels += 1;
                }
            }
            Effect::Load { io, slot } => {
                self.touch(tab, slot, "read");
                let value = self.w.read(tab, key(slot));
                self.later(Box::new(move |s| {
                    let value = Some(value.as_deref().map_or(Stored::Missing, Stored::Text));
                    s.feed(tab, Input::Loaded { io, value });
                }));
            }
            Effect::Store { io, slot, value } => {
                self.touch(tab, slot, "wrote");
                let ok = !self.w.storage_fails;
                if ok {
                    self.w.write(tab, key(slot), Some(value));
                }
                self.later(Box::new(move |s| {
                    let done: Box<dyn FnOnce(&mut Sim)> =
                        Box::new(move |s| s.feed(tab, Input::Saved { io, ok }));
                    match s.w.storage_gate {
                        true => s.parked_writes.push(done),
                        false => done(s),
                    }
                }));
            }
            Effect::Remove { io, slot } => {
                self.touch(tab, slot, "removed");
                self.w.write(tab, key(slot), None);
                self.later(Box::new(move |s| {
                    s.feed(tab, Input::Saved { io, ok: true })
                }));
            }
            Effect::Lock { which, timeout_ms } => self.lock(tab, which, timeout_ms),
            Effect::Unlock { which } => self.unlock(tab, which),
            Effect::Post(text) => {
                let others: Vec<usize> = (0..self.tabs.len())
                    .filter(|&t| t != tab && !self.tabs[t].disposed)
                    .collect();
                for to in others {
                    let text = text.clone();
                    match self.hold_messages {
                        true => self.mailbox.push((tab, to, text)),
                        false => self.later(Box::new(move |s| s.feed(to, Input::Message(&text)))),
                    }
                }
            }
            Effect::Dispatch(action) => {
                let mut json = String::new();
                action.write_json(&mut json);
                let w = &self.w;
                let tokens = w
                    .valid
                    .keys()
                    .chain(&w.refresh_valid)
                    .chain(&w.spent_refresh);
                for t in tokens {
                    assert!(
                        !json.contains(t.as_str()),
                        "an action carried a token: {json}"
                    );
                }
                self.w
                    .log
                    .push(format!("tab {tab} dispatch {}", action.name()));
                self.w.actions.push((tab, action));
            }
            Effect::Revoke(revoke) => {
                self.w.revoke(revoke.body.as_deref());
                let id = revoke.id;
                self.w.log.push(format!("tab {tab} revoke"));
                self.w.revocations.push((tab, revoke));
                self.later(Box::new(move |s| {
                    s.feed(
                        tab,
                        Input::Revoked {
                            id,
                            status: Some(200),
                            nonce: None,
                            body: None,
                        },
                    )
                }));
            }
            // The native worlds run clients without `dpop` (its tests are the DPoP servers').
            Effect::Key(_) | Effect::Sign { .. } => unreachable!("a DPoP effect without dpop"),
            Effect::Resolve { id, value } => drop(self.tabs[tab].answers.insert(id, Ok(value))),
            Effect::Reject { id, error } => drop(self.tabs[tab].answers.insert(id, Err(error))),
            Effect::Lease(lease) => {
                let t = &mut self.tabs[tab];
                t.leases.push(lease.clone());
                t.lease = lease.map(|lease| {
                    let next_date = f64::NEG_INFINITY;
                    Rc::new(RefCell::new(Leased {
                        lease,
                        told: false,
                        next_date,
                    }))
                });
            }
        }
    }

    /// Cookie mode never touches the refresh token's key.
    fn touch(&mut self, tab: usize, slot: Slot, what: &str) {
        if slot == Slot::Refresh && self.tabs[tab].client.config().cookie {
            let v = format!("tab {tab} in cookie mode {what} the refresh token's key");
            self.w.violations.push(v);
        }
    }

    // Requests.

    /// One send of request `id` (js/requests.js `sendOne`; `Pass` too, with no header).
    fn send(
        &mut self,
        tab: usize,
        id: Id,
        header: Option<String>,
        resend: bool,
        lease: Option<Rc<RefCell<Leased>>>,
    ) {
        let Some(r) = self.tabs[tab].reqs.get_mut(&id) else {
            return;
        };
        r.sending = true;
        let url = r.url.clone();
        let foreign = !self.tabs[tab].client.config().allows(&url);
        if foreign && header.is_some() {
            let v = format!("tab {tab} request {id} sent a token to a foreign origin");
            self.w.violations.push(v);
        }
        // A token the server's clock says expired, with a refresh token stored to renew it.
        let token = header.as_deref().and_then(|h| h.strip_prefix("Bearer "));
        let exp = token.and_then(|t| self.w.issued.get(t)).map(|v| v.1);
        let now = self.w.server_now();
        let stored = self.w.storage.contains_key(REFRESH_KEY);
        if let (Some(exp), true, true) = (exp, stored, self.w.skew_ms == 0.0) {
            if now >= exp {
                let v = format!(
                    "tab {tab} request {id} sent a token expired {} ms ago",
                    now - exp
                );
                self.w.violations.push(v);
            }
        }
        self.w.log.push(format!("tab {tab} send {id}"));
        let writes_before = self.w.writes.len();
        let authorization = header.clone();
        self.w.sent.push(Sent {
            tab,
            request: id,
            authorization,
            resend,
            url,
            writes_before,
        });
        self.later(Box::new(move |s| s.answered(tab, id, header, lease)));
    }

    /// The API answered request `id`: the shell hands the response to its caller, or to the core.
    fn answered(
        &mut self,
        tab: usize,
        id: Id,
        header: Option<String>,
        lease: Option<Rc<RefCell<Leased>>>,
    ) {
        let resp = self.w.answer(header.as_deref());
        if self.tabs[tab].disposed {
            let e = Error::new(
                Code::LoggedOut,
                "this client was disposed; create a new one",
            );
            return self.finish(tab, id, Got::Failed(e));
        }
        let Some(r) = self.tabs[tab].reqs.get_mut(&id) else {
            return;
        };
        r.sending = false;
        let url = r.url.clone();
        let (status, date, challenge) = (resp.status, resp.date, resp.challenge.clone());
        r.response = Some(resp);
        if header.is_none() {
            return self.finish(tab, id, Got::Status(status));
        }
        let statuses = &self.tabs[tab].client.config().refresh_on;
        if let Some(l) = lease.as_ref().filter(|_| !statuses.contains(&status)) {
            // Under the lease, an answer with nothing against the token: the core hears of the
            // first one, and of a `Date` every `date_every_ms`.
            let now = self.device_now(tab);
            let (tell, dated) = {
                let mut l = l.borrow_mut();
                let tell = !std::mem::replace(&mut l.told, true);
                // Due, or the device clock was set back since the last one (js/requests.js).
                let dated = now >= l.next_date || now < l.next_date - l.lease.date_every_ms;
                if dated {
                    l.next_date = now + l.lease.date_every_ms;
                }
                (tell.then_some(l.lease.generation), dated)
            };
            if let Some(generation) = tell {
                self.feed(tab, Input::Accepted { generation });
            }
            if let Some(date) = date.filter(|_| dated) {
                self.feed(tab, Input::Dated { date });
            }
            return self.finish(tab, id, Got::Status(status));
        }
        let lease = lease.map(|l| (l.borrow().lease.generation, l.borrow().lease.failures));
        let url = Some(url.as_str());
        let challenge = challenge.as_deref();
        let response = Input::Response {
            id,
            status,
            url,
            date,
            challenge,
            lease,
            nonce: None,
        };
        self.feed(tab, response);
    }

    fn finish(&mut self, tab: usize, id: Id, got: Got) {
        let t = &mut self.tabs[tab];
        if t.reqs.remove(&id).is_some() {
            t.results.insert(id, got);
        }
    }

    // The refresh call.

    /// Refresh call `n` reaches the endpoint (unless it was cancelled on the way, or the gate
    /// holds it there); its answer comes back after a delay, or after the call's timeout.
    pub(super) fn arrive(&mut self, tab: usize, n: usize) {
        if self.tabs[tab].calling != Some(n) {
            return;
        }
        if self.w.gate {
            return self.parked.push((tab, n));
        }
        let (_, call) = &self.w.calls[n];
        let (token, timeout_ms) = (call.token.clone(), call.timeout_ms);
        let Some((status, body)) = self.w.refresh_endpoint(token.as_deref()) else {
            let threw = Reply::Threw {
                status: None,
                timeout: Some(true),
            };
            return self.at(timeout_ms, Box::new(move |s| s.refreshed(tab, n, threw)));
        };
        let date = self.w.date();
        let delay = self.w.delay() + self.w.refresh_latency_ms;
        self.at(
            delay,
            Box::new(move |s| {
                let body = Some(body.as_str());
                let http = Reply::Http {
                    status,
                    body,
                    date,
                    retry_after_ms: None,
                    nonce: None,
                };
                s.refreshed(tab, n, http);
            }),
        );
    }

    /// The answer of refresh call `n`; dropped when the call was cancelled meanwhile.
    fn refreshed(&mut self, tab: usize, n: usize, reply: Reply<'_>) {
        if self.tabs[tab].calling == Some(n) {
            self.tabs[tab].calling = None;
            self.feed(tab, Input::Refreshed(reply));
        }
    }
}
