//! The Tokio runtime `crumb serve` runs on.

use std::io;

/// A multi-thread runtime, one worker per CPU. Every SQLite call (each
/// commit and its fsync) runs on the blocking pool (`crumb_store::sqlite`),
/// so no worker waits for a disk; measured in `docs/benchmarks.md`.
pub fn build() -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_runtime_has_a_worker_per_cpu() {
        let cpus = std::thread::available_parallelism().unwrap().get();
        let runtime = super::build().unwrap();
        assert_eq!(runtime.metrics().num_workers(), cpus);
    }
}
