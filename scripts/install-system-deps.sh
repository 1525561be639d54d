#!/usr/bin/env bash
# The one place that lists the system packages releasecast needs. Used by the README's
# commands, .ci/run and the Dockerfile, so all three install exactly the same thing.
#   scripts/install-system-deps.sh          runtime: ffmpeg, espeak-ng, fonts, git
#   scripts/install-system-deps.sh --test   plus what the test suite runs for real
#   scripts/install-system-deps.sh --image  the Action's image: runtime with Debian's Python,
#                                           without python3-venv (nothing is built there) and
#                                           without ffmpeg (PyAV's FFmpeg does audio and video)
set -euo pipefail

runtime=(
  espeak-ng         # offline narration voice
  git
  fonts-lato        # the Latin face the cards and slides are designed around
  fonts-dejavu-core # Latin, Greek, Cyrillic, Hebrew, Arabic
  fonts-noto-cjk    # Chinese, Japanese, Korean glyphs (no tofu boxes)
  fonts-noto-color-emoji
  libfribidi0       # lets Pillow's bundled libraqm load: Arabic shaping, bidi inside a run
  apertium apertium-eng-spa apertium-en-ca   # offline translation en->es, en->ca
  ca-certificates
)
testing=(
  jekyll            # real `jekyll build` of generated posts (Debian ships jekyll-seo-tag with it)
  ruby-jekyll-seo-tag
  ruby-jekyll-feed
  redis-server
  postgresql
  chromium          # dashboard tests, driven by Playwright with executable_path
  docker-compose    # `docker-compose config` validates the App's compose file (no engine needed)
  sox
  iproute2          # the Piper test brings up loopback in a network namespace without network
  util-linux        # unshare
)

host=(
  python3-venv      # `python3 -m venv` on a Debian-packaged Python (scripts/setup-venv.sh)
  ffmpeg            # ffprobe/ffmpeg: the tests and the bench check reels with them
)

pkgs=("${runtime[@]}")
if [[ "${1:-}" == "--image" ]]; then
  pkgs+=(python3)
else
  pkgs+=("${host[@]}")
fi
if [[ "${1:-}" == "--test" ]]; then
  pkgs+=("${testing[@]}")
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if [[ "${1:-}" == "--image" ]]; then
  # py3compile wrote a cache for every module of the standard library (12 MiB); the image gets
  # back only those an Action run imports (requirements/keep-used-bytecode.sh, 5 MiB).
  find /usr/lib/python3* -name __pycache__ -type d -prune -exec rm -rf {} +
fi
if [[ "${1:-}" == "--test" ]]; then
  "$(dirname "$0")/install-lint-tools.sh"   # actionlint for the Action's workflow tests
fi
