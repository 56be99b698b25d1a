//! Alias names: `alias/` followed by 1–255 of `[a-zA-Z0-9_/-]`, never `alias/acs/...`.

use super::error::{invalid, Result};

/// The prefix every alias starts with.
pub const ALIAS_PREFIX: &str = "alias/";

/// Whether `name` is meant as an alias (starts with `alias/`), valid or not.
pub fn is_alias(name: &str) -> bool {
    name.starts_with(ALIAS_PREFIX)
}

/// Checks an alias name; a malformed one is `InvalidArgument` naming the rule it breaks.
pub fn validate(alias: &str) -> Result<()> {
    let Some(rest) = alias.strip_prefix(ALIAS_PREFIX) else {
        return Err(invalid(format!(
            "alias {alias:?} must start with \"alias/\""
        )));
    };
    if rest.is_empty() || rest.len() > 255 {
        return Err(invalid(format!(
            "alias {alias:?} must have 1 to 255 characters after \"alias/\""
        )));
    }
    if let Some(c) = rest
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '/' | '-')))
    {
        return Err(invalid(format!(
            "alias {alias:?} has the character {c:?}; only [a-zA-Z0-9_/-] are allowed"
        )));
    }
    if rest.starts_with("acs/") {
        return Err(invalid(format!(
            "alias {alias:?} is reserved: \"alias/acs/\" names belong to the cloud service"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_rules() {
        for good in [
            "alias/a",
            "alias/code-signing/prod_1",
            "alias/acsx",
            &format!("alias/{}", "x".repeat(255)),
        ] {
            assert!(validate(good).is_ok(), "{good}");
        }
        for bad in [
            "alias/",
            "alias",
            "key",
            "alias/sp ace",
            "alias/é",
            "alias/acs/x",
            &format!("alias/{}", "x".repeat(256)),
        ] {
            assert!(validate(bad).is_err(), "{bad}");
        }
    }
}
