//! The dev container (`.devcontainer/`) cannot be started here: CI has a Docker client but
//! no engine. So this test reads the configuration the way the dev container tooling,
//! Docker Compose and Grafana would, and checks that its pieces fit together: the files it
//! names exist, the workspace shares the backend's network so that Codespaces can forward
//! Grafana by a plain port number (never the `service:port` form, which Codespaces does
//! not support), the telemetry goes where the backend listens, Grafana's provisioning
//! parses and links logs to traces, the dashboard shows the metrics exercises 8 and 9
//! export, and the build runs in the lifecycle step that prebuilds cache.

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
/// The lab's real-run ports (`LAB_DISTANCE_ADDR`, `LAB_POSITION_ADDR` change them).
const DISTANCE_SERVICE: u16 = 3000;
const POSITION_SERVICE: u16 = 3001;
/// Grafana's port unless `GF_SERVER_HTTP_PORT` says otherwise.
const GRAFANA_DEFAULT_PORT: u16 = 3000;
/// The one backend for traces, metrics and logs: Grafana, Tempo, Prometheus, Loki and a
/// collector in one image.
const BACKEND_IMAGE: &str = "grafana/otel-lgtm:";
/// Where the backend image's Grafana reads its provisioning files.
const GRAFANA_PROVISIONING: &str = "/otel-lgtm/grafana/conf/provisioning";

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

    /// The backend service, found by its image.
    fn backend(&self) -> (String, &Yaml) {
        let found: Vec<_> = self
            .services
            .iter()
            .filter(|(_, s)| image(s).is_some_and(|i| i.starts_with(BACKEND_IMAGE)))
            .map(|(n, s)| (n.as_str().unwrap_or_default().to_string(), s))
            .collect();
        assert_eq!(
            found.len(),
            1,
            "the compose file must have exactly one backend service (image {BACKEND_IMAGE}<version>); found {:?}",
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

/// The commands of a shell script: its lines without comments, a line ending in `\\`
/// joined with the next.
fn shell_commands(text: &str) -> Vec<String> {
    let mut commands = Vec::new();
    let mut current = String::new();
    for line in code_lines(text) {
        match line.strip_suffix('\\') {
            Some(head) => current.push_str(head),
            None => {
                current.push_str(line);
                commands.push(std::mem::take(&mut current));
            }
        }
    }
    commands
}

/// The lines of a shell script without comments.
fn code_lines(text: &str) -> Vec<&str> {
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect()
}

/// What is wrong with how devcontainer.json names ports: `forwardPorts` entries and
/// `portsAttributes` keys must be port numbers (or, for attributes, a range `a-b`).
/// The spec also allows `"service:port"`, but GitHub Codespaces supports neither form
/// with a host, so a port forwarded that way never opens in a Codespace.
fn port_form_problems(json: &Json) -> Vec<String> {
    let is_port = |s: &str| s.parse::<u16>().is_ok_and(|p| p > 0);
    let mut problems = Vec::new();
    for entry in json.get("forwardPorts").and_then(Json::as_array).into_iter().flatten() {
        let ok = match entry {
            Json::Number(n) => n.as_u64().is_some_and(|p| (1..=u64::from(u16::MAX)).contains(&p)),
            Json::String(s) => is_port(s),
            _ => false,
        };
        if !ok {
            problems.push(format!(
                "\"forwardPorts\" entry {entry} is not a port number: Codespaces does not support the \"host:port\" form; \
                 forward a port of the workspace container (which shares the backend's network) instead"
            ));
        }
    }
    for key in json.get("portsAttributes").and_then(Json::as_object).into_iter().flatten().map(|(k, _)| k) {
        let ok = match key.split_once('-') {
            Some((a, b)) => is_port(a) && is_port(b),
            None => is_port(key),
        };
        if !ok {
            problems.push(format!(
                "\"portsAttributes\" key {key:?} is not a port number: Codespaces does not support the \"host:port\" form"
            ));
        }
    }
    problems
}

/// The ports devcontainer.json forwards (after `port_form_problems` found none wrong).
fn forwarded_ports(json: &Json) -> Vec<u16> {
    json.get("forwardPorts")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| match p {
            Json::Number(n) => n.as_u64().and_then(|p| u16::try_from(p).ok()),
            Json::String(s) => s.parse().ok(),
            _ => None,
        })
        .collect()
}

/// The port of an address variable of the workspace (`LAB_DISTANCE_ADDR=127.0.0.1:3000`).
fn workspace_port(dc: &DevContainer, variable: &str, default: u16) -> u16 {
    dc.workspace_env(variable).map_or(default, |addr| {
        host_and_port(&addr).and_then(|(_, p)| p).unwrap_or_else(|| panic!("{variable}={addr} has no port"))
    })
}

fn grafana_port(backend: &Yaml) -> u16 {
    environment(backend, "GF_SERVER_HTTP_PORT").map_or(GRAFANA_DEFAULT_PORT, |p| {
        p.parse().unwrap_or_else(|_| panic!("GF_SERVER_HTTP_PORT={p} is not a port number"))
    })
}

/// The backend's bind mounts whose target is under `prefix`, as (source, target).
fn mounts_under(dc: &DevContainer, backend: &Yaml, prefix: &str) -> Vec<(PathBuf, String)> {
    bind_mounts(backend, dc.compose_dir()).into_iter().filter(|(_, target)| target.starts_with(prefix)).collect()
}

fn parse_yaml(path: &Path) -> Yaml {
    serde_norway::from_str(&read(path)).unwrap_or_else(|e| panic!("{} is not valid YAML: {e}", path.display()))
}

fn parse_json(path: &Path) -> Json {
    serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{} is not valid JSON: {e}", path.display()))
}

/// `"8gb"`, `"512mb"`, `"1tb"` → bytes, as hostRequirements writes sizes.
fn size_in_bytes(text: &str) -> Option<u64> {
    let text = text.trim().to_ascii_lowercase();
    let digits = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let factor: u64 = match unit.trim() {
        "kb" => 1 << 10,
        "mb" => 1 << 20,
        "gb" => 1 << 30,
        "tb" => 1 << 40,
        _ => return None,
    };
    number.parse::<u64>().ok().map(|n| n * factor)
}

/// The metrics of an exercise's snapshot: (name, kind, unit).
fn snapshot_metrics(root: &Path, number: &str) -> Vec<(String, String, String)> {
    let dir = root.join("checker/snapshots");
    let path = std::fs::read_dir(&dir)
        .expect("checker/snapshots/ is readable")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(&format!("{number}-"))))
        .unwrap_or_else(|| panic!("no snapshot checker/snapshots/{number}-*.snap"));
    // An insta snapshot: a `---` header block, then the body (the telemetry document).
    let text = read(&path);
    let body = text
        .split_once("\n---\n")
        .map(|(_, body)| body)
        .unwrap_or_else(|| panic!("{} has no insta header", path.display()));
    let document: Yaml = serde_norway::from_str(body).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let field = |m: &Yaml, key: &str| m.get(key).and_then(Yaml::as_str).unwrap_or_default().to_string();
    document
        .get("metrics")
        .and_then(Yaml::as_sequence)
        .into_iter()
        .flatten()
        .map(|m| (field(m, "name"), field(m, "kind"), field(m, "unit")))
        .collect()
}

