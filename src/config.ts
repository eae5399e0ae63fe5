import * as path from 'node:path';
import { ClusterSettings, validateClusterSettings } from './cluster/model';

/**
 * Every setting the bot reads, in one table: the loader, `.env.example` and its test all come from
 * here, so a variable cannot exist without being documented and validated.
 */
type Kind = 'string' | 'int' | 'number' | 'bool' | 'list' | 'duration';

export interface VarSpec {
  name: string;
  kind: Kind;
  default?: string;
  description: string;
  section: string;
  secret?: boolean;
  min?: number;
  max?: number;
}

export const VARS: VarSpec[] = [
  { section: 'Discord', name: 'DISCORD_TOKEN', kind: 'string', secret: true, description: 'Bot token from the Discord developer portal. Leave empty to run the local shell adapter instead of Discord.' },
  { section: 'Discord', name: 'DISCORD_APP_ID', kind: 'string', description: 'Application (client) id; needed by `npm run deploy-commands`.' },
  { section: 'Discord', name: 'GUILD_ID', kind: 'string', description: 'Register commands in this server only (instant). Empty: register globally.' },
  { section: 'Discord', name: 'OPERATOR_ROLE_IDS', kind: 'list', default: '', description: 'Comma-separated role ids allowed to run commands that change the cluster (admins always may).' },
  { section: 'Discord', name: 'ALLOWED_CHANNEL_IDS', kind: 'list', default: '', description: 'Comma-separated channel ids where read-only commands are answered. Empty: any channel.' },
  { section: 'Discord', name: 'ALERT_CHANNEL_ID', kind: 'string', description: 'Channel that receives packet-loss alerts and recoveries.' },
  { section: 'Discord', name: 'DISCORD_API', kind: 'string', description: 'Override the Discord REST base (tests point it at the loopback emulator, e.g. http://127.0.0.1:PORT/api).' },
  { section: 'Discord', name: 'CONFIRM_TIMEOUT', kind: 'duration', default: '5m', min: 1000, max: 840_000, description: 'How long Apply/Cancel buttons stay valid (at most 14m: Discord lets the bot edit a reply for 15 minutes).' },

  { section: 'Cluster', name: 'UPLINK_IFACE', kind: 'string', default: 'eth0', description: "The manager's interface to the LAN/internet; node traffic is masqueraded out of it." },
  { section: 'Cluster', name: 'MAC_PREFIX', kind: 'string', default: '00:22:82:ff', description: 'First four bytes of the g_ether MACs. Nodes 1-9: host PREFIX:ff:0N, dev PREFIX:ff:1N (the guide); nodes 10+: host PREFIX:fe:NN, dev PREFIX:fd:NN (NN hex).' },
  { section: 'Cluster', name: 'SUBNET_PREFIX', kind: 'string', default: '10.0', description: 'First two octets of the node subnets.' },
  { section: 'Cluster', name: 'SUBNET_OFFSET', kind: 'int', default: '10', min: 0, max: 253, description: 'Node N uses SUBNET_PREFIX.(OFFSET+N).0/24: manager .1, Pi .2.' },
  { section: 'Cluster', name: 'WORKER_DNS', kind: 'list', default: '1.1.1.1,9.9.9.9', description: 'DNS servers written into each Pi usb0.network.' },
  { section: 'Cluster', name: 'CLOCK_TOLERANCE', kind: 'duration', default: '2s', description: 'A Pi clock further off than this from the manager clock is set.' },

  { section: 'SSH', name: 'WORKER_SSH_USER', kind: 'string', default: 'root', description: 'User the bot logs in as on the Pis. Not root: commands run through `sudo -n`.' },
  { section: 'SSH', name: 'WORKER_SSH_PORT', kind: 'int', default: '22', min: 1, max: 65535, description: 'sshd port on the Pis.' },
  { section: 'SSH', name: 'SSH_CONNECT_TIMEOUT', kind: 'duration', default: '4s', description: 'Give up connecting to a Pi after this long (then try its IPv6 link-local address).' },
  { section: 'SSH', name: 'SSH_COMMAND_TIMEOUT', kind: 'duration', default: '30s', description: 'Give up on one remote command after this long.' },

  { section: 'State', name: 'DATA_DIR', kind: 'string', default: './data', description: 'Where the SQLite database and the bot SSH key live.' },
  { section: 'State', name: 'LOG_LEVEL', kind: 'string', default: 'info', description: 'debug, info, warn or error.' },

  { section: 'Monitoring', name: 'MONITORING', kind: 'bool', default: 'on', description: 'Watch every node in the inventory and post alerts (on/off). See docs/monitoring.md.' },
  { section: 'Monitoring', name: 'CHECK_INTERVAL', kind: 'duration', default: '2s', min: 500, max: 3_600_000, description: 'One check of every node this often. 2s x ALERT_AFTER 3 = a dead node is reported 5-8 s after it dies (target: 10 s).' },
  { section: 'Monitoring', name: 'CHECK_ECHOES', kind: 'int', default: '20', min: 1, max: 100, description: 'Replies wanted per node per check (ping -c). A check sends until it has them or ECHO_DEADLINE passes: 0.4 s on a healthy link, at most 50 echoes.' },
  { section: 'Monitoring', name: 'ECHO_INTERVAL', kind: 'duration', default: '20ms', min: 10, max: 1000, description: 'Gap between the echoes of one check.' },
  { section: 'Monitoring', name: 'ECHO_DEADLINE', kind: 'duration', default: '1s', min: 1000, max: 30_000, description: 'A check of one node ends after this long whatever the replies (ping -w, whole seconds), so a dead node costs 1 s, not the ARP timeout.' },
  { section: 'Monitoring', name: 'CHECK_TIMEOUT', kind: 'duration', default: '5s', min: 500, max: 3_600_000, description: 'A check run that takes longer is ended and reported as "monitoring job timed out".' },
  { section: 'Monitoring', name: 'LOSS_WARN', kind: 'number', default: '40', min: 1, max: 100, description: 'Percent lost that makes a check bad. At 10% random loss 1 check in 780,000 is bad; at 40% half of them. Good again below half of this.' },
  { section: 'Monitoring', name: 'ALERT_AFTER', kind: 'int', default: '3', min: 1, max: 100, description: 'Consecutive bad checks before an alert (3 x 2 s): one lost echo or one bad check never pages; 10% random loss never does in practice.' },
  { section: 'Monitoring', name: 'RECOVER_AFTER', kind: 'int', default: '5', min: 1, max: 100, description: 'Consecutive good checks before a recovery message (10 s), so a flapping link does not page twice.' },
  { section: 'Monitoring', name: 'REMIND_EVERY', kind: 'duration', default: '', min: 60_000, max: 30 * 86_400_000, description: 'Repeat an alert this often while a node stays down or degraded (e.g. 1h). Empty: never.' },
  { section: 'Monitoring', name: 'HISTORY_RAW', kind: 'duration', default: '1d', min: 600_000, max: 30 * 86_400_000, description: 'Check results are kept one by one this long, then merged into 5-minute buckets.' },
  { section: 'Monitoring', name: 'HISTORY_RETENTION', kind: 'duration', default: '30d', min: 3_600_000, max: 3650 * 86_400_000, description: 'History (and delivered alerts) older than this are deleted. Per node: ~2.7 MB for the raw day plus ~40 kB per bucketed day (4 nodes, 30d: ~16 MB).' },
  { section: 'Monitoring', name: 'METRICS_PORT', kind: 'int', default: '', min: 1, max: 65535, description: 'Serve Prometheus metrics (loss, rtt, up, interface counters) on this port at /metrics. Empty: off.' },
  { section: 'Monitoring', name: 'METRICS_HOST', kind: 'string', default: '127.0.0.1', description: 'Address the metrics endpoint listens on; loopback unless you really mean to expose it.' },
];

