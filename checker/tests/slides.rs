//! The slides follow the track: `slides/lab.md` has one section per exercise of
//! `exercises/track.toml`, in the same order, with the same numbers, names and folders.
//!
//! A section starts with a heading `## <N>. <Name>` (N is the exercise's position in the
//! track, Name its `name`), and the next line that is not blank is
//! ``Exercise: `exercises/<dir>` ``. Any other `## ` heading that starts with a number and
//! a dot is taken as a section heading too, so that a renamed or renumbered section is
//! reported instead of silently ignored. Headings inside fenced code blocks and HTML
//! comments (speaker notes) do not count.
//!
//! Sections of exercises that are not in the track yet wait in `slides/upcoming.md`, in
//! the same format; when an exercise lands in the track, its section moves to `lab.md`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Track {
    #[serde(rename = "exercise")]
    exercises: Vec<TrackExercise>,
}

#[derive(Debug, Deserialize)]
struct TrackExercise {
    dir: String,
    name: String,
}

/// One `## N. Name` section of a deck.
#[derive(Debug)]
struct Section {
    /// 1-based line of the heading.
    line: usize,
    /// The heading as written, for messages.
    heading: String,
    number: Option<usize>,
    name: String,
    /// The folder of the `Exercise:` line, if the line is there and well formed.
    dir: Option<String>,
    /// What follows the heading instead of a well-formed `Exercise:` line.
    exercise_line: Option<String>,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the checker lives in the workspace").to_path_buf()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn track() -> Vec<TrackExercise> {
    let path = root().join("exercises/track.toml");
    let track: Track =
        toml::from_str(&read(&path)).unwrap_or_else(|e| panic!("{} is not a valid track file: {e}", path.display()));
    track.exercises
}

/// `## 3. First span` -> (Some(3), "First span"). `None` for headings that are not
/// section headings (no digits and dot after `## `).
fn parse_heading(line: &str) -> Option<(Option<usize>, String)> {
    let rest = line.strip_prefix("## ")?.trim();
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return None;
    }
    let after = rest[digits.len()..].strip_prefix('.')?;
    Some((digits.parse().ok(), after.trim().to_string()))
}

/// ``Exercise: `exercises/03-first-span` `` -> "03-first-span".
fn parse_exercise_line(line: &str) -> Option<String> {
    let path = line.trim().strip_prefix("Exercise:")?.trim().strip_prefix('`')?.strip_suffix('`')?;
    let dir = path.strip_prefix("exercises/")?.trim_end_matches('/');
    (!dir.is_empty() && !dir.contains('/')).then(|| dir.to_string())
}

/// The deck's sections, in order, skipping fenced code and HTML comments.
fn parse_sections(text: &str) -> Vec<Section> {
    let mut sections: Vec<Section> = Vec::new();
    let mut fence: Option<&str> = None;
    let mut in_comment = false;
    // The section whose `Exercise:` line is still awaited.
    let mut awaiting = false;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end();
        let trimmed = line.trim_start();
        if let Some(marker) = fence {
            if trimmed.starts_with(marker) {
                fence = None;
            }
            continue;
        }
        if in_comment {
            if trimmed.contains("-->") {
                in_comment = false;
            }
            continue;
        }
        if trimmed.starts_with("<!--") {
            in_comment = !trimmed.contains("-->");
            continue;
        }
        if awaiting {
            if trimmed.is_empty() {
                continue;
            }
            awaiting = false;
            let section = sections.last_mut().expect("awaiting follows a section");
            match parse_exercise_line(trimmed) {
                Some(dir) => section.dir = Some(dir),
                None => section.exercise_line = Some(trimmed.to_string()),
            }
            if section.dir.is_some() {
                continue;
            }
        }
        for marker in ["```", "~~~"] {
            if trimmed.starts_with(marker) {
                fence = Some(marker);
            }
        }
        if fence.is_some() {
            continue;
        }
        if let Some((number, name)) = parse_heading(line) {
            sections.push(Section {
                line: i + 1,
                heading: line.to_string(),
                number,
                name,
                dir: None,
                exercise_line: None,
            });
            awaiting = true;
        }
    }
    sections
}