/// The name Prometheus gives an OTLP metric with its default translation strategy
/// (`UnderscoreEscapingWithSuffixes`, the default of the Prometheus in the pinned
/// grafana/otel-lgtm image): characters outside `[a-zA-Z0-9_:]` become `_`, the unit is
/// appended (a `{annotation}` unit is dropped), and a counter gets `_total`. A histogram
/// is then stored as `<name>_bucket`, `_sum` and `_count`.
fn prometheus_name(name: &str, kind: &str, unit: &str) -> String {
    let mut out: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == ':' { c } else { '_' }).collect();
    let unit = match unit {
        u if u.is_empty() || (u.starts_with('{') && u.ends_with('}')) => "",
        "s" => "seconds",
        "ms" => "milliseconds",
        "By" => "bytes",
        "1" => "",
        other => panic!("no Prometheus unit suffix known for {other:?}: extend prometheus_name"),
    };
    if !unit.is_empty() && !out.ends_with(&format!("_{unit}")) {
        out = format!("{out}_{unit}");
    }
    if kind == "counter" {
        out.push_str("_total");
    }
    out
}

/// The identifiers (`[A-Za-z0-9_:]+`) in a text, such as the metric names of a query.
fn identifiers(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':')).filter(|w| !w.is_empty())
}

/// Whether a lifecycle command builds the workspace: it runs `cargo build --workspace`
/// itself, or through a script in the repository.
fn command_builds(root: &Path, command: &Json) -> bool {
    let mut texts = vec![command.to_string()];
    texts.extend(
        scripts_named(command).iter().map(|s| normalise(&root.join(s))).filter(|p| p.is_file()).map(|p| read(&p)),
    );
    texts.iter().any(|t| code_lines(t).iter().any(|l| l.contains("cargo build")))
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
        let (backend, _) = dc.backend();
        assert!(
            run.contains(&backend.as_str()),
            "\"runServices\" must start the backend {backend:?} with the workspace"
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
fn ports_are_forwarded_as_port_numbers_codespaces_supports() {
    let dc = DevContainer::load();
    let problems = port_form_problems(&dc.json);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_service_port_form_is_refused() {
    // The configuration this lab shipped before: the Jaeger UI forwarded as "jaeger:16686".
    let old = serde_json::json!({
        "forwardPorts": ["jaeger:16686", 3000, 3001],
        "portsAttributes": { "jaeger:16686": { "label": "Jaeger UI" }, "3000": { "label": "distance service" } },
    });
    let problems = port_form_problems(&old);
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert!(problems[0].contains("\"jaeger:16686\"") && problems[0].contains("forwardPorts"), "{problems:#?}");
    assert!(problems[1].contains("\"jaeger:16686\"") && problems[1].contains("portsAttributes"), "{problems:#?}");
    let fine =
        serde_json::json!({ "forwardPorts": [3300, "3000"], "portsAttributes": { "3300": {}, "40000-40010": {} } });
    assert_eq!(port_form_problems(&fine), Vec::<String>::new());
}

#[test]
fn the_workspace_shares_the_backend_network() {
    let dc = DevContainer::load();
    let (workspace_name, workspace) = dc.workspace();
    let (backend_name, backend) = dc.backend();
    let mode = workspace.get("network_mode").and_then(Yaml::as_str).unwrap_or_default();
    assert_eq!(
        mode,
        format!("service:{backend_name}"),
        "the workspace service {workspace_name:?} must join the backend's network (`network_mode: service:{backend_name}`): \
         Codespaces forwards only ports of the workspace container, so that is how Grafana becomes reachable"
    );
    for key in ["ports", "expose", "networks"] {
        assert!(
            workspace.get(key).is_none(),
            "the workspace service {workspace_name:?} has `{key}:`, which Docker refuses beside `network_mode: service:...`"
        );
    }
    assert!(
        backend.get("network_mode").is_none(),
        "the backend {backend_name:?} must own the network, not join another"
    );
    assert!(
        depends_on(workspace).contains(&backend_name),
        "the workspace service {workspace_name:?} should depend on {backend_name:?}, whose network it joins"
    );
}

#[test]
fn grafana_and_the_services_are_forwarded_with_labels_and_do_not_clash() {
    let dc = DevContainer::load();
    let (backend_name, backend) = dc.backend();
    let grafana = grafana_port(backend);
    let distance = workspace_port(&dc, "LAB_DISTANCE_ADDR", DISTANCE_SERVICE);
    let position = workspace_port(&dc, "LAB_POSITION_ADDR", POSITION_SERVICE);
    // One network namespace: Grafana and the lab's services must not want the same port.
    assert!(
        grafana != distance && grafana != position,
        "Grafana listens on {grafana} in the network the workspace shares, where the lab's services take {distance} and \
         {position}: set GF_SERVER_HTTP_PORT on {backend_name:?} (or LAB_DISTANCE_ADDR / LAB_POSITION_ADDR) to another port"
    );
    let forwarded = forwarded_ports(&dc.json);
    let attributes = dc.json.get("portsAttributes").and_then(Json::as_object);
    for (port, what) in [(grafana, "Grafana"), (distance, "the distance service"), (position, "the position service")] {
        assert!(forwarded.contains(&port), "\"forwardPorts\" must forward {what} ({port}); it forwards {forwarded:?}");
        let label = attributes
            .and_then(|a| a.get(&port.to_string()))
            .and_then(|a| a.get("label"))
            .and_then(Json::as_str)
            .unwrap_or_default();
        assert!(!label.trim().is_empty(), "\"portsAttributes\" should give {port} ({what}) a \"label\"");
    }
    assert!(
        container_ports(backend).contains(&grafana),
        "the backend {backend_name:?} should expose Grafana's port {grafana}"
    );
    if let Some(check) = backend.get("healthcheck").and_then(|h| h.get("test")) {
        let check = serde_norway::to_string(check).unwrap_or_default();
        assert!(
            check.contains(&format!(":{grafana}/")),
            "the backend's healthcheck should ask Grafana where it listens ({grafana}): {check}"
        );
    }
}

#[test]
fn otlp_endpoint_reaches_the_backend_collector() {
    let dc = DevContainer::load();
    let (backend_name, backend) = dc.backend();
    let endpoint = dc.workspace_env("OTEL_EXPORTER_OTLP_ENDPOINT").unwrap_or_else(|| {
        panic!("OTEL_EXPORTER_OTLP_ENDPOINT is not set for the workspace: without it `cargo run -p <exercise>` prints to stdout")
    });
    assert!(
        endpoint.starts_with("http://"),
        "OTEL_EXPORTER_OTLP_ENDPOINT={endpoint} must be an http:// URL (the backend's collector has no TLS)"
    );
    let (host, port) =
        host_and_port(&endpoint).unwrap_or_else(|| panic!("OTEL_EXPORTER_OTLP_ENDPOINT={endpoint} is not host:port"));
    let port = port
        .unwrap_or_else(|| panic!("OTEL_EXPORTER_OTLP_ENDPOINT={endpoint} has no port: say :4318 (or :4317 for gRPC)"));
    // The workspace shares the backend's network, so its collector is on the loopback.
    assert!(
        matches!(host.as_str(), "127.0.0.1" | "localhost"),
        "OTEL_EXPORTER_OTLP_ENDPOINT={endpoint}: the workspace shares {backend_name:?}'s network, so its collector is at \
         http://127.0.0.1:{OTLP_HTTP}"
    );
    // The lab's services speak HTTP/protobuf unless OTEL_EXPORTER_OTLP_PROTOCOL=grpc.
    let protocol = dc.workspace_env("OTEL_EXPORTER_OTLP_PROTOCOL").unwrap_or_default();
    let grpc = protocol == "grpc" || (protocol.is_empty() && port == OTLP_GRPC);
    let expected = if grpc { OTLP_GRPC } else { OTLP_HTTP };
    assert_eq!(
        port,
        expected,
        "OTEL_EXPORTER_OTLP_ENDPOINT={endpoint} with OTEL_EXPORTER_OTLP_PROTOCOL={protocol:?} sends to port {port}, but \
         OTLP {} listens on {expected}",
        if grpc { "gRPC" } else { "HTTP" },
    );
    let ports = container_ports(backend);
    assert!(ports.contains(&port), "the backend {backend_name:?} should expose {port} (OTLP); it has {ports:?}");
}

/// Grafana's data sources, as provisioned for the backend: (file, its `datasources`).
fn provisioned_datasources(dc: &DevContainer, backend: &Yaml) -> (PathBuf, Vec<Yaml>) {
    let mounts = mounts_under(dc, backend, &format!("{GRAFANA_PROVISIONING}/datasources/"));
    assert_eq!(
        mounts.len(),
        1,
        "the backend should mount exactly one data source file into {GRAFANA_PROVISIONING}/datasources/; it mounts {mounts:?}"
    );
    let path = mounts[0].0.clone();
    assert!(path.is_file(), "the data source file {} does not exist", path.display());
    let yaml = parse_yaml(&path);
    let list = yaml.get("datasources").and_then(Yaml::as_sequence).cloned().unwrap_or_default();
    assert!(!list.is_empty(), "{} provisions no data source", path.display());
    (path, list)
}

#[test]
fn grafana_links_logs_to_traces_and_traces_to_logs() {
    let dc = DevContainer::load();
    let (_, backend) = dc.backend();
    let (path, datasources) = provisioned_datasources(&dc, backend);
    let file = path.display();
    let of_type = |kind: &str| {
        let found: Vec<&Yaml> =
            datasources.iter().filter(|d| d.get("type").and_then(Yaml::as_str) == Some(kind)).collect();
        assert_eq!(found.len(), 1, "{file} should provision exactly one {kind} data source");
        found[0]
    };
    let uid = |d: &Yaml| d.get("uid").and_then(Yaml::as_str).unwrap_or_default().to_string();
    let (prometheus, tempo, loki) = (of_type("prometheus"), of_type("tempo"), of_type("loki"));
    for d in [prometheus, tempo, loki] {
        assert!(!uid(d).is_empty(), "{file}: every data source needs a `uid` (dashboards and links name it)");
    }

    let derived = loki
        .get("jsonData")
        .and_then(|j| j.get("derivedFields"))
        .and_then(Yaml::as_sequence)
        .into_iter()
        .flatten()
        .find(|f| f.get("datasourceUid").and_then(Yaml::as_str) == Some(uid(tempo).as_str()))
        .unwrap_or_else(|| panic!("{file}: Loki needs a derived field that links a log record's trace id to Tempo"));
    let matcher = derived.get("matcherRegex").and_then(Yaml::as_str).unwrap_or_default();
    assert!(matcher.contains("trace_id"), "{file}: Loki's derived field should match `trace_id`, not {matcher:?}");

    let to_logs = tempo
        .get("jsonData")
        .and_then(|j| j.get("tracesToLogsV2"))
        .unwrap_or_else(|| panic!("{file}: Tempo needs `tracesToLogsV2`, so that a span opens its log records"));
    assert_eq!(
        to_logs.get("datasourceUid").and_then(Yaml::as_str),
        Some(uid(loki).as_str()),
        "{file}: Tempo's tracesToLogsV2 should point at the Loki data source"
    );
}

/// The dashboards Grafana is given: every JSON file in a folder that a mounted provider
/// reads, as (the file here, the folder in the container).
fn provisioned_dashboards(dc: &DevContainer, backend: &Yaml) -> Vec<(PathBuf, String)> {
    let providers = mounts_under(dc, backend, &format!("{GRAFANA_PROVISIONING}/dashboards/"));
    assert!(!providers.is_empty(), "the backend mounts no dashboard provider into {GRAFANA_PROVISIONING}/dashboards/");
    let mounts = bind_mounts(backend, dc.compose_dir());
    let mut dashboards = Vec::new();
    for (provider, _) in &providers {
        let yaml = parse_yaml(provider);
        for p in yaml.get("providers").and_then(Yaml::as_sequence).into_iter().flatten() {
            let folder = p.get("options").and_then(|o| o.get("path")).and_then(Yaml::as_str).unwrap_or_default();
            let (source, _) =
                mounts.iter().find(|(_, target)| target.trim_end_matches('/') == folder).unwrap_or_else(|| {
                    panic!("{}: the provider reads {folder:?}, which the backend does not mount", provider.display())
                });
            let files: Vec<PathBuf> = std::fs::read_dir(source)
                .unwrap_or_else(|e| panic!("{}: {e}", source.display()))
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "json"))
                .collect();
            assert!(!files.is_empty(), "{} holds no dashboard (*.json)", source.display());
            dashboards.extend(files.into_iter().map(|f| (f, folder.to_string())));
        }
    }
    dashboards
}

/// The queries of a dashboard: every `expr` (Prometheus, Loki) and `query` (Tempo, and a
/// variable's value) string, and nothing from titles, descriptions or text panels.
fn dashboard_queries(json: &Json, out: &mut Vec<String>) {
    match json {
        Json::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("expr" | "query", Json::String(text)) => out.push(text.clone()),
                    _ => dashboard_queries(value, out),
                }
            }
        }
        Json::Array(items) => items.iter().for_each(|i| dashboard_queries(i, out)),
        _ => {}
    }
}

