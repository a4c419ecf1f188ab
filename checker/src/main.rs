fn main() -> std::process::ExitCode {
    checker::cli::main()
}
