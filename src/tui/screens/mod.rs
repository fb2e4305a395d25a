//! What fills the terminal: the browsing panes, or the walk-through of teach mode. Each screen
//! holds its own state and turns the actions meant for it into changes of that state.

pub(crate) mod browse;
pub(crate) mod teach;
