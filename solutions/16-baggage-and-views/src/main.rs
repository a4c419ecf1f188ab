fn main() -> std::process::ExitCode {
    lab::run::<ex16_baggage_and_views_solution::Exercise>()
}
