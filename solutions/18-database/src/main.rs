fn main() -> std::process::ExitCode {
    lab::run::<ex18_database_solution::Exercise>()
}
