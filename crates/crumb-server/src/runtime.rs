//! The Tokio runtime `crumb serve` runs on.

use std::io;
use std::num::NonZeroUsize;

/// A multi-thread runtime with one worker more than the machine has CPUs.
///
/// The extra worker is for the analytics group commit, which writes a batch
/// to SQLite on the worker it runs on rather than handing it to a sleeping
/// blocking-pool thread (see `crumb_store::sqlite`): while that worker waits
/// for the batch's fsync, the others keep every CPU busy with requests.
/// Measured on two cores at 64 requests in flight: `docs/benchmarks.md`.
pub fn build() -> io::Result<tokio::runtime::Runtime> {
    let cpus = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    tokio::runtime::Builder::new_multi_thread().worker_threads(cpus + 1).enable_all().build()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_runtime_has_a_worker_more_than_the_machine_has_cpus() {
        let cpus = std::thread::available_parallelism().unwrap().get();
        let runtime = super::build().unwrap();
        assert_eq!(runtime.metrics().num_workers(), cpus + 1);
    }
}
