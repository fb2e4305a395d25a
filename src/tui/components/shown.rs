//! What the selected row shows in the details and payload panes, built once per selection and
//! kept, so that drawing and scrolling do not build it again.

use std::rc::Rc;

use crate::index::Store;
use crate::present::payload;

use super::super::details::{self, Details};
use super::row::Row;

/// The selected row's details and payload lines, once built.
#[derive(Default)]
pub(crate) struct Shown {
    details: Option<(Row, Rc<Details>)>,
    payload: Option<(Row, Rc<Vec<String>>)>,
}

impl Shown {
    /// Builds what `row` shows that is not kept yet: its details if `details`, its payload
    /// lines if `payload`.
    pub(crate) fn keep(&mut self, store: &Store, row: Row, details: bool, payload: bool) {
        if details && !matches!(&self.details, Some((r, _)) if *r == row) {
            self.details = Some((row, Rc::new(build_details(store, row))));
        }
        if payload && !matches!(&self.payload, Some((r, _)) if *r == row) {
            self.payload = Some((row, Rc::new(build_payload(store, row))));
        }
    }

    /// The details of `row`: kept, or else built for this once.
    pub(crate) fn details(&self, store: &Store, row: Row) -> Rc<Details> {
        match &self.details {
            Some((r, d)) if *r == row => d.clone(),
            _ => Rc::new(build_details(store, row)),
        }
    }

    /// The payload pane's lines for `row`: kept, or else built for this once.
    pub(crate) fn payload(&self, store: &Store, row: Row) -> Rc<Vec<String>> {
        match &self.payload {
            Some((r, lines)) if *r == row => lines.clone(),
            _ => Rc::new(build_payload(store, row)),
        }
    }
}

fn build_details(store: &Store, row: Row) -> Details {
    match row {
        Row::Frame(i) => {
            let (frame, lost) = store.frame_read(i);
            details::frame(store, i, &frame, lost.as_ref())
        }
        Row::Message(i) => {
            let (message, lost) = store.message_read(i);
            details::message(&message, lost.as_ref())
        }
        Row::Gap(i) => details::gap(&store.gaps[i as usize]),
    }
}

/// JSON pretty-printed when it parses, text escaped line by line, anything else as hex.
fn build_payload(store: &Store, row: Row) -> Vec<String> {
    match row.payload(store) {
        Some((Ok(data), text)) => payload::lines(&data, text),
        Some((Err(e), _)) => vec![format!("({e})")],
        None => vec!["(a gap has no payload)".to_owned()],
    }
}
