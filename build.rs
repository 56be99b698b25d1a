//! Generates `include/akms.h` from the C ABI in `src/ffi/` with cbindgen.
//!
//! The header is committed; CI checks that a build leaves it unchanged.

use std::path::PathBuf;

fn main() {
    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    let config =
        cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let header = crate_dir.join("include").join("akms.h");
    // Only the C ABI module is read: the safe core's items never reach the header.
    let mut sources: Vec<PathBuf> = std::fs::read_dir(crate_dir.join("src").join("ffi"))
        .expect("src/ffi")
        .map(|entry| entry.expect("src/ffi entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
        // mod.rs would pull every module in a second time.
        .filter(|path| path.file_name().is_some_and(|name| name != "mod.rs"))
        .collect();
    // The header reads in this order: constants and types, versions and status, stores, keys,
    // cryptography, policies, audit, memory; any other module after them.
    const ORDER: [&str; 11] = [
        "types", "version", "status", "store", "keys", "import", "crypto", "csr", "policy",
        "audit", "memory",
    ];
    let rank = |path: &PathBuf| {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        (
            ORDER.iter().position(|&m| m == stem).unwrap_or(ORDER.len()),
            stem.to_string(),
        )
    };
    sources.sort_by_key(rank);
    let mut builder = cbindgen::Builder::new().with_config(config);
    for source in &sources {
        builder = builder.with_src(source);
    }
    match builder.generate() {
        Ok(bindings) => {
            bindings.write_to_file(&header);
        }
        Err(e) => panic!("cbindgen could not generate include/akms.h: {e}"),
    }
}
