fn main() -> std::process::ExitCode {
    lab::run::<ex05_attributes_solution::Exercise>()
}
