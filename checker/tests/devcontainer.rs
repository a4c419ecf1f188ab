//! The dev container (`.devcontainer/`) cannot be started here: CI has a Docker client but
//! no engine. So this test reads the configuration the way the dev container tooling and
//! Docker Compose would, and checks that its pieces fit together: the files it names
//! exist, the services it names are in the compose file, the trace backend listens where
//! the workspace sends telemetry, the ports are forwarded with labels, and the scripts
//! its lifecycle commands run exist and are executable.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};
use std::process::Command;

use serde_json::Value as Json;
use serde_norway::{Mapping, Value as Yaml};

/// The lifecycle commands of devcontainer.json, in the order the tooling runs them.
const LIFECYCLE_COMMANDS: [&str; 6] = [
    "initializeCommand",
    "onCreateCommand",
    "updateContentCommand",
    "postCreateCommand",
    "postStartCommand",
    "postAttachCommand",
];

const OTLP_GRPC: u16 = 4317;
const OTLP_HTTP: u16 = 4318;
const JAEGER_UI: u16 = 16686;
const DISTANCE_SERVICE: u16 = 3000;
const POSITION_SERVICE: u16 = 3001;

// ---------------------------------------------------------------------------------------
// JSON with comments

/// Turns JSONC (JSON with `//` and `/* */` comments and trailing commas, as VS Code reads
/// devcontainer.json) into JSON. Comments become spaces and dropped commas a space, and
/// newlines are kept, so the JSON parser's line and column numbers still point into the
/// original file. Text inside strings (`"http://..."`, escaped quotes) is never touched.
fn jsonc_to_json(text: &str) -> Result<String, String> {
    let without_comments = strip_comments(text)?;
    Ok(strip_trailing_commas(&without_comments))
}

fn strip_comments(text: &str) -> Result<String, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut line = 1;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '"' => {
                let end = string_end(&chars, i).ok_or_else(|| format!("line {line}: a string is never closed"))?;
                out.extend(&chars[i..end]);
                i = end;
            }
            '/' if chars.get(i + 1) == Some(&'/') => {
                while i < chars.len() && chars[i] != '\n' {
                    out.push(' ');
                    i += 1;
                }
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                let start_line = line;
                out.push_str("  ");
                i += 2;
                loop {
                    match chars.get(i) {
                        None => {
                            return Err(format!("line {start_line}: a /* comment is never closed"));
                        }
                        Some('*') if chars.get(i + 1) == Some(&'/') => {
                            out.push_str("  ");
                            i += 2;
                            break;
                        }
                        Some('\n') => {
                            out.push('\n');
                            line += 1;
                            i += 1;
                        }
                        Some(_) => {
                            out.push(' ');
                            i += 1;
                        }
                    }
                }
            }
            _ => {
                if c == '\n' {
                    line += 1;
                }
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(out)
}

/// Index just past the closing quote of the string that opens at `start`.
fn string_end(chars: &[char], start: usize) -> Option<usize> {
    let mut i = start + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '"' => return Some(i + 1),
            '\n' => return None,
            _ => i += 1,
        }
    }
    None
}

