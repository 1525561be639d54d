#!/usr/bin/env bash
# From CI: copy the compose files to the host, run deploy/deploy.sh there, then check the
# public URL through TLS; if that fails, roll the host back and fail.
#   DEPLOY_HOST=user@host DEPLOY_DIR=/srv/releasecast PUBLIC_URL=https://... \
#   [DEPLOY_SSH_KEY=... DEPLOY_KNOWN_HOSTS=...] deploy/remote-deploy.sh IMAGE
set -euo pipefail

image="${1:?usage: deploy/remote-deploy.sh IMAGE}"
: "${DEPLOY_HOST:?}" "${PUBLIC_URL:?}"
dir="${DEPLOY_DIR:-/srv/releasecast}"

if [[ -n ${DEPLOY_SSH_KEY:-} ]]; then  # CI: the key and the pinned host key from secrets
  install -d -m 700 ~/.ssh
  (umask 077 && printf '%s\n' "$DEPLOY_SSH_KEY" >~/.ssh/id_ed25519)
  printf '%s\n' "${DEPLOY_KNOWN_HOSTS:?the host key, from ssh-keyscan}" >~/.ssh/known_hosts
fi

ssh "$DEPLOY_HOST" "mkdir -p '$dir/deploy'"
scp -q docker-compose.yml "$DEPLOY_HOST:$dir/"
scp -q -r deploy/. "$DEPLOY_HOST:$dir/deploy/"
ssh "$DEPLOY_HOST" "cd '$dir' && deploy/deploy.sh '$image'"

if curl -fsS --retry 12 --retry-delay 5 --retry-all-errors --max-time 10 \
    "${PUBLIC_URL%/}/health"; then
  echo
  echo "public health check passed: ${PUBLIC_URL%/}/health"
  exit 0
fi
echo "public health check failed at ${PUBLIC_URL%/}/health: rolling back" >&2
ssh "$DEPLOY_HOST" "cd '$dir' && deploy/deploy.sh --rollback"
exit 1
