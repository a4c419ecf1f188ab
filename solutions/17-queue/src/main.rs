fn main() -> std::process::ExitCode {
    lab::run::<ex17_queue_solution::Exercise>()
}
