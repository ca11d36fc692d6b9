//! Pure JWT decoding: picking a part, base64url to text, its JSON checked; what a token says of
//! itself (claims, `exp`, `iat`). No JS: tested natively.
//!
//! The rules follow the `jwt-decode` package byte for byte, so that moving to authlane changes
//! nothing for a token that worked before: only the requested part is read, `-_` and `+/` are both
//! accepted, padding is optional, whitespace is ignored, and bytes that are not UTF-8 are read as
//! Latin-1 (what `atob` gives).

use crate::error::{cat, Code, Error};
use crate::json::Json;

/// Which part of a token to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// The first part, `#1`.
    Header,
    /// The second part, `#2`.
    Payload,
}

impl Part {
    fn number(self) -> usize {
        match self {
            Part::Header => 1,
            Part::Payload => 2,
        }
    }
}

/// The text (JSON, not yet parsed) of one part of `token`.
///
/// ```
/// use authlane_core::jwt::{part_text, Part};
/// let token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiLDqXTDqSJ9.sig";
/// assert_eq!(part_text(token, Part::Payload).unwrap(), r#"{"sub":"été"}"#);
/// ```
pub fn part_text(token: &str, part: Part) -> Result<String, Error> {
    let n = part.number();
    // A byte split: str patterns would cost kilobytes of wasm.
    let raw = token.as_bytes().split(|&b| b == b'.').nth(n - 1);
    let number = if n == 1 { "#1" } else { "#2" };
    let Some(raw) = raw.and_then(|r| std::str::from_utf8(r).ok()) else {
        return Err(invalid(&["missing part ", number]));
    };
    let bytes = base64url_decode(raw)
        .map_err(|why| invalid(&["invalid base64 for part ", number, " (", why, ")"]))?;
    Ok(match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => e.into_bytes().iter().map(|&b| char::from(b)).collect(),
    })
}

/// The error for a malformed token, with the prefix `jwt-decode` users know.
pub fn invalid(detail: &[&str]) -> Error {
    let mut parts = vec!["Invalid token specified: "];
    parts.extend_from_slice(detail);
    Error::new(Code::InvalidToken, cat(&parts))
}

/// `decodeJwt(token, { header })`: the JSON text of the part, checked to be JSON (the shell parses
/// it with the engine's `JSON.parse`).
///
/// ```
/// use authlane_core::jwt::{decode, Part};
/// assert_eq!(decode("x.eyJhIjoxfQ.y", Part::Payload).unwrap(), r#"{"a":1}"#);
/// assert!(decode("x.e30K.y", Part::Header).is_err());
/// ```
pub fn decode(token: &str, part: Part) -> Result<String, Error> {
    let text = part_text(token, part)?;
    match Json::parse(&text) {
        Ok(_) => Ok(text),
        Err(_) => Err(invalid(&[
            "invalid json for part ",
            if part == Part::Header { "#1" } else { "#2" },
        ])),
    }
}

/// What an access token tells about itself: its payload's JSON text (`None` for an opaque token:
/// no JWT, or a payload that is not a JSON object), `exp` and `iat` in ms.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TokenInfo {
    /// The payload's JSON text.
    pub claims: Option<String>,
    /// `exp`, ms.
    pub expires_at: Option<f64>,
    /// `iat`, ms.
    pub issued_at: Option<f64>,
    /// `cnf.jkt`: the thumbprint of the DPoP key the token is bound to (RFC 9449 section 6.1).
    pub bound: bool,
}

/// Reads a token's payload.
///
/// ```
/// use authlane_core::jwt::inspect;
/// let t = inspect("x.eyJleHAiOjEwLCJpYXQiOjV9.y");
/// assert_eq!((t.expires_at, t.issued_at), (Some(10_000.0), Some(5_000.0)));
/// assert_eq!(inspect("opaque").claims, None);
/// ```
pub fn inspect(token: &str) -> TokenInfo {
    let Ok(text) = part_text(token, Part::Payload) else {
        return TokenInfo::default();
    };
    let Ok(payload) = Json::parse(&text) else {
        return TokenInfo::default();
    };
    if payload.members().is_none() {
        return TokenInfo::default();
    }
    let ms = |k: &str| {
        payload
            .get(k)
            .and_then(Json::num)
            .filter(|n| n.is_finite())
            .map(|s| s * 1_000.0)
    };
    TokenInfo {
        expires_at: ms("exp"),
        issued_at: ms("iat"),
        bound: payload
            .get("cnf")
            .and_then(|c| c.get("jkt"))
            .and_then(Json::str)
            .is_some(),
        claims: Some(text),
    }
}

