#!/usr/bin/env bash
# Prepare a fresh Debian machine (as root) to run or test the platform:
# Debian packages (Docker engine, iptables, debootstrap, chromium, node, gettext), the
# Python virtual environment, the portal's translations, configurable-http-proxy, and a running dockerd.
# Idempotent: every step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m» %s\033[0m\n' "$*"; }

if [ "$(id -u)" != 0 ]; then echo "error: run as root (the platform manages Docker and the host firewall)" >&2; exit 2; fi

need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v iptables >/dev/null || need+=(iptables)
command -v debootstrap >/dev/null || need+=(debootstrap)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)   # tests run the registry on a real PostgreSQL
command -v chromium >/dev/null || need+=(chromium)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
command -v msgfmt >/dev/null || need+=(gettext)   # compiles the portal's translations
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  say "Installing Debian packages: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  say "No Docker engine answers: starting dockerd (log in /var/log/mdp-dockerd.log)"
  if command -v systemctl >/dev/null && systemctl start docker 2>/dev/null; then :; else
    nohup dockerd >/var/log/mdp-dockerd.log 2>&1 &
  fi
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { echo "error: dockerd did not start; see /var/log/mdp-dockerd.log" >&2; exit 2; }
fi

if [ ! -x .venv/bin/mdp ] || [ pyproject.toml -nt .venv/.installed ]; then
  say "Creating the Python environment in .venv"
  python3 -m venv .venv
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e '.[test]'
  touch .venv/.installed
fi

say "Compiling the translations (mdp/*/locale)"
(cd mdp && ../.venv/bin/django-admin compilemessages -v 0)

if [ ! -x .tools/node_modules/.bin/configurable-http-proxy ]; then
  say "Installing configurable-http-proxy (npm) in .tools"
  npm install --silent --no-audit --no-fund --prefix .tools configurable-http-proxy@4 >/dev/null
fi

say "Building images (skipped when their inputs did not change)"
.venv/bin/mdp images build
