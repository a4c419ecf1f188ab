fn main() -> std::process::ExitCode {
    lab::run::<ex07_errors::Exercise>()
}
