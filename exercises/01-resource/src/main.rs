fn main() -> std::process::ExitCode {
    lab::run::<ex01_resource::Exercise>()
}
