//! Benchmarks: Ventros' real paths against bare-SQL baselines and bare machinery measured in
//! the same run on the same engine, printed as ratios (absolute times on shared machines are
//! noise). Kept out of the production crates; `ventros-bench` is the command.

mod baseline_postgres;
mod baseline_sqlite;
pub mod db;
pub mod events;
pub mod ingest;
pub mod login_spray;
pub mod measure;
pub mod send;
pub mod timers;