/// Drops a comma followed (after whitespace only: comments are gone) by `}` or `]`.
fn strip_trailing_commas(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '"' => {
                // Comments are already stripped, so an unclosed string ends the text.
                let end = string_end(&chars, i).unwrap_or(chars.len());
                out.extend(&chars[i..end]);
                i = end;
            }
            ',' => {
                let next = chars[i + 1..].iter().find(|c| !c.is_whitespace());
                out.push(if matches!(next, Some('}' | ']')) { ' ' } else { ',' });
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Loading the configuration

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("checker/ has a parent: the repository").to_path_buf()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// `a/./b/../c` → `a/c`, without touching the file system (compose paths may name files
/// that do not exist, and the error should say which).
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

struct DevContainer {
    root: PathBuf,
    /// `.devcontainer/`: paths in devcontainer.json are relative to it.
    dir: PathBuf,
    json: Json,
    compose_files: Vec<PathBuf>,
    /// The services of every compose file, later files overriding earlier ones key by key.
    services: Mapping,
}

impl DevContainer {
    fn load() -> DevContainer {
        let root = repo_root();
        let dir = root.join(".devcontainer");
        let path = dir.join("devcontainer.json");
        assert!(path.is_file(), "{} is missing: GitHub Codespaces looks for it there", path.display());
        let json = jsonc_to_json(&read(&path))
            .and_then(|text| serde_json::from_str::<Json>(&text).map_err(|e| e.to_string()))
            .unwrap_or_else(|e| panic!("{} is not valid JSON with comments: {e}", path.display()));
        assert!(json.is_object(), "{} must hold one JSON object", path.display());

        let compose_names = match json.get("dockerComposeFile") {
            Some(Json::String(name)) => vec![name.clone()],
            Some(Json::Array(names)) => names
                .iter()
                .map(|n| n.as_str().map(str::to_string).expect("dockerComposeFile lists file names (strings)"))
                .collect(),
            _ => panic!(
                "devcontainer.json has no \"dockerComposeFile\": the workspace must start beside the trace \
                 backend, together, with Docker Compose"
            ),
        };
        assert!(!compose_names.is_empty(), "devcontainer.json: \"dockerComposeFile\" lists no file");

        let mut compose_files = Vec::new();
        let mut services = Mapping::new();
        for name in compose_names {
            let file = normalise(&dir.join(&name));
            assert!(
                file.is_file(),
                "devcontainer.json names the compose file {name:?}, but {} does not exist",
                file.display()
            );
            let yaml: Yaml = serde_norway::from_str(&read(&file))
                .unwrap_or_else(|e| panic!("the compose file {} is not valid YAML: {e}", file.display()));
            let file_services = yaml
                .get("services")
                .and_then(Yaml::as_mapping)
                .unwrap_or_else(|| panic!("the compose file {} has no `services:` mapping", file.display()));
            for (name, service) in file_services {
                match (services.get_mut(name), service) {
                    (Some(Yaml::Mapping(old)), Yaml::Mapping(new)) => {
                        for (k, v) in new {
                            old.insert(k.clone(), v.clone());
                        }
                    }
                    _ => {
                        services.insert(name.clone(), service.clone());
                    }
                }
            }
            compose_files.push(file);
        }
        DevContainer { root, dir, json, compose_files, services }
    }

    /// The folder compose resolves relative paths against: the first compose file's.
    fn compose_dir(&self) -> &Path {
        self.compose_files[0].parent().expect("a compose file is in a folder")
    }

    fn string(&self, key: &str) -> Option<&str> {
        self.json.get(key).and_then(Json::as_str)
    }

    fn service_names(&self) -> Vec<String> {
        self.services.keys().filter_map(Yaml::as_str).map(str::to_string).collect()
    }

    fn service(&self, name: &str) -> Option<&Yaml> {
        self.services.get(name)
    }

    /// The service the editor attaches to (`"service"` in devcontainer.json).
    fn workspace(&self) -> (&str, &Yaml) {
        let name = self
            .string("service")
            .expect("devcontainer.json has no \"service\": which compose service is the workspace?");
        let service = self.service(name).unwrap_or_else(|| {
            panic!(
                "devcontainer.json's \"service\" is {name:?}, but the compose file has no such service (it has: {})",
                self.service_names().join(", ")
            )
        });
        (name, service)
    }

    /// The Dockerfile the workspace service is built from (`build:` in compose).
    fn workspace_dockerfile(&self) -> PathBuf {
        let (name, workspace) = self.workspace();
        let build = workspace.get("build").unwrap_or_else(|| {
            panic!(
                "the workspace service {name:?} must be built from a Dockerfile (`build:`) that installs the \
                 workspace's toolchain"
            )
        });
        let (context, dockerfile) = match build {
            Yaml::String(context) => (context.as_str(), "Dockerfile"),
            _ => (
                build.get("context").and_then(Yaml::as_str).unwrap_or("."),
                build.get("dockerfile").and_then(Yaml::as_str).unwrap_or("Dockerfile"),
            ),
        };
        let context = normalise(&self.compose_dir().join(context));
        assert!(context.is_dir(), "the workspace's build context {} does not exist", context.display());
        let dockerfile = normalise(&context.join(dockerfile));
        assert!(dockerfile.is_file(), "the workspace's Dockerfile {} does not exist", dockerfile.display());
        dockerfile
    }

    /// The Jaeger service, found by its image.
    fn jaeger(&self) -> (String, &Yaml) {
        let found: Vec<_> = self
            .services
            .iter()
            .filter(|(_, s)| image(s).is_some_and(|i| i.starts_with("jaegertracing/")))
            .map(|(n, s)| (n.as_str().unwrap_or_default().to_string(), s))
            .collect();
        assert_eq!(
            found.len(),
            1,
            "the compose file must have exactly one Jaeger service (image jaegertracing/all-in-one:<version> or \
             jaegertracing/jaeger:<version>); found {:?}",
            found.iter().map(|(n, _)| n).collect::<Vec<_>>()
        );
        found.into_iter().next().unwrap()
    }

    /// An environment variable of the workspace: from the compose service, or from
    /// devcontainer.json's containerEnv / remoteEnv (which win).
    fn workspace_env(&self, key: &str) -> Option<String> {
        for section in ["remoteEnv", "containerEnv"] {
            if let Some(v) = self.json.get(section).and_then(|env| env.get(key)).and_then(Json::as_str) {
                return Some(v.to_string());
            }
        }
        environment(self.workspace().1, key)
    }
}

fn image(service: &Yaml) -> Option<&str> {
    service.get("image").and_then(Yaml::as_str)
}

/// A variable from a compose service's `environment:`, in its map or its list form.
fn environment(service: &Yaml, key: &str) -> Option<String> {
    match service.get("environment")? {
        Yaml::Mapping(map) => map.get(key).map(|v| match v {
            Yaml::String(s) => s.clone(),
            Yaml::Null => String::new(),
            other => serde_norway::to_string(other).unwrap_or_default().trim().to_string(),
        }),
        Yaml::Sequence(list) => list.iter().filter_map(Yaml::as_str).find_map(|entry| {
            let (k, v) = entry.split_once('=').unwrap_or((entry, ""));
            (k == key).then(|| v.to_string())
        }),
        _ => None,
    }
}

/// `"4317"`, `4317`, `"4317/tcp"` or `"4000-4005"` → the ports.
fn port_range(text: &str) -> Vec<u16> {
    let text = text.split('/').next().unwrap_or_default().trim();
    match text.split_once('-') {
        Some((a, b)) => match (a.parse::<u16>(), b.parse::<u16>()) {
            (Ok(a), Ok(b)) => (a..=b).collect(),
            _ => vec![],
        },
        None => text.parse().into_iter().collect(),
    }
}

/// The container ports a compose service exposes to the other services (`expose:`) or
/// publishes (`ports:`, short `[ip:][host:]container[/proto]` or long `target:` syntax).
fn container_ports(service: &Yaml) -> BTreeSet<u16> {
    let mut ports = BTreeSet::new();
    let text = |v: &Yaml| match v {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        _ => None,
    };
    if let Some(list) = service.get("expose").and_then(Yaml::as_sequence) {
        ports.extend(list.iter().filter_map(text).flat_map(|t| port_range(&t)));
    }
    if let Some(list) = service.get("ports").and_then(Yaml::as_sequence) {
        for entry in list {
            if let Some(target) = entry.get("target") {
                ports.extend(text(target).iter().flat_map(|t| port_range(t)));
            } else if let Some(t) = text(entry) {
                ports.extend(port_range(t.rsplit(':').next().unwrap_or_default()));
            }
        }
    }
    ports
}

fn depends_on(service: &Yaml) -> BTreeSet<String> {
    match service.get("depends_on") {
        Some(Yaml::Sequence(list)) => list.iter().filter_map(Yaml::as_str).map(str::to_string).collect(),
        Some(Yaml::Mapping(map)) => map.keys().filter_map(Yaml::as_str).map(str::to_string).collect(),
        _ => BTreeSet::new(),
    }
}

/// `http://host:4318/path` or `host:4317` → (host, port, scheme's default if no port).
fn host_and_port(endpoint: &str) -> Option<(String, Option<u16>)> {
    let rest = endpoint.split_once("://").map_or(endpoint, |(_, rest)| rest);
    let authority = rest.split('/').next()?;
    match authority.rsplit_once(':') {
        Some((host, port)) => Some((host.to_string(), Some(port.parse().ok()?))),
        None => Some((authority.to_string(), None)),
    }
}

/// A bind mount's `(source on the host, target in the container)`, sources made absolute
/// against the compose file's folder. Named volumes are left out.
fn bind_mounts(service: &Yaml, compose_dir: &Path) -> Vec<(PathBuf, String)> {
    let mut mounts = Vec::new();
    for entry in service.get("volumes").and_then(Yaml::as_sequence).into_iter().flatten() {
        let (source, target) = match entry {
            Yaml::String(short) => {
                let mut parts = short.split(':');
                match (parts.next(), parts.next()) {
                    (Some(s), Some(t)) => (s.to_string(), t.to_string()),
                    _ => continue,
                }
            }
            Yaml::Mapping(_) => {
                match (entry.get("source").and_then(Yaml::as_str), entry.get("target").and_then(Yaml::as_str)) {
                    (Some(s), Some(t)) => (s.to_string(), t.to_string()),
                    _ => continue,
                }
            }
            _ => continue,
        };
        if source.starts_with('.') || source.starts_with('/') {
            mounts.push((normalise(&compose_dir.join(source)), target));
        }
    }
    mounts
}

// ---------------------------------------------------------------------------------------
// Scripts

/// The scripts a lifecycle command names: words that are paths to `.sh` files or start
/// with `./` or `.devcontainer/`, relative to the repository (where the commands run).
fn scripts_named(command: &Json) -> Vec<String> {
    let mut words = Vec::new();
    match command {
        Json::String(line) => words.extend(shell_words(line)),
        Json::Array(argv) => words.extend(argv.iter().filter_map(Json::as_str).map(str::to_string)),
        Json::Object(parallel) => {
            for sub in parallel.values() {
                words.extend(scripts_named(sub));
            }
            return words;
        }
        _ => {}
    }
    words.retain(|w| w.ends_with(".sh") || w.starts_with("./") || w.starts_with(".devcontainer/"));
    words
}

fn shell_words(line: &str) -> Vec<String> {
    line.replace("&&", " ")
        .replace("||", " ")
        .split(|c: char| c.is_whitespace() || matches!(c, ';' | '|' | '&' | '(' | ')'))
        .map(|w| w.trim_matches(|c| c == '"' || c == '\''))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// The mode git records for a tracked file (`100755` is executable), if git is there and
/// tracks it.
fn git_mode(root: &Path, path: &Path) -> Option<String> {
    let relative = path.strip_prefix(root).ok()?;
    let out = Command::new("git").arg("-C").arg(root).args(["ls-files", "-s", "--"]).arg(relative).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    text.split_whitespace().next().map(str::to_string)
}

fn assert_runnable_script(root: &Path, script: &str, named_by: &str) {
    let path = normalise(&root.join(script));
    assert!(path.is_file(), "devcontainer.json's {named_by} runs {script:?}, but {} does not exist", path.display());
    let text = read(&path);
    assert!(
        text.starts_with("#!"),
        "{script} (run by {named_by}) has no #! line, so it cannot be run as a program: start it with #!/usr/bin/env bash"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).expect("the script's metadata").permissions().mode();
        assert!(
            mode & 0o111 != 0,
            "{script} (run by {named_by}) is not executable here (mode {mode:o}): chmod +x {script}"
        );
    }
    if let Some(mode) = git_mode(root, &path) {
        assert_eq!(
            mode, "100755",
            "{script} (run by {named_by}) is committed without its executable bit, so a fresh Codespace cannot run \
             it: git update-index --chmod=+x {script}"
        );
    }
}

/// The lines of a shell script without comments.
fn code_lines(text: &str) -> Vec<&str> {
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect()
}

// ---------------------------------------------------------------------------------------
// The checks

#[test]
fn devcontainer_json_names_compose_files_and_services_that_exist() {
    let dc = DevContainer::load();
    let (workspace, _) = dc.workspace();
    let names = dc.service_names();
    if let Some(run) = dc.json.get("runServices") {
        let run: Vec<&str> =
            run.as_array().expect("\"runServices\" is a list").iter().filter_map(Json::as_str).collect();
        for name in &run {
            assert!(
                names.iter().any(|n| n == name),
                "\"runServices\" names {name:?}, which no compose file defines (they define: {})",
                names.join(", ")
            );
        }
        assert!(run.contains(&workspace), "\"runServices\" must include the workspace service {workspace:?}");
        let (jaeger, _) = dc.jaeger();
        assert!(
            run.contains(&jaeger.as_str()),
            "\"runServices\" must start the trace backend {jaeger:?} with the workspace"
        );
    }
    for (name, service) in &dc.services {
        let name = name.as_str().unwrap_or_default();
        assert!(
            service.get("image").is_some() || service.get("build").is_some(),
            "compose service {name:?} has neither `image:` nor `build:`: Docker cannot start it"
        );
    }
}

#[test]
fn workspace_is_built_with_the_workspace_toolchain() {
    let dc = DevContainer::load();
    let dockerfile = dc.workspace_dockerfile();
    let text = code_lines(&read(&dockerfile)).join("\n");
    assert!(
        text.lines().any(|l| l.to_ascii_uppercase().starts_with("FROM ")),
        "{} has no FROM line",
        dockerfile.display()
    );

    // The toolchain `rustup default` makes the default, resolving an ARG/ENV it names.
    let cargo_toml: toml::Table =
        toml::from_str(&read(&dc.root.join("Cargo.toml"))).expect("the root Cargo.toml parses");
    let rust_version =
        cargo_toml["workspace"]["package"]["rust-version"].as_str().expect("[workspace.package] rust-version");
    let variable = |name: &str| {
        text.lines().find_map(|l| {
            let l = l.trim();
            let rest = l.strip_prefix("ARG ").or_else(|| l.strip_prefix("ENV "))?;
            let (k, v) = rest.split_once('=')?;
            (k.trim() == name).then(|| v.trim().trim_matches('"').to_string())
        })
    };
    let toolchain =
        text.split("rustup default")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .map(|word| word.trim_matches('"'))
            .map(|word| {
                match word.strip_prefix("${").and_then(|w| w.strip_suffix('}')).or_else(|| word.strip_prefix('$')) {
                    Some(var) => variable(var)
                        .unwrap_or_else(|| panic!("{} uses ${var}, but never sets it", dockerfile.display())),
                    None => word.to_string(),
                }
            })
            .unwrap_or_else(|| panic!("{} never runs `rustup default <toolchain>`", dockerfile.display()));
    assert_eq!(
        toolchain,
        rust_version,
        "{} makes Rust {toolchain} the default, but the workspace's rust-version is {rust_version}",
        dockerfile.display()
    );
    assert!(
        text.contains("rust-analyzer") && text.contains("rust-src"),
        "{} should install the rust-analyzer and rust-src components with the toolchain",
        dockerfile.display()
    );
}

#[test]
fn the_repository_is_mounted_at_the_workspace_folder() {
    let dc = DevContainer::load();
    let (name, workspace) = dc.workspace();
    let folder =
        dc.string("workspaceFolder").expect("devcontainer.json needs a \"workspaceFolder\" with a compose file");
    let basename = dc.root.file_name().and_then(|n| n.to_str()).expect("the repository folder has a name");
    let folder = folder.replace("${localWorkspaceFolderBasename}", basename);
    let parent = dc.root.parent().expect("the repository has a parent folder");
    let mounts = bind_mounts(workspace, dc.compose_dir());
    let seen_at = mounts.iter().find_map(|(source, target)| {
        let target = target.trim_end_matches('/');
        if source == &dc.root {
            Some(target.to_string())
        } else if source == parent {
            Some(format!("{target}/{basename}"))
        } else {
            None
        }
    });
    let seen_at = seen_at.unwrap_or_else(|| {
        panic!(
            "the workspace service {name:?} does not mount the repository (or its parent folder); its bind mounts are {mounts:?}"
        )
    });
    assert_eq!(seen_at, folder, "the repository is mounted at {seen_at}, but \"workspaceFolder\" is {folder}");
}

#[test]
fn jaeger_is_pinned_and_listens_for_otlp_and_serves_its_ui() {
    let dc = DevContainer::load();
    let (name, jaeger) = dc.jaeger();
    let ports = container_ports(jaeger);
    for (port, what) in [(OTLP_GRPC, "OTLP gRPC"), (OTLP_HTTP, "OTLP HTTP"), (JAEGER_UI, "the UI")] {
        assert!(
            ports.contains(&port),
            "the Jaeger service {name:?} must expose or publish {port} ({what}); it has {ports:?}"
        );
    }
    if let Some(host) = environment(jaeger, "JAEGER_LISTEN_HOST") {
        assert!(
            !matches!(host.as_str(), "localhost" | "127.0.0.1"),
            "JAEGER_LISTEN_HOST={host} makes Jaeger refuse connections from the other containers: use 0.0.0.0"
        );
    }
}

#[test]
fn every_image_is_pinned_to_a_version() {
    let dc = DevContainer::load();
    let mut images: Vec<(String, String)> =
        dc.services.iter().filter_map(|(n, s)| Some((n.as_str()?.to_string(), image(s)?.to_string()))).collect();
    for line in code_lines(&read(&dc.workspace_dockerfile())) {
        if let Some(from) = line.strip_prefix("FROM ") {
            let image = from.split_whitespace().find(|w| !w.starts_with("--")).unwrap_or_default();
            images.push(("the workspace's Dockerfile".into(), image.to_string()));
        }
    }
    for (owner, image) in images {
        if image.contains("@sha256:") {
            continue;
        }
        let tag = image.rsplit_once(':').map(|(_, t)| t).filter(|t| !t.contains('/'));
        assert!(
            tag.is_some_and(|t| t != "latest" && t.chars().any(|c| c.is_ascii_digit())),
            "{owner} uses the image {image:?}: pin it to a version tag so that every Codespace gets the same one"
        );
    }
}

#[test]
fn otlp_endpoint_points_at_the_backend_by_service_name() {
    let dc = DevContainer::load();
    let (workspace_name, workspace) = dc.workspace();
    let endpoint = dc.workspace_env("OTEL_EXPORTER_OTLP_ENDPOINT").unwrap_or_else(|| {
        panic!("OTEL_EXPORTER_OTLP_ENDPOINT is not set for the workspace: without it `cargo run -p <exercise>` prints to stdout")
    });
    assert!(
        endpoint.starts_with("http://") || endpoint.starts_with("https://"),
        "OTEL_EXPORTER_OTLP_ENDPOINT={endpoint} must be a URL, like http://jaeger:4318"
    );
    let (host, port) =
        host_and_port(&endpoint).unwrap_or_else(|| panic!("OTEL_EXPORTER_OTLP_ENDPOINT={endpoint} is not host:port"));
    let port = port
        .unwrap_or_else(|| panic!("OTEL_EXPORTER_OTLP_ENDPOINT={endpoint} has no port: say :4318 (or :4317 for gRPC)"));
    let backend = dc.service(&host).unwrap_or_else(|| {
        panic!(
            "OTEL_EXPORTER_OTLP_ENDPOINT={endpoint} names the host {host:?}, which is not a compose service ({}): from the \
             workspace container the backend is reached by its service name",
            dc.service_names().join(", ")
        )
    });

    // The lab's services speak HTTP/protobuf unless OTEL_EXPORTER_OTLP_PROTOCOL=grpc (or
    // the endpoint ends in :4317 and no protocol is set).
    let protocol = dc.workspace_env("OTEL_EXPORTER_OTLP_PROTOCOL").unwrap_or_default();
    let grpc = protocol == "grpc" || (protocol.is_empty() && port == OTLP_GRPC);
    let expected = if grpc { OTLP_GRPC } else { OTLP_HTTP };
    assert_eq!(
        port,
        expected,
        "OTEL_EXPORTER_OTLP_ENDPOINT={endpoint} with OTEL_EXPORTER_OTLP_PROTOCOL={protocol:?} sends {} to port {port}, \
         but OTLP {} listens on {expected}",
        if grpc { "gRPC" } else { "HTTP/protobuf" },
        if grpc { "gRPC" } else { "HTTP" },
    );
    let ports = container_ports(backend);
    assert!(
        ports.contains(&port),
        "OTEL_EXPORTER_OTLP_ENDPOINT sends to {host}:{port}, but the service {host:?} does not expose {port} (it has {ports:?})"
    );
    assert!(
        depends_on(workspace).contains(&host),
        "the workspace service {workspace_name:?} should depend on {host:?}, so that the backend starts with it"
    );

    let (jaeger, _) = dc.jaeger();
    if host != jaeger {
        collector_passes_traces_to(&dc, &host, backend, &jaeger);
    }
}

/// The endpoint is a collector in front of Jaeger: it must accept OTLP from the other
/// containers, take all three signals the lab sends, and pass traces on to Jaeger.
fn collector_passes_traces_to(dc: &DevContainer, name: &str, service: &Yaml, jaeger: &str) {
    assert!(
        image(service).is_some_and(|i| i.contains("opentelemetry-collector")),
        "OTEL_EXPORTER_OTLP_ENDPOINT points at {name:?}, which is neither Jaeger ({jaeger:?}) nor an OpenTelemetry Collector"
    );
    let configs: Vec<PathBuf> = bind_mounts(service, dc.compose_dir())
        .into_iter()
        .map(|(source, _)| source)
        .filter(|s| s.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    assert_eq!(
        configs.len(),
        1,
        "the collector {name:?} should mount exactly one configuration file (YAML); it mounts {configs:?}"
    );
    let path = &configs[0];
    assert!(path.is_file(), "the collector's configuration {} does not exist", path.display());
    let config: Yaml =
        serde_norway::from_str(&read(path)).unwrap_or_else(|e| panic!("{} is not valid YAML: {e}", path.display()));
    let file = path.display();

    for (protocol, port) in [("grpc", OTLP_GRPC), ("http", OTLP_HTTP)] {
        let endpoint = config
            .get("receivers")
            .and_then(|r| r.get("otlp"))
            .and_then(|r| r.get("protocols"))
            .and_then(|p| p.get(protocol))
            .and_then(|p| p.get("endpoint"))
            .and_then(Yaml::as_str)
            .unwrap_or_else(|| {
                panic!("{file}: receivers.otlp.protocols.{protocol}.endpoint must be set (the collector's default, localhost, refuses other containers)")
            });
        let (host, listen_port) = host_and_port(endpoint).unwrap_or_default();
        assert!(
            !matches!(host.as_str(), "localhost" | "127.0.0.1"),
            "{file}: the OTLP {protocol} receiver listens on {endpoint}, which refuses the other containers: use 0.0.0.0:{port}"
        );
        assert_eq!(
            listen_port,
            Some(port),
            "{file}: the OTLP {protocol} receiver should listen on port {port}, not {endpoint}"
        );
    }

    let pipelines = config
        .get("service")
        .and_then(|s| s.get("pipelines"))
        .and_then(Yaml::as_mapping)
        .unwrap_or_else(|| panic!("{file} has no service.pipelines"));
    let pipeline = |signal: &str| {
        pipelines
            .iter()
            .find(|(k, _)| k.as_str().is_some_and(|k| k == signal || k.starts_with(&format!("{signal}/"))))
            .map(|(_, v)| v)
    };
    let list = |pipeline: &Yaml, key: &str| -> Vec<String> {
        pipeline
            .get(key)
            .and_then(Yaml::as_sequence)
            .into_iter()
            .flatten()
            .filter_map(Yaml::as_str)
            .map(str::to_string)
            .collect()
    };
    for signal in ["traces", "metrics", "logs"] {
        let p = pipeline(signal).unwrap_or_else(|| {
            panic!(
                "{file} has no {signal} pipeline: the lab's services send {signal}, and the collector would refuse them"
            )
        });
        assert!(
            list(p, "receivers").iter().any(|r| r == "otlp" || r.starts_with("otlp/")),
            "{file}: the {signal} pipeline does not receive OTLP"
        );
        assert!(!list(p, "exporters").is_empty(), "{file}: the {signal} pipeline has no exporter");
    }
    let exporters = config.get("exporters").unwrap_or_else(|| panic!("{file} has no exporters"));
    let to_jaeger = list(pipeline("traces").unwrap(), "exporters").into_iter().any(|e| {
        exporters
            .get(e.as_str())
            .and_then(|x| x.get("endpoint"))
            .and_then(Yaml::as_str)
            .and_then(host_and_port)
            .is_some_and(|(host, _)| host == jaeger)
    });
    assert!(
        to_jaeger,
        "{file}: no exporter of the traces pipeline sends to the Jaeger service {jaeger:?} (endpoint: {jaeger}:4317)"
    );
}

#[test]
fn ui_and_services_ports_are_forwarded_with_labels() {
    let dc = DevContainer::load();
    let forwarded: Vec<String> = dc
        .json
        .get("forwardPorts")
        .and_then(Json::as_array)
        .expect("devcontainer.json needs \"forwardPorts\"")
        .iter()
        .map(|p| match p {
            Json::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect();
    // The dev container schema allows a port number or "service:port", the service name
    // in lower case letters, digits and dashes.
    for entry in &forwarded {
        let valid = match entry.split_once(':') {
            Some((host, port)) => {
                !host.is_empty()
                    && host.bytes().all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-'))
                    && port.parse::<u16>().is_ok()
            }
            None => entry.parse::<u16>().is_ok(),
        };
        assert!(valid, "\"forwardPorts\" entry {entry:?} is neither a port number nor \"service:port\" (lower case)");
    }
    let (workspace, workspace_service) = dc.workspace();
    let (jaeger, _) = dc.jaeger();
    // The workspace shares Jaeger's network only with `network_mode: service:<jaeger>`;
    // otherwise the UI is forwarded from the Jaeger service as "jaeger:16686".
    let shares_jaeger_network =
        workspace_service.get("network_mode").and_then(Yaml::as_str).is_some_and(|m| m == format!("service:{jaeger}"));
    let wanted = [
        (JAEGER_UI, "the Jaeger UI", if shares_jaeger_network { workspace } else { jaeger.as_str() }),
        (DISTANCE_SERVICE, "the distance service", workspace),
        (POSITION_SERVICE, "the position service", workspace),
    ];
    let attributes = dc.json.get("portsAttributes").and_then(Json::as_object);
    for (port, what, service) in wanted {
        let entry = forwarded
            .iter()
            .find(|f| match f.rsplit_once(':') {
                Some((host, p)) => {
                    p == port.to_string() && (host == service || (service == workspace && host == "localhost"))
                }
                None => *f == &port.to_string() && service == workspace,
            })
            .unwrap_or_else(|| {
                let want = if service == workspace { port.to_string() } else { format!("\"{service}:{port}\"") };
                panic!("\"forwardPorts\" must forward {what} as {want}; it forwards {forwarded:?}")
            });
        let label = attributes
            .and_then(|a| a.get(entry.as_str()))
            .and_then(|a| a.get("label"))
            .and_then(Json::as_str)
            .unwrap_or_default();
        assert!(
            !label.trim().is_empty(),
            "\"portsAttributes\" should give the forwarded port {entry:?} ({what}) a \"label\""
        );
    }
}

#[test]
fn editor_has_the_lab_extensions_and_a_separate_rust_analyzer_target() {
    let dc = DevContainer::load();
    let vscode = dc
        .json
        .get("customizations")
        .and_then(|c| c.get("vscode"))
        .expect("devcontainer.json needs customizations.vscode");
    let extensions: Vec<&str> =
        vscode.get("extensions").and_then(Json::as_array).into_iter().flatten().filter_map(Json::as_str).collect();
    for (id, what) in [
        ("rust-lang.rust-analyzer", "rust-analyzer"),
        ("marp-team.marp-vscode", "Marp, for the slides"),
        ("tamasfe.even-better-toml", "Even Better TOML"),
    ] {
        assert!(
            extensions.iter().any(|e| e.eq_ignore_ascii_case(id)),
            "customizations.vscode.extensions must include {id} ({what}); it has {extensions:?}"
        );
    }
    let target = vscode.get("settings").and_then(|s| s.get("rust-analyzer.cargo.targetDir"));
    let separate = match target {
        Some(Json::Bool(b)) => *b,
        Some(Json::String(dir)) => !dir.is_empty() && normalise(Path::new(dir)) != Path::new("target"),
        _ => false,
    };
    assert!(
        separate,
        "set \"rust-analyzer.cargo.targetDir\": true (or a folder other than target/) in customizations.vscode.settings, so \
         that rust-analyzer's checks never hold the build lock the checker waits for; it is {target:?}"
    );
}

#[test]
fn lifecycle_scripts_exist_and_are_executable() {
    let dc = DevContainer::load();
    let mut named = 0;
    for key in LIFECYCLE_COMMANDS {
        if let Some(command) = dc.json.get(key) {
            for script in scripts_named(command) {
                assert_runnable_script(&dc.root, &script, key);
                named += 1;
            }
        }
    }
    assert!(named > 0, "no lifecycle command of devcontainer.json runs a script");
}

#[test]
fn dependencies_are_built_when_the_container_is_created() {
    let dc = DevContainer::load();
    let command = dc.json.get("postCreateCommand").expect(
        "devcontainer.json needs a \"postCreateCommand\" that builds the workspace, so that the first check is fast",
    );
    let scripts = scripts_named(command);
    let script = scripts
        .iter()
        .find(|s| normalise(&dc.root.join(s)).starts_with(&dc.dir))
        .unwrap_or_else(|| panic!("\"postCreateCommand\" should run a script in .devcontainer/ (it runs {command})"));
    let path = normalise(&dc.root.join(script));
    assert!(path.is_file(), "\"postCreateCommand\" runs {script}, which does not exist");
    let text = read(&path);
    let lines = code_lines(&text);
    let builds =
        |needles: &[&str]| lines.iter().any(|l| l.contains("cargo build") && needles.iter().all(|n| l.contains(n)));
    assert!(
        builds(&["--workspace", "--locked"]),
        "{script} should run `cargo build --workspace --locked` (every crate, with the committed Cargo.lock)"
    );
    assert!(builds(&["-p checker"]) || builds(&["--package checker"]), "{script} should run `cargo build -p checker`");
}

// ---------------------------------------------------------------------------------------
// The JSONC reader itself

#[test]
fn jsonc_keeps_strings_and_drops_comments_and_trailing_commas() {
    let text = r#"// a comment
    {
        "url": "http://jaeger:16686/search", // after a value
        "quote": "say \"//not a comment\" /* nor this */",
        /* a block
           over lines */ "list": [1, 2, /* three */ 3,],
        "slash": "a\\", "b": "/*",
    }"#;
    let json: Json = serde_json::from_str(&jsonc_to_json(text).unwrap()).unwrap();
    assert_eq!(json["url"], "http://jaeger:16686/search");
    assert_eq!(json["quote"], "say \"//not a comment\" /* nor this */");
    assert_eq!(json["list"], serde_json::json!([1, 2, 3]));
    assert_eq!(json["slash"], "a\\");
    assert_eq!(json["b"], "/*");
}

#[test]
fn jsonc_keeps_line_numbers_and_reports_unclosed_comments() {
    let text = "{\n/* one\ntwo */\n\"a\": oops\n}";
    let error = serde_json::from_str::<Json>(&jsonc_to_json(text).unwrap()).unwrap_err();
    assert_eq!(error.line(), 4, "the parser's error points at the original line");
    assert!(jsonc_to_json("{ /* never closed }").unwrap_err().contains("never closed"));
    assert_eq!(jsonc_to_json("[1, 2 , ]").unwrap().replace(' ', ""), "[1,2]");
    assert_eq!(jsonc_to_json("{\"a,\": \",]\"}").unwrap(), "{\"a,\": \",]\"}");
}

#[test]
fn compose_helpers_read_every_syntax() {
    let service: Yaml = serde_norway::from_str(
        r#"
        expose: ["4317", 4318, "5000-5002/tcp"]
        ports: ["127.0.0.1:8080:16686", "9000/udp", { target: 14250, published: 14250 }]
        environment: ["A=1", "B"]
        depends_on: { jaeger: { condition: service_started } }
        "#,
    )
    .unwrap();
    assert_eq!(container_ports(&service), BTreeSet::from([4317, 4318, 5000, 5001, 5002, 9000, 14250, 16686]));
    assert_eq!(environment(&service, "A").as_deref(), Some("1"));
    assert_eq!(environment(&service, "B").as_deref(), Some(""));
    assert_eq!(depends_on(&service), BTreeSet::from(["jaeger".to_string()]));
    assert_eq!(host_and_port("http://jaeger:4318/v1/traces"), Some(("jaeger".into(), Some(4318))));
    assert_eq!(host_and_port("jaeger:4317"), Some(("jaeger".into(), Some(4317))));
    assert_eq!(
        scripts_named(&serde_json::json!("bash -c 'x' && ./a.sh; .devcontainer/b.sh")),
        vec!["./a.sh", ".devcontainer/b.sh"]
    );
    assert_eq!(
        scripts_named(&serde_json::json!({"one": [".devcontainer/c.sh", "arg"], "two": "true"})),
        vec![".devcontainer/c.sh"]
    );
}
