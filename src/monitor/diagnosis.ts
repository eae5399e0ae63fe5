import type { LinkSnapshot, NodeSample } from './protocol';

/**
 * Layered diagnosis, from the bottom up: is the USB link there at all (an interface with the
 * node's MAC, with carrier), is it up on the manager, does the Pi answer, does it answer fully.
 */
export type DiagnosisCode = 'link-absent' | 'admin-down' | 'no-carrier' | 'no-reply' | 'partial-loss' | 'ok';

export interface NodeIdentity {
  node: number;
  hostIface: string;
  hostMac: string;
  workerIp: string;
}

export interface Diagnosis {
  code: DiagnosisCode;
  /** One sentence for the alert body. */
  summary: string;
}

export function diagnose(s: NodeSample, id: NodeIdentity): Diagnosis {
  const l = s.link;
  if (!l) {
    return { code: 'link-absent', summary: `Link gone: no interface has MAC ${id.hostMac}, so the Pi is unplugged, not booted, or its USB gadget did not enumerate.` };
  }
  if (!l.adminUp) {
    return { code: 'admin-down', summary: `Link down on the manager: ${l.name} is administratively down (ip link set ${l.name} up).` };
  }
  if (!l.carrier) {
    return { code: 'no-carrier', summary: `Link gone: ${l.name} exists but has no carrier (USB cable, port, or the Pi's gadget driver stopped).` };
  }
  if (s.received === 0) {
    const why = s.error ? ` (${s.error})` : '';
    return { code: 'no-reply', summary: `Link up but no reply: ${l.name} has carrier, yet none of ${s.sent} echoes to ${id.workerIp} was answered${why}. The Pi's OS may be hung, usb0 may have lost its address, or a firewall drops ICMP.` };
  }
  if (s.received < s.sent) {
    return { code: 'partial-loss', summary: `Partial loss: ${fmtPct(s.lossPct)} of echoes to ${id.workerIp} lost (${s.received}/${s.sent} answered).` };
  }
  return { code: 'ok', summary: `Answering: ${s.received}/${s.sent} echoes to ${id.workerIp}.` };
}

export function fmtPct(p: number): string {
  return `${Number.isInteger(p) ? p : p.toFixed(1)}%`;
}

export function fmtRtt(s: NodeSample): string {
  if (s.rttAvgMs === null) return '-';
  const f = (v: number | null) => (v === null ? '-' : v < 10 ? v.toFixed(2) : v.toFixed(1));
  return `${f(s.rttMinMs)}/${f(s.rttAvgMs)}/${f(s.rttMaxMs)} ms (min/avg/max)`;
}

export function fmtLink(l: LinkSnapshot | null, id: NodeIdentity): string {
  if (!l) return `absent (no interface with ${id.hostMac})`;
  const state = !l.adminUp ? 'admin down' : l.carrier ? 'carrier' : 'no carrier';
  return `${l.name}: ${state}, operstate ${l.operstate}`;
}

/** How the manager-side counters moved since `from` (the last good check). */
export function counterDeltas(from: LinkSnapshot | null, to: LinkSnapshot | null): string {
  if (!to) return 'interface gone: no counters';
  if (!from) return `no earlier reading; now rx ${to.rxPackets} / tx ${to.txPackets} packets, errors rx ${to.rxErrors} tx ${to.txErrors}, dropped rx ${to.rxDropped} tx ${to.txDropped}`;
  const d = (a: number, b: number) => b - a;
  if (to.rxPackets < from.rxPackets || to.txPackets < from.txPackets) return 'counters restarted (the interface was re-created)';
  const sign = (n: number) => (n >= 0 ? `+${n}` : String(n));
  return `rx ${sign(d(from.rxPackets, to.rxPackets))} / tx ${sign(d(from.txPackets, to.txPackets))} packets, errors rx ${sign(d(from.rxErrors, to.rxErrors))} tx ${sign(d(from.txErrors, to.txErrors))}, dropped rx ${sign(d(from.rxDropped, to.rxDropped))} tx ${sign(d(from.txDropped, to.txDropped))}`;
}

export function fmtClock(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  const time = `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  const today = new Date();
  return d.toDateString() === today.toDateString() ? time : `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${time}`;
}

export function fmtSpan(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}