/// What is wrong with `deck`'s front matter, if anything: it must open the file and say
/// `marp: true`.
fn front_matter_problem(deck: &str, text: &str) -> Option<String> {
    let mut lines = text.lines();
    if lines.next().map(str::trim_end) != Some("---") {
        return Some(format!(
            "{deck} must start with Marp front matter: a first line `---`, then `marp: true`, then `---`"
        ));
    }
    let mut marp = false;
    for line in lines {
        let line = line.trim();
        if line == "---" {
            return (!marp).then(|| {
                format!("{deck}: the front matter has no `marp: true`, so Marp will not render it as slides")
            });
        }
        if let Some(value) = line.strip_prefix("marp:") {
            marp = value.trim() == "true";
        }
    }
    Some(format!("{deck}: the front matter is never closed by a line `---`"))
}

fn expected_heading(number: usize, e: &TrackExercise) -> String {
    format!("the heading `## {number}. {}` and then the line ``Exercise: `exercises/{}` ``", e.name, e.dir)
}

fn where_(deck: &str, s: &Section) -> String {
    format!("{deck}:{} `{}`", s.line, s.heading)
}

/// Problems with a deck's section format, shared by both decks: every section has its
/// `Exercise:` line, and numbers only go up.
fn format_problems(deck: &str, sections: &[Section], problems: &mut Vec<String>) {
    for s in sections {
        if s.number.is_none() {
            problems.push(format!("{}: the number is not a number", where_(deck, s)));
        }
        if s.dir.is_none() {
            problems.push(match &s.exercise_line {
                Some(found) => format!(
                    "{}: the line after the heading must name the exercise's folder, like ``Exercise: `exercises/03-first-span` ``; found `{found}`",
                    where_(deck, s)
                ),
                None => format!(
                    "{}: no line ``Exercise: `exercises/<folder>` `` after the heading",
                    where_(deck, s)
                ),
            });
        }
    }
    for pair in sections.windows(2) {
        if let (Some(a), Some(b)) = (pair[0].number, pair[1].number)
            && b <= a
        {
            problems.push(format!(
                "{} comes after section {a} (line {}): sections must follow the track's order, each once",
                where_(deck, &pair[1]),
                pair[0].line
            ));
        }
    }
}

/// Everything that keeps `lab.md` from matching the track, as messages for the instructor.
fn lab_problems(track: &[TrackExercise], lab: &str, upcoming: Option<&str>) -> Vec<String> {
    const DECK: &str = "slides/lab.md";
    let mut problems = Vec::new();
    if let Some(p) = front_matter_problem(DECK, lab) {
        problems.push(p);
    }
    let sections = parse_sections(lab);
    format_problems(DECK, &sections, &mut problems);
    let waiting = upcoming.map(parse_sections).unwrap_or_default();

    for s in &sections {
        let Some(number) = s.number else { continue };
        let Some(exercise) = number.checked_sub(1).and_then(|i| track.get(i)) else {
            problems.push(format!(
                "{}: exercise {number} is not in exercises/track.toml (it has {} exercises). Move the section to slides/upcoming.md until the exercise lands, or fix its number",
                where_(DECK, s),
                track.len()
            ));
            continue;
        };
        if s.name != exercise.name {
            problems.push(format!(
                "{}: exercise {number} is named `{}` in the track; the heading must be `## {number}. {}`",
                where_(DECK, s),
                exercise.name,
                exercise.name
            ));
        }
        if let Some(dir) = &s.dir
            && *dir != exercise.dir
        {
            problems.push(format!(
                "{}: names the folder `exercises/{dir}`, but exercise {number} lives in `exercises/{}`",
                where_(DECK, s),
                exercise.dir
            ));
        }
    }

    for (i, exercise) in track.iter().enumerate() {
        let number = i + 1;
        if sections.iter().any(|s| s.number == Some(number)) {
            continue;
        }
        let mut message = format!(
            "exercise {number}. {} (exercises/{}) has no section in {DECK}: add one starting with {}",
            exercise.name,
            exercise.dir,
            expected_heading(number, exercise)
        );
        if let Some(w) = waiting.iter().find(|w| w.dir.as_deref() == Some(&exercise.dir) || w.name == exercise.name) {
            let _ = write!(
                message,
                ". Its section is waiting in slides/upcoming.md:{} (`{}`): move it to {DECK}",
                w.line, w.heading
            );
        }
        problems.push(message);
    }
    problems
}

