/**
 * `npm run lab -- <command>`: try picluster without hardware. See test/lab/README.md.
 *
 *   up [--nodes 1-3] [--fresh 1] [--skew 1=-10800]   create the demo lab (state persists after exit)
 *   shell                                            the bot's shell adapter inside the manager
 *   exec -- <argv...>                                run argv inside the manager
 *   worker <N> [-- <argv...>]                        run argv (default: bash) inside worker N
 *   status                                           what exists
 *   down                                             destroy the demo lab
 *   down --all [--force]                             remove leftovers of crashed runs (and the demo)
 * Every command takes --id <id> to act on a lab other than "demo".
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cleanupAllLabs, Lab, LAB_ROOT, REPO_ROOT } from './lab';

const DEMO_ID = 'demo';

function usage(): never {
  process.stderr.write(`usage: npm run lab -- <command>
  up [--nodes 1-3] [--fresh 1] [--skew N=SECONDS,...]   create the demo lab
  shell                          run the bot's shell adapter (node dist/src/main.js) in the manager
  exec -- <argv...>              run a command in the manager, e.g. exec -- node dist/src/cli.js add-node 1
  worker <N> [-- <argv...>]      run a command (default: bash) in worker N
  status                         show labs
  down                           destroy the demo lab
  down --all [--force]           remove labs whose creator is gone (crashed runs, the demo); --force: all
options: --id <id> (default "${DEMO_ID}")
`);
  process.exit(2);
}

/** "1-3,5,7-8" → [1,2,3,5,7,8] */
export function parseNodeList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`bad node list "${text}" (use e.g. 1-3,5)`);
    const a = Number(m[1]);
    const b = m[2] ? Number(m[2]) : a;
    if (b < a) throw new Error(`bad range "${part}"`);
    for (let n = a; n <= b; n++) out.push(n);
  }
  return out;
}

interface Parsed {
  cmd: string;
  positional: string[];
  flags: Record<string, string | true>;
  rest: string[];
}

function parseArgs(argv: string[]): Parsed {
  const dash = argv.indexOf('--');
  const head = dash >= 0 ? argv.slice(0, dash) : argv;
  const rest = dash >= 0 ? argv.slice(dash + 1) : [];
  const [cmd, ...more] = head;
  const flags: Record<string, string | true> = {};
  const positional: string[] = [];
  for (let i = 0; i < more.length; i++) {
    const a = more[i];
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) flags[a.slice(2, eq)] = a.slice(eq + 1);
      else if (i + 1 < more.length && !more[i + 1].startsWith('--') && !['all', 'force'].includes(a.slice(2))) flags[a.slice(2)] = more[++i];
      else flags[a.slice(2)] = true;
    } else positional.push(a);
  }
  return { cmd: cmd ?? '', positional, flags, rest };
}

function flagString(p: Parsed, name: string): string | undefined {
  const v = p.flags[name];
  if (v === true) throw new Error(`--${name} needs a value`);
  return v;
}

function describe(lab: Lab): string {
  const st = lab.status();
  const lines: string[] = [];
  lines.push(`lab "${lab.id}": ${lab.nodes.length} worker(s)${st.createMs !== undefined ? `, created in ${st.createMs} ms` : ''}`);
  lines.push(`  state dir   ${lab.dir}`);
  lines.push(`  bot data    ${lab.dataDir}  (DATA_DIR; SSH key id_ed25519 is authorized on every worker)`);
  lines.push(`  manager     netns pclab-${lab.id}-m, hostname "manager", private /etc; uplink ${lab.settings.uplink} 198.51.100.2/24 via 198.51.100.1`);
  lines.push(`  internet    ${lab.internetAddr} (reachable from workers once the manager forwards + masquerades)`);
  for (const n of lab.nodes) {
    const a = lab.addressing(n);
    const fresh = lab.fresh.includes(n);
    const skew = lab.skew(n);
    lines.push(
      `  node ${String(n).padEnd(3)}    ${lab.hostIfaceKernelName(n)} (${a.hostMac}) <-> usb0 (${a.devMac})  ` +
        (fresh ? `fresh: only ${a.workerLinkLocal}` : `pre-addressed ${a.workerIp}/24`) +
        `  sshd ${st.sshd[n] ? 'up' : 'DOWN'}${skew ? `  clock ${skew > 0 ? '+' : ''}${skew}s` : ''}`,
    );
  }
  for (const f of st.forwarders) lines.push(`  forwarder   127.0.0.1:${f.port} -> ${f.unixPath} (${f.alive ? 'up' : 'down'})`);
  return lines.join('\n');
}

function hints(id: string): string {
  const idFlag = id === DEMO_ID ? '' : ` --id ${id}`;
  return `Try:
  npm run lab -- shell${idFlag}                                  # the bot's shell adapter, inside the manager
  npm run lab -- exec${idFlag} -- node dist/src/cli.js add-node 1   # provision node 1
  npm run lab -- exec${idFlag} -- ip -br addr                      # what the manager sees
  npm run lab -- worker 1${idFlag} -- ip -br addr                  # what a Pi sees
  npm run lab -- down${idFlag}`;
}

