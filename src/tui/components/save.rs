//! Saving the selected payload (`s`) to a new file, named after its connection and frame or
//! message, with an extension for what it holds.

use std::path::Path;

use crate::index::Store;

use super::row::Row;

/// Saves the payload of `row` to a new file in `dir`, never over an existing one; what to tell
/// the user.
pub(crate) fn save(dir: &Path, store: &Store, row: Option<Row>) -> String {
    let Some(row) = row else {
        return "nothing selected to save".into();
    };
    let Some((data, text)) = row.payload(store) else {
        return "a gap has no payload to save".into();
    };
    let data = match data {
        Ok(data) => data,
        Err(e) => return format!("nothing saved: {e}"),
    };
    let conn = row.conn(store);
    let what = match row {
        Row::Frame(i) => format!("frame{}", store.frames[i as usize].n),
        Row::Message(i) => format!("message{i}"),
        Row::Gap(_) => String::new(),
    };
    let ext = if text && serde_json::from_slice::<serde_json::Value>(&data).is_ok() {
        "json"
    } else if text {
        "txt"
    } else {
        "bin"
    };
    let mut path = dir.join(format!("wsinspect-conn{conn}-{what}.{ext}"));
    let mut k = 1;
    while path.exists() && k < 1000 {
        path = dir.join(format!("wsinspect-conn{conn}-{what}-{k}.{ext}"));
        k += 1;
    }
    match std::fs::write(&path, &data) {
        Ok(()) => format!("saved {} bytes to {}", data.len(), path.display()),
        Err(e) => format!("cannot save to {}: {e}", path.display()),
    }
}
