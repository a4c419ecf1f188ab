fn main() -> std::process::ExitCode {
    lab::run::<ex17_queue::Exercise>()
}
