fn main() -> std::process::ExitCode {
    lab::run::<ex08_rate_and_errors_solution::Exercise>()
}
