//! `js/facts.js` is generated from the core: the error codes, which of them end the session, and
//! the lifecycle actions' names are written once, here in Rust, and the JS shell imports them.
//! This test fails when the file is stale; `UPDATE_JS_FACTS=1 cargo test -p authlane-core --test
//! js_facts` writes it.
#![allow(clippy::panic, clippy::expect_used)]

use std::path::PathBuf;

use authlane_core::action::{Action, Answered, EndReason, Reason, Shown};
use authlane_core::error::Code;

/// One action of every kind, in API.md's order.
fn every_action() -> Vec<Action> {
    vec![
        Action::Restored(Shown::default()),
        Action::LoggedIn(Shown::default()),
        Action::RefreshStarted(Reason::Rejected),
        Action::RefreshSucceeded {
            shown: Shown::default(),
            rotated: false,
        },
        Action::RefreshFailed {
            code: Code::RefreshFailed,
            message: String::new(),
            transient: true,
            answered: Answered::default(),
        },
        Action::SessionExpired(EndReason::RefreshRejected),
        Action::LoggedOut,
    ]
}

/// `Action::NAMES` is every action's name, in API.md's order: what facts.js is written from.
#[test]
fn the_names_are_every_actions_name() {
    let names: Vec<&str> = every_action().iter().map(Action::name).collect();
    assert_eq!(names, Action::NAMES);
}

fn quoted<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let items: Vec<String> = items.into_iter().map(|s| format!("'{s}'")).collect();
    items.join(", ")
}

fn render() -> String {
    let codes: String = Code::ALL
        .iter()
        .map(|c| format!("  {0}: '{0}',\n", c.as_str()))
        .collect();
    let ended = Code::ALL.into_iter().filter(|c| c.ends_session());
    format!(
        "// Generated from crates/core (error.rs, action.rs) by crates/core/tests/js_facts.rs: do not edit.
// UPDATE_JS_FACTS=1 cargo test -p authlane-core --test js_facts writes it again.

/** The stable error codes (API.md, \"Errors\"). */
export const CODE = Object.freeze({{
{codes}}});

/** The codes that mean the session is over: a request sent again cannot succeed until a login. */
export const SESSION_ENDED = [{ended}];

/** The lifecycle actions' names; an action's type is 'authlane/' + its name. */
export const ACTION_NAMES = [{actions}];
",
        ended = quoted(ended.map(Code::as_str)),
        actions = quoted(Action::NAMES),
    )
}

#[test]
fn js_facts_are_generated_from_the_core() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../js/facts.js");
    let want = render();
    if std::env::var_os("UPDATE_JS_FACTS").is_some() {
        std::fs::write(&path, &want).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    }
    let have = std::fs::read_to_string(&path).expect("js/facts.js");
    assert!(
        have == want,
        "js/facts.js is stale: run UPDATE_JS_FACTS=1 cargo test -p authlane-core --test js_facts\n--- want\n{want}"
    );
}

/// The hand-written types name the same codes and actions (verify's `SIGNATURE_INVALID` aside).
#[test]
fn the_types_name_the_same_codes_and_actions() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../js/index.d.ts");
    let types = std::fs::read_to_string(path).expect("js/index.d.ts");
    let union = types
        .split("export type ErrorCode =")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .expect("ErrorCode in index.d.ts");
    let mut named: Vec<&str> = union
        .split('|')
        .map(|s| s.trim().trim_matches('\''))
        .filter(|s| !s.is_empty() && *s != "SIGNATURE_INVALID")
        .collect();
    let mut codes: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    named.sort_unstable();
    codes.sort_unstable();
    assert_eq!(named, codes, "ErrorCode in js/index.d.ts");
    for name in Action::NAMES {
        let typed = format!("{{ type: 'authlane/{name}';");
        assert!(
            types.contains(&typed),
            "AuthAction in js/index.d.ts lacks {typed}"
        );
    }
}
