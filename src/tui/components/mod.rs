//! Parts of the terminal UI's state that each hold one thing and know how to change it: what a
//! row of the list is, which rows the list shows, the work done in the background, what the
//! selected row shows, what the decoding thread reported, saving a payload. The app and its
//! screens put them together; none of them draws.

pub(crate) mod jobs;
pub(crate) mod list;
pub(crate) mod row;
pub(crate) mod save;
pub(crate) mod shown;
pub(crate) mod status;
