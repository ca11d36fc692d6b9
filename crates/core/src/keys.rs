//! DPoP in the client (API.md, "DPoP"): the key pair the shell holds (read at start, made anew
//! for each new session), the proofs that go with DPoP-bound requests, refresh calls,
//! revocations and `dpopProof()`, and the nonces servers hand out. What a proof says is
//! `dpop.rs`'s; the signature is the shell's ([`Effect::Sign`], [`Client::signed`]).
//!
//! Only the module built with the `dpop` feature has it (the shell loads that module for a
//! client made with `dpop`): without the feature, [`Dpop`] is an empty enum, a client never has
//! one, and every DPoP path is dead code the compiler drops, so a page that never turns DPoP on
//! does not pay for it.

use crate::client::Client;
use crate::config::Config;
#[cfg(feature = "dpop")]
use crate::dpop::{signing_input, Claims, Jtis, Nonces, PublicKey};
#[cfg(feature = "dpop")]
use crate::effect::{Answer, Io, KeyOp};
use crate::effect::{Effect, Id, Revoke};
use crate::error::{Code, Error};

/// The key pair, as far as the core knows it.
#[cfg(feature = "dpop")]
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum KeyState {
    /// Being read or made; what needs it waits for serial `0`.
    Loading(u64),
    /// Its public half and thumbprint.
    Ready(PublicKey, String),
    /// The key store failed.
    Failed,
}

/// What a signature is for.
#[derive(Clone, Debug)]
#[cfg_attr(not(feature = "dpop"), allow(dead_code))]
pub(crate) enum Signing {
    /// Request `id`'s send, with the token of `generation`; `again`: a send after its first.
    Request {
        id: Id,
        header: String,
        generation: u64,
        failures: u64,
        resend: bool,
        again: bool,
        input: String,
    },
    /// The refresh call of flight `serial`.
    Call { serial: u64, input: String },
    /// The revocation of `logout()` call `call.id`.
    Revoke { call: Revoke, input: String },
    /// `dpopProof()` call `id`.
    Proof { id: Id, input: String },
}

/// A request's method and URL (a proof's `htm` and `htu`), and whether it was sent again for a
/// resource server's nonce.
#[derive(Clone, Debug)]
#[cfg_attr(not(feature = "dpop"), allow(dead_code))]
pub(crate) struct Target {
    pub id: Id,
    pub method: String,
    pub url: String,
    pub nonce_sent: bool,
}

/// DPoP's state in a client with `dpop`.
#[cfg(feature = "dpop")]
#[derive(Debug)]
pub(crate) struct Dpop {
    pub key: KeyState,
    jtis: Jtis,
    pub nonces: Nonces,
    signs: Vec<(Io, Signing)>,
    pub targets: Vec<Target>,
    /// `dpopProof()` calls waiting for the key: `(id, method, url, nonce)`.
    proofs: Vec<(Id, String, String, Option<String>)>,
}

/// A module built without the `dpop` feature: no client has DPoP.
#[cfg(not(feature = "dpop"))]
#[derive(Debug)]
pub(crate) enum Dpop {}

#[cfg(feature = "dpop")]
impl Dpop {
    /// DPoP's state for a client made with `dpop`.
    pub fn start(config: &Config) -> Option<Dpop> {
        config.dpop.then(|| Dpop {
            key: KeyState::Failed,
            jtis: Jtis::new(&config.seed),
            nonces: Nonces::default(),
            signs: Vec::new(),
            targets: Vec::new(),
            proofs: Vec::new(),
        })
    }

    /// The target of request `id`.
    pub fn target(&self, id: Id) -> Option<&Target> {
        self.targets.iter().find(|t| t.id == id)
    }

    pub fn add_target(&mut self, target: Target) {
        self.targets.push(target);
    }

    /// Request `id` was sent again for a resource server's nonce.
    pub fn nonce_sent(&mut self, id: Id) {
        if let Some(t) = self.targets.iter_mut().find(|t| t.id == id) {
            t.nonce_sent = true;
        }
    }

    /// Request `id` is over.
    pub fn forget(&mut self, id: Id) {
        self.targets.retain(|t| t.id != id);
    }
}

#[cfg(not(feature = "dpop"))]
impl Dpop {
    pub fn start(_config: &Config) -> Option<Dpop> {
        None
    }
    pub fn target(&self, _id: Id) -> Option<&Target> {
        match *self {}
    }
    pub fn add_target(&mut self, _target: Target) {
        match *self {}
    }
    pub fn nonce_sent(&mut self, _id: Id) {
        match *self {}
    }
    pub fn forget(&mut self, _id: Id) {
        match *self {}
    }
}

