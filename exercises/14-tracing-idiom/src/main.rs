fn main() -> std::process::ExitCode {
    lab::run::<ex14_tracing_idiom::Exercise>()
}
