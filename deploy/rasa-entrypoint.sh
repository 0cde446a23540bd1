#!/bin/sh
# Serve one locale's Rasa NLU model with the HTTP API, only behind a token.
# The token comes from the environment (a secret), never from the image or the command line
# of the container spec; Rasa takes it as --auth-token and checks every request's ?token=.
set -eu
if [ -z "${SAFEBOT_RASA_TOKEN:-}" ]; then
    echo "SAFEBOT_RASA_TOKEN is not set: Rasa's API (which can replace the model) is not served without a token." >&2
    exit 64
fi
exec rasa run \
    --enable-api \
    --auth-token "${SAFEBOT_RASA_TOKEN}" \
    --model "/app/models/rasa-nlu-${SAFEBOT_LOCALE}.tar.gz" \
    --interface 0.0.0.0 \
    --port "${RASA_PORT:-5005}"
