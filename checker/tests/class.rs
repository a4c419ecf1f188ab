//! The class view (`checker class DIR`), with reports made from the lab itself standing in
//! for a class: `checker/tests/fixtures/class/` holds one report per made-up student,
//! composed of the real checker's verdicts on the starters, the reference solutions and
//! wrong-solution variants (`variants.toml`). Regenerate them (after a change to the
//! report, the starters or the variants) with
//! `cargo test -p checker --test class -- --ignored regenerate_the_class_fixtures --nocapture`.
//!
//! The page is opened in headless Chromium (Debian `chromium`; the test fails without it,
//! `.ci/run` installs it), and the figures it shows are checked against the reports.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;
use checker::capture;
use checker::grade::{self, Options};
use checker::report::{JsonExercise, JsonReport};
use checker::track::{Side, Track};
use checker::verdict::Verdict;
use serde::Deserialize;
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn fixtures() -> PathBuf {
    root().join("checker/tests/fixtures/class")
}

/// The fixture reports, by student.
fn reports() -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "json") {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            out.insert(name, serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap());
        }
    }
    out
}

/// The text of the first element after `from` whose opening tag contains `marker`.
fn cell<'a>(html: &'a str, marker: &str) -> Option<&'a str> {
    let at = html.find(marker)?;
    let start = at + html[at..].find('>')? + 1;
    let end = start + html[start..].find('<')?;
    Some(html[start..end].trim())
}

/// One row of the page (`<tr data-exercise="3">` .. `</tr>`).
fn row<'a>(html: &'a str, attribute: &str) -> &'a str {
    let start = html.find(attribute).unwrap_or_else(|| panic!("the page has no row {attribute}"));
    let end = start + html[start..].find("</tr>").unwrap();
    &html[start..end]
}

fn chromium(args: &[&str]) -> std::process::Output {
    let output = Command::new("chromium")
        // Root in a container cannot use Chromium's sandbox; the page is the lab's own.
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect(
            "Chromium is needed to open the class view (Debian: `apt-get install chromium`; `.ci/run` installs it)",
        );
    assert!(output.status.success(), "chromium failed: {}", String::from_utf8_lossy(&output.stderr));
    output
}

