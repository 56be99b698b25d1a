//! Access policies on restricted handles: parsing (once, at restrict time) and the check every
//! call makes.
//!
//! A policy is JSON in the style of cloud RAM/IAM policies:
//!
//! ```json
//! {"Principal": "billing-service",
//!  "Statement": [{"Effect": "Allow", "Action": ["kms:AsymmetricSign"], "Resource": ["alias/billing"]}]}
//! ```
//!
//! `Action` and `Resource` take a string or a list of strings, with `*` matching any run of
//! characters. Actions are `kms:<operation>` (matched without regard to case) or `*`; resources
//! are exactly `*`, `key/<pattern>` or `alias/<pattern>`, and a pattern must be able to match
//! something: anything else (`keys/*`, `KEY/*`, ` key/*`, an ARN, `key/` alone, characters no
//! key id or alias has) makes the policy invalid, in a Deny as in an Allow, so that a Deny
//! meant as a safety net never silently matches nothing. Key ids are lowercase, so a key
//! pattern is taken in lowercase. A call on a key matches `key/<its id>` and `alias/<a>` for
//! every alias currently naming it; a call that names no key matches only the resource `*`.
//! Default deny; an explicit Deny wins.
//!
//! Principals: a policy given to the unrestricted handle must name a non-empty `Principal`
//! (the unrestricted handle's is `""`); a handle restricted from a restricted one acts as
//! `<parent's principal>/<policy's Principal>`, or as its parent if the policy names none, so
//! no handle can speak for another in the audit trail.
//!
//! Parsing compiles each statement's actions into a bit set over [`Action::ALL`] and sorts the
//! resources by action and kind, so a check looks only at what mentions the action, looks exact
//! ids and aliases up, tries only wildcard patterns one by one, and never allocates. Calls that
//! name no key are decided by one field per action. An allowed
//! (handle, action, key) is remembered in a small per-thread cache that any change to the store
//! invalidates (aliases move), so a repeated call on the same key costs a few loads.

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde_json::{Map, Value};

use super::access::{Action, Call};
use super::alias::{self, ALIAS_PREFIX};
use super::error::{invalid, Error, Result};
use super::id::is_uuid;
use super::key::KeyEntry;
use super::store::Store;

/// One parsed policy: who the handle acts as, and the statements per action.
#[derive(Debug)]
pub struct Policy {
    principal: Option<Arc<str>>,
    /// For each action (indexed as in [`Action::ALL`]), the statements that mention it.
    by_action: Vec<Rules>,
}

/// The effects a resource has on one action: bits of [`DENY`] and [`ALLOW`].
const DENY: u8 = 1;
const ALLOW: u8 = 2;

/// The resources of every statement that mentions one action, by kind: exact key ids and
/// aliases are looked up, only patterns with wildcards are tried one by one.
#[derive(Debug, Default)]
struct Rules {
    /// The effects given to the resource `*` (every call).
    any: u8,
    /// The effects given to exact `key/<id>` resources, by id.
    keys: HashMap<Box<str>, u8>,
    /// The effects given to exact `alias/<name>` resources, by alias.
    aliases: HashMap<Box<str>, u8>,
    /// Patterns with wildcards and the effect each gives.
    globs: Vec<(u8, Resource)>,
}

impl Rules {
    fn add(&mut self, effect: u8, resource: &Resource) {
        match resource {
            Resource::Any => self.any |= effect,
            Resource::Key(g) if !g.wild => {
                *self.keys.entry(g.parts[0].as_str().into()).or_default() |= effect
            }
            Resource::Alias(g) if !g.wild => {
                *self.aliases.entry(g.parts[0].as_str().into()).or_default() |= effect
            }
            other => self.globs.push((effect, other.clone())),
        }
    }

    /// The effects the statements give a call on `key` (or on no key).
    fn effects(&self, key: Option<&KeyEntry>) -> u8 {
        let Some(entry) = key else {
            return self.any;
        };
        let mut effects = self.any;
        if let Some(e) = self.keys.get(&*entry.record.id) {
            effects |= e;
        }
        for alias in &entry.aliases {
            if let Some(e) = self.aliases.get(alias.as_str()) {
                effects |= e;
            }
        }
        for (effect, resource) in &self.globs {
            if effects & effect == 0 && resource.matches(key) {
                effects |= effect;
            }
        }
        effects
    }
}

