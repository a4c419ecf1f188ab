fn main() -> std::process::ExitCode {
    lab::run::<ex19_real_pipeline_solution::Exercise>()
}
