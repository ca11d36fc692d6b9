//! decodeJwt through the real JS engine (JSON.parse, strings crossing the boundary).

use authlane::api::decode_jwt;
use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::wasm_bindgen_test;

const UTF8: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJuYW1lIjoiSm9zw6kiLCJpYXQiOjE0MjU2NDQ5NjZ9.1CfFtdGUPs6q8kT3OGQSVlhEMdbuX0HfNSqum0023a0";

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).unwrap()
}

fn header_opt() -> JsValue {
    let o = js_sys::Object::new();
    Reflect::set(&o, &"header".into(), &JsValue::TRUE).unwrap();
    o.into()
}

#[wasm_bindgen_test]
fn decodes_utf8_payload_and_header() {
    let payload = decode_jwt(UTF8.into(), JsValue::UNDEFINED).unwrap();
    assert_eq!(get(&payload, "name").as_string().unwrap(), "José");
    assert_eq!(get(&payload, "iat").as_f64().unwrap(), 1425644966.0);
    let header = decode_jwt(UTF8.into(), header_opt()).unwrap();
    assert_eq!(get(&header, "alg").as_string().unwrap(), "HS256");
}

#[wasm_bindgen_test]
fn malformed_tokens_throw_invalid_token_naming_the_part() {
    let cases: [(JsValue, bool, &str); 5] = [
        (JsValue::NULL, false, "must be a string"),
        ("FAKE_TOKEN".into(), false, "missing part #2"),
        ("TOKEN".into(), true, "invalid base64 for part #1"),
        ("FAKE.TOKEN2".into(), false, "invalid json for part #2"),
        (JsValue::from_f64(3.0), true, "must be a string"),
    ];
    for (token, header, want) in cases {
        let opts = if header {
            header_opt()
        } else {
            JsValue::UNDEFINED
        };
        let err = decode_jwt(token, opts).unwrap_err();
        assert_eq!(get(&err, "code").as_string().unwrap(), "INVALID_TOKEN");
        let message = get(&err, "message").as_string().unwrap();
        assert!(message.contains(want), "{message} should name {want}");
    }
}