/// A compiled resource pattern.
#[derive(Debug, Clone)]
enum Resource {
    /// `*`: every key, and the calls that name no key.
    Any,
    /// `key/<pattern>`, matched against a key id.
    Key(Glob),
    /// `alias/<pattern>` (kept whole), matched against each alias naming the key.
    Alias(Glob),
}

/// The rights of a restricted handle: who it acts as and every policy on its chain (each must
/// allow a call).
#[derive(Debug)]
pub struct Access {
    /// Unique among all handles ever made (the allow cache's key).
    id: u64,
    pub(crate) principal: Arc<str>,
    policies: Vec<Arc<Policy>>,
}

static NEXT_ACCESS_ID: AtomicU64 = AtomicU64::new(1);

/// One remembered allowed call: handle, action, key (by the address of its id) and the store's
/// change count when it was decided.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Allowed {
    access: u64,
    key: usize,
    changes: u64,
    action: usize,
}

const CACHE_SLOTS: usize = 64;

thread_local! {
    static ALLOWED: [Cell<Allowed>; CACHE_SLOTS] = const {
        [const { Cell::new(Allowed { access: 0, key: 0, changes: 0, action: 0 }) }; CACHE_SLOTS]
    };
}

impl Access {
    /// The rights of a handle restricted by `policy` from a handle with rights `parent`
    /// (`None`: the unrestricted handle). The principal is the policy's, which the unrestricted
    /// handle's restrict must give (else `InvalidArgument`); under a restricted parent it is
    /// `<parent's>/<policy's>`, or the parent's if the policy names none.
    pub(crate) fn narrow(parent: Option<&Access>, policy: Policy) -> Result<Access> {
        let principal = match (parent, &policy.principal) {
            (None, Some(own)) => own.clone(),
            (None, None) => {
                return Err(invalid(
                    "policy field `Principal` is missing or empty: a policy given to the \
                     unrestricted handle must name a non-empty principal",
                ))
            }
            (Some(parent), Some(own)) => format!("{}/{own}", parent.principal).into(),
            (Some(parent), None) => parent.principal.clone(),
        };
        let mut policies = parent.map(|p| p.policies.clone()).unwrap_or_default();
        policies.push(Arc::new(policy));
        Ok(Access {
            id: NEXT_ACCESS_ID.fetch_add(1, Ordering::Relaxed),
            principal,
            policies,
        })
    }

    /// Checks every policy on the chain allows `call` on `key` (or on no key). `changes` is the
    /// store's change count, read under the same lock as `key`.
    pub(crate) fn check(
        &self,
        call: &Call<'_>,
        key: Option<&KeyEntry>,
        changes: u64,
    ) -> Result<()> {
        let action = call.action as usize;
        let Some(entry) = key else {
            return self.decide(call, None);
        };
        let this = Allowed {
            access: self.id,
            key: Arc::as_ptr(&entry.record.id).cast::<u8>() as usize,
            changes,
            action,
        };
        let slot =
            (this.key >> 4 ^ this.access as usize ^ action.wrapping_mul(0x9e37)) % CACHE_SLOTS;
        if ALLOWED.with(|cache| cache[slot].get() == this) {
            return Ok(());
        }
        self.decide(call, key)?;
        ALLOWED.with(|cache| cache[slot].set(this));
        Ok(())
    }

    /// Asks every policy on the chain.
    fn decide(&self, call: &Call<'_>, key: Option<&KeyEntry>) -> Result<()> {
        for policy in &self.policies {
            let effects = policy.by_action[call.action as usize].effects(key);
            if effects & DENY != 0 {
                return Err(self.denied(call, key, "an explicit Deny"));
            }
            if effects & ALLOW == 0 {
                return Err(self.denied(call, key, "no Allow statement"));
            }
        }
        Ok(())
    }

    fn denied(&self, call: &Call<'_>, key: Option<&KeyEntry>, why: &str) -> Error {
        let resource = match (key, call.alias) {
            (Some(entry), Some(alias)) => format!("key/{} ({alias})", entry.record.id),
            (Some(entry), None) => format!("key/{}", entry.record.id),
            (None, _) => "*".to_string(),
        };
        Error::AccessDenied(format!(
            "kms:{} on {resource} is denied to principal {:?} by {why} in the handle's policy",
            call.action.name(),
            self.principal
        ))
    }
}