/// Problems with `upcoming.md`: same format, in order, and nothing that belongs in
/// `lab.md` already.
fn upcoming_problems(track: &[TrackExercise], upcoming: &str) -> Vec<String> {
    const DECK: &str = "slides/upcoming.md";
    let mut problems = Vec::new();
    if let Some(p) = front_matter_problem(DECK, upcoming) {
        problems.push(p);
    }
    let sections = parse_sections(upcoming);
    format_problems(DECK, &sections, &mut problems);
    for s in &sections {
        let landed = track
            .iter()
            .enumerate()
            .find(|(i, e)| s.number == Some(i + 1) || s.dir.as_deref() == Some(&e.dir) || s.name == e.name);
        if let Some((i, e)) = landed {
            problems.push(format!(
                "{}: exercise {}. {} (exercises/{}) is in the track now: move this section to slides/lab.md and renumber or rename it to match",
                where_(DECK, s),
                i + 1,
                e.name,
                e.dir
            ));
        }
    }
    problems
}

fn report(problems: &[String]) -> String {
    let mut text = format!(
        "the slides are out of step with exercises/track.toml ({} problem{}):\n",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    );
    for p in problems {
        let _ = writeln!(text, "  - {p}");
    }
    text.push_str(
        "Each exercise has one section in slides/lab.md, in track order, starting with `## <N>. <Name>` and then ``Exercise: `exercises/<dir>` `` (see slides/README.md).",
    );
    text
}

#[test]
fn lab_deck_has_one_section_per_exercise_in_track_order() {
    let track = track();
    let lab = read(&root().join("slides/lab.md"));
    let upcoming = std::fs::read_to_string(root().join("slides/upcoming.md")).ok();
    let problems = lab_problems(&track, &lab, upcoming.as_deref());
    assert!(problems.is_empty(), "{}", report(&problems));
}

#[test]
fn upcoming_deck_holds_only_exercises_not_in_the_track_yet() {
    let path = root().join("slides/upcoming.md");
    let Ok(upcoming) = std::fs::read_to_string(&path) else {
        return; // every section has moved to lab.md: nothing waits
    };
    let problems = upcoming_problems(&track(), &upcoming);
    assert!(problems.is_empty(), "{}", report(&problems));
}

// The checks themselves, on small decks, so that a broken check cannot pass silently.

fn small_track() -> Vec<TrackExercise> {
    [("01-resource", "Resource"), ("02-tracer-provider", "Tracer provider")]
        .into_iter()
        .map(|(dir, name)| TrackExercise { dir: dir.into(), name: name.into() })
        .collect()
}

const FRONT: &str = "---\nmarp: true\n---\n\n# Title\n\n---\n\n";

fn deck(body: &str) -> String {
    format!("{FRONT}{body}")
}

const GOOD: &str = "## 1. Resource\n\nExercise: `exercises/01-resource`\n\n---\n\n## Resource: the code\n\n```text\n## 9. Not a heading\n```\n\n<!--\n## 8. Nor this\n-->\n\n---\n\n## 2. Tracer provider\nExercise: `exercises/02-tracer-provider`\n";

