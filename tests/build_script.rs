//! The build script's search for libpcap, on systems other than this one: it must let through
//! every system that has libpcap, whatever folder it is in, and stop only those without it.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

#[allow(dead_code)]
#[path = "../build.rs"]
mod build;

use build::{find_libpcap, multiarch};

/// A pkg-config that knows libpcap under `libdir`, with `-L` flags as given.
fn knows(libdir: &str, flags: &str) -> impl Fn(&[&str]) -> Option<(bool, String)> {
    let (libdir, flags) = (libdir.to_owned(), flags.to_owned());
    move |args| {
        Some(match args {
            ["--exists", "libpcap"] => (true, String::new()),
            ["--libs-only-L", "libpcap"] => (true, format!("{flags}\n")),
            ["--variable=libdir", "libpcap"] => (true, format!("{libdir}\n")),
            _ => (false, String::new()),
        })
    }
}

fn absent(_: &[&str]) -> Option<(bool, String)> {
    None
}

fn only_in(dir: &str) -> impl Fn(&Path) -> bool {
    let dir = PathBuf::from(dir);
    move |d| d == dir
}

#[test]
fn nixos_is_found_through_pkg_config() {
    let lib = "/nix/store/0c5k2aq1x6fvk-libpcap-1.10.5/lib";
    let flags = format!("-L{lib}");
    assert_eq!(
        find_libpcap(knows(lib, &flags), "x86_64-linux-gnu", only_in(lib)),
        Some(PathBuf::from(lib))
    );
}

#[test]
fn a_multiarch_folder_is_found_with_or_without_pkg_config() {
    let dir = "/usr/lib/riscv64-linux-gnu";
    // pkg-config leaves out -L for the system's own folders: its libdir says where.
    assert_eq!(
        find_libpcap(knows(dir, ""), "riscv64-linux-gnu", only_in(dir)),
        Some(PathBuf::from(dir))
    );
    assert_eq!(
        find_libpcap(absent, "riscv64-linux-gnu", only_in(dir)),
        Some(PathBuf::from(dir))
    );
}

#[test]
fn a_libpcap_without_a_pkg_config_file_is_found_in_the_usual_folders() {
    let says_no = |_: &[&str]| Some((false, String::new()));
    assert_eq!(
        find_libpcap(says_no, "x86_64-linux-gnu", only_in("/usr/lib64")),
        Some(PathBuf::from("/usr/lib64"))
    );
}

#[test]
fn no_libpcap_anywhere_is_told() {
    assert_eq!(
        find_libpcap(knows("/opt/pcap/lib", ""), "x86_64-linux-gnu", |_| false),
        None
    );
    assert_eq!(find_libpcap(absent, "x86_64-linux-gnu", |_| false), None);
}

#[test]
fn multiarch_names_follow_debian() {
    assert_eq!(multiarch("x86_64", "gnu", "", "little"), "x86_64-linux-gnu");
    assert_eq!(
        multiarch("aarch64", "gnu", "", "little"),
        "aarch64-linux-gnu"
    );
    assert_eq!(multiarch("x86", "gnu", "", "little"), "i386-linux-gnu");
    assert_eq!(
        multiarch("arm", "gnu", "eabihf", "little"),
        "arm-linux-gnueabihf"
    );
    assert_eq!(
        multiarch("powerpc64", "gnu", "", "little"),
        "powerpc64le-linux-gnu"
    );
    assert_eq!(multiarch("s390x", "gnu", "", "big"), "s390x-linux-gnu");
}