impl Resource {
    fn matches(&self, key: Option<&KeyEntry>) -> bool {
        let Some(entry) = key else {
            return matches!(self, Resource::Any);
        };
        match self {
            Resource::Any => true,
            Resource::Key(glob) => glob.matches(&entry.record.id),
            Resource::Alias(glob) => entry.aliases.iter().any(|a| glob.matches(a)),
        }
    }
}

impl Policy {
    /// Parses a policy document; an error names the bad field.
    pub fn parse(json: &str) -> Result<Policy> {
        let value: Value =
            serde_json::from_str(json).map_err(|e| invalid(format!("policy is not JSON: {e}")))?;
        let Value::Object(doc) = value else {
            return Err(invalid("policy must be a JSON object"));
        };
        check_fields(&doc, "policy", &["Version", "Principal", "Statement"])?;
        // An empty Principal names none (see `Access::narrow`).
        let principal = match doc.get("Principal") {
            None | Some(Value::Null) => None,
            Some(Value::String(p)) if p.is_empty() => None,
            Some(Value::String(p)) => Some(Arc::from(p.as_str())),
            Some(_) => return Err(invalid("policy field `Principal` must be a string")),
        };
        let statements = match doc.get("Statement") {
            Some(Value::Array(s)) => s,
            Some(Value::Object(_)) => std::slice::from_ref(&doc["Statement"]),
            Some(_) => {
                return Err(invalid(
                    "policy field `Statement` must be a list of statements",
                ))
            }
            None => return Err(invalid("policy has no `Statement` field")),
        };
        let mut by_action: Vec<Rules> = Action::ALL.iter().map(|_| Rules::default()).collect();
        for (i, statement) in statements.iter().enumerate() {
            let at = format!("Statement[{i}]");
            let Value::Object(statement) = statement else {
                return Err(invalid(format!("policy field `{at}` must be an object")));
            };
            check_fields(statement, &at, &["Sid", "Effect", "Action", "Resource"])?;
            let deny = match statement.get("Effect") {
                Some(Value::String(e)) if e == "Allow" => false,
                Some(Value::String(e)) if e == "Deny" => true,
                Some(_) => {
                    return Err(invalid(format!(
                        "policy field `{at}.Effect` must be \"Allow\" or \"Deny\""
                    )))
                }
                None => return Err(invalid(format!("policy field `{at}.Effect` is missing"))),
            };
            let actions = strings(statement, &at, "Action")?;
            let mut mask = 0u32;
            for (j, action) in actions.iter().enumerate() {
                mask |= action_mask(action)
                    .map_err(|why| invalid(format!("policy field `{at}.Action[{j}]`: {why}")))?;
            }
            let resources: Vec<Resource> = strings(statement, &at, "Resource")?
                .iter()
                .enumerate()
                .map(|(j, r)| {
                    Resource::parse(r)
                        .map_err(|why| invalid(format!("policy field `{at}.Resource[{j}]`: {why}")))
                })
                .collect::<Result<_>>()?;
            for (k, rules) in by_action.iter_mut().enumerate() {
                if mask & (1 << k) != 0 {
                    for resource in &resources {
                        rules.add(if deny { DENY } else { ALLOW }, resource);
                    }
                }
            }
        }
        Ok(Policy {
            principal,
            by_action,
        })
    }
}

