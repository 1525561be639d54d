# The GitHub Action's image: the offline pipeline (ffmpeg, espeak-ng, fonts, apertium, git)
# installed by the same script the README and CI use, and releasecast with its GitHub and
# YouTube extras.
FROM python:3.11-slim-bookworm

ENV DEBIAN_FRONTEND=noninteractive \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

SHELL ["/bin/bash", "-o", "pipefail", "-c"]
WORKDIR /opt/releasecast

# System packages first: this layer changes only when the package list does.
COPY scripts/install-system-deps.sh scripts/
RUN scripts/install-system-deps.sh \
    && rm -rf /var/lib/apt/lists/*

COPY pyproject.toml README.md ./
COPY pipeline pipeline
COPY app app
COPY templates templates
RUN pip install --no-cache-dir "./[github,youtube]"

# The runner mounts the workspace at /github/workspace and starts the container there.
ENTRYPOINT ["releasecast", "action"]
