fn main() -> std::process::ExitCode {
    lab::run::<ex10_log_bridging_solution::Exercise>()
}
