//! Lays out the release binary's code in the order of `link/symbols.txt` (written by
//! `link/order`): the functions a server runs sit together at the front of the code, so an idle
//! server keeps about 4 MB of it resident instead of 15-17 MB (bench/NOTES.md, "Idle memory: the
//! code laid out by use"). Names the file lacks, or that the build no longer has, keep the
//! compiler's order, so a stale list costs memory, never correctness.
//!
//! Only where rustc links with its own lld, which reads the file: release builds for x86_64 Linux
//! from Rust 1.90 on, unless the build picks its own linker through RUSTFLAGS.

use std::env;
use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=link/symbols.txt");
    let order =
        Path::new(&env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR")).join("link/symbols.txt");
    if env::var("PROFILE").as_deref() == Ok("release") && links_with_lld() && order.exists() {
        println!("cargo:rustc-link-arg-bin=wilkan=-Wl,--symbol-ordering-file={}", order.display());
        println!("cargo:rustc-link-arg-bin=wilkan=-Wl,--no-warn-symbol-ordering");
    }
}

/// rustc links with lld by default on x86_64 Linux since 1.90; flags that name a linker or
/// linker features may have changed that.
fn links_with_lld() -> bool {
    let own_linker = env::var("CARGO_ENCODED_RUSTFLAGS").is_ok_and(|flags| flags.contains("linker"));
    env::var("TARGET").as_deref() == Ok("x86_64-unknown-linux-gnu") && !own_linker && rustc_minor() >= Some(90)
}

fn rustc_minor() -> Option<u32> {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = Command::new(rustc).arg("-vV").output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let release = text.lines().find_map(|line| line.strip_prefix("release: "))?;
    release.split('.').nth(1)?.parse().ok()
}
