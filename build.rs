//! Fails early, with the command that fixes it, when libpcap's development files are missing:
//! otherwise the linker's "cannot find -lpcap" is all a new user would see.
//!
//! libpcap is looked for where the `pcap` crate will link it from: `LIBPCAP_LIBDIR` if set (then
//! nothing is checked), else the folders pkg-config names for it (multiarch systems, NixOS, a
//! prefix of one's own), else the usual folders, for systems without pkg-config or a libpcap
//! older than 1.9, which came without a pkg-config file.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    for var in [
        "LIBPCAP_LIBDIR",
        "PKG_CONFIG",
        "PKG_CONFIG_PATH",
        "PKG_CONFIG_LIBDIR",
        "PKG_CONFIG_SYSROOT_DIR",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("linux")
        || std::env::var_os("LIBPCAP_LIBDIR").is_some()
    {
        return;
    }
    let cfg = |name| std::env::var(format!("CARGO_CFG_TARGET_{name}")).unwrap_or_default();
    let triple = multiarch(&cfg("ARCH"), &cfg("ENV"), &cfg("ABI"), &cfg("ENDIAN"));
    if find_libpcap(pkg_config, &triple, has_libpcap).is_none() {
        eprintln!();
        eprintln!("wsinspect needs libpcap's development files. Install them with:");
        eprintln!("    sudo apt-get install -y libpcap-dev      (Debian, Ubuntu)");
        eprintln!("    sudo dnf install -y libpcap-devel        (Fedora)");
        eprintln!("or set LIBPCAP_LIBDIR to the folder that holds libpcap.so.");
        std::process::exit(1);
    }
}

/// Runs pkg-config (or what `PKG_CONFIG` names) with `args`: whether it said yes, and what it
/// printed; `None` when there is no pkg-config to run.
pub fn pkg_config(args: &[&str]) -> Option<(bool, String)> {
    let program = std::env::var_os("PKG_CONFIG").unwrap_or_else(|| "pkg-config".into());
    let out = Command::new(program).args(args).output().ok()?;
    Some((
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    ))
}

pub fn has_libpcap(dir: &Path) -> bool {
    dir.join("libpcap.so").exists() || dir.join("libpcap.a").exists()
}

/// The folder that holds libpcap for linking, if any: first those pkg-config gives for it
/// (`-L` flags, then its `libdir`), then the usual folders, with `multiarch`'s (as
/// `x86_64-linux-gnu`) among them.
pub fn find_libpcap(
    pkg_config: impl Fn(&[&str]) -> Option<(bool, String)>,
    multiarch: &str,
    has_libpcap: impl Fn(&Path) -> bool,
) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Some((true, _)) = pkg_config(&["--exists", "libpcap"]) {
        if let Some((true, flags)) = pkg_config(&["--libs-only-L", "libpcap"]) {
            dirs.extend(
                flags
                    .split_whitespace()
                    .filter_map(|f| f.strip_prefix("-L"))
                    .map(PathBuf::from),
            );
        }
        if let Some((true, libdir)) = pkg_config(&["--variable=libdir", "libpcap"]) {
            let libdir = libdir.trim();
            if !libdir.is_empty() {
                dirs.push(libdir.into());
            }
        }
    }
    // Still looked through when pkg-config knows libpcap: a folder it names may hold only the
    // runtime library, and the usual folders cost nothing to look at.
    dirs.extend(["/usr/lib", "/usr/lib64", "/usr/local/lib"].map(PathBuf::from));
    dirs.push(Path::new("/usr/lib").join(multiarch));
    dirs.push(Path::new("/lib").join(multiarch));
    dirs.into_iter().find(|d| has_libpcap(d))
}

/// Debian's name for a target's library folder (`/usr/lib/<name>`), from Cargo's
/// `CARGO_CFG_TARGET_*`: `x86_64-linux-gnu`, `i386-linux-gnu`, `arm-linux-gnueabihf`,
/// `powerpc64le-linux-gnu`.
pub fn multiarch(arch: &str, env: &str, abi: &str, endian: &str) -> String {
    let arch = match (arch, endian) {
        ("x86", _) => "i386",
        ("powerpc64", "little") => "powerpc64le",
        (arch, _) => arch,
    };
    format!("{arch}-linux-{env}{abi}")
}