#[test]
fn a_deck_in_step_with_the_track_passes() {
    let problems = lab_problems(&small_track(), &deck(GOOD), None);
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn a_missing_section_is_reported_and_points_at_upcoming() {
    let lab = deck("## 1. Resource\nExercise: `exercises/01-resource`\n");
    let upcoming = deck("## 2. Tracer provider\nExercise: `exercises/02-tracer-provider`\n");
    let problems = lab_problems(&small_track(), &lab, Some(&upcoming));
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(problems[0].contains("exercise 2. Tracer provider"), "{}", problems[0]);
    assert!(problems[0].contains("move it to slides/lab.md"), "{}", problems[0]);
    let problems = upcoming_problems(&small_track(), &upcoming);
    assert!(problems[0].contains("is in the track now"), "{problems:#?}");
}

#[test]
fn wrong_names_folders_numbers_and_order_are_reported() {
    let cases = [
        (GOOD.replace("1. Resource", "1. Resources"), "is named `Resource`"),
        (GOOD.replace("exercises/01-resource", "exercises/01-res"), "lives in `exercises/01-resource`"),
        (GOOD.replace("Exercise: `exercises/01-resource`", "See exercises/01-resource"), "must name the exercise's folder"),
        (format!("{GOOD}\n---\n\n## 3. Nested spans\nExercise: `exercises/03-nested-spans`\n"), "exercise 3 is not in exercises/track.toml"),
        (
            "## 2. Tracer provider\nExercise: `exercises/02-tracer-provider`\n\n---\n\n## 1. Resource\nExercise: `exercises/01-resource`\n".to_string(),
            "must follow the track's order",
        ),
    ];
    for (body, expected) in cases {
        let problems = lab_problems(&small_track(), &deck(&body), None);
        assert!(
            problems.iter().any(|p| p.contains(expected)),
            "expected a problem containing {expected:?} for:\n{body}\ngot {problems:#?}"
        );
    }
}

#[test]
fn a_deck_without_marp_front_matter_is_reported() {
    for text in
        [GOOD.to_string(), format!("---\ntheme: default\n---\n{GOOD}"), format!("---\nmarp: false\n---\n{GOOD}")]
    {
        let problems = lab_problems(&small_track(), &text, None);
        assert!(problems.iter().any(|p| p.contains("front matter")), "{text}\n{problems:#?}");
    }
}

/// The slides of a deck, split at Marp's `---` separators (outside code blocks), after
/// the front matter.
fn slides(deck: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut in_code = false;
    let body = deck.strip_prefix("---\n").and_then(|rest| rest.split_once("\n---\n")).map_or(deck, |(_, b)| b);
    for line in body.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        }
        if !in_code && line.trim_end() == "---" {
            out.push(String::new());
        } else {
            let last = out.last_mut().expect("one slide at least");
            last.push_str(line);
            last.push('\n');
        }
    }
    out
}

/// The lines of a slide's fenced code blocks.
fn code_lines(slide: &str) -> Vec<&str> {
    let mut in_code = false;
    let mut out = vec![];
    for line in slide.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        } else if in_code {
            out.push(line);
        }
    }
    out
}

/// Speaker notes: HTML comments that are not Marp directives (`<!-- _class: lead -->`).
fn has_speaker_notes(slide: &str) -> bool {
    slide.split("<!--").skip(1).filter_map(|c| c.split_once("-->")).any(|(comment, _)| {
        let c = comment.trim();
        !c.is_empty() && !c.lines().all(|l| l.trim().starts_with('_') || l.trim().is_empty())
    })
}

/// What a room can read: at most 18 code lines on a slide and 93 columns a line (what fits at
/// 20 px in the pinned mono font; the layout check measures the rest); every picture there;
/// speaker notes in every exercise's section.
fn readability_problems(deck: &str, dir: &Path) -> Vec<String> {
    let mut problems = vec![];
    let mut section: Option<(String, bool)> = None;
    let close = |section: &mut Option<(String, bool)>, problems: &mut Vec<String>| {
        if let Some((heading, false)) = section.take() {
            problems.push(format!("section `{heading}` has no speaker notes (an HTML comment `<!-- ... -->`)"));
        }
    };
    for (i, slide) in slides(deck).iter().enumerate() {
        let n = i + 1;
        let title = slide.lines().find(|l| l.starts_with('#')).unwrap_or("(untitled)").trim_start_matches('#').trim();
        let code = code_lines(slide);
        if code.len() > 18 {
            problems.push(format!("slide {n} `{title}` has {} code lines (at most 18)", code.len()));
        }
        for line in code.iter().filter(|l| l.chars().count() > 93) {
            problems.push(format!(
                "slide {n} `{title}` has a code line of {} columns (at most 93): {line}",
                line.chars().count()
            ));
        }
        for (at, _) in slide.match_indices("](") {
            let rest = &slide[at + 2..];
            let target = rest.split([')', ' ']).next().unwrap_or("");
            if !target.contains("://") && !target.starts_with('#') && !target.is_empty() && !dir.join(target).is_file()
            {
                problems.push(format!("slide {n} `{title}` shows `{target}`, which is not in slides/"));
            }
        }
        // A lead slide (the closing one) ends the exercises' sections.
        if let Some((Some(number), name)) = slide.lines().find_map(parse_heading) {
            close(&mut section, &mut problems);
            section = Some((format!("{number}. {name}"), false));
        } else if slide.contains("_class: lead") {
            close(&mut section, &mut problems);
        }
        if has_speaker_notes(slide)
            && let Some((_, notes)) = &mut section
        {
            *notes = true;
        }
    }
    close(&mut section, &mut problems);
    problems
}