#[test]
fn the_page_shows_the_class_s_figures_in_a_browser() {
    let reports = reports();
    assert!(reports.len() >= 30, "the fixtures stand in for a class of at least 30: {}", reports.len());
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    // A file that is not a report is set aside, said, and stops nothing.
    std::fs::write(dir.path().join("broken.json"), "{ \"total\": ").unwrap();
    let page = dir.path().join("class.html");
    let out = Command::cargo_bin("checker").unwrap().args(["class"]).arg(dir.path()).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains(&format!("written to {}", page.display())), "it says where: {stdout}");
    assert!(stderr.contains("broken.json"), "the bad file is named: {stderr}");

    // Every difference's kind is `<signal>.<kind>` and every cause's a kind the checker has.
    for (student, report) in &reports {
        for e in report["exercises"].as_array().unwrap() {
            for d in e["differences"].as_array().into_iter().flatten() {
                let (signal, kind) = d["kind"].as_str().unwrap().split_once('.').unwrap();
                assert_eq!(d["signal"].as_str(), Some(signal), "{student}: {d}");
                assert!(checker::kind::Kind::from_id(kind).is_some(), "{student}: {d}");
            }
            for c in e["likely_causes"].as_array().into_iter().flatten() {
                assert!(checker::kind::CauseKind::from_id(c["kind"].as_str().unwrap()).is_some(), "{student}: {c}");
            }
        }
    }

    let url = format!("file://{}", page.display());
    let dom = String::from_utf8(chromium(&["--dump-dom", &url]).stdout).unwrap();
    assert_eq!(cell(&dom, "id=\"students\""), Some(reports.len().to_string().as_str()));
    assert!(dom.contains("broken.json"), "the page lists the report it set aside");
    assert!(dom.contains("<svg id=\"pass-rate\"") && dom.contains("<svg id=\"stalls\""), "both charts are drawn");

    // Per exercise: passed, gave up, and the most common kind of difference among the rest.
    let first = &reports.values().next().unwrap()["exercises"];
    let mut stalled: BTreeMap<u64, usize> = BTreeMap::new();
    for (student, report) in &reports {
        let exercises = report["exercises"].as_array().unwrap();
        let passed = exercises.iter().filter(|e| e["status"] == "pass").count();
        let r = row(&dom, &format!("data-student=\"{student}\""));
        assert_eq!(cell(r, "class=\"num far\""), Some(format!("{passed} / {}", exercises.len()).as_str()), "{student}");
        if let Some(open) = exercises.iter().find(|e| e["status"] != "pass") {
            *stalled.entry(open["number"].as_u64().unwrap()).or_default() += 1;
        }
    }
    for exercise in first.as_array().unwrap() {
        let number = exercise["number"].as_u64().unwrap();
        let entries: Vec<&Value> = reports
            .values()
            .flat_map(|r| r["exercises"].as_array().unwrap())
            .filter(|e| e["number"].as_u64() == Some(number))
            .collect();
        let passed = entries.iter().filter(|e| e["status"] == "pass").count();
        let gave_up = entries.iter().filter(|e| e["gave_up"] == true).count();
        let r = row(&dom, &format!("<tr data-exercise=\"{number}\""));
        assert_eq!(cell(r, "class=\"num passed\""), Some(format!("{passed} / {}", entries.len()).as_str()), "{number}");
        assert_eq!(cell(r, "class=\"num gave-up\""), Some(gave_up.to_string().as_str()), "{number}");
        // Each kind counted once per student who has not passed.
        let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
        for e in entries.iter().filter(|e| e["status"] != "pass") {
            let mut seen: Vec<&str> = e["differences"]
                .as_array()
                .map(|d| d.iter().map(|d| d["kind"].as_str().expect("every difference has a kind")).collect())
                .unwrap_or_default();
            seen.sort();
            seen.dedup();
            for kind in seen {
                *kinds.entry(kind.to_string()).or_default() += 1;
            }
        }
        if let Some(most) = kinds.values().max() {
            let top = kinds.iter().filter(|(_, n)| *n == most).map(|(k, _)| k).min().unwrap();
            let shown = &r[r.find("data-kind=\"").expect("the kinds are listed") + 11..];
            assert!(shown.starts_with(&format!("{top}\"")), "exercise {number}: {top} ({most}) first; got {shown:.80}");
            assert_eq!(cell(shown, "class=\"count\""), Some(most.to_string().as_str()), "exercise {number}");
        }
        let at = stalled.get(&number).copied().unwrap_or(0);
        let bar = row(&dom, &format!("<g data-at=\"{number}\""));
        assert!(bar.contains(&format!(": {at} student(s)")), "exercise {number}: {at} stalled; {bar:.200}");
    }

    let shot = root().join("target/class-view.png");
    let _ = std::fs::remove_file(&shot);
    chromium(&[&format!("--screenshot={}", shot.display()), "--window-size=1280,2400", &url]);
    let png = std::fs::read(&shot).expect("Chromium wrote the screenshot");
    assert!(png.starts_with(b"\x89PNG") && png.len() > 20_000, "a screenshot of a drawn page: {} bytes", png.len());
    println!("screenshot: {}", shot.display());
}

#[test]
fn a_page_that_is_not_the_class_view_s_is_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixtures().join("student-01.json"), dir.path().join("student-01.json")).unwrap();
    let notes = dir.path().join("notes.html");
    std::fs::write(&notes, "<p>mine</p>").unwrap();
    let out =
        Command::cargo_bin("checker").unwrap().arg("class").arg(dir.path()).arg("--out").arg(&notes).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a class view"));
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "<p>mine</p>");
    // A folder that is not there is an error that says so, not an empty page.
    let missing = dir.path().join("no-such-folder");
    let out = Command::cargo_bin("checker").unwrap().arg("class").arg(&missing).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read the folder"), "{out:?}");
    assert!(!missing.join("class.html").exists());
    // Its own page it rewrites.
    let page = dir.path().join("class.html");
    for _ in 0..2 {
        let out = Command::cargo_bin("checker").unwrap().arg("class").arg(dir.path()).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    assert!(std::fs::read_to_string(page).unwrap().contains("data-student=\"student-01\""));
}

