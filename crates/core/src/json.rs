//! A small JSON reader (RFC 8259) for what crosses the boundary as text: a token's payload, a
//! refresh response, a refresh function's result, `login()`'s argument and the options record.
//! Values from JS are untrusted: every input gives a [`Json`] or an error, never a panic, and
//! nesting deeper than [`MAX_DEPTH`] is refused instead of exhausting the stack.
//!
//! Numbers are read exactly for what the client meets (integers up to 2^53 and decimals with a
//! few digits, as timestamps and durations are) and closely otherwise; no float parser from
//! `core` is pulled in (it costs kilobytes of wasm).

/// Containers nested deeper than this are refused.
pub const MAX_DEPTH: usize = 256;

/// A JSON value. Object members keep their order; a repeated key keeps its last value when read
/// with [`Json::get`], as `JSON.parse` does.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number.
    Num(f64),
    /// A string (a lone surrogate escape reads as U+FFFD).
    Str(String),
    /// An array.
    Arr(Vec<Json>),
    /// An object.
    Obj(Vec<(String, Json)>),
}

impl Json {
    /// Parses `text` (one value, whitespace around it allowed).
    ///
    /// ```
    /// use authlane_core::json::Json;
    /// let v = Json::parse(r#"{"exp": 1700000000, "name": "Zo\u00eb", "a": [1, 2.5e1]}"#).unwrap();
    /// assert_eq!(v.get("exp").and_then(Json::num), Some(1_700_000_000.0));
    /// assert_eq!(v.get("name").and_then(Json::str), Some("Zoë"));
    /// assert!(Json::parse("{").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Json, &'static str> {
        let mut p = Parser {
            b: text.as_bytes(),
            at: 0,
        };
        let v = p.value(0)?;
        p.ws();
        match p.at == p.b.len() {
            true => Ok(v),
            false => Err("text after the value"),
        }
    }

    /// The member `key` of an object (the last one of that name).
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(members) => members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, if it is one.
    pub fn str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The number, if it is one.
    pub fn num(&self) -> Option<f64> {
        match self {
            Json::Num(n) => Some(*n),
            _ => None,
        }
    }

    /// The boolean, if it is one.
    pub fn bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The items, if it is an array.
    pub fn items(&self) -> Option<&[Json]> {
        match self {
            Json::Arr(items) => Some(items),
            _ => None,
        }
    }

    /// The members, if it is an object.
    pub fn members(&self) -> Option<&[(String, Json)]> {
        match self {
            Json::Obj(members) => Some(members),
            _ => None,
        }
    }
}

