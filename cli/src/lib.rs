//! The `akms` command's modules, as a library so that tests and fuzz targets can reach them.
//! The binary is `main.rs`.
//!
//! `cli` holds the arguments only; `commands` runs them on an `akms::Store`; `location` and
//! `passphrase` find and open the store; `input` and `output` read `--in` and write JSON and
//! `--out`; `error` maps failures to exit statuses; `serve/` is `akms serve`.

pub mod cli;
pub mod commands;
pub mod error;
pub mod input;
pub mod location;
pub mod output;
pub mod passphrase;
pub mod progress;
pub mod serve;