#[test]
fn grafana_dashboards_are_provisioned_and_parse() {
    let dc = DevContainer::load();
    let (_, backend) = dc.backend();
    let (_, datasources) = provisioned_datasources(&dc, backend);
    let uids: BTreeSet<String> =
        datasources.iter().filter_map(|d| d.get("uid").and_then(Yaml::as_str)).map(str::to_string).collect();

    let dashboards = provisioned_dashboards(&dc, backend);
    for (path, _) in &dashboards {
        let dashboard = parse_json(path);
        let file = path.display();
        for key in ["uid", "title"] {
            assert!(dashboard.get(key).and_then(Json::as_str).is_some_and(|v| !v.is_empty()), "{file} has no {key:?}");
        }
        let panels = dashboard.get("panels").and_then(Json::as_array).map_or(0, Vec::len);
        assert!(panels > 0, "{file} has no panels");
        let mut named = Vec::new();
        collect_datasource_uids(&dashboard, &mut named);
        for uid in named {
            assert!(
                uids.contains(&uid),
                "{file} uses the data source uid {uid:?}, which is not provisioned ({uids:?})"
            );
        }
    }
    if let Some(home) = environment(backend, "GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH") {
        let found = dashboards.iter().any(|(path, folder)| {
            path.file_name().and_then(|n| n.to_str()).is_some_and(|n| home == format!("{folder}/{n}"))
        });
        assert!(found, "GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH={home} is not one of the provisioned dashboards");
    }
}