impl Resource {
    /// Parses a resource: exactly `*`, `key/<pattern>` or `alias/<pattern>`, where the pattern
    /// could match a key id (lowercase UUID characters; an exact one is a whole UUID) or an
    /// alias (the alias characters; an exact one is a valid alias). Anything else is refused
    /// rather than kept as a pattern that matches nothing.
    fn parse(pattern: &str) -> std::result::Result<Resource, String> {
        if pattern == "*" {
            return Ok(Resource::Any);
        }
        if let Some(id) = pattern.strip_prefix("key/") {
            // Key ids are lowercase: `key/<UPPERCASE-UUID>` names the same key.
            let id = id.to_ascii_lowercase();
            if let Some(c) = id
                .chars()
                .find(|&c| !(c.is_ascii_hexdigit() || c == '-' || c == '*'))
            {
                return Err(format!(
                    "resource {pattern:?} has the character {c:?}, which no key id has (a key \
                     id is a UUID: hexadecimal digits and '-'; '*' matches any run)"
                ));
            }
            if !id.contains('*') && !is_uuid(&id) {
                return Err(format!(
                    "resource {pattern:?} names no key: a key id is a UUID such as \
                     \"key/1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b\" (or use '*' in a pattern)"
                ));
            }
            return Ok(Resource::Key(Glob::new(&id)));
        }
        if let Some(name) = pattern.strip_prefix(ALIAS_PREFIX) {
            if name.contains('*') {
                if let Some(c) = name
                    .chars()
                    .find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '/' | '-' | '*')))
                {
                    return Err(format!(
                        "resource {pattern:?} has the character {c:?}, which no alias has \
                         (only [a-zA-Z0-9_/-]; '*' matches any run)"
                    ));
                }
            } else {
                alias::validate(pattern).map_err(|e| format!("resource: {}", e.message()))?;
            }
            return Ok(Resource::Alias(Glob::new(pattern)));
        }
        Err(format!(
            "resource {pattern:?} must be exactly \"*\", \"key/<pattern>\" or \
             \"alias/<pattern>\" (lowercase prefix, no spaces, no ARN)"
        ))
    }
}

/// The actions (as a bit set over [`Action::ALL`]) an action pattern names.
fn action_mask(pattern: &str) -> std::result::Result<u32, String> {
    let lower = pattern.to_ascii_lowercase();
    let name = if lower == "*" {
        "*"
    } else if let Some(name) = lower.strip_prefix("kms:") {
        name
    } else {
        return Err(format!(
            "action {pattern:?} must be \"kms:<operation>\" or \"*\""
        ));
    };
    let glob = Glob::new(name);
    let mut mask = 0u32;
    for (k, action) in Action::ALL.iter().enumerate() {
        if glob.matches(&action.name().to_ascii_lowercase()) {
            mask |= 1 << k;
        }
    }
    if mask == 0 && !name.contains('*') {
        return Err(format!("unknown action {pattern:?}"));
    }
    Ok(mask)
}

/// Rejects fields other than `known` in `object` (so that a misspelt field is not ignored).
fn check_fields(object: &Map<String, Value>, at: &str, known: &[&str]) -> Result<()> {
    match object.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(invalid(format!(
            "policy field `{at}` has an unknown field {k:?} (expected one of {})",
            known.join(", ")
        ))),
        None => Ok(()),
    }
}

/// A string or non-empty list of strings field of a statement.
fn strings<'v>(statement: &'v Map<String, Value>, at: &str, field: &str) -> Result<Vec<&'v str>> {
    let bad = || {
        invalid(format!(
            "policy field `{at}.{field}` must be a string or a non-empty list of strings"
        ))
    };
    match statement.get(field) {
        None => Err(invalid(format!("policy field `{at}.{field}` is missing"))),
        Some(Value::String(s)) => Ok(vec![s.as_str()]),
        Some(Value::Array(items)) if !items.is_empty() => {
            items.iter().map(|v| v.as_str().ok_or_else(bad)).collect()
        }
        Some(_) => Err(bad()),
    }
}

/// A pattern where `*` matches any run of characters (also none, also `/`).
#[derive(Debug, Clone)]
struct Glob {
    /// The literal pieces between the stars.
    parts: Vec<String>,
    /// Whether the pattern has a star at all (if not, `parts` is the one literal).
    wild: bool,
}

impl Glob {
    fn new(pattern: &str) -> Glob {
        Glob {
            parts: pattern.split('*').map(str::to_string).collect(),
            wild: pattern.contains('*'),
        }
    }

    fn matches(&self, text: &str) -> bool {
        if !self.wild {
            return self.parts[0] == text;
        }
        let (first, rest) = self.parts.split_first().expect("split yields a part");
        let (last, middle) = rest.split_last().expect("a wild pattern has two parts");
        let Some(mut text) = text.strip_prefix(first.as_str()) else {
            return false;
        };
        for part in middle {
            match text.find(part.as_str()) {
                Some(at) => text = &text[at + part.len()..],
                None => return false,
            }
        }
        text.len() >= last.len() && text.ends_with(last.as_str())
    }
}

