//! The `gate` binary: everything lives in the library so fuzz targets can reach the readers.

fn main() -> std::process::ExitCode {
    gate::main()
}