/// The `uid` of every `"datasource": {"uid": ...}` in a dashboard (template references
/// like `${ds}` are left out).
fn collect_datasource_uids(json: &Json, out: &mut Vec<String>) {
    match json {
        Json::Object(map) => {
            if let Some(uid) = map.get("datasource").and_then(|d| d.get("uid")).and_then(Json::as_str)
                && !uid.starts_with('$')
            {
                out.push(uid.to_string());
            }
            map.values().for_each(|v| collect_datasource_uids(v, out));
        }
        Json::Array(items) => items.iter().for_each(|i| collect_datasource_uids(i, out)),
        _ => {}
    }
}

#[test]
fn the_dashboard_shows_the_metrics_exercises_8_and_9_export() {
    let dc = DevContainer::load();
    let (_, backend) = dc.backend();
    let mut names = BTreeSet::new();
    for (path, _) in provisioned_dashboards(&dc, backend) {
        let mut queries = Vec::new();
        dashboard_queries(&parse_json(&path), &mut queries);
        names.extend(queries.iter().flat_map(|q| identifiers(q).map(str::to_string).collect::<Vec<_>>()));
    }
    for exercise in ["08", "09"] {
        let metrics = snapshot_metrics(&dc.root, exercise);
        assert!(!metrics.is_empty(), "checker/snapshots/{exercise}-*.snap has no metrics");
        for (name, kind, unit) in metrics {
            let stored = prometheus_name(&name, &kind, &unit);
            let queried = if kind == "histogram" { format!("{stored}_bucket") } else { stored.clone() };
            assert!(
                names.contains(&queried) || names.contains(&format!("{stored}_count")),
                "no dashboard query shows `{name}` (exercise {exercise}), which Prometheus stores as `{queried}`: \
                 update .devcontainer/grafana/dashboards/ (exercise 8's counter is named once there, in the \
                 constant `requests_counter`)"
            );
        }
    }
}

