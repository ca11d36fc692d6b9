//! The DPoP signer for engines without WebCrypto (React Native's Hermes, JavaScriptCore): a P-256
//! key pair from random bytes, ES256 signatures (RFC 6979 deterministic nonces: no randomness
//! needed to sign) and SHA-256. A wasm module with no imports, compiled to JavaScript by wasm2js
//! for React Native (`authlane/dpop`); browsers, Node, Deno and Bun use WebCrypto instead.
//!
//! The boundary is the core module's: `buf(len)` makes the buffer hold `len` bytes and returns
//! where it is; each call reads its input there and writes its answer back there, returning the
//! answer's length (negated when the buffer moved; 0 for a refused input).
#![deny(missing_docs)]

use std::cell::RefCell;

use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use sha2::{Digest, Sha256};

#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

thread_local! {
    static BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Makes the buffer hold at least `len` bytes; returns where it is.
#[no_mangle]
pub extern "C" fn buf(len: u32) -> *mut u8 {
    BUF.with(|b| {
        let mut b = b.borrow_mut();
        if b.len() < len as usize {
            b.resize((len as usize).max(256), 0);
        }
        b.as_mut_ptr()
    })
}

fn input(len: u32) -> Vec<u8> {
    BUF.with(|b| b.borrow().get(..len as usize).unwrap_or(&[]).to_vec())
}

fn answer(out: &[u8]) -> i32 {
    BUF.with(|b| {
        let mut b = b.borrow_mut();
        let before = b.as_ptr();
        if b.len() < out.len() {
            b.resize(out.len(), 0);
        }
        if let Some(dst) = b.get_mut(..out.len()) {
            dst.copy_from_slice(out);
        }
        let n = out.len() as i32;
        if b.as_ptr() == before {
            n
        } else {
            -n
        }
    })
}

/// A key pair from the buffer's 32 random bytes: answers `d ‖ x ‖ y` (96 bytes), or nothing when
/// the bytes are not a valid private key (zero, or not below the group order: ask again with
/// new bytes).
#[no_mangle]
pub extern "C" fn keypair(len: u32) -> i32 {
    match key_pair(&input(len)) {
        Some(out) => answer(&out),
        None => 0,
    }
}

/// `d ‖ x ‖ y` of the private key `d`.
pub fn key_pair(d: &[u8]) -> Option<Vec<u8>> {
    let key = private_key(d)?;
    let point = key.verifying_key().to_sec1_point(false);
    let mut out = key.to_bytes().to_vec();
    out.extend_from_slice(point.x()?);
    out.extend_from_slice(point.y()?);
    Some(out)
}

/// The ES256 signature (`r ‖ s`, 64 bytes, as JWS writes it) of the buffer's message after its
/// first 32 bytes, the private key `d`.
#[no_mangle]
pub extern "C" fn sign(len: u32) -> i32 {
    let data = input(len);
    match sign_with(data.get(..32).unwrap_or(&[]), data.get(32..).unwrap_or(&[])) {
        Some(sig) => answer(&sig),
        None => 0,
    }
}

/// The ES256 signature of `message` with the private key `d`.
pub fn sign_with(d: &[u8], message: &[u8]) -> Option<Vec<u8>> {
    let key = private_key(d)?;
    let signature: Signature = key.sign(message);
    Some(signature.to_bytes().to_vec())
}

/// The private key of exactly 32 bytes `d` (a shorter slice would be padded: refused instead).
fn private_key(d: &[u8]) -> Option<SigningKey> {
    match d.len() {
        32 => SigningKey::from_slice(d).ok(),
        _ => None,
    }
}

/// SHA-256 of the buffer's bytes.
#[no_mangle]
pub extern "C" fn sha256(len: u32) -> i32 {
    let digest = Sha256::digest(input(len));
    answer(&digest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Verifier;
    use p256::ecdsa::VerifyingKey;

    #[test]
    fn signs_what_its_public_key_verifies() {
        let d = [7u8; 32];
        let pair = key_pair(&d).expect("a valid scalar");
        assert_eq!(pair.len(), 96);
        let sig = sign_with(&d, b"header.payload").expect("signs");
        let mut sec1 = vec![4u8];
        sec1.extend_from_slice(&pair[32..]);
        let key = VerifyingKey::from_sec1_bytes(&sec1).expect("the public key");
        let sig = Signature::from_slice(&sig).expect("64 bytes");
        assert!(key.verify(b"header.payload", &sig).is_ok());
        assert!(key.verify(b"header.payloaX", &sig).is_err());
    }

    #[test]
    fn refuses_what_is_not_a_private_key() {
        assert!(key_pair(&[0u8; 32]).is_none());
        assert!(key_pair(&[0xffu8; 32]).is_none());
        assert!(key_pair(&[1u8; 31]).is_none());
        assert!(sign_with(&[0u8; 32], b"x").is_none());
    }

    #[test]
    fn sha256_of_abc() {
        let d = Sha256::digest(b"abc");
        assert_eq!(d[0], 0xba);
        assert_eq!(d[31], 0xad);
    }
}
