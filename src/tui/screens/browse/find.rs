//! Narrowing and searching the list: the filter typed at `f`, the search typed at `/` and
//! repeated with `n` and `N`. Their text conditions are answered from kept answers, worked out
//! at once or, over many payloads, in the background (see `components::jobs`).

use crate::index::Unit;
use crate::present::escape_plain;
use crate::query::{Filter, Hits, filter};

use super::jobs::{Purpose, Start};
use super::{App, Pane, Prompt, Row};

impl App {
    /// Applies the filter typed at `f` (none when empty); a bad one goes back to the prompt
    /// with what is wrong. Over many payloads its text conditions are answered in the
    /// background first.
    pub(crate) fn apply_filter(&mut self, text: String) {
        let text = text.trim().to_owned();
        // A filter still being worked out in the background gives way to the one typed now.
        self.jobs.stop_filter();
        if text.is_empty() {
            self.filter = None;
            self.filter_text.clear();
            self.rebuild();
            return;
        }
        let f = match Filter::parse(&text) {
            Ok(f) => f,
            Err(e) => {
                self.message = Some(format!("bad filter, {e} (? for help)"));
                // Keep the text so the user can mend it.
                self.prompt = Some((Prompt::Filter, text));
                return;
            }
        };
        if f.needs_data() {
            let hits = Hits::reuse(self.jobs.filter_hits.take(), f.patterns());
            let missing = hits.missing(&self.store, self.mode);
            let start =
                self.jobs
                    .start(&self.store, self.mode, &hits, missing, || Purpose::Filter {
                        filter: f.clone(),
                        text: text.clone(),
                    });
            self.jobs.filter_hits = Some(hits);
            match start {
                // Answered once the filter applies.
                Some(Start::Now(_)) => {}
                // At work in the background; the filter applies when it is done.
                Some(Start::Later(label)) => {
                    self.message = Some(label);
                    return;
                }
                None => return,
            }
        }
        self.set_filter(f, text);
    }

    /// Applies a filter whose text conditions are answered.
    pub(crate) fn set_filter(&mut self, f: Filter, text: String) {
        self.filter = Some(f);
        self.filter_text = text;
        self.rebuild();
        if self.rows.is_empty() {
            self.message = Some(format!("filter {} matches nothing", self.filter_text));
        }
    }

    /// Moves to the next (or previous) row whose payload holds the search text, and says which
    /// of how many matching rows it is. Payloads not yet searched for this text are searched
    /// first: at once when they are few, else in the background (see [`App::poll_job`]).
    pub(crate) fn find(&mut self, forward: bool) {
        if self.search.is_empty() {
            self.message = Some("search with / first".into());
            return;
        }
        if self.jobs.turn_search(&self.search, self.mode, forward) {
            // Still searching: the answer will go this way.
            return;
        }
        let Some(needle) = filter::needle(&self.search) else {
            self.message = Some("text too long to search for".into());
            return;
        };
        let mut hits = Hits::reuse(self.jobs.search_hits.take(), &[needle]);
        let missing = hits.missing(&self.store, self.mode);
        let text = self.search.clone();
        let purpose = || Purpose::Search { text, forward };
        match self
            .jobs
            .start(&self.store, self.mode, &hits, missing, purpose)
        {
            Some(Start::Now(now)) => {
                hits.fill(&self.store, self.mode, now);
                self.message = Some(self.step_to_hit(&hits, forward));
            }
            Some(Start::Later(label)) => self.message = Some(label),
            None => {}
        }
        self.jobs.search_hits = Some(hits);
    }

    /// Selects the next (or previous) row among `hits`; what to tell the user.
    pub(crate) fn step_to_hit(&mut self, hits: &Hits, forward: bool) -> String {
        let hit = |row: Row| match row {
            Row::Frame(i) => hits.of(Unit::Frames).get(i as usize) > Some(&0),
            Row::Message(i) => hits.of(Unit::Messages).get(i as usize) > Some(&0),
            Row::Gap(_) => false,
        };
        let n = self.rows.len();
        let next = (1..=n)
            .map(|k| {
                if forward {
                    (self.sel + k) % n
                } else {
                    (self.sel + n * 2 - k) % n
                }
            })
            .find(|i| hit(self.rows[*i]));
        let mut shown = String::new();
        escape_plain(self.search.as_bytes(), 40, &mut shown);
        let Some(i) = next else {
            return format!("no payload holds \"{shown}\"");
        };
        let wrapped = if forward {
            i <= self.sel
        } else {
            i >= self.sel
        };
        let rank = self.rows[..=i].iter().filter(|r| hit(**r)).count();
        let total = rank + self.rows[i + 1..].iter().filter(|r| hit(**r)).count();
        self.focus = Pane::List;
        self.set_sel(i);
        format!(
            "\"{shown}\": match {rank} of {total}{}",
            if wrapped {
                ", search wrapped around the list"
            } else {
                ""
            }
        )
    }
}
