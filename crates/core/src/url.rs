//! URL resolution and origins, in pure Rust: React Native's `URL` is partial, and the origin
//! check must not depend on the engine.

use crate::error::cat;

/// Resolves `input` against `base` the way `new URL(input, base)` does for the forms apps use:
/// absolute (`https://…`), scheme-relative (`//host/…`), absolute path (`/…`), query (`?…`),
/// fragment and relative path. `None` when `input` is relative and there is no usable base.
///
/// ```
/// use authlane_core::url::resolve;
/// assert_eq!(resolve(Some("https://api.example.com/v1/"), "users").as_deref(), Some("https://api.example.com/v1/users"));
/// assert_eq!(resolve(Some("https://api.example.com/v1/x"), "/login").as_deref(), Some("https://api.example.com/login"));
/// ```
pub fn resolve(base: Option<&str>, input: &str) -> Option<String> {
    // What the WHATWG parser does first: no leading or trailing C0 control or space, and no tab
    // or newline anywhere ("/\t/host" is "//host"). Bytes: every other byte of UTF-8 is above.
    let start = input.bytes().position(|b| b > b' ').unwrap_or(input.len());
    let end = input
        .bytes()
        .rposition(|b| b > b' ')
        .map_or(start, |i| i + 1);
    let kept: Vec<u8> = input
        .as_bytes()
        .get(start..end)?
        .iter()
        .copied()
        .filter(|b| !matches!(b, b'\t' | b'\n' | b'\r'))
        .collect();
    let input = String::from_utf8(kept).ok()?;
    if scheme_of(&input).is_some() {
        return Some(input);
    }
    let base = base?;
    let scheme = scheme_of(base)?;
    let rest = base.get(scheme.len() + 1..)?;
    let authority_end = rest
        .strip_prefix("//")
        .map(|r| 2 + find_any(r, b"/?#").unwrap_or(r.len()))
        .unwrap_or(0);
    let (authority, path_etc) = (rest.get(..authority_end)?, rest.get(authority_end..)?);
    let path = before(path_etc, b"?#");
    let origin = cat(&[scheme, ":", authority]);
    // In http(s) URLs (special schemes) a backslash is a slash.
    let special = scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https");
    let slash = |i: usize| match input.as_bytes().get(i) {
        Some(b'/') => true,
        Some(b'\\') => special,
        _ => false,
    };
    Some(if slash(0) && slash(1) {
        cat(&[scheme, "://", input.get(2..)?])
    } else if slash(0) {
        cat(&[&origin, "/", input.get(1..)?])
    } else if input.starts_with('?') {
        cat(&[&origin, path, &input])
    } else if input.starts_with('#') || input.is_empty() {
        let without_fragment = before(base, b"#");
        cat(&[without_fragment, &input])
    } else {
        let dir = path
            .bytes()
            .rposition(|b| b == b'/')
            .map(|i| path.get(..=i).unwrap_or("/"))
            .unwrap_or("/");
        cat(&[&origin, dir, &input])
    })
}

/// The origin of an absolute URL, normalised: lower-case scheme and host, no user info, the
/// default port (80 for http, 443 for https) dropped. `None` for anything that is not an
/// absolute http(s) URL with a host.
///
/// ```
/// use authlane_core::url::origin;
/// assert_eq!(origin("HTTPS://User@API.Example.com:443/x?y").as_deref(), Some("https://api.example.com"));
/// assert_eq!(origin("http://127.0.0.1:8080/").as_deref(), Some("http://127.0.0.1:8080"));
/// ```
pub fn origin(url: &str) -> Option<String> {
    let scheme = scheme_of(url)?.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => "80",
        "https" => "443",
        _ => return None,
    };
    let rest = url.get(scheme.len() + 1..)?.strip_prefix("//")?;
    let authority = before(rest, b"/?#\\");
    let host_port = match authority.bytes().rposition(|b| b == b'@') {
        Some(at) => authority.get(at + 1..)?,
        None => authority,
    };
    let (host, port) = split_port(host_port)?;
    let valid = match host.strip_prefix("[").and_then(|h| h.strip_suffix("]")) {
        Some(ip6) => {
            !ip6.is_empty()
                && ip6
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() || matches!(c, '.' | ':'))
        }
        None => {
            !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        }
    };
    if !valid {
        return None;
    }
    let host = host.to_ascii_lowercase();
    Some(match port {
        Some(p) if p != default_port => cat(&[&scheme, "://", &host, ":", p]),
        _ => cat(&[&scheme, "://", &host]),
    })
}