/// The TraceQL queries of a dashboard (Tempo targets' `query`).
fn tempo_queries(json: &Json, out: &mut Vec<String>) {
    match json {
        Json::Object(map) => {
            let tempo = map.get("datasource").and_then(|d| d.get("type")).and_then(Json::as_str) == Some("tempo");
            if let (true, Some(query)) = (tempo, map.get("query").and_then(Json::as_str)) {
                out.push(query.to_string());
            }
            map.values().for_each(|v| tempo_queries(v, out));
        }
        Json::Array(items) => items.iter().for_each(|i| tempo_queries(i, out)),
        _ => {}
    }
}

#[test]
fn traceql_queries_format_multi_value_variables_as_a_regex() {
    // Grafana's Tempo data source interpolates a variable without a format, so two
    // selected services become `{a,b}`, a regex that matches neither; `${name:regex}`
    // makes `(a|b)`. Prometheus and Loki format multi-values as regexes themselves.
    let dc = DevContainer::load();
    let (_, backend) = dc.backend();
    for (path, _) in provisioned_dashboards(&dc, backend) {
        let dashboard = parse_json(&path);
        let multi: Vec<&str> = dashboard
            .pointer("/templating/list")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .filter(|v| v.get("multi").and_then(Json::as_bool) == Some(true))
            .filter_map(|v| v.get("name").and_then(Json::as_str))
            .collect();
        let mut queries = Vec::new();
        tempo_queries(&dashboard, &mut queries);
        for query in &queries {
            for name in &multi {
                let unformatted = query.replace(&format!("${{{name}:regex}}"), "");
                assert!(
                    !unformatted.contains(&format!("${name}")) && !unformatted.contains(&format!("${{{name}}}")),
                    "{}: the TraceQL query {query:?} should use ${{{name}:regex}}: {name} takes several values",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn prometheus_names_follow_its_otlp_translation() {
    assert_eq!(
        prometheus_name("http.server.request.duration", "histogram", "s"),
        "http_server_request_duration_seconds"
    );
    assert_eq!(prometheus_name("iss.requests", "counter", "{request}"), "iss_requests_total");
    assert_eq!(
        prometheus_name("http.server.active_requests", "up_down_counter", "{request}"),
        "http_server_active_requests"
    );
    assert_eq!(prometheus_name("process.memory", "gauge", "By"), "process_memory_bytes");
    assert_eq!(size_in_bytes("8gb"), Some(8 << 30));
    assert_eq!(size_in_bytes("512MB"), Some(512 << 20));
    assert_eq!(size_in_bytes("8 cores"), None);
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
fn the_editor_opens_before_the_build_which_prebuilds_cache() {
    let dc = DevContainer::load();
    // Codespaces prebuilds run (and cache) onCreateCommand and updateContentCommand only.
    let cached = ["onCreateCommand", "updateContentCommand"];
    let building: Vec<&str> = LIFECYCLE_COMMANDS
        .into_iter()
        .filter(|key| dc.json.get(*key).is_some_and(|c| command_builds(&dc.root, c)))
        .collect();
    let step = building.iter().find(|k| cached.contains(k)).unwrap_or_else(|| {
        panic!(
            "the workspace must be built by onCreateCommand or updateContentCommand, the steps Codespaces prebuilds \
             cache; it is built by {building:?}"
        )
    });
    let late: Vec<&&str> = building.iter().filter(|k| !cached.contains(k)).collect();
    assert!(
        late.is_empty(),
        "{late:?} also run cargo build, after the prebuild: a learner would wait for it each time"
    );

    // The editor connects after the step named by waitFor (default updateContentCommand).
    // A Classroom student's repository has no prebuild, so the build must not hold the
    // editor back: waitFor names a step before it, and the README is open to read meanwhile.
    let wait_for = dc.string("waitFor").unwrap_or("updateContentCommand");
    let index = |key: &str| LIFECYCLE_COMMANDS.iter().position(|k| *k == key);
    assert!(
        index(wait_for).is_some_and(|w| Some(w) < index(step)),
        "\"waitFor\": {wait_for:?} keeps the editor closed until {step} has built the workspace (about 10 \
         minutes without a prebuild): wait for an earlier step"
    );
    let open_files: Vec<&str> = dc
        .json
        .pointer("/customizations/codespaces/openFiles")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(Json::as_str)
        .collect();
    assert!(
        open_files.contains(&"README.md"),
        "customizations.codespaces.openFiles should open README.md, to read while the build runs; it is {open_files:?}"
    );
    for file in open_files {
        assert!(dc.root.join(file).is_file(), "customizations.codespaces.openFiles names {file}, which is missing");
    }

    let command = &dc.json[*step];
    let script = scripts_named(command)
        .into_iter()
        .find(|s| normalise(&dc.root.join(s)).starts_with(&dc.dir))
        .unwrap_or_else(|| panic!("{step} should run a script in .devcontainer/ (it runs {command})"));
    let text = read(&normalise(&dc.root.join(&script)));
    let lines = code_lines(&text);
    let builds =
        |needles: &[&str]| lines.iter().any(|l| l.contains("cargo build") && needles.iter().all(|n| l.contains(n)));
    assert!(
        builds(&["--workspace", "--locked"]),
        "{script} should run `cargo build --workspace --locked` (every crate, with the committed Cargo.lock)"
    );
    assert!(builds(&["-p checker"]) || builds(&["--package checker"]), "{script} should run `cargo build -p checker`");
    assert!(
        builds(&["--workspace", "--manifest-path exercises/Cargo.toml"]),
        "{script} should build the exercises' workspace in one call, as the checker does: `cargo build --workspace \
         --locked --keep-going --manifest-path exercises/Cargo.toml`"
    );

    // rust-analyzer's first check, into the folder its settings name, for both workspaces
    // (named in the command, or by the `for manifest in ...` loop around it).
    let commands = shell_commands(&text);
    let checks_for = |manifest: &str| {
        commands.iter().any(|c| {
            c.contains("cargo check")
                && ["--workspace", "--all-targets", "--target-dir target/rust-analyzer"].iter().all(|n| c.contains(n))
                && (c.contains(&format!("--manifest-path {manifest}"))
                    || (c.contains("--manifest-path \"$manifest\"")
                        && commands.iter().any(|f| f.starts_with("for manifest in") && f.contains(manifest))))
        })
    };
    for manifest in ["Cargo.toml", "exercises/Cargo.toml"] {
        assert!(
            checks_for(manifest),
            "{script} should run rust-analyzer's first check of {manifest}: `cargo check --workspace --all-targets \
             --manifest-path {manifest} --target-dir target/rust-analyzer`"
        );
    }
    // "Ready" comes last: after every build and check.
    let ready = commands.iter().rposition(|c| c.contains("Ready")).unwrap_or_else(|| {
        panic!("{script} should say \"Ready\" when the build is done: the editor opened long before")
    });
    let last_build =
        commands.iter().rposition(|c| c.contains("cargo build") || c.contains("cargo check")).unwrap_or_default();
    assert!(ready > last_build, "{script} says \"Ready\" before its last build ({})", commands[last_build]);
}

#[test]
fn host_requirements_fit_the_lab() {
    let dc = DevContainer::load();
    let host = dc.json.get("hostRequirements").unwrap_or_else(|| {
        panic!("devcontainer.json needs \"hostRequirements\" (cpus, memory, storage): the machine the lab needs")
    });
    let cpus = host.get("cpus").and_then(Json::as_u64).unwrap_or(0);
    assert!(cpus >= 2, "hostRequirements.cpus is {cpus}: the lab's build wants at least 2 cores");
    // Grafana's stack (about 1 GB), rust-analyzer and cargo together; and target/ (about
    // 3 GB), the two images and the toolchain on disk.
    for (key, at_least_gb) in [("memory", 8), ("storage", 32)] {
        let text = host.get(key).and_then(Json::as_str).unwrap_or_default();
        let bytes =
            size_in_bytes(text).unwrap_or_else(|| panic!("hostRequirements.{key} should be a size like \"8gb\""));
        assert!(bytes >= at_least_gb << 30, "hostRequirements.{key} is {text}: the lab needs at least {at_least_gb}gb");
    }
}

// ---------------------------------------------------------------------------------------
// The backend's start-up script, whose readiness check must ask Grafana where it listens

/// The image the upstream lines below were read from.
const LGTM_IMAGE: &str = "grafana/otel-lgtm:0.31.0";

/// grafana/docker-otel-lgtm, tag v0.31.0 (a10e35e), docker/run-all.sh:90-97: the URLs its
/// start-up loop (:143-176) polls every second until each answers 200, and whose
/// fail-fast check (:151-161) stops every component when one exits before it is ready.
const UPSTREAM_READINESS_LINES: &str = r#"# Define services and their health check URLs
declare -A services
services["grafana"]="http://127.0.0.1:3000/api/health"
services["loki"]="http://127.0.0.1:3100/ready"
services["prometheus"]="http://127.0.0.1:9090/api/v1/status/runtimeinfo"
services["tempo"]="http://127.0.0.1:3200/ready"
services["pyroscope"]="http://127.0.0.1:4040/ready"
services["otelcol"]="http://127.0.0.1:13133/ready"
"#;

/// The same file, :209: where it asks Grafana for a service account once all is up.
const UPSTREAM_GRAFANA_URL_LINE: &str = r#"GRAFANA_URL="${GRAFANA_URL:-http://127.0.0.1:3000}""#;

/// The backend's command: the script it runs, as (the file here, its path in the container).
fn backend_start_script(dc: &DevContainer, backend: &Yaml) -> (PathBuf, String) {
    let command: Vec<&str> = match backend.get("command") {
        Some(Yaml::Sequence(argv)) => argv.iter().filter_map(Yaml::as_str).collect(),
        Some(Yaml::String(line)) => line.split_whitespace().collect(),
        _ => vec![],
    };
    let mounts = bind_mounts(backend, dc.compose_dir());
    command.iter().find_map(|word| mounts.iter().find(|(_, target)| target == word).cloned()).unwrap_or_else(|| {
        panic!(
            "the backend's `command:` ({command:?}) should run a script mounted from .devcontainer/ that starts the \
                 image's run-all.sh with Grafana's readiness check on GF_SERVER_HTTP_PORT"
        )
    })
}

/// Runs the backend's start script on a stand-in for the image's run-all.sh made of
/// `upstream` and a last line that prints Grafana's readiness URL; returns (stdout, stderr).
fn run_start_script(script: &Path, upstream: &str, grafana_port: u16) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let run_all = dir.path().join("run-all.sh");
    std::fs::write(&run_all, format!("#!/usr/bin/env bash\n{upstream}echo \"grafana: ${{services[grafana]}}\"\n"))
        .unwrap();
    let out = Command::new("bash")
        .arg(script)
        .env("LGTM_RUN_ALL", &run_all)
        .env("GF_SERVER_HTTP_PORT", grafana_port.to_string())
        .output()
        .expect("bash runs");
    assert!(out.status.success(), "{} failed: {}", script.display(), String::from_utf8_lossy(&out.stderr));
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn the_backends_readiness_check_asks_grafana_on_its_own_port() {
    let dc = DevContainer::load();
    let (name, backend) = dc.backend();
    assert_eq!(
        image(backend),
        Some(LGTM_IMAGE),
        "the backend {name:?} uses another image than the one whose run-all.sh this test quotes: read docker/run-all.sh \
         at the new tag, update UPSTREAM_READINESS_LINES and LGTM_IMAGE, and check .devcontainer/lgtm/run-all.sh"
    );
    let port = grafana_port(backend);
    assert_ne!(port, DISTANCE_SERVICE, "Grafana must not listen on the distance service's port");

    let (script, _) = backend_start_script(&dc, backend);
    assert_runnable_script(&dc.root, &script.strip_prefix(&dc.root).unwrap().to_string_lossy(), "the backend");
    let (stdout, stderr) = run_start_script(&script, UPSTREAM_READINESS_LINES, port);
    assert_eq!(
        stdout.trim(),
        format!("grafana: http://127.0.0.1:{port}/api/health"),
        "the rewritten run-all.sh should poll Grafana on {port}; stderr: {stderr}"
    );

    // Once all is up, run-all.sh asks Grafana for a service account at GRAFANA_URL.
    let url = environment(backend, "GRAFANA_URL").unwrap_or_default();
    assert_eq!(
        host_and_port(&url).and_then(|(_, p)| p),
        Some(port),
        "GRAFANA_URL={url:?}: run-all.sh ({UPSTREAM_GRAFANA_URL_LINE}) would ask another port for Grafana's service \
         account"
    );
}

#[test]
fn a_run_all_sh_without_the_line_still_starts_and_says_so() {
    let dc = DevContainer::load();
    let (_, backend) = dc.backend();
    let (script, _) = backend_start_script(&dc, backend);
    let changed = UPSTREAM_READINESS_LINES.replace("127.0.0.1:3000/api/health", "localhost:3000/api/health");
    let (stdout, stderr) = run_start_script(&script, &changed, 3300);
    assert_eq!(stdout.trim(), "grafana: http://localhost:3000/api/health", "run unchanged");
    assert!(stderr.contains("started unchanged"), "and the container's log says why: {stderr:?}");
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
        depends_on: { lgtm: { condition: service_healthy } }
        "#,
    )
    .unwrap();
    assert_eq!(container_ports(&service), BTreeSet::from([4317, 4318, 5000, 5001, 5002, 9000, 14250, 16686]));
    assert_eq!(environment(&service, "A").as_deref(), Some("1"));
    assert_eq!(environment(&service, "B").as_deref(), Some(""));
    assert_eq!(depends_on(&service), BTreeSet::from(["lgtm".to_string()]));
    assert_eq!(host_and_port("http://127.0.0.1:4318/v1/traces"), Some(("127.0.0.1".into(), Some(4318))));
    assert_eq!(host_and_port("lgtm:4317"), Some(("lgtm".into(), Some(4317))));
    assert_eq!(
        scripts_named(&serde_json::json!("bash -c 'x' && ./a.sh; .devcontainer/b.sh")),
        vec!["./a.sh", ".devcontainer/b.sh"]
    );
    assert_eq!(
        scripts_named(&serde_json::json!({"one": [".devcontainer/c.sh", "arg"], "two": "true"})),
        vec![".devcontainer/c.sh"]
    );
}
