//! Runs one invocation: a source (file or interface) through the pipeline into a sink.

use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use crate::capture::{self, LiveOptions, Source};
use crate::cli::Args;
use crate::model::Event;
use crate::output::{Sink, json::Json, text::Text};
use crate::pipeline::{Consumer, Options, Pipeline, Stats, drive};
use crate::query::{self, Filter};
use crate::vocab::Timestamp;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Capture(#[from] capture::Error),
    #[error("cannot write output: {0}")]
    Output(io::Error),
    #[error(
        "nothing to read: give a capture file (wsinspect FILE) or an interface (wsinspect -i lo); see wsinspect --help"
    )]
    NoSource,
    #[error("{0} works with live capture only: add -i IFACE (to filter a file, use -p or -f)")]
    LiveOnly(&'static str),
    #[error(transparent)]
    Tui(#[from] crate::tui::Error),
    #[error(
        "{0} holds no WebSocket handshake to teach with: record one with tcpdump -i lo -w FILE 'tcp port 8765' before the client connects"
    )]
    NothingToTeach(String),
    #[error("{0}; give the key log the TLS client wrote (--keylog FILE)")]
    KeyLog(#[from] crate::tls::keylog::Error),
    #[error("bad filter '{text}' {error}; see the filter table in README")]
    BadFilter {
        text: String,
        error: query::filter::Error,
    },
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Capture(e) => e.exit_code(),
            Error::Output(_) | Error::NothingToTeach(_) | Error::KeyLog(_) => 1,
            Error::NoSource | Error::LiveOnly(_) | Error::BadFilter { .. } => 2,
            Error::Tui(e) => e.exit_code(),
        }
    }
}

enum Output<W: Write> {
    Text(Text<W>),
    Json(Json<W>),
}

impl<W: Write> Output<W> {
    fn sink(&mut self) -> &mut dyn Sink {
        match self {
            Output::Text(t) => t,
            Output::Json(j) => j,
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Text(t) => t.flush(),
            Output::Json(j) => j.flush(),
        }
    }
}

/// Counts frames for `-c` and writes events, those `-Y` keeps if given.
struct Driver<W: Write> {
    out: Output<W>,
    frames: u64,
    limit: Option<u64>,
    display: Option<query::Stream>,
    /// What `display` handed on, each with whether to write it.
    passed: Vec<(Event, bool)>,
}

impl<W: Write> Driver<W> {
    /// Writes an event; false, writing nothing, for a frame past `-c N`.
    fn write(&mut self, ev: &Event) -> Result<bool, Error> {
        if let Event::Frame(_) = ev {
            if self.limit.is_some_and(|l| self.frames >= l) {
                return Ok(false);
            }
            self.frames += 1;
        }
        self.out.sink().event(ev).map_err(Error::Output)?;
        Ok(true)
    }

    /// Writes what the display filter handed on and keeps, and hands every event to `done`;
    /// false once `-c N` frames were written.
    fn write_passed(&mut self, done: &mut impl FnMut(Event)) -> Result<bool, Error> {
        let mut passed = std::mem::take(&mut self.passed);
        for (ev, keep) in passed.drain(..) {
            if keep && !self.write(&ev)? {
                return Ok(false);
            }
            done(ev);
        }
        self.passed = passed;
        Ok(true)
    }

    /// The input ended: writes what the display filter still held back.
    fn finish(&mut self) -> Result<(), Error> {
        let Some(display) = self.display.as_mut() else {
            return Ok(());
        };
        if self.limit.is_some_and(|l| self.frames >= l) {
            return Ok(());
        }
        display.finish(&mut self.passed);
        self.write_passed(&mut drop).map(|_| ())
    }
}

impl<W: Write> Consumer for Driver<W> {
    type Error = Error;

    fn start(&mut self, first: Timestamp) -> Result<(), Error> {
        self.out.sink().first_packet(first);
        Ok(())
    }

    /// Writes the events and hands each back to the pipeline, whose next frames reuse its
    /// buffers; false once `-c N` frames were written.
    fn take(&mut self, events: &mut Vec<Event>, pipeline: &mut Pipeline) -> Result<bool, Error> {
        for ev in events.drain(..) {
            if let Some(display) = self.display.as_mut() {
                display.push(ev, &mut self.passed);
                if !self.write_passed(&mut |ev| pipeline.recycle(ev))? {
                    return Ok(false);
                }
                continue;
            }
            if !self.write(&ev)? {
                return Ok(false);
            }
            pipeline.recycle(ev);
        }
        Ok(self.limit.is_none_or(|l| self.frames < l))
    }
}

