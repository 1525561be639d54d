# The GitHub App's image (web process and workers): the offline pipeline's system packages from
# the shared script, releasecast with the App, GitHub and YouTube extras, run as a non-root user.
FROM python:3.11-slim-bookworm

ENV DEBIAN_FRONTEND=noninteractive \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

SHELL ["/bin/bash", "-o", "pipefail", "-c"]
WORKDIR /opt/releasecast

COPY scripts/install-system-deps.sh scripts/
RUN scripts/install-system-deps.sh \
    && rm -rf /var/lib/apt/lists/*

COPY pyproject.toml README.md ./
COPY pipeline pipeline
COPY app app
COPY templates templates
RUN pip install --no-cache-dir "./[github,youtube,app]" \
    && useradd --system --uid 10001 --create-home --home-dir /var/lib/releasecast releasecast

USER 10001
WORKDIR /var/lib/releasecast
ENV RELEASECAST_DATA_DIR=/var/lib/releasecast
EXPOSE 8000
CMD ["releasecast", "serve", "--host", "0.0.0.0", "--port", "8000"]
