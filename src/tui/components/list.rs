//! Which rows the frame/message list shows: frames or messages with the gaps between them, in
//! capture order, of the selected connection, through the filter.

use crate::index::{Store, Unit};
use crate::query::{Filter, Matched, Subject};

use super::super::screens::browse::ConnRow;
use super::row::Row;

/// What narrows the list.
pub(crate) struct Scope<'a> {
    pub(crate) store: &'a Store,
    pub(crate) unit: Unit,
    pub(crate) conns: ConnRow,
    pub(crate) filter: Option<&'a Filter>,
}

impl Scope<'_> {
    /// Whether a row belongs in the list: the unit, the selected connection, the filter.
    pub(crate) fn wants(&self, row: Row) -> bool {
        let kind_ok = matches!(
            (row, self.unit),
            (Row::Gap(_), _) | (Row::Frame(_), Unit::Frames) | (Row::Message(_), Unit::Messages)
        );
        if !kind_ok {
            return false;
        }
        let with_data = self.filter.is_some_and(Filter::needs_data);
        let s = row.subject(self.store, with_data);
        if !self.conns.holds(s.conn) {
            return false;
        }
        self.filter.is_none_or(|f| f.matches(&s))
    }

    /// The list's rows. The filter's text conditions are taken from `answers`, worked out
    /// beforehand for every frame (or message), rather than by reading payloads here.
    pub(crate) fn rows(&self, answers: Option<&[Matched]>) -> Vec<Row> {
        let store = self.store;
        let keep = self.matching(answers);
        let mut rows = Vec::new();
        let mut gaps = (0..store.gaps.len() as u32).peekable();
        match self.unit {
            Unit::Frames => {
                // Frames and gaps in capture order: a gap goes before the first frame that
                // completed after it.
                for f in 0..store.frames.len() as u32 {
                    let packet = store.frames[f as usize].packet;
                    while let Some(g) = gaps.next_if(|g| store.gaps[*g as usize].packet <= packet) {
                        if self.wants(Row::Gap(g)) {
                            rows.push(Row::Gap(g));
                        }
                    }
                    if keep[f as usize] {
                        rows.push(Row::Frame(f));
                    }
                }
            }
            Unit::Messages => {
                for m in 0..store.message_count() as u32 {
                    let ts = store.message_meta(m).ts;
                    while let Some(g) = gaps.next_if(|g| store.gaps[*g as usize].ts <= ts) {
                        if self.wants(Row::Gap(g)) {
                            rows.push(Row::Gap(g));
                        }
                    }
                    if keep[m as usize] {
                        rows.push(Row::Message(m));
                    }
                }
            }
        }
        rows.extend(gaps.map(Row::Gap).filter(|r| self.wants(*r)));
        rows
    }

    /// For every frame (or message), whether the list shows it.
    fn matching(&self, answers: Option<&[Matched]>) -> Vec<bool> {
        let (store, unit) = (self.store, self.unit);
        let count = match unit {
            Unit::Frames => store.frames.len(),
            Unit::Messages => store.message_count(),
        };
        (0..count as u32)
            .map(|i| {
                let mut s = match unit {
                    Unit::Frames => Subject::frame(store, i),
                    Unit::Messages => Subject::message(store, i),
                };
                if !self.conns.holds(s.conn) {
                    return false;
                }
                let Some(f) = self.filter else {
                    return true;
                };
                if f.needs_data() {
                    match answers.and_then(|h| h.get(i as usize)) {
                        Some(bits) => s.matched = Some(*bits),
                        // Not worked out (it always is): read the payload.
                        None => s.data = Row::of(unit, i).subject(store, true).data,
                    }
                }
                f.matches(&s)
            })
            .collect()
    }
}