/** Reachability monitoring settings (docs/monitoring.md explains the defaults). */
export interface MonitorConfig {
  enabled: boolean;
  intervalMs: number;
  echoes: number;
  echoIntervalMs: number;
  /** ping -w: whole seconds. */
  echoDeadlineMs: number;
  timeoutMs: number;
  lossWarnPct: number;
  alertAfter: number;
  recoverAfter: number;
  /** 0 = no reminders. */
  remindEveryMs: number;
  historyRawMs: number;
  historyRetentionMs: number;
  metricsPort?: number;
  metricsHost: string;
}

export interface Config {
  discord: {
    token?: string;
    appId?: string;
    guildId?: string;
    operatorRoleIds: string[];
    allowedChannelIds: string[];
    alertChannelId?: string;
    api?: string;
    confirmTimeoutMs: number;
  };
  cluster: ClusterSettings & { workerDns: string[]; clockToleranceMs: number };
  ssh: { user: string; port: number; connectTimeoutMs: number; commandTimeoutMs: number };
  dataDir: string;
  logLevel: string;
  monitor: MonitorConfig;
  /** Raw values of every variable (after defaults) so later layers can read their own. */
  raw: Record<string, string | undefined>;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Configuration problems:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "30s", "5m", "1500ms", "2h"; a bare number is seconds. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION_RE.exec(text.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * UNIT_MS[m[2] ?? 's']);
}

