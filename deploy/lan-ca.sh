#!/bin/sh
# Makes the certificate authority that Caddy signs Whisper's certificates with on a home network
# (WHISPER_MODE=lan), once, before the first `docker compose up` (README, "On a home network").
#
# Every phone that installs this root trusts what it signs. So the root carries critical X.509 name
# constraints: it can vouch for Whisper's LAN address and nothing else. Whoever gets its key (from
# this folder or from Caddy) can then impersonate Whisper on your network, but not a bank or any
# other site; a certificate for another name fails verification on the phone.
#
#   usage: deploy/lan-ca.sh [ADDRESS [DIR]]
#     ADDRESS  https://192.168.1.10:8080, 192.168.1.10, or a name (nas.home.arpa);
#              default: WHISPER_ADDRESS from .env beside docker-compose.yml
#     DIR      where root.crt and root.key go; default: lan-ca/ beside docker-compose.yml,
#              which docker-compose.yml hands to Caddy
# It never replaces an authority that exists: every device would have to install the new one.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
address=${1:-}
if [ -z "$address" ]; then
  [ -f "$here/.env" ] || { echo "No address given and no $here/.env to read WHISPER_ADDRESS from." >&2; exit 2; }
  address=$(sed -n 's/^WHISPER_ADDRESS=//p' "$here/.env" | tail -n 1)
fi
dir=${2:-$here/lan-ca}

# The host alone: no scheme, path or port.
host=${address#*://}
host=${host%%/*}
host=${host%:*}
case $host in
  *[!0-9.]* | '')
    # A name. RFC 5280 constrains only the name forms a constraint lists: no IP address at all.
    if ! printf '%s' "$host" | grep -Eq '^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$'; then
      echo "Not an IPv4 address or a host name: '$host' (from '$address')." >&2
      exit 2
    fi
    names="permitted;DNS:$host,excluded;IP:0.0.0.0/0.0.0.0,excluded;IP:::/::"
    ;;
  *)
    if ! printf '%s' "$host" | grep -Eq '^(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}$'; then
      echo "Not an IPv4 address: '$host' (from '$address')." >&2
      exit 2
    fi
    # This address only, and no name at all. openssl cannot write the empty name that would exclude
    # every name, so the only names permitted are under .invalid, which never exists (RFC 6761).
    names="permitted;IP:$host/255.255.255.255,permitted;DNS:invalid"
    ;;
esac
# Mail addresses too: a phone that fully trusts a root may check signed mail against it.
names="$names,permitted;email:invalid"

if [ -e "$dir/root.key" ] || [ -e "$dir/root.crt" ]; then
  echo "$dir already holds an authority: keeping it. To make a new one (every device installs it again)," >&2
  echo "delete the folder, run this again, and delete Caddy's intermediate made from the old one (README)." >&2
  exit 1
fi
mkdir -p "$dir"
if [ ! -w "$dir" ]; then
  echo "Cannot write to $dir (Docker makes it, owned by root, when compose starts before this script): remove it or run this with sudo." >&2
  exit 1
fi

umask 077
if ! output=$(openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 3650 \
  -keyout "$dir/root.key" -out "$dir/root.crt" -subj "/CN=Whisper on $host" \
  -addext "basicConstraints=critical,CA:TRUE,pathlen:1" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -addext "nameConstraints=critical,$names" 2>&1); then
  echo "$output" >&2
  rm -f "$dir/root.key" "$dir/root.crt"
  exit 1
fi
# The certificate is public (phones download it); the key stays readable by its owner alone.
chmod 644 "$dir/root.crt"
echo "Made $dir/root.crt, for $host only, and its key $dir/root.key (keep it private)."