#[test]
fn every_slide_is_readable_and_every_section_has_speaker_notes() {
    let dir = root().join("slides");
    let problems = readability_problems(&read(&dir.join("lab.md")), &dir);
    assert!(problems.is_empty(), "slides/lab.md:\n  - {}", problems.join("\n  - "));
}

#[test]
fn long_code_missing_pictures_and_silent_sections_are_reported() {
    let dir = root().join("slides");
    let long: String = (0..23).map(|i| format!("let x{i} = {i};\n")).collect();
    let deck = format!(
        "---\nmarp: true\n---\n\n## 1. Resource\n\nExercise: `exercises/01-resource`\n\n---\n\n## Code\n\n```rust\n{long}```\n\n![w:400](diagrams/none.svg)\n"
    );
    let problems = readability_problems(&deck, &dir);
    assert!(problems.iter().any(|p| p.contains("has 23 code lines")), "{problems:?}");
    assert!(problems.iter().any(|p| p.contains("diagrams/none.svg")), "{problems:?}");
    assert!(problems.iter().any(|p| p.contains("section `1. Resource` has no speaker notes")), "{problems:?}");
    let fine = "---\nmarp: true\n---\n\n## 1. Resource\n\nExercise: `exercises/01-resource`\n\n![w:400](diagrams/services.svg)\n\n<!--\nSay why.\n-->\n";
    assert_eq!(readability_problems(fine, &dir), Vec::<String>::new());
}

// The layout check (slides/layout-check.cjs), run on small decks with the deck's own style:
// what it must catch, and a control that passes. It needs Chromium, Node.js and marp-cli in
// slides/.marp, which slides/render.sh installs; `.ci/run` runs these after the render.

/// The front matter of `slides/lab.md` (its style, with the pinned fonts), then `body`.
fn fixture_deck(body: &str) -> String {
    let lab = read(&root().join("slides/lab.md"));
    let end = lab[4..].find("\n---\n").expect("lab.md's front matter is closed") + 4 + 5;
    format!("{}\n{body}\n", &lab[..end])
}

/// Renders `deck` in a folder of its own (with `slides/fonts/` and `slides/diagrams/` beside
/// it when `with_fonts`) and runs the layout check on it: its exit code and output.
fn layout_check(deck: &str, with_fonts: bool) -> (i32, String) {
    let slides = root().join("slides");
    let marp = slides.join(".marp/node_modules/.bin/marp");
    assert!(
        marp.is_file(),
        "marp-cli is not in slides/.marp: run `bash slides/render.sh` once (it installs it), then this test"
    );
    let dir = tempfile::tempdir().expect("a temporary folder");
    let copy = |name: &str| {
        std::fs::create_dir(dir.path().join(name)).unwrap();
        for entry in std::fs::read_dir(slides.join(name)).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), dir.path().join(name).join(entry.file_name())).unwrap();
        }
    };
    copy("diagrams");
    if with_fonts {
        copy("fonts");
    }
    std::fs::write(dir.path().join("deck.md"), deck).unwrap();
    let run = |program: &Path, args: &[&str]| {
        std::process::Command::new(program)
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()))
    };
    let html = run(&marp, &["--no-config-file", "--html", "deck.md", "-o", "deck.html"]);
    assert!(html.status.success(), "marp failed: {}", String::from_utf8_lossy(&html.stderr));
    let chromium = std::env::var("CHROME_PATH").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let check = run(
        Path::new("node"),
        &[slides.join("layout-check.cjs").to_str().unwrap(), dir.path().join("deck.html").to_str().unwrap(), &chromium],
    );
    let out = format!("{}{}", String::from_utf8_lossy(&check.stdout), String::from_utf8_lossy(&check.stderr));
    (check.status.code().unwrap_or(-1), out)
}

