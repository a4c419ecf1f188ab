fn main() -> std::process::ExitCode {
    lab::run::<ex04_nested_spans_solution::Exercise>()
}