struct Parser<'a> {
    b: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.at).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn eat(&mut self, word: &[u8]) -> bool {
        let end = self.at + word.len();
        if self.b.get(self.at..end) == Some(word) {
            self.at = end;
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, &'static str> {
        if depth > MAX_DEPTH {
            return Err("nested too deep");
        }
        self.ws();
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().map(Json::Str),
            Some(b't') if self.eat(b"true") => Ok(Json::Bool(true)),
            Some(b'f') if self.eat(b"false") => Ok(Json::Bool(false)),
            Some(b'n') if self.eat(b"null") => Ok(Json::Null),
            Some(b'-' | b'0'..=b'9') => self.number().map(Json::Num),
            _ => Err("not a JSON value"),
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json, &'static str> {
        self.at += 1;
        let mut members = Vec::new();
        self.ws();
        if self.eat(b"}") {
            return Ok(Json::Obj(members));
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err("an object key must be a string");
            }
            let key = self.string()?;
            self.ws();
            if !self.eat(b":") {
                return Err("':' expected");
            }
            let value = self.value(depth + 1)?;
            members.push((key, value));
            self.ws();
            if self.eat(b"}") {
                return Ok(Json::Obj(members));
            }
            if !self.eat(b",") {
                return Err("',' or '}' expected");
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Json, &'static str> {
        self.at += 1;
        let mut items = Vec::new();
        self.ws();
        if self.eat(b"]") {
            return Ok(Json::Arr(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            self.ws();
            if self.eat(b"]") {
                return Ok(Json::Arr(items));
            }
            if !self.eat(b",") {
                return Err("',' or ']' expected");
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, &'static str> {
        let mut n = 0;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(c @ b'0'..=b'9') => c - b'0',
                Some(c @ b'a'..=b'f') => c - b'a' + 10,
                Some(c @ b'A'..=b'F') => c - b'A' + 10,
                _ => return Err("bad \\u escape"),
            };
            n = n * 16 + u32::from(d);
            self.at += 1;
        }
        Ok(n)
    }

    fn string(&mut self) -> Result<String, &'static str> {
        self.at += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let c = self.peek().ok_or("unterminated string")?;
            self.at += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let e = self.peek().ok_or("unterminated string")?;
                    self.at += 1;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode()?,
                        _ => return Err("bad escape"),
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                0..=0x1f => return Err("control character in a string"),
                _ => out.push(c),
            }
        }
        // The input was a &str and escapes were written as UTF-8: always valid.
        String::from_utf8(out).map_err(|_| "invalid UTF-8")
    }

    /// After `\u`: one code point (a surrogate pair read whole; a lone surrogate as U+FFFD).
    fn unicode(&mut self) -> Result<char, &'static str> {
        let hi = self.hex4()?;
        if (0xD800..0xDC00).contains(&hi) && self.b.get(self.at..self.at + 2) == Some(b"\\u") {
            let save = self.at;
            self.at += 2;
            let lo = self.hex4()?;
            if (0xDC00..0xE000).contains(&lo) {
                let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                return Ok(char::from_u32(c).unwrap_or('\u{fffd}'));
            }
            self.at = save;
        }
        Ok(char::from_u32(hi).unwrap_or('\u{fffd}'))
    }

    fn digits(&mut self) -> (f64, i32) {
        let (mut value, mut count) = (0.0, 0);
        while let Some(d @ b'0'..=b'9') = self.peek() {
            value = value * 10.0 + f64::from(d - b'0');
            count += 1;
            self.at += 1;
        }
        (value, count)
    }

    fn number(&mut self) -> Result<f64, &'static str> {
        let negative = self.eat(b"-");
        if self.peek() == Some(b'0') && matches!(self.b.get(self.at + 1), Some(b'0'..=b'9')) {
            return Err("a number has a leading zero");
        }
        let (int, n) = self.digits();
        if n == 0 {
            return Err("digits expected");
        }
        let mut mantissa = int;
        let mut exp: i32 = 0;
        if self.eat(b".") {
            let mut n = 0;
            while let Some(d @ b'0'..=b'9') = self.peek() {
                mantissa = mantissa * 10.0 + f64::from(d - b'0');
                n += 1;
                self.at += 1;
            }
            if n == 0 {
                return Err("digits expected after '.'");
            }
            exp -= n;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            let minus = self.eat(b"-");
            if !minus {
                self.eat(b"+");
            }
            let (e, n) = self.digits();
            if n == 0 {
                return Err("digits expected in the exponent");
            }
            let e = e.min(10_000.0) as i32;
            exp += if minus { -e } else { e };
        }
        let value = scale(mantissa, exp);
        Ok(if negative { -value } else { value })
    }
}

/// `m * 10^e`: exact for |e| <= 22 and m < 2^53 (one rounding), close otherwise.
fn scale(m: f64, e: i32) -> f64 {
    let mut value = m;
    let mut left = e.unsigned_abs();
    while left > 0 {
        let step = left.min(22);
        let p = 10f64.powi(step as i32);
        value = if e < 0 { value / p } else { value * p };
        left -= step;
    }
    value
}

/// Writes `s` as a JSON string (with quotes) to `out`.
///
/// ```
/// let mut out = String::new();
/// authlane_core::json::write_str(&mut out, "a\"b\n\u{1}");
/// assert_eq!(out, r#""a\"b\n\u0001""#);
/// ```
pub fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                out.push_str("\\u00");
                let n = c as u32;
                out.push(hex_digit(n >> 4));
                out.push(hex_digit(n & 15));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn hex_digit(n: u32) -> char {
    char::from_digit(n, 16).unwrap_or('0')
}

