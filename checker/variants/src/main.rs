fn main() -> std::process::ExitCode {
    lab::run::<lab_variant::Exercise>()
}
