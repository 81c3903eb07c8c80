# Shared by scripts/mutants.sh and scripts/swarm-mutants.sh: exact text replacement of one rule in one source file,
# and its restoration on every exit path. Source it after `cd` to the repository root.

# Start from sources that match git, so that the final check (`mutation_check_restored`) can prove the restore.
mutation_require_clean() {
    command -v python3 > /dev/null || {
        echo "python3 is needed for exact text replacement" >&2
        exit 2
    }
    if ! git diff --quiet -- Sources Package.swift; then
        echo "Sources/ has uncommitted changes; commit or stash them first (the final check compares against git)" >&2
        exit 2
    fi
}

BACKUP=""
TARGET=""
# Puts the mutated file back from its copy; safe to call twice.
restore() {
    if [[ -n "$BACKUP" && -f "$BACKUP" ]]; then
        cp "$BACKUP" "$TARGET"
        rm -f "$BACKUP"
    fi
    BACKUP=""
    TARGET=""
}
trap restore EXIT
trap 'restore; echo "interrupted: sources restored" >&2; exit 130' INT TERM

# mutation_apply FILE OLD NEW: keeps a copy of FILE, then replaces OLD (exactly one occurrence) by NEW; on failure
# the file is untouched and the status is 1.
mutation_apply() {
    TARGET="$1"
    BACKUP="$(mktemp "${TMPDIR:-/tmp}/mutant.XXXXXX")"
    cp "$TARGET" "$BACKUP"
    if ! replace "$1" "$2" "$3"; then
        restore
        return 1
    fi
}

# replace FILE OLD NEW: exactly one occurrence, or fail without touching the file.
replace() {
    MUTANT_OLD="$2" MUTANT_NEW="$3" python3 - "$1" << 'PY'
import os, sys
path = sys.argv[1]
old, new = os.environ["MUTANT_OLD"], os.environ["MUTANT_NEW"]
with open(path, encoding="utf-8") as handle:
    text = handle.read()
count = text.count(old)
if count != 1:
    sys.stderr.write(f"{path}: the text to replace occurs {count} times, expected exactly once:\n{old}\n")
    sys.exit(1)
with open(path, "w", encoding="utf-8") as handle:
    handle.write(text.replace(old, new, 1))
PY
}

# After the last mutant: no trap any more, and Sources/ must match git again.
mutation_check_restored() {
    trap - EXIT INT TERM
    if ! git diff --quiet -- Sources; then
        echo "ERROR: Sources/ differs from git after restoring:" >&2
        git diff --stat -- Sources >&2
        exit 2
    fi
}
