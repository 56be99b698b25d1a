//! Generates `include/akms.h` from the C ABI in `src/ffi/` with cbindgen, and gives the shared
//! library its SONAME.
//!
//! The header is committed; CI checks that a build leaves it unchanged.

use std::path::{Path, PathBuf};

fn main() {
    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    soname(&crate_dir);
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

/// Links `libakms.so` with the SONAME `libakms.so.<ABI>` (ABI = `AKMS_ABI_VERSION` of
/// `src/ffi/version.rs`, what `akms_abi_version()` returns), which `make install` installs it
/// as. Programs linked against it then need `libakms.so.<ABI>` at run time, so a link of that
/// name to `libakms.so` is made beside the library in `target/<profile>/` as well.
///
/// rustc links a cdylib with a version script of its own that exports every `#[no_mangle]`
/// function of the crate *and of its dependencies*, and a second version script cannot be
/// combined with it. `secp256k1-sys` defines four such functions (`rustsecp256k1_v0_*`), so
/// symbols that come from dependency archives are kept local with `--exclude-libs,ALL`: only
/// this crate's own `akms_*` functions are exported (`make test-install` checks with nm).
fn soname(crate_dir: &Path) {
    println!("cargo:rerun-if-changed=src/ffi/version.rs");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("linux") {
        return;
    }
    let version =
        std::fs::read_to_string(crate_dir.join("src/ffi/version.rs")).expect("src/ffi/version.rs");
    let abi: u32 = version
        .lines()
        .find_map(|line| {
            line.trim()
                .strip_prefix("pub const AKMS_ABI_VERSION: u32 = ")?
                .strip_suffix(';')?
                .parse()
                .ok()
        })
        .expect("src/ffi/version.rs defines AKMS_ABI_VERSION");
    let name = format!("libakms.so.{abi}");
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{name}");
    println!("cargo:rustc-cdylib-link-arg=-Wl,--exclude-libs,ALL");
    // OUT_DIR is <target>/[<triple>/]<profile>/build/akms-<hash>/out.
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    if let Some(profile_dir) = out_dir.ancestors().nth(3) {
        let link = profile_dir.join(&name);
        if std::fs::symlink_metadata(&link).is_err() {
            // Best effort: a read-only target directory only loses the convenience link.
            let _ = std::os::unix::fs::symlink("libakms.so", &link);
        }
    }
}
