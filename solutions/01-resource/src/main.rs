fn main() -> std::process::ExitCode {
    lab::run::<ex01_resource_solution::Exercise>()
}
