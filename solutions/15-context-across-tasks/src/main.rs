fn main() -> std::process::ExitCode {
    lab::run::<ex15_context_across_tasks_solution::Exercise>()
}
