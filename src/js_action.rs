//! Lifecycle actions as the Flux Standard Actions JS sees (API.md, "Lifecycle actions").

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

use authlane_core::env::Action;
use authlane_core::error::Code;

fn set(obj: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), value);
}

fn opt_num(v: Option<f64>) -> JsValue {
    v.map(JsValue::from_f64).unwrap_or(JsValue::NULL)
}

/// A lifecycle action as a Flux Standard Action.
pub fn action_to_js(action: Action<JsValue>) -> JsValue {
    let payload = Object::new();
    let claims = |c: Option<JsValue>| c.unwrap_or(JsValue::NULL);
    let mut kind = String::from("authlane/");
    kind.push_str(action.name());
    match action {
        Action::Restored {
            authenticated,
            claims: c,
            expires_at,
        } => {
            set(
                &payload,
                "authenticated",
                &JsValue::from_bool(authenticated),
            );
            set(&payload, "claims", &claims(c));
            set(&payload, "expiresAt", &opt_num(expires_at));
        }
        Action::LoggedIn {
            claims: c,
            expires_at,
        } => {
            set(&payload, "claims", &claims(c));
            set(&payload, "expiresAt", &opt_num(expires_at));
        }
        Action::RefreshStarted(reason) => {
            set(&payload, "reason", &JsValue::from_str(reason.as_str()));
        }
        Action::RefreshSucceeded {
            claims: c,
            expires_at,
            rotated,
        } => {
            set(&payload, "claims", &claims(c));
            set(&payload, "expiresAt", &opt_num(expires_at));
            set(&payload, "rotated", &JsValue::from_bool(rotated));
        }
        Action::RefreshFailed {
            code,
            message,
            transient,
            answer,
        } => {
            set(&payload, "code", &JsValue::from_str(code.as_str()));
            set(&payload, "message", &JsValue::from_str(&message));
            set(&payload, "transient", &JsValue::from_bool(transient));
            set(&payload, "status", &opt_num(answer.status.map(f64::from)));
            let oauth_error = answer.oauth_error.as_deref().map(JsValue::from_str);
            set(
                &payload,
                "oauthError",
                &oauth_error.unwrap_or(JsValue::NULL),
            );
        }
        Action::SessionExpired(reason) => {
            set(
                &payload,
                "code",
                &JsValue::from_str(Code::SessionExpired.as_str()),
            );
            set(&payload, "reason", &JsValue::from_str(reason.as_str()));
        }
        Action::LoggedOut => {}
    }
    let action = Object::new();
    set(&action, "type", &JsValue::from_str(&kind));
    set(&action, "payload", &payload);
    action.into()
}
