//! `rmesos-submit`: compute column statistics of a `.npy` or `.csv` file.

fn main() -> std::process::ExitCode {
    rmesos_scheduler::cli::main()
}
