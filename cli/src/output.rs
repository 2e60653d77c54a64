//! What `zkreg` shows: one line of JSON (`--json`) or text for people on
//! standard output, and a spinner on standard error during long work.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::Value;

/// Prints `json` as one line if `as_json`, else the text `text` makes.
pub fn print(as_json: bool, json: Value, text: impl FnOnce() -> String) {
    if as_json {
        println!("{json}");
    } else {
        println!("{}", text());
    }
}

/// Runs `work` under a spinner with the elapsed time on stderr. The spinner
/// is hidden when stderr is not a terminal, or when `quiet` (`--json`).
pub fn with_spinner<T>(message: &str, quiet: bool, work: impl FnOnce() -> T) -> T {
    let target = if quiet { ProgressDrawTarget::hidden() } else { ProgressDrawTarget::stderr() };
    let spinner = ProgressBar::with_draw_target(None, target);
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
        spinner.set_style(style);
    }
    spinner.set_message(message.to_owned());
    spinner.enable_steady_tick(Duration::from_millis(100));
    let out = work();
    spinner.finish_and_clear();
    out
}
