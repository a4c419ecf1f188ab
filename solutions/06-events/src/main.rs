fn main() -> std::process::ExitCode {
    lab::run::<ex06_events_solution::Exercise>()
}
