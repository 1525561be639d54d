#!/usr/bin/env bash
# Measures what the Action's image holds without a Docker engine: builds a Debian bookworm
# rootfs the way the Dockerfile's final stage is built (debian:bookworm-slim's dpkg excludes,
# requirements/dpkg-excludes.cfg, scripts/install-system-deps.sh --image), installs
# requirements/action.txt and the releasecast wheel into /opt/releasecast and finishes it with
# requirements/trim-venv.sh and requirements/keep-used-bytecode.sh the way the build stage does,
# prints the sizes of the parts, then renders the demo inside it and has the bundled voice time
# its words, as a smoke test.
#   sudo requirements/measure-image.sh [ROOTFS_DIR]      (needs debootstrap; about 5 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
root=${1:-/tmp/releasecast-image-rootfs}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
kib() { du -sxk --exclude=proc "$@" | cut -f1; }
in_root() { chroot "$root" env DEBIAN_FRONTEND=noninteractive PATH=/opt/releasecast/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"; }

rm -rf "$root"
debootstrap --variant=minbase bookworm "$root" "$mirror" >/dev/null
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
trap 'umount "$root/proc" 2>/dev/null || true' EXIT
# debian:bookworm-slim's own exclusions (its /etc/dpkg/dpkg.cfg.d/docker), applied to the base too.
printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
  'path-exclude /usr/share/man/*' 'path-exclude /usr/share/groff/*' \
  'path-exclude /usr/share/info/*' 'path-exclude /usr/share/lintian/*' \
  'path-exclude /usr/share/linda/*' 'path-exclude /usr/share/locale/*' \
  > "$root/etc/dpkg/dpkg.cfg.d/docker"
find "$root/usr/share/doc" -mindepth 2 ! -name copyright -delete 2>/dev/null || true
rm -rf "$root"/usr/share/{man,locale,info}/* "$root"/var/lib/apt/lists/*
in_root apt-get clean
base=$(kib "$root")

cp requirements/dpkg-excludes.cfg "$root/etc/dpkg/dpkg.cfg.d/releasecast-slim"
cp scripts/install-system-deps.sh "$root/tmp/"
in_root bash /tmp/install-system-deps.sh --image >/dev/null
in_root apt-get clean
rm -rf "$root"/var/lib/apt/lists/* "$root/tmp/install-system-deps.sh"
system=$(kib "$root")

# The build stage, in a corner of the same rootfs (the Dockerfile's build stage also starts from
# the runtime packages); only /opt/releasecast and the standard library's caches are counted.
mkdir -p "$root/tmp/src"
git archive HEAD pyproject.toml README.md pipeline app templates requirements | tar -x -C "$root/tmp/src"
in_root apt-get update -qq
in_root apt-get install -y -qq --no-install-recommends python3-venv binutils >/dev/null
in_root python3 -m venv /tmp/build
in_root python3 -m venv --without-pip /opt/releasecast
# The wheels come from this machine's pip (its index and certificates); the hashes still decide.
arch=$(in_root dpkg --print-architecture | sed 's/amd64/x86_64/; s/arm64/aarch64/')
python3 -m pip download -q --no-deps --only-binary=:all: --implementation cp --python-version 3.11 \
  --platform "manylinux_2_36_$arch" --platform "manylinux_2_28_$arch" --platform "manylinux2014_$arch" \
  -r requirements/action.txt -r requirements/build.txt -r requirements/voice-patch.txt \
  -d "$root/tmp/wheels"
pip_offline='--no-index --find-links /tmp/wheels'
in_root sh -c "cd /tmp/src && /tmp/build/bin/pip install -q $pip_offline --require-hashes --only-binary=:all: -r requirements/build.txt \
  && /tmp/build/bin/pip --python /opt/releasecast/bin/python install -q $pip_offline --no-deps --require-hashes --only-binary=:all: -r requirements/action.txt \
  && /tmp/build/bin/pip wheel -q --no-deps --no-build-isolation -w /tmp/dist . \
  && /tmp/build/bin/pip --python /opt/releasecast/bin/python install -q --no-deps /tmp/dist/releasecast-*.whl \
  && /tmp/build/bin/pip install -q $pip_offline --no-deps --require-hashes --only-binary=:all: --target /tmp/voice-patch -r requirements/voice-patch.txt \
  && bash requirements/trim-venv.sh /opt/releasecast /tmp/voice-patch \
  && bash requirements/keep-used-bytecode.sh /opt/releasecast /tmp/stdlib-bytecode"
venv=$(kib "$root/opt/releasecast")
caches=$(kib "$root/tmp/stdlib-bytecode")

mib() { echo "$(( $1 / 1024 )) MiB ($(( $1 * 1024 / 1000000 )) MB)"; }
echo "debian:bookworm-slim equivalent:           $(mib "$base")"
echo "Debian packages (install-system-deps.sh --image): $(mib $((system - base)))"
echo "/opt/releasecast (requirements/action.txt + releasecast): $(mib "$venv")"
echo "standard library bytecode caches kept:     $(mib "$caches")"
echo "image total:                               $(mib $((system + venv + caches)))"
echo "largest Python distributions (KiB):"
du -sk "$root"/opt/releasecast/lib/python3.11/site-packages/* | sort -n | tail -12 \
  | sed "s|$root/opt/releasecast/lib/python3.11/site-packages/||"

# As in the image: nothing writes bytecode, the caches are the ones kept above.
in_root env PYTHONDONTWRITEBYTECODE=1 sh -c 'cd /tmp && releasecast demo --out /tmp/demo' >/dev/null
test -s "$root/tmp/demo/assets/releasecast/widgets-v1-2-0/reel.mp4"
echo "smoke test: the demo rendered its reel inside the rootfs"
# The bundled voice, patched at build time, still gives word timings without onnx installed.
in_root env PYTHONDONTWRITEBYTECODE=1 python - <<'EOF'
from pathlib import Path
from pipeline.config import VoiceOptions
from pipeline.voice.backends.piper import PiperBackend
words = PiperBackend(VoiceOptions()).synthesize_words("Timed words from the image.", "en",
                                                      Path("/tmp/timed.wav"))
assert len(words) == 5 and words[-1].end > words[0].start, words
print("smoke test: Piper timed", len(words), "words without onnx")
EOF
