//! The deterministic scheduler.
//!
//! Client tasks are futures this executor polls itself, one at a time and in the order of their
//! ids, on a single-threaded tokio runtime whose clock is paused (so the store's sleeps and
//! timeouts run on virtual time). A task runs until it waits: for the answer of a server
//! operation (every operation is a request the world holds, see `world.rs`), for a timer, or
//! for a yield. When every task waits, the seeded source picks the next decision among all that
//! are possible (execute a request, deliver an answer, replicate one entry, hold an election,
//! crash a client, let time pass): so any task can be paused at any await and between any two
//! server operations, and the seed alone decides the interleaving.

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Wake, Waker};
use std::time::Duration;

use rand::Rng as _;

use super::glue::{Shared, lock};
use super::world::{Action, Event};

type Task = Pin<Box<dyn Future<Output = ()>>>;

struct TaskWaker {
    id: usize,
    woken: Arc<Mutex<BTreeSet<usize>>>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.woken
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(self.id);
    }
}

/// The tasks of one run.
#[derive(Default)]
pub(super) struct Exec {
    tasks: Vec<Option<(Task, Waker, bool)>>,
    woken: Arc<Mutex<BTreeSet<usize>>>,
}

/// The longest run, in decisions; beyond it the run is reported as stuck.
const MAX_STEPS: usize = 200_000;

impl Exec {
    /// Adds a task (`crashable`: the simulation may drop it); returns its id.
    pub(super) fn spawn(
        &mut self,
        crashable: bool,
        task: impl Future<Output = ()> + 'static,
    ) -> usize {
        let id = self.tasks.len();
        let waker = Waker::from(Arc::new(TaskWaker {
            id,
            woken: Arc::clone(&self.woken),
        }));
        self.tasks.push(Some((Box::pin(task), waker, crashable)));
        self.woken
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id);
        id
    }

    /// The id the next spawned task gets.
    pub(super) fn next_id(&self) -> usize {
        self.tasks.len()
    }

    fn run_ready(&mut self) {
        loop {
            let next = self
                .woken
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop_first();
            let Some(id) = next else { return };
            let Some((task, waker, _)) = self.tasks[id].as_mut() else {
                continue;
            };
            if task
                .as_mut()
                .poll(&mut Context::from_waker(&waker.clone()))
                .is_ready()
            {
                self.tasks[id] = None;
            }
        }
    }

    fn crashable(&self) -> Vec<usize> {
        self.tasks
            .iter()
            .enumerate()
            .filter_map(|(id, t)| t.as_ref().filter(|t| t.2).map(|_| id))
            .collect()
    }

    fn live(&self) -> bool {
        self.tasks.iter().any(Option::is_some)
    }

    /// Runs every task to its end, and every request to its answer.
    pub(super) async fn drive(
        &mut self,
        world: &Shared,
        start: tokio::time::Instant,
        epoch_ms: i64,
    ) -> Result<(), String> {
        for _ in 0..MAX_STEPS {
            self.run_ready();
            let tick = {
                let mut w = lock(world);
                if !self.live() && !w.in_flight() {
                    return Ok(());
                }
                let actions = w.actions(&self.crashable());
                let action = w.pick(&actions);
                let step = w.describe(action);
                w.history.push(Event::Step(step));
                match action {
                    Action::Tick => Some(w.rng.random_range(1..=20)),
                    Action::Crash(task) => {
                        w.crash(task);
                        // Dropped here, mid-flight: whatever it sent stays sent.
                        self.tasks[task] = None;
                        None
                    }
                    other => {
                        w.act(other);
                        None
                    }
                }
            };
            if let Some(ms) = tick {
                tokio::time::advance(Duration::from_millis(ms)).await;
                let elapsed = i64::try_from(start.elapsed().as_millis()).unwrap_or(i64::MAX);
                lock(world).now_ms = epoch_ms + elapsed;
            }
        }
        Err(format!(
            "the run did not finish within {MAX_STEPS} decisions"
        ))
    }
}

/// Runs `body` on a fresh single-threaded runtime with paused time, free of tokio's
/// cooperative budget (the executor polls many tasks inside one tokio task, and a task refused
/// by the budget would be woken and polled again forever).
pub(super) fn block_on<T>(body: impl Future<Output = T>) -> T {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a current-thread runtime");
    runtime.block_on(tokio::task::unconstrained(body))
}
