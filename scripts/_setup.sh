# Sourced by scripts/run and scripts/test: make .venv with everything installed, once per change.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
fi
stamp=.venv/.mlquestion-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "Setting up .venv (first run or changed dependencies; the log is .venv/install.log)…" >&2
    if ! { .venv/bin/python -m pip install --upgrade pip && .venv/bin/python -m pip install -e ".[test]"; } \
        > .venv/install.log 2>&1; then
        tail -n 30 .venv/install.log >&2
        echo "Set-up failed; the whole log is in .venv/install.log" >&2
        exit 1
    fi
    touch "$stamp"
fi
export PATH="$root/.venv/bin:$PATH"
