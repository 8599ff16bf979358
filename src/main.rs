//! The `respack` binary: a thin shell over [`respack::cli`].

// glibc's allocator was a third of `respack unpack`'s time on a 3.2 MB export (docs/PERFORMANCE.md,
// "Unpack and build"): a parsed export is hundreds of thousands of small allocations, and a
// second thread's arena grew by one mprotect per few pages. mimalloc serves them from per-thread
// pages. The library leaves the choice to the program that links it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    respack::cli::main()
}
