//! The requests the client makes itself: the refresh call (RFC 6749 section 6 for an OAuth 2.0
//! token endpoint, JSON otherwise) and the revocation (RFC 7009), with the client's
//! authentication (section 2.3.1). The shell sends them as described.

use crate::client::Client;
use crate::config::ClientAuth;
use crate::effect::{Call, Header, Id, Revoke};
use crate::error::cat;
use crate::json::write_str;

impl Client {
    /// The refresh call presenting `token` (`None` in cookie mode).
    pub(crate) fn refresh_call(&self, token: Option<String>) -> Call {
        let r = &self.config.refresh;
        let mut headers = Vec::new();
        let body = if r.function {
            None
        } else if self.config.oauth2 {
            let mut fields = vec![("grant_type".to_string(), "refresh_token".to_string())];
            if let Some(t) = &token {
                fields.push(("refresh_token".into(), t.clone()));
            }
            if let Some(scope) = &r.scope {
                fields.push(("scope".into(), scope.clone()));
            }
            for (k, v) in &r.params {
                set(&mut fields, k, v);
            }
            Some(self.oauth_form(fields, &mut headers))
        } else {
            headers.push(Header {
                name: "content-type",
                value: "application/json".into(),
                force: false,
            });
            // `refresh.body(token)` makes the JSON body (the shell calls it), but not a form's.
            match (&token, r.body_function) {
                (_, true) => None,
                (Some(t), false) => Some(refresh_token_json(t)),
                (None, false) => Some("{}".into()),
            }
        };
        Call {
            token,
            body,
            headers,
            timeout_ms: self.config.refresh_timeout_ms,
            dpop: None,
        }
    }

    /// The revocation of `token` (`hint`: `refresh_token` or `access_token`) for `logout()` call
    /// `id`; in cookie mode an empty POST with credentials.
    pub(crate) fn revoke_call(&self, id: Id, token: Option<&str>, hint: &str) -> Revoke {
        let mut headers = Vec::new();
        let body = match (self.config.cookie, token) {
            (true, _) | (false, None) => None,
            (false, Some(t)) if self.config.oauth2 => {
                let fields = vec![
                    ("token".to_string(), t.to_string()),
                    ("token_type_hint".to_string(), hint.to_string()),
                ];
                Some(self.oauth_form(fields, &mut headers))
            }
            (false, Some(t)) => {
                headers.push(Header {
                    name: "content-type",
                    value: "application/json".into(),
                    force: false,
                });
                Some(refresh_token_json(t))
            }
        };
        Revoke {
            id,
            body,
            headers,
            timeout_ms: self.config.refresh_timeout_ms,
            dpop: None,
        }
    }

    /// An OAuth 2.0 form: `fields` plus the client's authentication (`client_secret_basic`
    /// form-encodes id and secret into `Authorization: Basic`).
    fn oauth_form(&self, mut fields: Vec<(String, String)>, headers: &mut Vec<Header>) -> String {
        let r = &self.config.refresh;
        let auth = r.client_auth.unwrap_or(ClientAuth::None);
        match (auth, &r.client_secret) {
            (ClientAuth::Basic, Some(secret)) => {
                let id = r.client_id.as_deref().unwrap_or("");
                let pair = cat(&[&form_component(id), ":", &form_component(secret)]);
                headers.push(Header {
                    name: "authorization",
                    value: cat(&["Basic ", &base64(pair.as_bytes())]),
                    force: true,
                });
            }
            _ => {
                if let Some(id) = &r.client_id {
                    set(&mut fields, "client_id", id);
                    if let (ClientAuth::Post, Some(secret)) = (auth, &r.client_secret) {
                        set(&mut fields, "client_secret", secret);
                    }
                }
            }
        }
        headers.push(Header {
            name: "content-type",
            value: "application/x-www-form-urlencoded".into(),
            force: true,
        });
        headers.push(Header {
            name: "accept",
            value: "application/json".into(),
            force: false,
        });
        let mut out = String::new();
        for (i, (k, v)) in fields.iter().enumerate() {
            if i > 0 {
                out.push('&');
            }
            out.push_str(&form_encode(k));
            out.push('=');
            out.push_str(&form_encode(v));
        }
        out
    }
}

/// `{"refreshToken":"…"}`
fn refresh_token_json(token: &str) -> String {
    let mut out = String::from("{\"refreshToken\":");
    write_str(&mut out, token);
    out.push('}');
    out
}

/// `URLSearchParams.set`: replaces the first field of that name in place (dropping the others),
/// or appends.
fn set(fields: &mut Vec<(String, String)>, key: &str, value: &str) {
    match fields.iter().position(|(k, _)| k == key) {
        Some(at) => {
            if let Some(f) = fields.get_mut(at) {
                f.1 = value.to_string();
            }
            let mut seen = 0;
            fields.retain(|(k, _)| {
                seen += usize::from(k == key);
                k != key || seen == 1
            });
        }
        None => fields.push((key.to_string(), value.to_string())),
    }
}

/// The symbol at `i` of `table` (in range by construction).
fn symbol(table: &[u8], i: usize) -> char {
    char::from(table.get(i).copied().unwrap_or(b'?'))
}

fn percent(out: &mut String, b: u8) {
    const HEX: &[u8] = b"0123456789ABCDEF";
    out.push('%');
    out.push(symbol(HEX, usize::from(b >> 4)));
    out.push(symbol(HEX, usize::from(b & 15)));
}

/// The application/x-www-form-urlencoded serializer (what `URLSearchParams` writes).
///
/// ```
/// assert_eq!(authlane_core::calls::form_encode("a b&c=é*"), "a+b%26c%3D%C3%A9*");
/// ```
pub fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        match b {
            b' ' => out.push('+'),
            b'*' | b'-' | b'.' | b'_' | b'0'..=b'9' | b'A'..=b'Z' | b'a'..=b'z' => {
                out.push(char::from(b))
            }
            _ => percent(&mut out, b),
        }
    }
    out
}

/// RFC 6749 section 2.3.1: the client id and secret form-encoded for HTTP Basic
/// (`encodeURIComponent` with `%20` as `+`).
///
/// ```
/// assert_eq!(authlane_core::calls::form_component("a b:c!"), "a+b%3Ac!");
/// ```
pub fn form_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        match b {
            b' ' => out.push('+'),
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'!'
            | b'~'
            | b'*'
            | b'\''
            | b'('
            | b')' => out.push(char::from(b)),
            _ => percent(&mut out, b),
        }
    }
    out
}

/// Standard base64 with padding.
///
/// ```
/// assert_eq!(authlane_core::calls::base64(b"id:secret"), "aWQ6c2VjcmV0");
/// assert_eq!(authlane_core::calls::base64(b"a"), "YQ==");
/// ```
pub fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let sym = |n: u32| symbol(ABC, (n & 63) as usize);
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (b(0) << 16) | (b(1) << 8) | b(2);
        out.push(sym(n >> 18));
        out.push(sym(n >> 12));
        out.push(if chunk.len() > 1 { sym(n >> 6) } else { '=' });
        out.push(if chunk.len() > 2 { sym(n) } else { '=' });
    }
    out
}
