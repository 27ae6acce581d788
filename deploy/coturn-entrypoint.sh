#!/bin/sh
# Starts coturn (docker-compose.yml runs this as its entrypoint) with the TURN secret in a config
# file that only coturn's user can read, instead of on its command line, which every user of the
# host can read in /proc/<pid>/cmdline and then mint credentials with.
# coturn reads one config file (the last -c), so this one is turnserver.conf with the secret added.
#   TURN_SECRET        the secret; taken out of the environment coturn gets
#   TURN_CONFIG        the config to start from (/etc/coturn/turnserver.conf)
#   TURN_RUNTIME_DIR   where the config with the secret goes: a tmpfs in compose (/run/coturn)
# Arguments go on to turnserver.
set -eu

: "${TURN_SECRET:?set TURN_SECRET in .env (openssl rand -hex 32)}"
config=${TURN_CONFIG:-/etc/coturn/turnserver.conf}
runtime=${TURN_RUNTIME_DIR:-/run/coturn}

umask 077
# printf is the shell's own: the secret is never an argument of another process.
{
  cat "$config"
  printf '\nstatic-auth-secret=%s\n' "$TURN_SECRET"
} > "$runtime/turnserver.conf"
unset TURN_SECRET
exec turnserver -c "$runtime/turnserver.conf" "$@"
