#!/usr/bin/env bash
# For instructors: downloads the checker's JSON report of the latest graded run of every
# student repository of a GitHub Classroom assignment, one `<student>.json` per student,
# for `cargo run -p checker -- class DIR`.
#
#   bash .github/classroom/download-reports.sh ORGANISATION ASSIGNMENT [DIR]
#
# ASSIGNMENT is the prefix GitHub Classroom gives the assignment's repositories
# (`<assignment>-<github-user>`); the student is named after the rest. DIR defaults to
# `class-reports`. Needs the GitHub CLI (`gh auth login` with access to the
# organisation's repositories). A repository with no finished run, or whose report has
# expired (artifacts are kept 90 days by default), is named on stderr and skipped.
set -euo pipefail

if [ $# -lt 2 ]; then
    echo "usage: $0 ORGANISATION ASSIGNMENT [DIR]" >&2
    exit 2
fi
org="$1"
prefix="$2"
dir="${3:-class-reports}"
# The names classroom.yml gives its workflow and its artifact (`checker classroom`).
workflow="Autograding Tests"
artifact="checker-report"

mkdir -p "$dir"
repos=()
while read -r name; do
    case "$name" in "$prefix"-?*) repos+=("$name") ;; esac
done < <(gh repo list "$org" --limit 10000 --json name --jq '.[].name')
if [ ${#repos[@]} -eq 0 ]; then
    echo "no repository of $org is named $prefix-<student>" >&2
    exit 1
fi
got=0
missed=0
for repo in "${repos[@]}"; do
    student="${repo#"$prefix"-}"
    # The newest finished run that was not cancelled (a newer push cancels an older run).
    run="$(gh run list -R "$org/$repo" --workflow "$workflow" --status completed --limit 20 \
        --json databaseId,conclusion --jq '[.[] | select(.conclusion != "cancelled")][0].databaseId // empty')"
    if [ -z "$run" ]; then
        echo "$repo: no finished graded run yet" >&2
        missed=$((missed + 1))
        continue
    fi
    tmp="$(mktemp -d)"
    if gh run download "$run" -R "$org/$repo" -n "$artifact" -D "$tmp" >/dev/null && [ -f "$tmp/checker-report.json" ]; then
        mv "$tmp/checker-report.json" "$dir/$student.json"
        got=$((got + 1))
    else
        echo "$repo: run $run has no $artifact artifact (expired?)" >&2
        missed=$((missed + 1))
    fi
    rm -rf "$tmp"
done
echo "$got report(s) in $dir/ ($missed repositories without one); next: cargo run -p checker -- class $dir"