/// Bench-style: the figure the README quotes (the fixtures, and ten times as many).
#[test]
#[ignore = "a measurement, not a check: run with --ignored --nocapture"]
fn class_view_speed() {
    for copies in [1, 10] {
        let dir = tempfile::tempdir().unwrap();
        let mut n = 0;
        for entry in std::fs::read_dir(fixtures()).unwrap() {
            let path = entry.unwrap().path();
            for copy in 0..copies {
                let name = format!("{copy}-{}", path.file_name().unwrap().to_string_lossy());
                std::fs::copy(&path, dir.path().join(name)).unwrap();
                n += 1;
            }
        }
        let started = Instant::now();
        let written = checker::class::write(dir.path(), None).unwrap();
        let took = started.elapsed();
        assert_eq!(written.students, n);
        println!("class view of {n} reports: {} ms", took.as_millis());
    }
}

#[derive(Deserialize)]
struct Variants {
    variant: Vec<Variant>,
}

#[derive(Deserialize)]
struct Variant {
    exercise: String,
    file: String,
    #[serde(default)]
    replace: String,
    #[serde(default)]
    with: String,
}

/// Builds and grades one variant as `checker/tests/variants.rs` does.
fn grade_variant(track: &Track, v: &Variant) -> Verdict {
    let root = root();
    let exercise = track.find(&v.exercise).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(root.join(exercise.folder(Side::Solution)).join("src")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    let file = dir.path().join(v.file.strip_prefix("src/").unwrap_or(&v.file));
    let original = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, original.replacen(&v.replace, &v.with, 1)).unwrap();
    let output = Command::new(env!("CARGO"))
        .current_dir(&root)
        .args(["build", "-p", "lab-variant", "--message-format=json", "--color=never"])
        .env("LAB_VARIANT_SRC", dir.path())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let exe = stdout.lines().filter_map(|l| serde_json::from_str::<Value>(l).ok()).find_map(|m| {
        (m["reason"] == "compiler-artifact" && m["target"]["name"] == "lab-variant")
            .then(|| m["executable"].as_str().map(PathBuf::from))
            .flatten()
    });
    let ran = match (output.status.success(), exe) {
        (true, Some(exe)) => {
            let limits = capture::Limits { timeout: Duration::from_secs(60), memory_mib: capture::DEFAULT_MEMORY_MIB };
            Ok(capture::run(&exe, &exercise.scenario, limits))
        }
        _ => Err(String::from_utf8_lossy(&output.stderr).into_owned()),
    };
    grade::verdict(track, exercise, ran)
}

/// Writes the fixture class: 33 students, each with the solution's verdict on the
/// exercises before the one they are on, a variant's (when the exercise has one, for
/// every other student) or the starter's verdict there, and the starters' after it; some
/// gave up on an exercise. The students' progress is spread along the track with two
/// clusters, as a class's is.
#[test]
#[ignore = "regenerates checker/tests/fixtures/class (builds and grades every starter, solution and some variants)"]
fn regenerate_the_class_fixtures() {
    let root = root();
    let track = Track::load(&root).unwrap();
    let all: Vec<_> = track.exercises.iter().collect();
    let options = Options {
        timeout: Duration::from_secs(60),
        use_cache: false,
        memory_mib: capture::DEFAULT_MEMORY_MIB,
        build_timeout: checker::cargo::DEFAULT_BUILD_TIMEOUT,
    };
    let starters = grade::grade(&track, &all, Side::Exercise, options);
    let solutions = grade::grade(&track, &all, Side::Solution, options);
    for (exercise, verdict) in all.iter().zip(&solutions) {
        assert!(
            verdict.passed(),
            "the solution of {} passes: {} {:#?}",
            exercise.id,
            verdict.message,
            verdict.differences
        );
    }
    let variants: Variants =
        toml::from_str(&std::fs::read_to_string(root.join("checker/tests/variants.toml")).unwrap()).unwrap();
    // The first variant of each exercise: one plausible mistake per exercise.
    let mut wrong: BTreeMap<usize, Verdict> = BTreeMap::new();
    for v in &variants.variant {
        let index = all.iter().position(|e| e.id == v.exercise).unwrap();
        // An exercise graded by its tests: its variants are tests, which this stand-in
        // class does not build (its students there have the starter's verdict).
        if all[index].graded_by_tests() {
            continue;
        }
        if let std::collections::btree_map::Entry::Vacant(slot) = wrong.entry(index) {
            let verdict = grade_variant(&track, v);
            println!("variant of {}: {}", v.exercise, verdict.status.word());
            slot.insert(verdict);
        }
    }
    // Where each student is (the index of the first exercise not passed; the track's
    // length: all passed): clusters at the start, at exercise 5 and at 12, two on the last
    // exercise, two done.
    let progress: [usize; 33] = [
        0, 1, 1, 2, 2, 3, 4, 4, 4, 4, 5, 5, 6, 7, 8, 9, 11, 11, 11, 11, 11, 12, 13, 14, 15, 15, 16, 17, 18, 19, 19, 20,
        20,
    ];
    let dir = fixtures();
    for old in std::fs::read_dir(&dir).unwrap() {
        let path = old.unwrap().path();
        if path.extension().is_some_and(|x| x == "json") {
            std::fs::remove_file(path).unwrap();
        }
    }
    for (s, &at) in progress.iter().enumerate() {
        let at = at.min(all.len());
        let entries: Vec<JsonExercise> = all
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let verdict = match i.cmp(&at) {
                    std::cmp::Ordering::Less => &solutions[i],
                    std::cmp::Ordering::Equal if s % 2 == 0 => wrong.get(&i).unwrap_or(&starters[i]),
                    _ => &starters[i],
                };
                let mut entry = JsonExercise::new(e, verdict);
                // Every fifth student saw the solution of the exercise before theirs first;
                // every seventh gave up on the one they are on.
                entry.gave_up = (s % 5 == 0 && at > 0 && i == at - 1) || (s % 7 == 3 && i == at);
                entry
            })
            .collect();
        let text = serde_json::to_string_pretty(&JsonReport::new(entries)).unwrap();
        std::fs::write(dir.join(format!("student-{:02}.json", s + 1)), text + "\n").unwrap();
    }
    println!("wrote {} reports to {}", progress.len(), dir.display());
}

