/** Files the bot owns or edits. Arch Linux ARM locations; the lab gives the manager a private /etc. */
export const UDEV_RULES = '/etc/udev/rules.d/90-pi-network.rules';
export const SYSCTL_FILE = '/etc/sysctl.d/90-picluster.conf';
export const IPTABLES_RULES = '/etc/iptables/iptables.rules';
export const WORKER_NETWORK = '/etc/systemd/network/usb0.network';
export const WORKER_HOSTNAME = '/etc/hostname';

/** "05-" sorts before catch-alls such as 20-wired.network (Name=eth*), which would otherwise win for ethpiN. */
export function hostNetworkFile(node: number): string {
  return `/etc/systemd/network/05-picluster-ethpi${node}.network`;
}
