//! Work on payloads that may take long: the answers kept for the search and for the filter's
//! text conditions, and the one job that works some of them out in the background while the
//! screen keeps answering keys.

use crate::index::{Store, Unit};
use crate::present::escape_plain;
use crate::query::{Failed, Filter, Hits, Matched, Missing, Pending};

/// Payloads being searched in the background, and what for.
struct Job {
    /// What the status bar says meanwhile.
    label: String,
    purpose: Purpose,
    pending: Pending,
}

/// What a job in the background is for.
pub(crate) enum Purpose {
    /// Move to the next (or previous) match.
    Search { text: String, forward: bool },
    /// Apply the filter.
    Filter { filter: Filter, text: String },
}

impl Purpose {
    fn name(&self) -> &'static str {
        match self {
            Purpose::Search { .. } => "search",
            Purpose::Filter { .. } => "filter",
        }
    }
}

/// What a job that ended brings.
pub(crate) enum Done {
    /// Its purpose, its answers kept, for frames or messages.
    Answered(Purpose, Unit),
    /// It failed; what it was (`search`, `filter`).
    Failed(&'static str),
}

/// Whether work is done at once or went to the background.
pub(crate) enum Start {
    /// Little work: do it here.
    Now(Missing),
    /// At work in the background: what the status bar says meanwhile.
    Later(String),
}

pub(crate) struct Jobs {
    /// Where the search text was found, kept while the search text stays the same.
    pub(crate) search_hits: Option<Hits>,
    /// Where the filter's text conditions hold, kept while they stay the same.
    pub(crate) filter_hits: Option<Hits>,
    job: Option<Job>,
    /// A search or filter that is at least this much work (see [`Missing::work`]) runs in the
    /// background: about 50 ms of it on two cores.
    pub(crate) background_from: u64,
}

impl Default for Jobs {
    fn default() -> Jobs {
        Jobs {
            search_hits: None,
            filter_hits: None,
            job: None,
            background_from: 512 << 20,
        }
    }
}

impl Jobs {
    /// Whether a search or filter is at work in the background.
    pub(crate) fn busy(&self) -> bool {
        self.job.is_some()
    }

    /// What the status bar says while a job is at work.
    pub(crate) fn label(&self) -> Option<String> {
        self.job.as_ref().map(|j| j.label.clone())
    }

    /// Stops the job at work; what it was.
    pub(crate) fn stop(&mut self) -> Option<&'static str> {
        self.job.take().map(|j| j.purpose.name())
    }

    /// Stops a filter still being worked out: one typed now takes its place.
    pub(crate) fn stop_filter(&mut self) {
        if matches!(&self.job, Some(j) if matches!(j.purpose, Purpose::Filter { .. })) {
            self.job = None;
        }
    }

    /// Sends the answer of a search at work for `text` over `unit` the other way, if one is at
    /// work; whether there was one.
    pub(crate) fn turn_search(&mut self, text: &str, unit: Unit, forward: bool) -> bool {
        if let Some(Job {
            purpose:
                Purpose::Search {
                    text: at_work,
                    forward: way,
                },
            pending,
            ..
        }) = self.job.as_mut()
            && at_work == text
            && pending.unit() == unit
        {
            *way = forward;
            return true;
        }
        false
    }

    /// The filter's text conditions answered for every frame (or message) of `unit`, if they
    /// are kept for its patterns.
    pub(crate) fn filter_answers(&self, filter: &Filter, unit: Unit) -> Option<&[Matched]> {
        self.filter_hits
            .as_ref()
            .filter(|h| h.key() == Hits::key_of(filter.patterns()))
            .map(|h| h.of(unit))
    }

    /// Makes sure the filter's text conditions are answered for every frame (or message),
    /// reading the payloads not seen yet.
    pub(crate) fn fill_filter(&mut self, store: &Store, filter: &Filter, unit: Unit) {
        if !filter.needs_data() {
            return;
        }
        let mut hits = Hits::reuse(self.filter_hits.take(), filter.patterns());
        let missing = hits.missing(store, unit);
        hits.fill(store, unit, missing);
        self.filter_hits = Some(hits);
    }

    /// Starts working out `missing` in the background when it is a lot of payload bytes, and
    /// gives it back otherwise, to be worked out at once. Only one such job runs: a new one
    /// replaces the one before.
    pub(crate) fn start(
        &mut self,
        store: &Store,
        unit: Unit,
        hits: &Hits,
        missing: Missing,
        purpose: impl FnOnce() -> Purpose,
    ) -> Option<Start> {
        if missing.work() < self.background_from.max(1) {
            return Some(Start::Now(missing));
        }
        let mb = missing.bytes.div_ceil(1_000_000);
        // Without a thread to be had, the work is done here instead.
        let pending = hits.start(store, unit, missing)?;
        let purpose = purpose();
        let mut label = match &purpose {
            Purpose::Search { text, .. } => {
                let mut shown = String::new();
                escape_plain(text.as_bytes(), 40, &mut shown);
                format!("searching {mb} MB of payloads for \"{shown}\" (Esc stops)")
            }
            Purpose::Filter { .. } => format!("filtering {mb} MB of payloads (Esc stops)"),
        };
        if let Some(old) = self.job.take()
            && old.purpose.name() != purpose.name()
        {
            label.push_str(&format!("; the {} before is stopped", old.purpose.name()));
        }
        self.job = Some(Job {
            label: label.clone(),
            purpose,
            pending,
        });
        Some(Start::Later(label))
    }

    /// Takes the answer of the job in the background, if it has come; `None` while it is at
    /// work, or when there is none.
    pub(crate) fn poll(&mut self) -> Option<Done> {
        let job = self.job.as_ref()?;
        let hits = match job.purpose {
            Purpose::Search { .. } => self.search_hits.as_mut(),
            Purpose::Filter { .. } => self.filter_hits.as_mut(),
        };
        match hits.map(|h| h.take(&job.pending)) {
            Some(Ok(false)) => None,
            Some(Ok(true)) => {
                let job = self.job.take()?;
                Some(Done::Answered(job.purpose, job.pending.unit()))
            }
            Some(Err(Failed)) | None => {
                let job = self.job.take()?;
                Some(Done::Failed(job.purpose.name()))
            }
        }
    }
}