/// Without the `dpop` feature: the client's DPoP paths, none of which is ever taken.
#[cfg(not(feature = "dpop"))]
impl Client {
    pub(crate) fn load_key(&mut self, _replace: bool) -> Option<u64> {
        None
    }
    pub(crate) fn key_loading(&self) -> Option<u64> {
        None
    }
    pub(crate) fn dpop_jkt(&self) -> Option<&str> {
        None
    }
    pub(crate) fn key_arrived(&mut self, _key: Option<(&str, &str)>) {}
    pub(crate) fn proof_input(
        &mut self,
        _method: &str,
        _url: &str,
        _token: Option<&str>,
        _nonce: Option<&str>,
    ) -> Option<String> {
        None
    }
    pub(crate) fn sign(&mut self, _signing: Signing) {}
    pub(crate) fn nonce_from(&mut self, _url: &str, _nonce: Option<&str>) {}
    pub(crate) fn signed(&mut self, _io: crate::effect::Io, _signature: Option<&str>) {}
    pub(crate) fn dpop_proof(&mut self, id: Id, _method: &str, _url: &str, _nonce: Option<&str>) {
        let error = Error::new(
            Code::InvalidConfig,
            "dpopProof(): this client was made without the dpop option",
        );
        self.emit(Effect::Reject { id, error });
    }
}

#[cfg(feature = "dpop")]
impl Client {
    /// Reads (or, `replace`, makes anew) the key pair; returns the serial what needs the key waits
    /// for.
    pub(crate) fn load_key(&mut self, replace: bool) -> Option<u64> {
        let serial = match self.dpop.as_ref()?.key {
            KeyState::Loading(serial) if !replace => return Some(serial),
            KeyState::Loading(serial) => serial,
            _ => self.serial(),
        };
        if let Some(d) = self.dpop.as_mut() {
            d.key = KeyState::Loading(serial);
        }
        self.emit(Effect::Key(match replace {
            true => KeyOp::Replace,
            false => KeyOp::Load,
        }));
        Some(serial)
    }

    /// With DPoP, the key's RFC 7638 thumbprint (`session().dpop.jkt`).
    pub(crate) fn dpop_jkt(&self) -> Option<&str> {
        self.key().map(|(_, jkt)| jkt)
    }

    /// The key's public half and thumbprint, when it is loaded.
    pub(crate) fn key(&self) -> Option<(&PublicKey, &str)> {
        match &self.dpop.as_ref()?.key {
            KeyState::Ready(key, jkt) => Some((key, jkt)),
            _ => None,
        }
    }

    /// The serial what needs the key waits for, while it is being read or made.
    pub(crate) fn key_loading(&self) -> Option<u64> {
        match self.dpop.as_ref()?.key {
            KeyState::Loading(serial) => Some(serial),
            _ => None,
        }
    }

    /// The shell reports the key pair (`None`: its key store failed).
    pub(crate) fn key_arrived(&mut self, key: Option<(&str, &str)>) {
        let Some(serial) = self.key_loading() else {
            return;
        };
        let state = match key {
            Some((x, y)) => {
                let key = PublicKey {
                    x: x.to_string(),
                    y: y.to_string(),
                };
                let jkt = key.thumbprint();
                KeyState::Ready(key, jkt)
            }
            None => KeyState::Failed,
        };
        let ready = matches!(state, KeyState::Ready(..));
        if let Some(d) = self.dpop.as_mut() {
            d.key = state;
        }
        let outcome = match ready {
            true => Ok(()),
            false => Err(key_error()),
        };
        self.resume_later(serial, outcome.clone());
        self.key_for_flight();
        self.key_for_start(outcome);
        for (id, method, url, nonce) in self
            .dpop
            .as_mut()
            .map(|d| std::mem::take(&mut d.proofs))
            .unwrap_or_default()
        {
            self.proof(id, &method, &url, nonce.as_deref());
        }
    }

    /// The signing input of a proof for `method` `url` (`token`: the access token it goes with),
    /// with the server's latest nonce unless `nonce` is given; `None` without a key.
    pub(crate) fn proof_input(
        &mut self,
        method: &str,
        url: &str,
        token: Option<&str>,
        nonce: Option<&str>,
    ) -> Option<String> {
        let iat = (self.server_time() / 1_000.0).floor();
        let origin = crate::url::origin(url).unwrap_or_default();
        let (key, _) = self.key()?;
        let key = key.clone();
        let d = self.dpop.as_mut()?;
        let jti = d.jtis.next_jti();
        let nonce = nonce
            .map(str::to_string)
            .or_else(|| d.nonces.get(&origin).map(str::to_string));
        Some(signing_input(
            &key,
            &Claims {
                htm: method,
                htu: url,
                iat,
                jti: &jti,
                access_token: token,
                nonce: nonce.as_deref(),
            },
        ))
    }

