//! The `respack` binary: a thin shell over [`respack::cli`].
fn main() -> std::process::ExitCode {
    respack::cli::main()
}
