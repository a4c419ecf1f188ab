#!/usr/bin/env bash
# Run by the Classroom workflow (classroom.yml): lists what the graded commit changed
# outside exercises/ since the repository was handed out, into the file named by $1
# (default changes-outside-exercises.txt), and warns in the job's log and summary when
# that list is not empty. checker/tests/classroom.rs runs it on scratch repositories.
#
# "Handed out" is the root commit, followed by the commits GitHub Classroom's bot makes
# right after it (it adds the deadline and "Open in Codespaces" badges to README.md):
# diffing from the root would flag every learner's repository for the bot's README
# edit. Only the bot's commits in an unbroken run after the root count, so a learner's
# commit made later under the bot's name does not hide what came before it.
set -euo pipefail

out="${1:-changes-outside-exercises.txt}"
bot='github-classroom[bot]'

base=""
for commit in $(git rev-list --first-parent --reverse HEAD); do
    if [ -z "$base" ] || [ "$(git log -1 --format=%an "$commit")" = "$bot" ]; then
        base="$commit"
    else
        break
    fi
done

echo "Handed out as $(git log -1 --format='%h %s (%an)' "$base")"
git diff --stat "$base" HEAD -- . ':(exclude)exercises' > "$out"
if [ -s "$out" ]; then
    echo "::warning title=Changes outside exercises/::the graded commit changes files the learner does not work in; see the job summary"
    {
        echo '### Changes outside exercises/ since the repository was handed out'
        echo '```'
        cat "$out"
        echo '```'
    } >> "${GITHUB_STEP_SUMMARY:-/dev/null}"
else
    echo "No changes outside exercises/."
fi