export function formatDuration(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

type Parsed = string | number | boolean | string[] | undefined;

function parseVar(spec: VarSpec, value: string | undefined, problems: string[]): Parsed {
  const v = value === undefined || value.trim() === '' ? spec.default : value.trim();
  if (v === undefined || (v === '' && spec.kind !== 'list')) return undefined;
  switch (spec.kind) {
    case 'string':
      return v;
    case 'list':
      return v.split(',').map((s) => s.trim()).filter(Boolean);
    case 'bool':
      if (/^(1|true|yes|on)$/i.test(v)) return true;
      if (/^(0|false|no|off)$/i.test(v)) return false;
      problems.push(`${spec.name} must be true or false, got "${v}".`);
      return undefined;
    case 'int':
    case 'number': {
      const n = Number(v);
      const intOk = spec.kind === 'number' || Number.isInteger(n);
      if (!Number.isFinite(n) || !intOk || (spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
        const range = spec.min !== undefined && spec.max !== undefined ? ` from ${spec.min} to ${spec.max}` : '';
        problems.push(`${spec.name} must be a ${spec.kind === 'int' ? 'whole number' : 'number'}${range}, got "${v}".`);
        return undefined;
      }
      return n;
    }
    case 'duration': {
      const ms = parseDuration(v);
      if (ms === undefined) {
        problems.push(`${spec.name} must be a duration like 30s, 5m or 1500ms, got "${v}".`);
        return undefined;
      }
      if ((spec.min !== undefined && ms < spec.min) || (spec.max !== undefined && ms > spec.max)) {
        problems.push(`${spec.name} must be between ${formatDuration(spec.min ?? 0)} and ${formatDuration(spec.max ?? Infinity)}, got "${v}".`);
        return undefined;
      }
      return ms;
    }
  }
}

/** Reads every variable, reporting all problems at once rather than the first. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, specs: VarSpec[] = VARS): Config {
  const problems: string[] = [];
  const val: Record<string, Parsed> = {};
  const raw: Record<string, string | undefined> = {};
  for (const spec of specs) {
    raw[spec.name] = env[spec.name] ?? spec.default;
    val[spec.name] = parseVar(spec, env[spec.name], problems);
  }
  const s = (k: string) => val[k] as string | undefined;
  const n = (k: string) => val[k] as number;
  const l = (k: string) => (val[k] as string[] | undefined) ?? [];

  const cluster = {
    uplink: s('UPLINK_IFACE') ?? 'eth0',
    macPrefix: (s('MAC_PREFIX') ?? '').toLowerCase(),
    subnetPrefix: s('SUBNET_PREFIX') ?? '',
    subnetOffset: n('SUBNET_OFFSET') ?? 10,
    workerDns: l('WORKER_DNS'),
    clockToleranceMs: n('CLOCK_TOLERANCE') ?? 2000,
  };
  problems.push(...validateClusterSettings(cluster));
  for (const dns of cluster.workerDns) {
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(dns) && !/^[0-9a-f:]+$/i.test(dns)) problems.push(`WORKER_DNS entry "${dns}" is not an IP address.`);
  }
  for (const k of ['GUILD_ID', 'DISCORD_APP_ID', 'ALERT_CHANNEL_ID']) {
    const v = s(k);
    if (v && !/^\d{5,25}$/.test(v)) problems.push(`${k} must be a Discord id (digits only), got "${v}".`);
  }
  for (const k of ['OPERATOR_ROLE_IDS', 'ALLOWED_CHANNEL_IDS']) {
    for (const id of l(k)) if (!/^\d{5,25}$/.test(id)) problems.push(`${k} entry "${id}" is not a Discord id (digits only).`);
  }
  const user = s('WORKER_SSH_USER') ?? 'root';
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(user)) problems.push(`WORKER_SSH_USER must be a plain user name, got "${user}".`);
  const monitor: MonitorConfig = {
    enabled: (val.MONITORING as boolean | undefined) ?? true,
    intervalMs: n('CHECK_INTERVAL'),
    echoes: n('CHECK_ECHOES'),
    echoIntervalMs: n('ECHO_INTERVAL'),
    echoDeadlineMs: n('ECHO_DEADLINE'),
    timeoutMs: n('CHECK_TIMEOUT'),
    lossWarnPct: n('LOSS_WARN'),
    alertAfter: n('ALERT_AFTER'),
    recoverAfter: n('RECOVER_AFTER'),
    remindEveryMs: n('REMIND_EVERY') ?? 0,
    historyRawMs: n('HISTORY_RAW'),
    historyRetentionMs: n('HISTORY_RETENTION'),
    metricsPort: val.METRICS_PORT as number | undefined,
    metricsHost: s('METRICS_HOST') ?? '127.0.0.1',
  };
  // ping -w takes whole seconds; a check that cannot finish inside its timeout or its interval would fail or be skipped on every run.
  const deadline = monitor.echoDeadlineMs;
  if (deadline !== undefined) {
    if (deadline % 1000 !== 0) problems.push(`ECHO_DEADLINE must be whole seconds (ping -w), got ${formatDuration(deadline)}.`);
    if (monitor.timeoutMs !== undefined && monitor.timeoutMs < deadline + 500) problems.push(`CHECK_TIMEOUT (${formatDuration(monitor.timeoutMs)}) must be at least ECHO_DEADLINE + 0.5s (${formatDuration(deadline + 500)}).`);
    if (monitor.intervalMs !== undefined && monitor.intervalMs < deadline + 500) problems.push(`CHECK_INTERVAL (${formatDuration(monitor.intervalMs)}) must be at least ECHO_DEADLINE + 0.5s (${formatDuration(deadline + 500)}), or checks of a dead node overlap.`);
  }
  if (monitor.historyRetentionMs !== undefined && monitor.historyRawMs !== undefined && monitor.historyRetentionMs < monitor.historyRawMs) {
    problems.push(`HISTORY_RETENTION (${formatDuration(monitor.historyRetentionMs)}) must be at least HISTORY_RAW (${formatDuration(monitor.historyRawMs)}).`);
  }
  if (!/^[0-9a-fA-F.:]+$|^localhost$/.test(monitor.metricsHost)) problems.push(`METRICS_HOST must be an IP address such as 127.0.0.1, got "${monitor.metricsHost}".`);
  if (problems.length) throw new ConfigError(problems);

  return {
    discord: {
      token: s('DISCORD_TOKEN'),
      appId: s('DISCORD_APP_ID'),
      guildId: s('GUILD_ID'),
      operatorRoleIds: l('OPERATOR_ROLE_IDS'),
      allowedChannelIds: l('ALLOWED_CHANNEL_IDS'),
      alertChannelId: s('ALERT_CHANNEL_ID'),
      api: s('DISCORD_API'),
      confirmTimeoutMs: n('CONFIRM_TIMEOUT'),
    },
    cluster,
    ssh: { user, port: n('WORKER_SSH_PORT'), connectTimeoutMs: n('SSH_CONNECT_TIMEOUT'), commandTimeoutMs: n('SSH_COMMAND_TIMEOUT') },
    dataDir: path.resolve(s('DATA_DIR') ?? './data'),
    logLevel: s('LOG_LEVEL') ?? 'info',
    monitor,
    raw,
  };
}

/** The text of .env.example, generated from VARS (a test keeps the committed file equal to it). */
export function envExample(specs: VarSpec[] = VARS): string {
  const out: string[] = ['# picluster configuration. Copy to .env and fill in; every variable is optional unless noted.', '# Generated from src/config.ts (VARS): `node dist/src/cli.js env-example > .env.example`.', ''];
  let section = '';
  for (const v of specs) {
    if (v.section !== section) {
      section = v.section;
      out.push(`# --- ${section} ---`);
    }
    out.push(`# ${v.description}`);
    out.push(`${v.name}=${v.secret ? '' : (v.default ?? '')}`);
    out.push('');
  }
  return out.join('\n');
}
