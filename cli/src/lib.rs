//! The `akms` command's modules, as a library so that tests and fuzz targets can reach them.
//! The binary is `main.rs`.

pub mod serve;