pub fn run(args: Args) -> Result<(), Error> {
    if args.list_interfaces {
        for (i, (name, desc)) in capture::interfaces()?.into_iter().enumerate() {
            match desc {
                Some(d) => println!("{}.{name} ({d})", i + 1),
                None => println!("{}.{name}", i + 1),
            }
        }
        return Ok(());
    }
    // Before anything is read: a filter that does not parse is a usage error.
    let display = match &args.display_filter {
        Some(text) => Some(Filter::parse(text).map_err(|error| Error::BadFilter {
            text: text.clone(),
            error,
        })?),
        None => None,
    };
    let input = Input::from_args(&args)?;
    let keylog = key_log(&args, matches!(input, Input::Live(_)))?;
    let options = Options {
        keylog,
        decode_as: args.decode_as.clone(),
        buffer_limit: usize::try_from(u64::from(args.buffer_limit_mib) << 20).unwrap_or(usize::MAX),
        ..Options::default()
    };
    // The terminal UI is for a person at a terminal; anything else gets text, as tshark does.
    let tui = !args.print
        && !args.json
        && args.count.is_none()
        && args.display_filter.is_none()
        && io::stdout().is_terminal();
    if tui {
        return run_tui(input, options, args.teach);
    }
    if args.teach {
        return print_lesson(input, options);
    }
    let stop = Arc::new(AtomicBool::new(false));
    // Set once a live capture is open: a capture blocked waiting for packets must be woken.
    let waker = Arc::new(OnceLock::<capture::Waker>::new());
    {
        let stop = stop.clone();
        let waker = waker.clone();
        // If a handler cannot be installed, Ctrl-C simply ends the process as usual. The
        // handler runs on a thread of its own, not in the signal handler.
        let _ = ctrlc::set_handler(move || {
            stop.store(true, Ordering::SeqCst);
            if let Some(w) = waker.get() {
                w.wake();
            }
        });
    }
    let live = args.interface.is_some();
    let stdout = io::stdout();
    let writer = io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    let out = if args.json {
        Output::Json(Json::new(writer, live))
    } else {
        Output::Text(Text::new(writer, live))
    };
    let mut driver = Driver {
        out,
        frames: 0,
        limit: args.count,
        // NDJSON readers get the connection a kept row belongs to; text, as tshark -Y, only rows.
        display: display.map(|f| query::Stream::new(f, args.json)),
        passed: Vec::new(),
    };
    let result = match input {
        Input::Live(opts) => run_live(&opts, options, &mut driver, &stop, &waker),
        Input::File { path, filter } => {
            let mut file = capture::Prefetched::new(capture::File::open(&path, filter.as_deref())?);
            drive(&mut file, options, &mut driver, &stop).and_then(|ended| {
                driver.finish()?;
                driver.out.flush().map_err(Error::Output)?;
                report(&ended.stats);
                ended.error.map_or(Ok(()), |e| Err(e.into()))
            })
        }
    };
    let flushed = driver.out.flush().map_err(Error::Output);
    result.and(flushed)
}

/// The key logs to decrypt TLS with: `--keylog`, or else the file `SSLKEYLOGFILE` names (said
/// once, so that nobody wonders where the keys came from). A live capture may start before the
/// browser writes its key log: a file not there yet is read once it appears.
fn key_log(args: &Args, live: bool) -> Result<crate::tls::KeyLog, Error> {
    let mut log = crate::tls::KeyLog::new();
    let from_env = args.keylog.is_empty();
    let paths = if from_env {
        match std::env::var_os("SSLKEYLOGFILE").filter(|p| !p.is_empty()) {
            Some(p) => {
                let p = std::path::PathBuf::from(p);
                eprintln!(
                    "note: decrypting TLS with the key log SSLKEYLOGFILE names: {}",
                    p.display()
                );
                vec![p]
            }
            None => Vec::new(),
        }
    } else {
        args.keylog.clone()
    };
    for path in &paths {
        if live || from_env {
            log.follow_when_there(path)?;
        } else {
            log.follow(path)?;
        }
    }
    let (bad, first) = log.bad_lines();
    if bad > 0 {
        eprintln!(
            "warning: {bad} line(s) of the key log are not key log lines and were skipped (the \
             first: \"{}\")",
            first.unwrap_or("")
        );
    }
    Ok(log)
}

