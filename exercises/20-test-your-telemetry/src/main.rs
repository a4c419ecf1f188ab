fn main() -> std::process::ExitCode {
    lab::run::<ex20_test_your_telemetry::Exercise>()
}
