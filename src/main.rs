use clap::Parser;

fn main() {
    let args = wsinspect::cli::Args::parse();
    match wsinspect::run::run(args) {
        Ok(()) => {}
        Err(wsinspect::run::Error::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => {
            eprintln!("wsinspect: {e}");
            std::process::exit(e.exit_code());
        }
    }
}