/// Where packets come from, as the command line says.
enum Input {
    Live(LiveOptions),
    File {
        path: std::path::PathBuf,
        /// BPF built from -p and -f.
        filter: Option<String>,
    },
}

impl Input {
    fn from_args(args: &Args) -> Result<Input, Error> {
        match (&args.interface, args.file.as_ref().or(args.read.as_ref())) {
            (Some(iface), _) => Ok(Input::Live(LiveOptions {
                iface: iface.clone(),
                ports: args.ports.clone(),
                filter: args.filter.clone(),
                write: args.write.clone(),
                buffer_kib: args.buffer_kib,
            })),
            (None, Some(path)) => {
                if args.write.is_some() {
                    return Err(Error::LiveOnly("-w"));
                }
                if args.buffer_kib.is_some() {
                    return Err(Error::LiveOnly("-B"));
                }
                Ok(Input::File {
                    path: path.clone(),
                    filter: capture::bpf(&args.ports, args.filter.as_deref()),
                })
            }
            (None, None) => Err(Error::NoSource),
        }
    }
}

fn run_tui(input: Input, options: Options, teach: bool) -> Result<(), Error> {
    let source = match input {
        Input::Live(opts) => crate::tui::feed::live(opts, options)?,
        Input::File { path, filter } => crate::tui::feed::file(path, filter, options)?,
    };
    Ok(crate::tui::run(source, teach)?)
}

/// `--teach --print`: the whole walk-through of the capture's first connection, as text.
fn print_lesson(input: Input, options: Options) -> Result<(), Error> {
    let (path, filter) = match input {
        Input::File { path, filter } => (path, filter),
        // The command line keeps --teach to files; a live source has nothing recorded yet.
        Input::Live(opts) => return Err(Error::NothingToTeach(opts.iface)),
    };
    let mut file = capture::Prefetched::new(capture::File::open(&path, filter.as_deref())?);
    let mut store = Keep(crate::index::Store::default());
    let ended = drive(&mut file, options, &mut store, &AtomicBool::new(false))?;
    let mut store = store.0;
    store.first_ts = ended.first;
    let Some(target) = crate::teach::first_target(&store) else {
        return Err(Error::NothingToTeach(path.display().to_string()));
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    crate::teach::print_all(&store, target, &mut out).map_err(Error::Output)?;
    out.flush().map_err(Error::Output)?;
    report(&ended.stats);
    ended.error.map_or(Ok(()), |e| Err(e.into()))
}

/// Keeps every event in the browsing store.
struct Keep(crate::index::Store);

impl Consumer for Keep {
    type Error = Error;

    fn take(&mut self, events: &mut Vec<Event>, _: &mut Pipeline) -> Result<bool, Error> {
        events.drain(..).for_each(|e| self.0.push(e));
        Ok(true)
    }
}

fn run_live<W: Write>(
    opts: &LiveOptions,
    options: Options,
    driver: &mut Driver<W>,
    stop: &AtomicBool,
    waker: &OnceLock<capture::Waker>,
) -> Result<(), Error> {
    let mut live = capture::Live::open(opts)?;
    let _ = waker.set(live.waker());
    eprintln!(
        "wsinspect: capturing on {} with filter '{}', Ctrl-C to stop",
        opts.iface,
        opts.bpf()
    );
    let ended = drive(&mut live, options, driver, stop)?;
    let finished = driver.finish();
    // Whatever stopped the capture, the save file is made whole and the counters are told.
    let flushed = live.flush();
    let s = live.stats();
    eprintln!("{} packets captured", ended.packets);
    eprintln!("{} packets received by filter", s.received);
    eprintln!("{} packets dropped by kernel", s.dropped);
    if s.if_dropped > 0 {
        eprintln!("{} packets dropped by interface", s.if_dropped);
    }
    report(&ended.stats);
    match ended.error {
        Some(e) => Err(e.into()),
        None => {
            finished?;
            Ok(flushed?)
        }
    }
}

/// What the capture held that produced no event, on stderr, so nothing is dropped silently.
fn report(stats: &Stats) {
    for note in stats.notes() {
        eprintln!("note: {note}");
    }
}
