fn main() -> std::process::ExitCode {
    lab::run::<ex12_middleware_solution::Exercise>()
}
