//! A spinner on standard error for long work (the KDF when a store opens, RSA key
//! generation), shown only when standard error is a terminal.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::ProgressBar;

/// Runs `work`, with a spinner saying `message` while it runs if standard error is a terminal.
pub fn spin<T>(message: &'static str, work: impl FnOnce() -> T) -> T {
    if !std::io::stderr().is_terminal() {
        return work();
    }
    // A spinner draws on standard error.
    let bar = ProgressBar::new_spinner();
    bar.set_message(message);
    bar.enable_steady_tick(Duration::from_millis(100));
    let result = work();
    bar.finish_and_clear();
    result
}
