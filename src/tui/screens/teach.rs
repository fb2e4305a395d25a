//! Teach mode's screen: which connection is taught, its steps, the one shown, and the keys that
//! move between them. The pages themselves come from [`crate::teach`].

use crate::index::Store;
use crate::teach::{self, Step, Target};

use super::super::app::Action;

/// The walk-through shown instead of the panes (`T`, or `--teach`).
pub(crate) struct Teach {
    pub(crate) target: Target,
    pub(crate) steps: Vec<Step>,
    pub(crate) step: usize,
    /// The frame the teacher moved to with `[` `]`, instead of the step's own.
    pub(crate) frame: Option<u32>,
    pub(crate) scroll: usize,
}

/// What a key in the walk-through asks of the rest of the app.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ask {
    Nothing,
    Quit,
    /// Back to browsing.
    Leave,
    Help,
}

impl Teach {
    /// The walk-through of `target`, at its first step.
    pub(crate) fn new(store: &Store, target: Target) -> Teach {
        Teach {
            target,
            steps: teach::steps(store, target),
            step: 0,
            frame: None,
            scroll: 0,
        }
    }

    /// The frame the current step shows.
    pub(crate) fn frame(&self) -> Option<u32> {
        self.frame
            .or(self.steps.get(self.step).and_then(|s| s.frame))
    }

    /// Keys while the walk-through is shown.
    pub(crate) fn update(&mut self, action: Action, store: &Store) -> Ask {
        match action {
            Action::Quit => return Ask::Quit,
            Action::Cancel => return Ask::Leave,
            Action::ToggleHelp => return Ask::Help,
            Action::StepNext if self.step + 1 < self.steps.len() => {
                self.step += 1;
                self.frame = None;
                self.scroll = 0;
            }
            Action::StepPrev if self.step > 0 => {
                self.step -= 1;
                self.frame = None;
                self.scroll = 0;
            }
            Action::FrameBy(by) => {
                let (Target::Conn(conn), Some(current)) = (self.target, self.frame()) else {
                    return Ask::Nothing;
                };
                let frames = store.frames_of(conn);
                if let Some(at) = frames.iter().position(|f| *f == current) {
                    let to = (at as i64 + i64::from(by)).clamp(0, frames.len() as i64 - 1);
                    self.frame = Some(frames[to as usize]);
                    self.scroll = 0;
                }
            }
            Action::Down => self.scroll += 1,
            Action::Up => self.scroll = self.scroll.saturating_sub(1),
            Action::PageDown => self.scroll += 10,
            Action::PageUp => self.scroll = self.scroll.saturating_sub(10),
            Action::Top => self.scroll = 0,
            Action::Scroll(_, by) => {
                self.scroll = (self.scroll as i64 + i64::from(by)).max(0) as usize
            }
            _ => {}
        }
        Ask::Nothing
    }
}
