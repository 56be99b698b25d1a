//! The threads that run RSA private-key operations, off the reactor.
//!
//! An RSA-2048 signature or decryption takes about 250 µs of CPU, which must not stall the
//! reactor's other connections. Such work is CPU-bound, so it gets one thread per CPU the
//! process may run on, fed from one queue in arrival order: a request waits behind the ones
//! that came before it, never behind a crowd of threads time-sliced by the kernel (tokio's
//! blocking pool, up to 64 threads here, gave RSA Sign a p99 five times its median under load).
//! Work that waits rather than computes (key generation's long tails, a store's fsync or
//! database round trip) goes to tokio's blocking pool instead, where waiting threads are cheap.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};

type Job = Box<dyn FnOnce() + Send>;

/// A fixed set of threads taking jobs from one FIFO queue.
pub struct CryptoPool {
    queue: Sender<Job>,
}

impl CryptoPool {
    /// Starts `threads` threads (at least one).
    pub fn new(threads: usize) -> std::io::Result<CryptoPool> {
        let (tx, rx) = channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("akms-crypto-{i}"))
                .spawn(move || work(&rx))?;
        }
        Ok(CryptoPool { queue: tx })
    }

    /// One thread per CPU this process may run on.
    pub fn per_cpu() -> std::io::Result<CryptoPool> {
        CryptoPool::new(std::thread::available_parallelism().map_or(1, |n| n.get()))
    }

    /// Runs `f` on a pool thread and returns its result; `None` if `f` panicked.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        self.submit(f).await.ok()
    }

    /// Queues `f` now; its result arrives on the receiver (closed if `f` panicked).
    fn submit<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> tokio::sync::oneshot::Receiver<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            if let Ok(out) = catch_unwind(AssertUnwindSafe(f)) {
                let _ = tx.send(out);
            }
        });
        // The pool's threads never exit while it lives, so the queue is never closed here.
        let _ = self.queue.send(job);
        rx
    }
}

/// A pool thread: takes the oldest job, runs it, and so on until the pool is dropped.
fn work(rx: &Mutex<Receiver<Job>>) {
    loop {
        let job = match rx.lock().unwrap_or_else(|p| p.into_inner()).recv() {
            Ok(job) => job,
            Err(_) => return,
        };
        job();
        // These threads keep every CPU busy under load; a reactor thread woken meanwhile (a
        // response to send, the next request to read) otherwise waits up to a scheduler slice,
        // milliseconds, for one. Yielding between jobs lets it in at once: for RSA Sign at 16
        // clients this took p99/p50 from about 2.0 to 1.3–1.7 (bench/README.md, serve_load).
        std::thread::yield_now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn jobs_run_on_the_pool_and_return_their_result() {
        let pool = CryptoPool::new(2).unwrap();
        let name = block_on(pool.run(|| std::thread::current().name().map(str::to_owned)));
        assert!(name.unwrap().unwrap().starts_with("akms-crypto-"));
    }

    #[test]
    fn a_panicking_job_is_none_and_the_thread_goes_on() {
        let pool = CryptoPool::new(1).unwrap();
        assert_eq!(block_on(pool.run(|| -> u8 { panic!("job") })), None);
        assert_eq!(block_on(pool.run(|| 7u8)), Some(7));
    }

    #[test]
    fn jobs_queued_behind_a_busy_thread_run_in_arrival_order() {
        let pool = CryptoPool::new(1).unwrap();
        let (open, gate) = channel::<()>();
        let busy = pool.submit(move || gate.recv().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let queued: Vec<_> = (0..50)
            .map(|i| {
                let seen = seen.clone();
                pool.submit(move || seen.lock().unwrap().push(i))
            })
            .collect();
        open.send(()).unwrap();
        block_on(async {
            busy.await.unwrap();
            for q in queued {
                q.await.unwrap();
            }
        });
        assert_eq!(*seen.lock().unwrap(), (0..50).collect::<Vec<_>>());
    }
}
