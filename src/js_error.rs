//! Where the core's [`Error`] meets JavaScript: a thrown JS value in, an `AuthlaneError` out.
//!
//! The shell registers its `AuthlaneError` factory at load time (`setErrorFactory`), so every error
//! a user sees has the same class, a stable `code` and, where there is one, a `cause`.

use std::cell::RefCell;
use std::rc::Rc;

use authlane_core::error::{Cause, Code, Error, Foreign};
use wasm_bindgen::prelude::*;

/// An error caused by a value JS threw or rejected with.
pub fn with_js_cause(code: Code, message: impl Into<String>, cause: JsValue) -> Error {
    Error::with_cause(code, message, Rc::new(cause))
}

/// A value JS threw or rejected with: an AuthlaneError keeps its code; anything else (an
/// `AbortError`, a `TypeError`) is passed on unchanged with code [`Code::Thrown`].
pub fn from_js(value: JsValue) -> Error {
    let field = |k: &str| {
        js_sys::Reflect::get(&value, &JsValue::from_str(k))
            .ok()
            .and_then(|v| v.as_string())
    };
    let (code, message) = if value.is_object() && field("name").as_deref() == Some("AuthlaneError")
    {
        (
            field("code")
                .as_deref()
                .and_then(Code::parse)
                .unwrap_or(Code::Thrown),
            field("message").unwrap_or_default(),
        )
    } else {
        (Code::Thrown, field("message").unwrap_or_default())
    };
    Error::passed_on(code, message, Rc::new(value))
}

/// The JS value a [`Foreign`] holds (every one this binding makes holds a `JsValue`).
fn js(value: &Foreign) -> JsValue {
    value
        .downcast_ref::<JsValue>()
        .cloned()
        .unwrap_or(JsValue::UNDEFINED)
}

/// Turns the error into the JS shell's `AuthlaneError`; a plain `Error` with a `code` property if
/// the shell registered no factory (only in this crate's own wasm tests). A value JS threw that
/// the error passes on comes back unchanged.
pub fn to_js(error: &Error) -> JsValue {
    if let Some(original) = error.original() {
        return js(original);
    }
    let code = JsValue::from_str(error.code().as_str());
    let message = JsValue::from_str(error.message());
    let cause = match error.cause() {
        Some(Cause::Foreign(v)) => js(v),
        Some(Cause::Inner(e)) => to_js(e),
        None => JsValue::UNDEFINED,
    };
    let factory = FACTORY.with(|f| f.borrow().clone());
    if let Some(factory) = factory {
        if let Ok(err) = factory.call3(&JsValue::NULL, &code, &message, &cause) {
            return err;
        }
    }
    let err = js_sys::Error::new(error.message());
    let _ = js_sys::Reflect::set(&err, &JsValue::from_str("code"), &code);
    err.into()
}

/// [`to_js`], taking the error: for `map_err`.
pub fn into_js(error: Error) -> JsValue {
    to_js(&error)
}

thread_local! {
    static FACTORY: RefCell<Option<js_sys::Function>> = const { RefCell::new(None) };
}

/// Registers `(code, message, cause) => AuthlaneError`; the JS shell calls it once after loading.
#[wasm_bindgen(js_name = setErrorFactory)]
pub fn set_error_factory(factory: js_sys::Function) {
    FACTORY.with(|f| *f.borrow_mut() = Some(factory));
}
