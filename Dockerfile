# The GitHub Action's image. .github/workflows/action-image.yml builds it for linux/amd64 and
# linux/arm64 on every release tag, runs the demo in it and pushes it to ghcr.io; action.yml
# names that image, so a workflow pulls it instead of building it. docs/action.md ("The image")
# says how big it is, how that was measured, and how to build it from this file instead.
#
# One Python and one espeak-ng: Debian's (scripts/install-system-deps.sh, the list the README
# and CI use). One FFmpeg: PyAV's, the libraries its wheel bundles (the reel and the voice's
# audio are encoded and filtered in-process; the image has no ffmpeg program). The Python
# dependencies are the pinned, hashed set in requirements/action.txt (requirements/compile.sh
# makes it), installed without resolving anything. The runtime stage is Debian's packages; the
# build stage starts from it so that it can run the demo and an Action dry run, and adds pip,
# the build backend and strip; the final stage is the runtime stage plus the finished virtual
# environment and the standard library's bytecode caches that those runs wrote.

FROM debian:bookworm-slim AS runtime

SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ENV DEBIAN_FRONTEND=noninteractive

# Files of those packages the action never uses are not unpacked (each exclusion says why).
COPY requirements/dpkg-excludes.cfg /etc/dpkg/dpkg.cfg.d/releasecast-slim
COPY scripts/install-system-deps.sh /tmp/
RUN bash /tmp/install-system-deps.sh --image \
    && rm -rf /var/lib/apt/lists/* /tmp/install-system-deps.sh


FROM runtime AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Debian stable's current python3-venv and binutils, like the runtime stage's packages:
# security updates are taken at each release build rather than pinned away.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3-venv binutils \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# /opt/build: pip and the build backend. /opt/releasecast: what the action runs, without pip.
RUN python3 -m venv /opt/build && python3 -m venv --without-pip /opt/releasecast
COPY requirements/build.txt requirements/action.txt requirements/voice-patch.txt requirements/
# --no-deps: the lock is the whole set (imageio-ffmpeg and espeakng-loader, the wheels that
# duplicate Debian's ffmpeg and espeak-ng for pip-only installs, are deliberately not in it, nor
# onnx: /opt/voice-patch holds it for the build stage only, see requirements/trim-venv.sh).
RUN /opt/build/bin/pip install --require-hashes --only-binary=:all: -r requirements/build.txt \
    && /opt/build/bin/pip --python /opt/releasecast/bin/python install --no-deps \
       --require-hashes --only-binary=:all: -r requirements/action.txt \
    && /opt/build/bin/pip install --no-deps --require-hashes --only-binary=:all: \
       --target /opt/voice-patch -r requirements/voice-patch.txt

COPY pyproject.toml README.md ./
COPY pipeline pipeline
COPY app app
COPY templates templates
COPY requirements/trim-venv.sh requirements/voice-fp16.py requirements/keep-used-bytecode.sh \
     requirements/
# trim-venv.sh: the bundled voice patched for alignments and stored in float16, files the action
# never reads deleted, extension modules stripped. keep-used-bytecode.sh: bytecode caches only
# for the modules the demo and an Action dry run import (the standard library's are put in
# /opt/stdlib-bytecode, the rest stay in /opt/releasecast).
RUN /opt/build/bin/pip wheel --no-deps --no-build-isolation -w /tmp/dist . \
    && /opt/build/bin/pip --python /opt/releasecast/bin/python install --no-deps \
       /tmp/dist/releasecast-*.whl \
    && bash requirements/trim-venv.sh /opt/releasecast /opt/voice-patch \
    && bash requirements/keep-used-bytecode.sh /opt/releasecast /opt/stdlib-bytecode


FROM runtime

# ORT_DISABLE_TELEMETRY: ONNX Runtime (the voice) would otherwise start a thread that looks up
# a Microsoft telemetry host; the Action sends nothing anywhere it was not asked to.
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ORT_DISABLE_TELEMETRY=1 \
    PATH=/opt/releasecast/bin:$PATH

COPY --from=build /opt/releasecast /opt/releasecast
COPY --from=build /opt/stdlib-bytecode/ /

# The runner mounts the workspace at /github/workspace and starts the container there.
ENTRYPOINT ["releasecast", "action"]