/** Run argv with the terminal attached; Ctrl-C goes to the child, we exit with its status. */
function runAttached(argv: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: 'inherit', env });
    const ignore = () => undefined;
    process.on('SIGINT', ignore);
    process.on('SIGQUIT', ignore);
    child.on('error', (e) => {
      process.stderr.write(`${e.message}\n`);
      resolve(127);
    });
    child.on('exit', (code, sig) => {
      process.off('SIGINT', ignore);
      process.off('SIGQUIT', ignore);
      resolve(code ?? (sig ? 128 + (({ SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[sig] ?? 1) : 1));
    });
  });
}

async function up(p: Parsed, id: string): Promise<Lab> {
  if (Lab.exists(id)) {
    const lab = Lab.attach(id);
    process.stdout.write(`already up\n${describe(lab)}\n`);
    return lab;
  }
  const nodes = parseNodeList(flagString(p, 'nodes') ?? '1-3');
  const freshText = flagString(p, 'fresh');
  const fresh = freshText !== undefined ? parseNodeList(freshText) : [nodes[0]];
  const skewSeconds: Record<number, number> = {};
  const skewText = flagString(p, 'skew');
  for (const item of skewText ? skewText.split(',') : []) {
    const m = /^(\d+)=(-?\d+)$/.exec(item.trim());
    if (!m) throw new Error(`bad --skew "${item}" (use N=SECONDS, e.g. 1=-10800)`);
    skewSeconds[Number(m[1])] = Number(m[2]);
  }
  const lab = await Lab.create({ id, nodes, fresh, skewSeconds });
  process.stdout.write(`${describe(lab)}\n\n${hints(id)}\n`);
  return lab;
}

async function main(argv: string[]): Promise<number> {
  const p = parseArgs(argv);
  const id = flagString(p, 'id') ?? DEMO_ID;
  switch (p.cmd) {
    case 'up':
      await up(p, id);
      return 0;
    case 'shell': {
      const lab = Lab.exists(id) ? Lab.attach(id) : await up(p, id);
      const main = path.join(REPO_ROOT, 'dist', 'src', 'main.js');
      if (!fs.existsSync(main)) {
        process.stderr.write(`${main} does not exist yet (npm run build).\n`);
        return 1;
      }
      const env = { ...lab.managerEnv() } as Record<string, string>;
      delete env.DISCORD_TOKEN;
      return runAttached(lab.managerArgv([process.execPath, main, ...p.rest]), env);
    }
    case 'exec': {
      if (!p.rest.length) usage();
      const lab = Lab.attach(id);
      return runAttached(lab.managerArgv(p.rest, process.cwd().startsWith(REPO_ROOT) ? process.cwd() : REPO_ROOT), lab.managerEnv());
    }
    case 'worker': {
      const n = Number(p.positional[0]);
      if (!Number.isInteger(n)) usage();
      const lab = Lab.attach(id);
      return runAttached(lab.workerArgv(n, p.rest.length ? p.rest : ['bash', '-l']), { ...lab.workerEnv(), ...(process.env.TERM ? { TERM: process.env.TERM } : {}) });
    }
    case 'status': {
      let any = false;
      let dirs: string[] = [];
      try {
        dirs = fs.readdirSync(LAB_ROOT);
      } catch {
        /* none */
      }
      for (const d of dirs.sort()) {
        if (!Lab.exists(d)) {
          process.stdout.write(`lab "${d}": incomplete (no lab.json) — \`npm run lab -- down --all\` removes it\n`);
          any = true;
          continue;
        }
        const lab = Lab.attach(d);
        const st = lab.status();
        any = true;
        if (d === id) process.stdout.write(`${describe(lab)}\n`);
        else process.stdout.write(`lab "${d}": ${lab.nodes.length} worker(s), creator pid ${st.owner} ${st.ownerAlive ? 'running' : 'gone'}\n`);
      }
      const orphans = (() => {
        try {
          return fs.readdirSync('/run/netns').filter((n) => n.startsWith('pclab-') && !dirs.some((d) => n.startsWith(`pclab-${d}-`)));
        } catch {
          return [];
        }
      })();
      if (orphans.length) {
        process.stdout.write(`leftover network namespaces: ${orphans.join(' ')} (npm run lab -- down --all)\n`);
        any = true;
      }
      if (!any) process.stdout.write(`no labs (npm run lab -- up)\n`);
      return 0;
    }
    case 'down': {
      if (p.flags.all) {
        const removed = await cleanupAllLabs({ force: p.flags.force === true });
        process.stdout.write(removed.length ? `removed: ${removed.join(', ')}\n` : 'nothing to remove\n');
        if (!p.flags.force && fs.existsSync(LAB_ROOT)) {
          const live = fs.readdirSync(LAB_ROOT).filter((d) => Lab.exists(d) && Lab.attach(d).status().ownerAlive);
          if (live.length) process.stdout.write(`kept (creator still running): ${live.join(', ')} — add --force to remove them too\n`);
        }
        return 0;
      }
      const removed = await cleanupAllLabs({ ids: [id], force: true });
      process.stdout.write(removed.length ? `lab "${id}" destroyed\n` : `no lab "${id}"\n`);
      return 0;
    }
    default:
      usage();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`lab: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
