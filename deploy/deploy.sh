#!/usr/bin/env bash
# Roll the App's containers to IMAGE on this host, check health, roll back on failure.
#   deploy/deploy.sh ghcr.io/OWNER/releasecast-app:SHA
#   deploy/deploy.sh --rollback      back to the image that ran before the last deploy
# Run in the directory holding docker-compose.yml, .env and secrets/ (see DEPLOYMENT.md).
# .deployed-image and .previous-image remember what runs; a failed health check puts the
# previous image back and exits non-zero, so the workflow run fails visibly.
set -euo pipefail

target="${1:?usage: deploy/deploy.sh IMAGE | --rollback}"
health_url="${HEALTH_URL:-http://127.0.0.1:8000/health}"
attempts="${HEALTH_ATTEMPTS:-30}"
interval="${HEALTH_INTERVAL:-5}"
compose="${COMPOSE:-docker compose}"
current=""
previous=""
[[ -f .deployed-image ]] && current=$(<.deployed-image)
[[ -f .previous-image ]] && previous=$(<.previous-image)

roll_to() {
  RELEASECAST_IMAGE="$1" $compose pull --quiet app worker
  # Workers get SIGTERM and finish their current release first (stop_grace_period).
  RELEASECAST_IMAGE="$1" $compose up -d --remove-orphans app worker
}

healthy() {
  local i
  for ((i = 1; i <= attempts; i++)); do
    if curl -fsS --max-time 5 "$health_url" >/dev/null; then
      return 0
    fi
    sleep "$interval"
  done
  return 1
}

if [[ $target == --rollback ]]; then
  [[ -n $previous ]] || { echo "nothing to roll back to" >&2; exit 1; }
  echo "rolling back from ${current:-unknown} to $previous"
  roll_to "$previous"
  healthy || { echo "$previous is unhealthy too: see RUNBOOK.md" >&2; exit 1; }
  printf '%s\n' "$previous" >.deployed-image
  printf '%s\n' "$current" >.previous-image
  exit 0
fi

echo "deploying $target (running: ${current:-none})"
roll_to "$target"
if healthy; then
  if [[ $target != "$current" ]]; then
    printf '%s\n' "$current" >.previous-image
    printf '%s\n' "$target" >.deployed-image
  fi
  echo "healthy: $target is live"
  exit 0
fi

echo "health check failed for $target" >&2
if [[ -n $current ]]; then
  echo "rolling back to $current" >&2
  roll_to "$current"
  healthy || echo "$current is unhealthy too: see RUNBOOK.md" >&2
fi
exit 1
