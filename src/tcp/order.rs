//! Live flows from least to most recently active, so that the flow to evict is found at once
//! however many there are: a doubly linked list threaded through a vector, each flow holding
//! its place in it. Moving a flow to the back or taking it out costs a few index writes, and
//! places freed by closed flows are reused, so a capture in its stride allocates nothing here.

/// Where a key sits in an [`Order`]; valid until it is removed.
pub(super) type Place = usize;

/// No place: the ends of the list, and of the free list.
const NONE: Place = usize::MAX;

struct Node<K> {
    key: K,
    prev: Place,
    next: Place,
}

pub(super) struct Order<K> {
    nodes: Vec<Node<K>>,
    /// Least recently active.
    head: Place,
    /// Most recently active.
    tail: Place,
    /// Places of removed keys, linked through `next`, to be reused first.
    free: Place,
}

impl<K: Copy> Order<K> {
    pub(crate) fn new() -> Self {
        Order {
            nodes: Vec::new(),
            head: NONE,
            tail: NONE,
            free: NONE,
        }
    }

    /// Puts `key` last, as the most recently active; returns its place.
    pub(crate) fn push(&mut self, key: K) -> Place {
        let node = Node {
            key,
            prev: NONE,
            next: NONE,
        };
        let at = match self.nodes.get_mut(self.free) {
            Some(slot) => {
                let at = self.free;
                self.free = slot.next;
                *slot = node;
                at
            }
            None => {
                self.nodes.push(node);
                self.nodes.len() - 1
            }
        };
        self.link_last(at);
        at
    }

    /// Moves the key at `at` last: it was just active.
    pub(crate) fn touch(&mut self, at: Place) {
        if at != self.tail {
            self.unlink(at);
            self.link_last(at);
        }
    }

    /// Takes the key at `at` out; its place may be handed out again.
    pub(crate) fn remove(&mut self, at: Place) {
        if at >= self.nodes.len() {
            return;
        }
        self.unlink(at);
        if let Some(n) = self.nodes.get_mut(at) {
            n.next = self.free;
        }
        self.free = at;
    }

    /// The least recently active key.
    pub(crate) fn oldest(&self) -> Option<K> {
        self.nodes.get(self.head).map(|n| n.key)
    }

    pub(crate) fn clear(&mut self) {
        self.nodes.clear();
        self.head = NONE;
        self.tail = NONE;
        self.free = NONE;
    }

    /// Keys from least to most recently active.
    #[cfg(test)]
    pub(crate) fn keys(&self) -> Vec<K> {
        let mut keys = Vec::new();
        let mut at = self.head;
        while let Some(n) = self.nodes.get(at) {
            keys.push(n.key);
            at = n.next;
        }
        keys
    }

    fn unlink(&mut self, at: Place) {
        let Some(&Node { prev, next, .. }) = self.nodes.get(at) else {
            return;
        };
        match self.nodes.get_mut(prev) {
            Some(p) => p.next = next,
            None => self.head = next,
        }
        match self.nodes.get_mut(next) {
            Some(n) => n.prev = prev,
            None => self.tail = prev,
        }
    }

    fn link_last(&mut self, at: Place) {
        let tail = self.tail;
        let Some(n) = self.nodes.get_mut(at) else {
            return;
        };
        n.prev = tail;
        n.next = NONE;
        match self.nodes.get_mut(tail) {
            Some(t) => t.next = at,
            None => self.head = at,
        }
        self.tail = at;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_leave_least_recently_active_first_and_places_are_reused() {
        let mut o = Order::new();
        let p: Vec<Place> = (0..4).map(|k| o.push(k)).collect();
        o.touch(p[1]);
        o.touch(p[0]);
        o.touch(p[0]);
        assert_eq!(o.keys(), [2, 3, 1, 0]);
        o.remove(p[3]);
        o.remove(p[2]);
        assert_eq!((o.oldest(), o.keys()), (Some(1), vec![1, 0]));
        // The two freed places serve the next two keys: nothing grows.
        let again = [o.push(4), o.push(5)];
        assert!(again.iter().all(|at| *at == p[2] || *at == p[3]));
        assert_eq!(o.nodes.len(), 4);
        assert_eq!(o.keys(), [1, 0, 4, 5]);
        for at in [p[1], p[0], again[0], again[1]] {
            o.remove(at);
        }
        assert_eq!((o.oldest(), o.keys()), (None, vec![]));
    }
}
