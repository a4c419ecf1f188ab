fn main() -> std::process::ExitCode {
    lab::run::<ex09_duration_and_saturation::Exercise>()
}
