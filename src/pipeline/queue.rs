//! A bounded queue between the pipeline's threads that sleeps instead of
//! spinning.
//!
//! crossbeam's channels spin, then call `sched_yield` a few times, before a
//! waiting receiver sleeps. That pays off when messages come every few
//! microseconds; ours are batches of hundreds of packets that come every
//! few hundred microseconds, so a waiting worker yielded over and over, on
//! every batch. Live, on a 2-core host, those yields were half of
//! tlssniff's CPU time, and they took the CPU from the capture thread and
//! from whatever else runs there. Here a receiver with nothing to do sleeps
//! on a condition variable at once, and a sender wakes it only when it is
//! asleep, so a busy worker costs no system call per batch.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

struct State<T> {
    items: VecDeque<T>,
    senders: usize,
    receiver: bool,
    /// A receiver sleeps, waiting for an item.
    receiver_waits: bool,
    /// Senders sleeping, waiting for room.
    senders_wait: usize,
}

struct Shared<T> {
    state: Mutex<State<T>>,
    not_empty: Condvar,
    not_full: Condvar,
    capacity: usize,
}

impl<T> Shared<T> {
    /// The state; a thread that panicked holding the lock left it whole
    /// (every change under the lock is a single push, pop or count).
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The sending side; clones send into the same queue.
pub struct Sender<T>(Arc<Shared<T>>);

/// The receiving side (one per queue).
pub struct Receiver<T>(Arc<Shared<T>>);

/// Why `try_send` gave the item back.
pub enum TrySendError<T> {
    Full(T),
    Disconnected(T),
}

/// A queue that holds at most `capacity` items (at least one).
pub fn bounded<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            items: VecDeque::with_capacity(capacity.max(1)),
            senders: 1,
            receiver: true,
            receiver_waits: false,
            senders_wait: 0,
        }),
        not_empty: Condvar::new(),
        not_full: Condvar::new(),
        capacity: capacity.max(1),
    });
    (Sender(shared.clone()), Receiver(shared))
}

impl<T> Sender<T> {
    /// Queues `item`, waiting for room; gives it back if the receiver is
    /// gone.
    pub fn send(&self, item: T) -> Result<(), T> {
        let mut s = self.0.lock();
        while s.receiver && s.items.len() >= self.0.capacity {
            s.senders_wait += 1;
            s = self.0.not_full.wait(s).unwrap_or_else(|p| p.into_inner());
            s.senders_wait -= 1;
        }
        self.push(s, item)
    }

    /// Queues `item` if there is room now.
    pub fn try_send(&self, item: T) -> Result<(), TrySendError<T>> {
        let s = self.0.lock();
        if s.receiver && s.items.len() >= self.0.capacity {
            return Err(TrySendError::Full(item));
        }
        self.push(s, item).map_err(TrySendError::Disconnected)
    }

    fn push(&self, mut s: MutexGuard<'_, State<T>>, item: T) -> Result<(), T> {
        if !s.receiver {
            return Err(item);
        }
        s.items.push_back(item);
        let wake = s.receiver_waits;
        drop(s);
        if wake {
            self.0.not_empty.notify_one();
        }
        Ok(())
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.0.lock().senders += 1;
        Sender(self.0.clone())
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let mut s = self.0.lock();
        s.senders -= 1;
        let wake = s.senders == 0 && s.receiver_waits;
        drop(s);
        if wake {
            self.0.not_empty.notify_all();
        }
    }
}

impl<T> Receiver<T> {
    /// The next item, waiting for one; `None` once it is empty and every
    /// sender is gone.
    pub fn recv(&self) -> Option<T> {
        let mut s = self.0.lock();
        loop {
            if let Some(item) = s.items.pop_front() {
                let wake = s.senders_wait > 0;
                drop(s);
                if wake {
                    self.0.not_full.notify_one();
                }
                return Some(item);
            }
            if s.senders == 0 {
                return None;
            }
            s.receiver_waits = true;
            s = self.0.not_empty.wait(s).unwrap_or_else(|p| p.into_inner());
            s.receiver_waits = false;
        }
    }

    /// The next item if one is queued.
    pub fn try_recv(&self) -> Option<T> {
        let mut s = self.0.lock();
        let item = s.items.pop_front()?;
        let wake = s.senders_wait > 0;
        drop(s);
        if wake {
            self.0.not_full.notify_one();
        }
        Some(item)
    }

    /// Items until every sender is gone.
    pub fn iter(&self) -> impl Iterator<Item = T> + '_ {
        std::iter::from_fn(|| self.recv())
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut s = self.0.lock();
        s.receiver = false;
        // What is queued is dropped with the queue's last handle.
        let wake = s.senders_wait > 0;
        drop(s);
        if wake {
            self.0.not_full.notify_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::thread;

    #[test]
    fn items_arrive_in_order_and_the_end_is_seen() {
        let (tx, rx) = bounded::<u32>(2);
        let tx2 = tx.clone();
        let h = thread::spawn(move || {
            for i in 0..1000 {
                tx.send(i).unwrap_or_else(|_| panic!("receiver gone"));
            }
        });
        drop(tx2);
        // Two places: the sender waits for room again and again.
        let got: Vec<u32> = rx.iter().collect();
        h.join().unwrap();
        assert_eq!(got, (0..1000).collect::<Vec<_>>());
    }

    #[test]
    fn a_full_queue_makes_the_sender_wait_and_try_send_refuse() {
        let (tx, rx) = bounded::<u32>(1);
        assert!(tx.try_send(1).is_ok());
        assert!(matches!(tx.try_send(2), Err(TrySendError::Full(2))));
        let h = thread::spawn(move || tx.send(3).is_ok());
        assert_eq!(rx.recv(), Some(1));
        assert!(h.join().unwrap());
        assert_eq!(rx.recv(), Some(3));
        assert_eq!(rx.recv(), None);
    }

    #[test]
    fn a_gone_receiver_gives_the_item_back_and_frees_a_waiting_sender() {
        let (tx, rx) = bounded::<u32>(1);
        tx.send(1).unwrap_or_else(|_| panic!("receiver gone"));
        let tx2 = tx.clone();
        let h = thread::spawn(move || tx2.send(2));
        thread::sleep(std::time::Duration::from_millis(20));
        drop(rx);
        assert_eq!(h.join().unwrap(), Err(2));
        assert!(matches!(tx.try_send(4), Err(TrySendError::Disconnected(4))));
    }

    #[test]
    fn a_waiting_receiver_wakes_for_an_item_and_for_the_end() {
        let (tx, rx) = bounded::<u32>(4);
        let h = thread::spawn(move || (rx.recv(), rx.recv()));
        thread::sleep(std::time::Duration::from_millis(20));
        tx.send(7).unwrap_or_else(|_| panic!("receiver gone"));
        thread::sleep(std::time::Duration::from_millis(20));
        drop(tx);
        assert_eq!(h.join().unwrap(), (Some(7), None));
    }
}
