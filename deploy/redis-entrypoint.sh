#!/bin/sh
# Starts Redis for the scaled profile (docker-compose.yml runs this as its entrypoint) with one user,
# signal, whose password is REDIS_PASSWORD, and the default user off: a client that has not logged
# in can do nothing, and none but the signal processes know the password. Anyone else able to
# reach Redis could otherwise publish frames that the signal processes deliver to clients as the
# server's own. The users reach Redis on its standard input (config read from "-"), never on a
# command line or on disk. Arguments go on to redis-server.
set -eu

: "${REDIS_PASSWORD:?set REDIS_PASSWORD in .env, and the same password in REDIS_URL (README, "When one signal process is not enough")}"
case $REDIS_PASSWORD in
  *[!A-Za-z0-9]*)
    echo "REDIS_PASSWORD: letters and digits only (openssl rand -hex 32 makes one), so that it goes into REDIS_URL as it is" >&2
    exit 2
    ;;
esac

exec redis-server - "$@" <<EOF
user default off
user signal on >$REDIS_PASSWORD ~* &* +@all
EOF
