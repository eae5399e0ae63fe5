#!/bin/sh
# A hand-written `picluster add-node N`: what a careful admin would type from the cluster guide,
# POSIX sh + the OpenSSH client, no checks beyond what each command reports. It is the peer that
# bench/add-node.ts times the bot against (see bench/README.md); run it as root on the manager.
#
#   sh bench/add-node.sh N
#
# Environment (all optional, the bot's names and defaults): MAC_PREFIX, SUBNET_PREFIX, SUBNET_OFFSET,
# UPLINK_IFACE, DATA_DIR (holds id_ed25519), KNOWN_HOSTS (a known_hosts file; default in DATA_DIR).
set -eu
N=$1
case $N in '' | *[!0-9]*) echo "usage: $0 N" >&2; exit 2 ;; esac
MAC_PREFIX=${MAC_PREFIX:-00:22:82:ff}
SUBNET_PREFIX=${SUBNET_PREFIX:-10.0}
SUBNET_OFFSET=${SUBNET_OFFSET:-10}
UPLINK=${UPLINK_IFACE:-eth0}
DATA_DIR=${DATA_DIR:-/var/lib/picluster}
KEY=$DATA_DIR/id_ed25519
KNOWN_HOSTS=${KNOWN_HOSTS:-$DATA_DIR/known_hosts.sh}

# Addressing, as in src/cluster/model.ts: nodes 1-9 keep the guide's MACs, 10+ use fe:NN / fd:NN.
if [ "$N" -le 9 ]; then
  HOSTMAC=$MAC_PREFIX:ff:0$N; DEVMAC=$MAC_PREFIX:ff:1$N
else
  HX=$(printf %02x "$N"); HOSTMAC=$MAC_PREFIX:fe:$HX; DEVMAC=$MAC_PREFIX:fd:$HX
fi
THIRD=$((SUBNET_OFFSET + N))
SUBNET=$SUBNET_PREFIX.$THIRD.0/24
HOSTIP=$SUBNET_PREFIX.$THIRD.1
WORKERIP=$SUBNET_PREFIX.$THIRD.2
IFACE=ethpi$N
# IPv6 link-local of the Pi's usb0: modified EUI-64 of DEVMAC.
IFS=: read -r b0 b1 b2 b3 b4 b5 <<MAC
$DEVMAC
MAC
LL=$(printf 'fe80::%x:%x:%x:%x' $(((0x$b0 ^ 2) << 8 | 0x$b1)) $((0x$b2 << 8 | 0xff)) $((0xfe << 8 | 0x$b3)) $((0x$b4 << 8 | 0x$b5)))

# 1. udev rule naming the gadget interface by MAC.
RULES=/etc/udev/rules.d/90-pi-network.rules
mkdir -p /etc/udev/rules.d
grep -qs "ATTR{address}==\"$HOSTMAC\"" "$RULES" ||
  echo "SUBSYSTEM==\"net\", ACTION==\"add\", ATTR{address}==\"$HOSTMAC\", NAME=\"$IFACE\"" >>"$RULES"
if command -v udevadm >/dev/null 2>&1 && [ -S /run/udev/control ]; then udevadm control --reload; fi

# 2. Live rename of the interface already present (it must be down to be renamed).
CUR=$(grep -lix "$HOSTMAC" /sys/class/net/*/address) || { echo "no interface with MAC $HOSTMAC" >&2; exit 1; }
CUR=${CUR%/address}; CUR=${CUR##*/}
if [ "$CUR" != "$IFACE" ]; then
  ip link set dev "$CUR" down
  ip link set dev "$CUR" name "$IFACE"
  sysctl -q -w "net.ipv6.conf.$IFACE.accept_dad=0"
  ip link set dev "$IFACE" up
fi

# 3. networkd file for the host side, 4. and its address now.
mkdir -p /etc/systemd/network
cat >"/etc/systemd/network/05-$IFACE.network" <<EON
[Match]
Name=$IFACE

[Link]
RequiredForOnline=no

[Network]
Address=$HOSTIP/24
ConfigureWithoutCarrier=yes
IgnoreCarrierLoss=yes
EON
if command -v networkctl >/dev/null 2>&1 && [ -d /run/systemd/netif ]; then networkctl reload; fi
ip addr replace "$HOSTIP/24" dev "$IFACE"

# 5. Forwarding, live and at boot.
sysctl -q -w net.ipv4.ip_forward=1
mkdir -p /etc/sysctl.d
echo 'net.ipv4.ip_forward = 1' >/etc/sysctl.d/90-ip-forward.conf

# 6. NAT for this node's subnet out of the uplink; forward its traffic; save for iptables.service.
iptables -w -t nat -C POSTROUTING -s "$SUBNET" -o "$UPLINK" -j MASQUERADE 2>/dev/null ||
  iptables -w -t nat -A POSTROUTING -s "$SUBNET" -o "$UPLINK" -j MASQUERADE
iptables -w -C FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT 2>/dev/null ||
  iptables -w -I FORWARD 1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
iptables -w -C FORWARD -s "$SUBNET" -j ACCEPT 2>/dev/null || iptables -w -A FORWARD -s "$SUBNET" -j ACCEPT
mkdir -p /etc/iptables
iptables-save >/etc/iptables/iptables.rules

# 7. The Pi, over link-local (it has no IPv4 yet): usb0.network, address, default route, clock.
SSH="ssh -F /dev/null -i $KEY -o IdentitiesOnly=yes -o BatchMode=yes -o LogLevel=ERROR -o ConnectTimeout=5 -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=$KNOWN_HOSTS"
$SSH "root@$LL%$IFACE" sh -s <<EOS
set -e
mkdir -p /etc/systemd/network
cat >/etc/systemd/network/usb0.network <<'EON'
[Match]
Name=usb0

[Network]
Address=$WORKERIP/24
Gateway=$HOSTIP
DNS=1.1.1.1
DNS=9.9.9.9
EON
ip addr replace $WORKERIP/24 dev usb0
ip link set dev usb0 up
ip route replace default via $HOSTIP dev usb0
date -u -s @$(date -u +%s.%N) >/dev/null
EOS

# 8. Verify: 3 echoes (same interval and wait as the bot), then an SSH round trip over IPv4.
ping -n -q -c 3 -i 0.2 -W 1 "$WORKERIP" >/dev/null
$SSH "root@$WORKERIP" true
echo "node $N: done"
