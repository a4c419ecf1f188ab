fn main() -> std::process::ExitCode {
    lab::run::<ex13_shipping_it_solution::Exercise>()
}