    /// Asks the shell to sign `signing`'s input.
    pub(crate) fn sign(&mut self, signing: Signing) {
        let io = self.io();
        let input = match &signing {
            Signing::Request { input, .. }
            | Signing::Call { input, .. }
            | Signing::Revoke { input, .. }
            | Signing::Proof { input, .. } => input.clone(),
        };
        if let Some(d) = self.dpop.as_mut() {
            d.signs.push((io, signing));
        }
        self.emit(Effect::Sign { io, input });
    }

    /// A server named its nonce for `url`'s origin.
    pub(crate) fn nonce_from(&mut self, url: &str, nonce: Option<&str>) {
        if let (Some(n), Some(d)) = (nonce.filter(|n| !n.is_empty()), self.dpop.as_mut()) {
            d.nonces
                .set(&crate::url::origin(url).unwrap_or_default(), n);
        }
    }

    /// The shell signed the input of operation `io`.
    pub(crate) fn signed(&mut self, io: Io, signature: Option<&str>) {
        let Some(d) = self.dpop.as_mut() else {
            return;
        };
        let Some(at) = d.signs.iter().position(|(i, _)| *i == io) else {
            return;
        };
        let (_, signing) = d.signs.swap_remove(at);
        let proof = |input: &str| signature.map(|s| crate::error::cat(&[input, ".", s]));
        match signing {
            Signing::Request {
                id,
                header,
                generation,
                failures,
                resend,
                again,
                input,
            } => match proof(&input) {
                Some(proof) if generation == self.st.generation() => {
                    self.send_signed(id, header, generation, failures, resend, again, proof)
                }
                Some(_) => self.request_again(id, resend, again),
                None => self.emit(Effect::Fail {
                    id,
                    error: sign_error(),
                }),
            },
            Signing::Call { serial, input } => self.call_signed(serial, proof(&input)),
            Signing::Revoke { mut call, input } => {
                call.dpop = proof(&input);
                self.emit(Effect::Revoke(call));
            }
            Signing::Proof { id, input } => self.emit(match proof(&input) {
                Some(p) => Effect::Resolve {
                    id,
                    value: Answer::Proof(p),
                },
                None => Effect::Reject {
                    id,
                    error: sign_error(),
                },
            }),
        }
    }

    /// `dpopProof(method, url, { nonce })`: a proof for the app's own token request, signed with
    /// the key as the key store holds it now (another tab may have made a new one).
    pub(crate) fn dpop_proof(&mut self, id: Id, method: &str, url: &str, nonce: Option<&str>) {
        if self.dpop.is_none() {
            let error = Error::new(
                Code::InvalidConfig,
                "dpopProof(): this client was made without the dpop option",
            );
            return self.emit(Effect::Reject { id, error });
        }
        self.load_key(false);
        if let Some(d) = self.dpop.as_mut() {
            d.proofs.push((
                id,
                method.to_string(),
                url.to_string(),
                nonce.map(str::to_string),
            ));
        }
    }

    /// Signs `dpopProof()` call `id`'s proof, the key being here.
    fn proof(&mut self, id: Id, method: &str, url: &str, nonce: Option<&str>) {
        let Some(resolved) = self
            .resolve(url)
            .filter(|u| crate::url::origin(u).is_some())
        else {
            let error = Error::new(
                Code::InvalidConfig,
                "dpopProof(method, url): url must be an http(s) URL (relative URLs need baseUrl)",
            );
            return self.emit(Effect::Reject { id, error });
        };
        // The app's nonce is that server's latest: the refresh calls to come use it too.
        self.nonce_from(&resolved, nonce);
        match self.proof_input(&method.to_ascii_uppercase(), &resolved, None, nonce) {
            Some(input) => self.sign(Signing::Proof { id, input }),
            None => self.emit(Effect::Reject {
                id,
                error: key_error(),
            }),
        }
    }
}

/// The key store failed to give a key pair.
pub(crate) fn key_error() -> Error {
    Error::new(
        Code::StorageError,
        "the DPoP key store failed to read or save the key pair",
    )
}

/// Signing a proof failed.
#[cfg(feature = "dpop")]
fn sign_error() -> Error {
    Error::new(
        Code::NetworkError,
        "the request could not be sent: its DPoP proof could not be signed",
    )
}
