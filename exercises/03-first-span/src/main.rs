fn main() -> std::process::ExitCode {
    lab::run::<ex03_first_span::Exercise>()
}
