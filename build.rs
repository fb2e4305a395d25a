//! Fails early, with the command that fixes it, when libpcap's development files are missing:
//! otherwise the linker's "cannot find -lpcap" is all a new user would see.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=LIBPCAP_LIBDIR");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("linux")
        || std::env::var_os("LIBPCAP_LIBDIR").is_some()
    {
        return;
    }
    let dirs = [
        "/usr/lib",
        "/usr/lib64",
        "/usr/local/lib",
        "/usr/lib/x86_64-linux-gnu",
        "/usr/lib/aarch64-linux-gnu",
        "/lib/x86_64-linux-gnu",
        "/lib/aarch64-linux-gnu",
    ];
    let found = dirs.iter().any(|d| {
        std::path::Path::new(d).join("libpcap.so").exists()
            || std::path::Path::new(d).join("libpcap.a").exists()
    });
    if !found {
        eprintln!();
        eprintln!("wsinspect needs libpcap's development files. Install them with:");
        eprintln!("    sudo apt-get install -y libpcap-dev      (Debian, Ubuntu)");
        eprintln!("    sudo dnf install -y libpcap-devel        (Fedora)");
        eprintln!("or set LIBPCAP_LIBDIR to the folder that holds libpcap.so.");
        std::process::exit(1);
    }
}
