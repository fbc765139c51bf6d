#!/usr/bin/env bash
# Installs the Debian packages Roost's server, tests and benchmarks need, if they are missing.
# `--browser` adds what only the dashboard's browser tests need (scripts/test.sh passes it):
# headless Chromium, its WebDriver and Selenium, so the demo and the server do not fetch them.
set -euo pipefail
browser=false
[ "${1:-}" = "--browser" ] && browser=true
need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || need+=(redis-tools)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
command -v python3 >/dev/null 2>&1 || need+=(python3)
# Lua 5.1 for EVAL and scripting: the engine links the system library found through pkg-config.
pkg-config --exists lua5.1 >/dev/null 2>&1 || need+=(liblua5.1-0-dev)
python3 -c "import venv, ensurepip" >/dev/null 2>&1 || need+=(python3-venv)
# Headless Chromium and its WebDriver for the dashboard's browser tests (DashboardBrowserTests).
if $browser; then
    command -v chromium >/dev/null 2>&1 || need+=(chromium)
    command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
fi
if [ ${#need[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "Installing: ${need[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
# redis-py in a venv for the real-client tests (RealClientTests), Selenium for the browser tests;
# PyPI is the only source.
root="$(cd "$(dirname "$0")/.." && pwd)"
if ! "$root/.build/pyvenv/bin/python" -c "import redis" >/dev/null 2>&1; then
    mkdir -p "$root/.build"
    python3 -m venv "$root/.build/pyvenv"
    "$root/.build/pyvenv/bin/pip" install -q redis
fi
if $browser && ! "$root/.build/pyvenv/bin/python" -c "import selenium" >/dev/null 2>&1; then
    "$root/.build/pyvenv/bin/pip" install -q selenium
fi
