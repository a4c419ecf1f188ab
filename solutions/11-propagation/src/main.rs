fn main() -> std::process::ExitCode {
    lab::run::<ex11_propagation_solution::Exercise>()
}