/// `text` when it is an origin as written in `allowedOrigins`: scheme, host and port, at most a
/// trailing `/`, nothing else (no path, query, fragment or user info, which [`origin`] would
/// silently drop: `https://api.example.com@evil.example` is evil.example's URL). Normalised.
///
/// ```
/// use authlane_core::url::exact_origin;
/// assert_eq!(exact_origin("https://API.example.com:443/").as_deref(), Some("https://api.example.com"));
/// assert_eq!(exact_origin("https://api.example.com/v1"), None);
/// assert_eq!(exact_origin("https://api.example.com@evil.example"), None);
/// ```
pub fn exact_origin(text: &str) -> Option<String> {
    let rest = text.get(find_any(text, b":")? + 1..)?.strip_prefix("//")?;
    let rest = rest.strip_suffix("/").unwrap_or(rest);
    if find_any(rest, b"/?#@\\").is_some() {
        return None;
    }
    origin(text)
}

/// The byte index of the first of `set` (ASCII) in `s`. Byte searches, not str patterns: those
/// cost kilobytes of wasm.
fn find_any(s: &str, set: &[u8]) -> Option<usize> {
    s.bytes().position(|b| set.contains(&b))
}

/// `s` up to the first of `set` (ASCII), or all of it.
fn before<'a>(s: &'a str, set: &[u8]) -> &'a str {
    find_any(s, set).and_then(|i| s.get(..i)).unwrap_or(s)
}

fn split_port(host_port: &str) -> Option<(&str, Option<&str>)> {
    let colon = if host_port.starts_with("[") {
        let close = find_any(host_port, b"]")?;
        find_any(host_port.get(close + 1..)?, b":").map(|i| i + close + 1)
    } else {
        host_port.bytes().rposition(|b| b == b':')
    };
    let Some(colon) = colon else {
        return Some((host_port, None));
    };
    let host = host_port.get(..colon)?;
    let port = host_port.get(colon + 1..)?;
    if port.is_empty() {
        return Some((host, None));
    }
    if port.len() > 5
        || !port.bytes().all(|b| b.is_ascii_digit())
        || port.parse::<u32>().ok()? > 65_535
    {
        return None;
    }
    let zeros = port.bytes().take_while(|&b| b == b'0').count();
    let trimmed = port.get(zeros..).unwrap_or("");
    Some((host, Some(if trimmed.is_empty() { "0" } else { trimmed })))
}

fn scheme_of(url: &str) -> Option<&str> {
    let colon = find_any(url, b":")?;
    let scheme = url.get(..colon)?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then_some(scheme)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_like_new_url() {
        let base = Some("https://a.example/v1/items?x=1#f");
        let cases = [
            ("https://b.example/z", "https://b.example/z"),
            ("//c.example/p", "https://c.example/p"),
            ("/root", "https://a.example/root"),
            ("sub/1", "https://a.example/v1/sub/1"),
            ("?q=2", "https://a.example/v1/items?q=2"),
            ("#g", "https://a.example/v1/items?x=1#g"),
            // As new URL(): tabs and newlines go, a backslash is a slash.
            ("/\\c.example/p", "https://c.example/p"),
            ("\\\\c.example/p", "https://c.example/p"),
            ("/\t/c.example/p", "https://c.example/p"),
            ("\\root", "https://a.example/root"),
            (" /ro\not ", "https://a.example/root"),
        ];
        for (input, want) in cases {
            assert_eq!(resolve(base, input).as_deref(), Some(want), "{input}");
        }
        assert_eq!(
            resolve(Some("http://h:8080"), "x").as_deref(),
            Some("http://h:8080/x")
        );
        assert_eq!(resolve(None, "/x"), None);
    }

    #[test]
    fn origin_treats_scheme_host_and_port_as_distinct() {
        assert_eq!(
            origin("https://a.example").as_deref(),
            Some("https://a.example")
        );
        assert_eq!(
            origin("https://a.example:8443/").as_deref(),
            Some("https://a.example:8443")
        );
        assert_eq!(
            origin("http://a.example:80/").as_deref(),
            Some("http://a.example")
        );
        assert_eq!(
            origin("http://[::1]:3000/x").as_deref(),
            Some("http://[::1]:3000")
        );
        assert_ne!(origin("http://a.example"), origin("https://a.example"));
        // user info cannot smuggle another host in
        assert_eq!(
            origin("https://a.example@evil.example/").as_deref(),
            Some("https://evil.example")
        );
        for bad in [
            "*",
            "a.example",
            "ftp://a.example",
            "https://",
            "https://a b",
            "https://a:99999",
            "javascript:x",
            "https://ap]i.example",
            "https://[::1",
            "https://a:b:c",
        ] {
            assert_eq!(origin(bad), None, "{bad}");
        }
    }
}
