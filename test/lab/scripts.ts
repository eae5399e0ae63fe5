/**
 * Text of the files the lab writes into its state directory: the namespace setup script,
 * the per-worker `date` shim and sshd_config. Kept as plain strings so the lab dir is self-contained
 * (tsc does not copy non-TS files into dist/).
 */

/** Capabilities no lab process may hold: setting the shared clock, rebooting the machine. */
export const DROP_CAPS = '-sys_time,-sys_boot';

/**
 * Runs as the first process of a new mount + UTS namespace (made by `unshare --propagation private`),
 * already inside the node's network namespace:
 *  - /etc and /var/log (and the manager's /root) become copy-on-write overlays with upper dirs in the lab;
 *  - a worker's /root is a fresh home from /etc/skel, its /tmp a tmpfs, its /usr/bin/date the shim;
 *  - /run is a tmpfs, /sys a sysfs of this network namespace (so /sys/class/net lists its interfaces);
 *  - /proc/sys is read-only except /proc/sys/net (which is per network namespace);
 *  - hostname set, IPv6 DAD off; a worker then configures usb0 and becomes sshd (without CAP_SYS_TIME/BOOT).
 *
 * Args: ROLE(manager|worker) ID NODEDIR HOSTNAME [ADDR_CIDR SSHD_CONFIG]
 */
export const SETUP_SH = `#!/bin/sh
set -eu
ROLE=$1; ID=$2; W=$3; HOST=$4; ADDR=\${5:-}; SSHD_CONFIG=\${6:-}
ov() { mount -t overlay "pclab-$ID" -o "lowerdir=$1,upperdir=$W/ov/$2/upper,workdir=$W/ov/$2/work" "$1"; }
ov /etc etc
ov /var/log varlog
if [ "$ROLE" = manager ]; then
  ov /root root
else
  # A Pi's root has a stock home, not this machine's dotfiles (Debian bash sources ~/.bashrc for ssh commands).
  mount --bind "$W/home" /root
fi
mount -t tmpfs -o mode=0755,size=32m "pclab-$ID" /run
mount -t sysfs "pclab-$ID" /sys
mount --bind /proc/sys /proc/sys
mount --bind /proc/sys/net /proc/sys/net
mount -o remount,bind,ro /proc/sys
hostname "$HOST"
printf '%s\\n' "$HOST" > /etc/hostname
echo 0 > /proc/sys/net/ipv6/conf/all/accept_dad
echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad
if [ "$ROLE" = manager ]; then
  ip link set lo up
  exit 0
fi
mount -t tmpfs -o mode=1777,size=64m "pclab-$ID" /tmp
mkdir -m 0755 /run/sshd
mount --bind "$W/date" /usr/bin/date
if grep -q '^root:!' /etc/shadow; then sed -i 's/^root:![^:]*:/root:*:/' /etc/shadow; fi
echo 0 > /proc/sys/net/ipv6/conf/usb0/accept_dad
if [ -n "$ADDR" ]; then
  printf 'link set lo up\\nlink set usb0 up\\naddress add %s dev usb0\\n' "$ADDR" | ip -batch -
  mkdir -p /etc/systemd/network
  printf '[Match]\\nName=usb0\\n\\n[Network]\\nAddress=%s\\n' "$ADDR" > /etc/systemd/network/usb0.network
else
  printf 'link set lo up\\nlink set usb0 up\\n' | ip -batch -
fi
exec setpriv --bounding-set ${DROP_CAPS} -- /usr/sbin/sshd -D -e -f "$SSHD_CONFIG"
`;

/**
 * The worker's /usr/bin/date. The fake clock is real time + offset (seconds, in OFFSET_FILE).
 * Setting the time (-s X, --set=X, --set X, -sX, -us X) appends X to CALLS_FILE and moves the offset;
 * nothing ever reaches the real clock (and sshd's children lack CAP_SYS_TIME anyway).
 * Everything else is formatted by the real date binary, so +FORMAT, -u, -R, -I... behave as usual.
 */
export function dateShim(realDate: string, offsetFile: string, callsFile: string): string {
  return `#!/bin/sh
# picluster lab: fake per-worker clock. See test/lab/README.md.
REAL='${realDate}'
OFF='${offsetFile}'
CALLS='${callsFile}'
off=0
if [ -r "$OFF" ]; then IFS= read -r off < "$OFF" || :; fi
case $off in ''|-|*[!0-9-]*|?*-*) off=0 ;; esac
doset=0; setval=; utc=; passthru=0
n=$#; i=0
needval() { if [ "$i" -ge "$n" ]; then echo "date: option requires an argument -- 's'" >&2; exit 1; fi; }
while [ "$i" -lt "$n" ]; do
  a=$1; shift; i=$((i + 1))
  case $a in
    -s|--set) needval; doset=1; setval=$1; shift; i=$((i + 1)); continue ;;
    -us|-su) needval; doset=1; utc=-u; setval=$1; shift; i=$((i + 1)); set -- "$@" -u; continue ;;
    --set=*) doset=1; setval=\${a#--set=}; continue ;;
    -s?*) doset=1; setval=\${a#-s}; continue ;;
    -u|--utc|--universal) utc=-u ;;
    -d|--date|-f|--file|-r|--reference|--date=*|--file=*|--reference=*|-d?*|-f?*|-r?*) passthru=1 ;;
  esac
  set -- "$@" "$a"
done
if [ "$doset" = 1 ]; then
  printf '%s\\n' "$setval" >> "$CALLS"
  target=$("$REAL" $utc -d "$setval" +%s 2>/dev/null) || { printf "date: invalid date '%s'\\n" "$setval" >&2; exit 1; }
  now=$("$REAL" +%s)
  printf '%s\\n' "$((target - now))" > "$OFF.tmp" && mv -f "$OFF.tmp" "$OFF"
  exec "$REAL" -d "@$target" "$@"
fi
if [ "$passthru" = 1 ] || [ "$off" = 0 ]; then exec "$REAL" "$@"; fi
now=$("$REAL" +%s.%N)
t=$(( \${now%.*} + off ))
if [ "$t" -lt 0 ]; then exec "$REAL" -d "@$t" "$@"; fi
exec "$REAL" -d "@$t.\${now#*.}" "$@"
`;
}

export function sshdConfig(o: { node: number; hostKey: string; pidFile: string; authorizedKeys: string }): string {
  return `# picluster lab worker ${o.node}: real OpenSSH in the worker's namespaces
Port 22
AddressFamily any
ListenAddress 0.0.0.0
ListenAddress ::
HostKey ${o.hostKey}
PidFile ${o.pidFile}
PermitRootLogin prohibit-password
PubkeyAuthentication yes
AuthorizedKeysFile ${o.authorizedKeys} .ssh/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PrintMotd no
PrintLastLog no
UseDNS no
MaxStartups 200
MaxSessions 100
LoginGraceTime 30
AcceptEnv LANG LC_*
Subsystem sftp internal-sftp
`;
}