const INLINE_CODE_SLIDE: &str = "## Rate and errors: what you should see\n\nLater: ``metric `iss.requests` has an unexpected data point with {error.type=\"unknown_place\", ...}``: a 404 counted as an error\n";

#[test]
#[ignore = "needs Chromium, Node.js and slides/.marp (bash slides/render.sh installs it); .ci/run runs it"]
fn the_layout_check_catches_inline_code_running_past_the_slide_edge() {
    // The paragraph wraps and fits; the inline code in it does not wrap and runs past the
    // right edge (slide 34 of the deck before the fix).
    let (code, out) = layout_check(&fixture_deck(INLINE_CODE_SLIDE), true);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("too wide") && out.contains("iss.requests"), "{out}");
    // What runs past the edge is the inline code, nested in a paragraph that fits.
    assert!(out.contains("(code \"metric `iss.requests`"), "{out}");
    assert!(out.contains("Layout: 0 of 1 slides fit"), "{out}");

    // The control: the same message in a code block fits.
    let fits = "## Rate and errors: what you should see\n\n```text\nmetric `iss.requests` has an unexpected data point\n  with {error.type=\"unknown_place\", ...}\n```\n";
    let (code, out) = layout_check(&fixture_deck(fits), true);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Layout: 1 of 1 slides fit"), "{out}");
    assert!(out.contains("fonts drawn: Liberation Mono, Liberation Sans"), "{out}");
}

#[test]
#[ignore = "needs Chromium, Node.js and slides/.marp (bash slides/render.sh installs it); .ci/run runs it"]
fn the_layout_check_fails_when_the_text_is_not_in_the_pinned_font() {
    // Without slides/fonts/ beside the HTML, Chromium falls back to a system font: the
    // measurements would be another machine's.
    let (code, out) = layout_check(&fixture_deck("## A slide\n\nSome text and `some code`\n"), false);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("not the pinned font"), "{out}");
}

#[test]
#[ignore = "needs Chromium, Node.js and slides/.marp (bash slides/render.sh installs it); .ci/run runs it"]
fn the_layout_check_fails_on_small_code_and_small_diagram_labels() {
    let small_code = "<style scoped>pre { font-size: 14px; }</style>\n\n## Small code\n\n```rust\nlet x = 1;\n```\n";
    let (code, out) = layout_check(&fixture_deck(small_code), true);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("code drawn at 14.0px"), "{out}");

    let small_picture = "## A small picture\n\n![w:300](diagrams/pipeline.svg)\n";
    let (code, out) = layout_check(&fixture_deck(small_picture), true);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("diagram diagrams/pipeline.svg: label"), "{out}");
}

/// Sections whose first slide lacks the exercise class (`<!-- _class: exercise -->`): the
/// class draws the section's title larger, with its rule, so that the room sees a new
/// exercise start.
fn class_problems(deck: &str) -> Vec<String> {
    slides(deck)
        .iter()
        .filter_map(|slide| {
            let heading = slide.lines().find(|l| matches!(parse_heading(l), Some((Some(_), _))))?;
            (!slide.contains("<!-- _class: exercise -->")).then(|| {
                format!("section `{heading}`: its first slide needs `<!-- _class: exercise -->` before the heading")
            })
        })
        .collect()
}

#[test]
fn every_section_starts_with_an_exercise_slide() {
    let problems = class_problems(&read(&root().join("slides/lab.md")));
    assert!(problems.is_empty(), "slides/lab.md:\n  - {}", problems.join("\n  - "));
}

#[test]
fn a_section_without_the_exercise_class_is_reported() {
    let with =
        "---\nmarp: true\n---\n\n<!-- _class: exercise -->\n\n## 1. Resource\n\nExercise: `exercises/01-resource`\n";
    assert_eq!(class_problems(with), Vec::<String>::new());
    let without = with.replace("<!-- _class: exercise -->\n\n", "");
    let problems = class_problems(&without);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("## 1. Resource"), "{problems:?}");
}
