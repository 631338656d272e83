//! Lays out the release binary's code in the order of `link/symbols.txt` (written by
//! `link/order`): the functions a server runs sit together at the front of the code, so an idle
//! server keeps about 4 MB of it resident instead of 13-17 MB (bench/NOTES.md, "Idle memory: the
//! code laid out by use"). Names the file lacks, or that the build no longer has, keep the
//! compiler's order, so a stale list costs memory, never correctness.
//!
//! Only release builds, and only where the linker takes the list: lld does (rustup's toolchains
//! link with it on x86_64 Linux), GNU ld does not. Rather than guess from the target and the
//! settings (a distribution's rustc, a linker chosen in RUSTFLAGS or in cargo's config), an
//! empty program is linked with the build's own flags and the list first.

use std::env;
use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    // `embed_migrations!` lists the folder when the crate compiles; a new migration changes no
    // source file, so without this a build would keep the binary without it.
    println!("cargo:rerun-if-changed=migrations");
    if env::var("PROFILE").as_deref() != Ok("release") {
        return;
    }
    println!("cargo:rerun-if-changed=link/symbols.txt");
    let dir = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let order = Path::new(&dir).join("link/symbols.txt");
    let flags = [format!("-Wl,--symbol-ordering-file={}", order.display()), "-Wl,--no-warn-symbol-ordering".into()];
    if order.exists() && links_with(&flags) {
        for flag in flags {
            println!("cargo:rustc-link-arg-bin=wilkan={flag}");
        }
    } else {
        println!("cargo:warning=the linker does not take link/symbols.txt: the code keeps the compiler's order");
    }
}

/// Whether rustc, with the build's target, flags and linker, links an empty program with `flags`.
fn links_with(flags: &[String]) -> bool {
    let (Ok(rustc), Ok(target), Ok(out)) = (env::var("RUSTC"), env::var("TARGET"), env::var("OUT_DIR")) else {
        return false;
    };
    let out = Path::new(&out);
    let source = out.join("link_probe.rs");
    if std::fs::write(&source, "fn main() {}\n").is_err() {
        return false;
    }
    let mut probe = Command::new(rustc);
    probe.arg("--target").arg(target).arg("-o").arg(out.join("link_probe")).arg(&source);
    if let Ok(own) = env::var("CARGO_ENCODED_RUSTFLAGS") {
        probe.args(own.split('\x1f').filter(|flag| !flag.is_empty()));
    }
    if let Ok(linker) = env::var("RUSTC_LINKER") {
        probe.arg(format!("-Clinker={linker}"));
    }
    for flag in flags {
        probe.arg(format!("-Clink-arg={flag}"));
    }
    probe.output().is_ok_and(|result| result.status.success())
}
