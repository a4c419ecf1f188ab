fn main() -> std::process::ExitCode {
    lab::run::<ex02_tracer_provider::Exercise>()
}