/// Writes `n` as JSON: integers without a fraction, others with up to 6 decimals; a value JSON
/// cannot hold (NaN, infinite) as `null`.
///
/// ```
/// let mut out = String::new();
/// authlane_core::json::write_num(&mut out, 1700000000123.0);
/// out.push(' ');
/// authlane_core::json::write_num(&mut out, -2.5);
/// assert_eq!(out, "1700000000123 -2.5");
/// ```
pub fn write_num(out: &mut String, n: f64) {
    if !n.is_finite() {
        out.push_str("null");
        return;
    }
    if n < 0.0 {
        out.push('-');
    }
    let a = n.abs();
    if a >= 9.0e15 {
        // Beyond exact integers: rare here (ms timestamps are ~1.7e12); keep the magnitude.
        write_int(out, (a / 1e6).trunc() as u64);
        out.push_str("e6");
        return;
    }
    let int = a.trunc();
    write_int(out, int as u64);
    let mut frac = ((a - int) * 1e6).round() as u64;
    if frac >= 1_000_000 {
        frac = 999_999;
    }
    if frac > 0 {
        out.push('.');
        let mut digits = [b'0'; 6];
        for slot in digits.iter_mut().rev() {
            *slot = b'0' + (frac % 10) as u8;
            frac /= 10;
        }
        let keep = digits.iter().rposition(|&d| d != b'0').map_or(0, |i| i + 1);
        for &d in digits.iter().take(keep) {
            out.push(char::from(d));
        }
    }
}

/// Writes a non-negative integer in decimal.
pub fn write_int(out: &mut String, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    loop {
        at -= 1;
        if let Some(slot) = buf.get_mut(at) {
            *slot = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || at == 0 {
            break;
        }
    }
    for &d in buf.get(at..).unwrap_or(&[]) {
        out.push(char::from(d));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_json_parse_reads() {
        for (text, want) in [
            ("0", Json::Num(0.0)),
            ("-0.5", Json::Num(-0.5)),
            ("1e3", Json::Num(1000.0)),
            ("1.5E-2", Json::Num(0.015)),
            ("12345678901234", Json::Num(12_345_678_901_234.0)),
            (" \"\\u00e9\\ud83d\\ude00\" ", Json::Str("é😀".into())),
            ("\"\\ud800\"", Json::Str("\u{fffd}".into())),
            ("[]", Json::Arr(vec![])),
            ("{}", Json::Obj(vec![])),
            ("null", Json::Null),
        ] {
            assert_eq!(Json::parse(text), Ok(want), "{text}");
        }
        assert_eq!(Json::parse("0.1"), Ok(Json::Num(0.1)));
        assert_eq!(Json::parse("3600.000"), Ok(Json::Num(3600.0)));
    }

    #[test]
    fn refuses_what_json_parse_refuses() {
        for text in [
            "",
            "01",
            "1.",
            ".5",
            "+1",
            "[1,]",
            "{\"a\":1,}",
            "{a:1}",
            "'x'",
            "\"\t\"",
            "nul",
            "[1 2]",
            "\"\\x\"",
            "1 2",
            "\"abc",
            "{\"a\"}",
            "-",
            "1e",
        ] {
            assert!(Json::parse(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn deep_nesting_is_refused_not_a_crash() {
        let deep = "[".repeat(100_000);
        assert!(Json::parse(&deep).is_err());
        let ok = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(Json::parse(&ok).is_ok());
    }

    #[test]
    fn the_last_of_repeated_keys_wins() {
        let v = Json::parse(r#"{"a":1,"a":2}"#).unwrap();
        assert_eq!(v.get("a"), Some(&Json::Num(2.0)));
    }

    #[test]
    fn numbers_written_and_read_back() {
        for n in [0.0, 1.0, -1.5, 1_700_000_000_123.0, 0.25, 123.456] {
            let mut out = String::new();
            write_num(&mut out, n);
            assert_eq!(Json::parse(&out), Ok(Json::Num(n)), "{out}");
        }
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        let alphabet = b"{}[]\",:0123456789-+.eEtrufalsn \\u\t\n";
        for _ in 0..50_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 30) as usize;
            let s: String = (0..len)
                .map(|i| {
                    let k = ((state >> (i % 40)) as usize + i * 7) % alphabet.len();
                    char::from(alphabet[k])
                })
                .collect();
            let _ = Json::parse(&s);
        }
    }
}
