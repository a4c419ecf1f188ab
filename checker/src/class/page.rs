//! The class view as one self-contained HTML page: inline CSS and SVG, no script, no
//! network, so that it opens from a file and can be mailed or archived as is.

use std::fmt::Write as _;

use super::read::Skipped;
use super::tally::{Class, ExerciseTally, KindTally};

/// The page's first line: `class` writes over a file only when it starts so (its own page).
pub const MARK: &str = "<!-- class view: written by `checker class` -->";

const STYLE: &str = "
body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 70em; padding: 0 1em; color: #1d232a; }
h1 { font-size: 1.6em; margin-bottom: .2em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccd; }
.lead { color: #555; margin-top: 0; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .3em .6em; vertical-align: top; }
th { background: #eef1f5; } tr:nth-child(even) td { background: #f8f9fb; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.kinds { margin: .2em 0 .6em; padding-left: 1.2em; } .kinds li { margin: .15em 0; }
code { font: 0.85em ui-monospace, monospace; background: #eef1f5; padding: 0 .25em; border-radius: 3px; }
.count { display: inline-block; min-width: 2em; text-align: right; margin-right: .4em; }
.example { color: #555; font-size: .9em; }
.bar { display: inline-block; height: .8em; background: #2e8b57; vertical-align: middle; border-radius: 2px; }
.skipped { color: #a33; }
svg text { font: 11px system-ui, sans-serif; fill: #333; }
";

fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn percent(part: usize, whole: usize) -> usize {
    (part * 100).checked_div(whole).unwrap_or(0)
}

pub fn render(class: &Class, skipped: &[Skipped]) -> String {
    let mut h = String::new();
    let students = class.students.len();
    let _ = writeln!(h, "{MARK}\n<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    let _ = writeln!(h, "<title>Class view: {students} students</title><style>{STYLE}</style></head><body>");
    let _ = writeln!(h, "<h1>Class view</h1>");
    let _ = writeln!(
        h,
        "<p class=\"lead\" id=\"summary\"><span id=\"students\">{students}</span> students, \
         <span id=\"exercises\">{}</span> exercises; <span id=\"finished\">{}</span> passed every exercise.</p>",
        class.exercises.len(),
        class.finished
    );
    if !skipped.is_empty() {
        let _ = writeln!(h, "<p class=\"skipped\">Reports set aside ({}):</p><ul class=\"skipped\">", skipped.len());
        for s in skipped {
            let _ = writeln!(h, "<li><code>{}</code> {}</li>", esc(&s.file.display().to_string()), esc(&s.why));
        }
        let _ = writeln!(h, "</ul>");
    }
    if students == 0 {
        let _ = writeln!(h, "<p>No report to show.</p></body></html>");
        return h;
    }
    let _ = writeln!(h, "<h2>Pass rate along the track</h2>");
    h.push_str(&pass_rate_chart(&class.exercises));
    let _ = writeln!(h, "<h2>Where the class is</h2>");
    let _ = writeln!(h, "<p class=\"lead\">Each student counts once, at the first exercise they have not passed.</p>");
    h.push_str(&stall_chart(class));
    exercises_table(&mut h, &class.exercises);
    students_table(&mut h, class);
    let _ = writeln!(h, "</body></html>");
    h
}

const BAR_W: usize = 30;
const GAP: usize = 10;
const CHART_H: usize = 160;

/// Bars of the pass rate per exercise, with the give-up rate beside each.
fn pass_rate_chart(exercises: &[ExerciseTally]) -> String {
    let width = 40 + exercises.len() * (BAR_W + GAP);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<svg id=\"pass-rate\" role=\"img\" width=\"{width}\" height=\"{}\" viewBox=\"0 0 {width} {}\" \
         xmlns=\"http://www.w3.org/2000/svg\"><title>Share of students who passed each exercise</title>",
        CHART_H + 40,
        CHART_H + 40
    );
    for p in [0, 50, 100] {
        let y = 10 + CHART_H - CHART_H * p / 100;
        let _ = writeln!(
            s,
            "<line x1=\"34\" x2=\"{width}\" y1=\"{y}\" y2=\"{y}\" stroke=\"#dde\"/><text x=\"0\" y=\"{}\">{p}%</text>",
            y + 4
        );
    }
    for (i, e) in exercises.iter().enumerate() {
        let x = 40 + i * (BAR_W + GAP);
        let rate = percent(e.passed, e.students);
        let gave = percent(e.gave_up, e.students);
        let bar = CHART_H * rate / 100;
        let gave_bar = CHART_H * gave / 100;
        let _ = writeln!(
            s,
            "<g data-exercise=\"{n}\"><title>{n}. {name}: {passed} of {all} passed ({rate}%), {g} gave up</title>\
             <rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{bar}\" fill=\"#2e8b57\"/>\
             <rect x=\"{gx}\" y=\"{gy}\" width=\"6\" height=\"{gave_bar}\" fill=\"#e0a030\"/>\
             <text x=\"{x}\" y=\"{ty}\">{rate}%</text><text x=\"{lx}\" y=\"{ly}\">{n}</text></g>",
            n = e.number,
            name = esc(&e.name),
            passed = e.passed,
            all = e.students,
            g = e.gave_up,
            y = 10 + CHART_H - bar,
            w = BAR_W - 8,
            gx = x + BAR_W - 7,
            gy = 10 + CHART_H - gave_bar,
            ty = (10 + CHART_H - bar).max(12) - 2,
            lx = x + 6,
            ly = CHART_H + 26,
        );
    }
    let _ = writeln!(
        s,
        "<text x=\"40\" y=\"{}\">exercise · green: passed · amber: gave up (saw the solution first)</text></svg>",
        CHART_H + 38
    );
    s
}

/// Bars of how many students are at each exercise (their first not passed), and done.
fn stall_chart(class: &Class) -> String {
    let most = class.exercises.iter().map(|e| e.stalled_here).chain([class.finished]).max().unwrap_or(0).max(1);
    let columns = class.exercises.len() + 1;
    let width = 40 + columns * (BAR_W + GAP);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<svg id=\"stalls\" role=\"img\" width=\"{width}\" height=\"{}\" viewBox=\"0 0 {width} {}\" \
         xmlns=\"http://www.w3.org/2000/svg\"><title>How many students are at each exercise</title>",
        CHART_H + 40,
        CHART_H + 40
    );
    let bars = class
        .exercises
        .iter()
        .map(|e| (e.number.to_string(), e.stalled_here, format!("{}. {}", e.number, esc(&e.name))))
        .chain([("done".to_string(), class.finished, "passed every exercise".to_string())]);
    for (i, (label, count, what)) in bars.enumerate() {
        let x = 40 + i * (BAR_W + GAP);
        let bar = CHART_H * count / most;
        let colour = if label == "done" { "#2e8b57" } else { "#c0504d" };
        let _ = writeln!(
            s,
            "<g data-at=\"{label}\"><title>{what}: {count} student(s)</title>\
             <rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{bar}\" fill=\"{colour}\"/>\
             <text x=\"{cx}\" y=\"{ty}\">{count}</text><text x=\"{cx}\" y=\"{ly}\">{label}</text></g>",
            y = 10 + CHART_H - bar,
            w = BAR_W - 4,
            cx = x + 4,
            ty = (10 + CHART_H - bar).max(12) - 2,
            ly = CHART_H + 26,
        );
    }
    let _ = writeln!(s, "</svg>");
    s
}

fn kinds_list(h: &mut String, title: &str, kinds: &[KindTally]) {
    if kinds.is_empty() {
        return;
    }
    let _ = writeln!(h, "<div>{title}</div><ul class=\"kinds\">");
    for k in kinds {
        let _ = writeln!(
            h,
            "<li data-kind=\"{kind}\"><span class=\"count\">{n}</span><code>{kind}</code> \
             <span class=\"example\">e.g. {example}</span></li>",
            kind = esc(&k.kind),
            n = k.students,
            example = esc(&k.example),
        );
    }
    let _ = writeln!(h, "</ul>");
}

fn exercises_table(h: &mut String, exercises: &[ExerciseTally]) {
    let _ = writeln!(h, "<h2>Per exercise</h2>");
    let _ = writeln!(
        h,
        "<p class=\"lead\">What stops those who have not passed: the kinds of difference and of likely cause, \
         each counted once per student, most common first, with one example.</p>"
    );
    let _ = writeln!(
        h,
        "<table id=\"per-exercise\"><tr><th class=\"num\">#</th><th>exercise</th><th class=\"num\">passed</th>\
         <th class=\"num\">gave up</th><th>not passed yet</th></tr>"
    );
    for e in exercises {
        let open: Vec<String> = e.not_passed.iter().map(|(status, n)| format!("{n} {}", esc(status))).collect();
        let _ = writeln!(
            h,
            "<tr data-exercise=\"{n}\"><td class=\"num\">{n}</td><td>{name} <code>{id}</code></td>\
             <td class=\"num passed\">{passed} / {all}</td><td class=\"num gave-up\">{gave}</td><td>{open}",
            n = e.number,
            name = esc(&e.name),
            id = esc(&e.id),
            passed = e.passed,
            all = e.students,
            gave = e.gave_up,
            open = open.join(", "),
        );
        kinds_list(h, "Differences", &e.differences);
        kinds_list(h, "Likely causes", &e.causes);
        let _ = writeln!(h, "</td></tr>");
    }
    let _ = writeln!(h, "</table>");
}

fn students_table(h: &mut String, class: &Class) {
    let _ = writeln!(h, "<h2>Per student</h2>");
    let _ = writeln!(
        h,
        "<table id=\"per-student\"><tr><th>student</th><th class=\"num\">passed</th><th></th>\
         <th>first exercise not passed</th><th>gave up on</th></tr>"
    );
    let mut students: Vec<_> = class.students.iter().collect();
    // Those furthest behind first: they are the ones to look at.
    students.sort_by(|a, b| a.passed.cmp(&b.passed).then_with(|| a.name.cmp(&b.name)));
    for s in students {
        let at = match &s.first_open {
            Some((n, name, status)) => format!("{n}. {} ({})", esc(name), esc(status)),
            None => "none: all passed".into(),
        };
        let gave: Vec<String> = s.gave_up.iter().map(usize::to_string).collect();
        let _ = writeln!(
            h,
            "<tr data-student=\"{name}\"><td>{name}</td><td class=\"num far\">{p} / {t}</td>\
             <td><span class=\"bar\" style=\"width:{w}px\"></span></td><td>{at}</td><td>{gave}</td></tr>",
            name = esc(&s.name),
            p = s.passed,
            t = s.total,
            w = 2 * percent(s.passed, s.total),
            gave = gave.join(", "),
        );
    }
    let _ = writeln!(h, "</table>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_student_wrote_is_shown_as_text_never_as_markup() {
        assert_eq!(esc("<script>a & 'b'</script>"), "&lt;script&gt;a &amp; &#39;b&#39;&lt;/script&gt;");
    }
}