/// The instructor's download script, against a stand-in `gh` (no network here): each
/// repository of the assignment gives `<student>.json`, from its newest run's artifact.
#[cfg(unix)]
#[test]
fn the_download_script_names_each_report_after_its_student() {
    use std::os::unix::fs::PermissionsExt;
    let bin = tempfile::tempdir().unwrap();
    let gh = bin.path().join("gh");
    // Repositories of the organisation; `otel-lab-cy` has no finished run; `other-x` is
    // another assignment's.
    std::fs::write(
        &gh,
        r#"#!/bin/sh
echo "$*" >> "$GH_CALLS"
case "$1 $2" in
  "repo list") printf 'otel-lab-ada\notel-lab-bob\notel-lab-cy\nother-x\n' ;;
  "run list") case "$*" in *otel-lab-cy*) ;; *otel-lab-ada*) echo 11 ;; *) echo 22 ;; esac ;;
  "run download")
    while [ $# -gt 0 ]; do [ "$1" = -D ] && dir="$2"; [ "$1" = -R ] && repo="$2"; shift; done
    printf '{"from":"%s"}' "$repo" > "$dir/checker-report.json" ;;
  *) echo "stand-in gh: unexpected call: $*" >&2; exit 1 ;;
esac
"#,
    )
    .unwrap();
    std::fs::set_permissions(&gh, std::fs::Permissions::from_mode(0o755)).unwrap();
    let work = tempfile::tempdir().unwrap();
    let calls = work.path().join("calls");
    let path = format!("{}:{}", bin.path().display(), std::env::var("PATH").unwrap());
    let out = Command::new("bash")
        .arg(root().join(".github/classroom/download-reports.sh"))
        .args(["my-org", "otel-lab", "reports"])
        .current_dir(work.path())
        .env("PATH", path)
        .env("GH_CALLS", &calls)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let reports = work.path().join("reports");
    assert_eq!(std::fs::read_to_string(reports.join("ada.json")).unwrap(), r#"{"from":"my-org/otel-lab-ada"}"#);
    assert_eq!(std::fs::read_to_string(reports.join("bob.json")).unwrap(), r#"{"from":"my-org/otel-lab-bob"}"#);
    assert!(!reports.join("cy.json").exists() && !reports.join("x.json").exists());
    assert!(stderr.contains("otel-lab-cy: no finished graded run yet"), "{stderr}");
    let calls = std::fs::read_to_string(calls).unwrap();
    let artifact = format!("run download 11 -R my-org/otel-lab-ada -n {}", checker::classroom::ARTIFACT);
    assert!(calls.contains(&artifact), "the artifact classroom.yml uploads: {calls}");
    let workflow = format!("--workflow {}", checker::classroom::WORKFLOW_NAME);
    assert!(calls.contains(&workflow), "the workflow classroom.yml names: {calls}");
}