/// Decodes base64url or base64, padded or not, as `jwt-decode` does (pad, then `atob`).
pub fn base64url_decode(input: &str) -> Result<Vec<u8>, &'static str> {
    // jwt-decode pads by the raw length before atob strips whitespace.
    let pad = match input.len() % 4 {
        0 => 0,
        2 => 2,
        3 => 1,
        _ => return Err("base64 string is not of the correct length"),
    };
    // Then atob (WHATWG forgiving-base64): drop whitespace, drop one or two '=' at the end when
    // the length is a multiple of 4, refuse a length of 4n+1 and any other character.
    let mut chars: Vec<u8> = input
        .bytes()
        .filter(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c'))
        .collect();
    chars.extend(std::iter::repeat_n(b'=', pad));
    if chars.len() % 4 == 0 {
        for _ in 0..2 {
            if chars.last() == Some(&b'=') {
                chars.pop();
            }
        }
    }
    if chars.len() % 4 == 1 {
        return Err("invalid length");
    }
    let sextets = chars
        .iter()
        .map(|&b| sextet(b))
        .collect::<Option<Vec<u8>>>()
        .ok_or("invalid character")?;
    let mut out = Vec::with_capacity(sextets.len() * 3 / 4);
    for chunk in sextets.chunks(4) {
        let mut acc: u32 = 0;
        for (i, &s) in chunk.iter().enumerate() {
            acc |= u32::from(s) << (18 - 6 * i);
        }
        let bytes = acc.to_be_bytes();
        let keep = chunk.len().saturating_sub(1);
        out.extend(bytes.iter().skip(1).take(keep));
    }
    Ok(out)
}

fn sextet(b: u8) -> Option<u8> {
    match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_with_and_without_padding_in_both_alphabets() {
        assert_eq!(base64url_decode("YQ").unwrap(), b"a");
        assert_eq!(base64url_decode("YQ==").unwrap(), b"a");
        assert_eq!(base64url_decode("YWI").unwrap(), b"ab");
        assert_eq!(base64url_decode("YWI=").unwrap(), b"ab");
        assert_eq!(base64url_decode("YWJj").unwrap(), b"abc");
        assert_eq!(base64url_decode("-_8").unwrap(), vec![0xfb, 0xff]);
        assert_eq!(base64url_decode("+/8").unwrap(), vec![0xfb, 0xff]);
        assert_eq!(base64url_decode("").unwrap(), b"");
    }

    #[test]
    fn rejects_what_atob_rejects() {
        assert!(base64url_decode("Y").is_err());
        assert!(base64url_decode("YWJjZ").is_err());
        assert!(base64url_decode("YW!j").is_err());
        assert!(base64url_decode("Y=Jj").is_err());
        assert!(base64url_decode("YQ===").is_err());
    }

    #[test]
    fn names_the_part_that_is_wrong() {
        let e = part_text("abc", Part::Payload).unwrap_err();
        assert_eq!(e.message(), "Invalid token specified: missing part #2");
        let e = part_text("a$.b", Part::Header).unwrap_err();
        assert!(e
            .message()
            .starts_with("Invalid token specified: invalid base64 for part #1"));
        assert_eq!(e.code(), Code::InvalidToken);
    }

    #[test]
    fn reads_only_the_requested_part() {
        assert_eq!(
            part_text("!!!.eyJhIjoxfQ", Part::Payload).unwrap(),
            r#"{"a":1}"#
        );
    }

    #[test]
    fn non_utf8_is_latin1_like_atob() {
        assert_eq!(part_text("x.6Q", Part::Payload).unwrap(), "\u{e9}");
    }

    #[test]
    fn random_input_never_panics() {
        // A small xorshift keeps the test deterministic without a dependency.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let alphabet: Vec<char> = "AZaz09-_+/=. \t\u{e9}\u{0}\u{1F600}".chars().collect();
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 40) as usize;
            let s: String = (0..len)
                .map(|i| alphabet[((state >> (i % 50)) as usize + i) % alphabet.len()])
                .collect();
            let _ = part_text(&s, Part::Header);
            let _ = part_text(&s, Part::Payload);
        }
    }
}