impl Store {
    /// Restrict: a new handle on the same keys that may do only what `policy_json` allows and
    /// what this handle allows (restricting a restricted handle narrows it further). Itself the
    /// action `kms:Restrict`, which matches only the resource `*`.
    ///
    /// The new handle's principal is the policy's `Principal`, which a policy given to the
    /// unrestricted handle must name (non-empty); restricting a restricted handle gives
    /// `<its principal>/<the policy's>`, or its own principal if the policy names none.
    ///
    /// Errors: `InvalidArgument` for an invalid policy (the message names the bad field; also
    /// no `Principal` from the unrestricted handle), `AccessDenied` if this handle's policy does
    /// not allow `kms:Restrict`.
    pub fn restrict(&self, policy_json: &str) -> Result<Store> {
        self.run(Call::new(Action::Restrict), |call| {
            let policy = Policy::parse(policy_json)?;
            let access = Access::narrow(self.access.as_deref(), policy)?;
            self.authorize(call, None)?;
            Ok(Store {
                shared: self.shared.clone(),
                access: Some(Arc::new(access)),
            })
        })
    }

    /// The principal this handle acts as (`""` for the unrestricted handle).
    pub fn principal(&self) -> &str {
        self.access.as_ref().map_or("", |a| &a.principal)
    }

    /// Whether this handle is restricted by a policy.
    pub fn is_restricted(&self) -> bool {
        self.access.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        let g = |p: &str, t: &str| Glob::new(p).matches(t);
        assert!(g("abc", "abc"));
        assert!(!g("abc", "abcd"));
        assert!(g("*", ""));
        assert!(g("a*", "abc"));
        assert!(g("*c", "abc"));
        assert!(g("a*c", "ac"));
        assert!(!g("ab*bc", "abc"));
        assert!(g("a*b*c", "aXbYc"));
        assert!(!g("a*b*c", "aXcYb"));
        assert!(g("alias/billing-*", "alias/billing-eu/1"));
    }

    #[test]
    fn action_patterns() {
        assert_eq!(
            action_mask("*").unwrap().count_ones(),
            Action::ALL.len() as u32
        );
        assert_eq!(
            action_mask("kms:*").unwrap().count_ones(),
            Action::ALL.len() as u32
        );
        assert_eq!(
            action_mask("kms:Get*").unwrap(),
            1 << Action::GetPublicKey as u32
        );
        assert_eq!(
            action_mask("kms:asymmetricsign").unwrap(),
            1 << Action::AsymmetricSign as u32
        );
        assert_eq!(action_mask("kms:Asymmetric*").unwrap().count_ones(), 4);
        assert!(action_mask("kms:Sign")
            .unwrap_err()
            .contains("unknown action"));
        assert!(action_mask("AsymmetricSign").is_err());
    }

    #[test]
    fn errors_name_the_field() {
        let err = |json: &str| Policy::parse(json).unwrap_err().message().to_string();
        assert!(err("[]").contains("object"));
        assert!(err("{").contains("not JSON"));
        assert!(err(r#"{"Statement": 1}"#).contains("`Statement`"));
        assert!(err(r#"{"Principal": 1, "Statement": []}"#).contains("`Principal`"));
        assert!(err(r#"{"Statements": []}"#).contains("\"Statements\""));
        let e = err(
            r#"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"},
                              {"Effect": "Permit", "Action": "*", "Resource": "*"}]}"#,
        );
        assert!(e.contains("`Statement[1].Effect`"), "{e}");
        let e =
            err(r#"{"Statement": [{"Effect": "Allow", "Action": ["kms:Nope"], "Resource": "*"}]}"#);
        assert!(e.contains("`Statement[0].Action[0]`"), "{e}");
        let e = err(
            r#"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": ["*", "keys/x"]}]}"#,
        );
        assert!(e.contains("`Statement[0].Resource[1]`"), "{e}");
        let e = err(r#"{"Statement": [{"Effect": "Allow", "Action": "*"}]}"#);
        assert!(e.contains("`Statement[0].Resource` is missing"), "{e}");
        let e = err(r#"{"Statement": [{"Effect": "Allow", "Action": [], "Resource": "*"}]}"#);
        assert!(e.contains("`Statement[0].Action`"), "{e}");
    }
}
