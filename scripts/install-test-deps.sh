#!/usr/bin/env bash
# System packages the test suite and the lab need (Debian/Ubuntu, as root): real sshd in worker
# namespaces, ip, iptables, ping, fping (status and benchmarks), setpriv to drop CAP_SYS_TIME, a font
# for the history chart text.
set -euo pipefail
need=(openssh-server openssh-client iproute2 iptables iputils-ping fping util-linux procps kmod fonts-dejavu-core)
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# sshd refuses to start without its privilege-separation directory.
mkdir -p /run/sshd
echo "test dependencies present: ${need[*]}"
