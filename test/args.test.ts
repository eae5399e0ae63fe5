import { commands } from '../commands';
import { parseArgv, tokenize, validateArgs } from '../src/commands/args';
import { loadConfig } from '../src/config';

const engine = { config: loadConfig({}) } as any;
const parse = (line: string) => {
  const p = parseArgv(tokenize(line), commands);
  return validateArgs(p.def, p.raw, engine);
};

describe('argument parsing shared by CLI and shell', () => {
  test('positional, flags and --x=y forms', () => {
    expect(parse('add-node 3 --dry-run')).toEqual({ node: 3, hostname: false, 'dry-run': true });
    expect(parse('/ping all --count=5')).toEqual({ node: 'all', count: 5 });
    expect(parse('nat')).toEqual({ action: 'status' });
    expect(parse('route 2 set')).toEqual({ node: 2, action: 'set' });
  });

  test.each([
    ['add-node 0', /out of range/],
    ['add-node 999', /out of range/],
    ['add-node -1', /not a node number/],
    ['add-node 3;reboot', /not a node number/],
    ['add-node 3 4', /Unexpected extra argument "4"/],
    ['add-node', /needs <node>/],
    ['frobnicate 3', /Unknown command "frobnicate"/],
    ['add-node 3 --force', /Unknown option --force/],
    ['nat explode', /must be one of status, enable, disable/],
    ['ping 3 --count 0', /whole number from 1 to 100/],
    ['ping 3 --count', /needs a value/],
    ['status --dry-run', /no --dry-run/],
    ['add-node "3', /Unclosed/],
  ])('%s → clear error', (line, re) => {
    expect(() => parse(line)).toThrow(re);
  });

  test('quotes group words and nothing is expanded', () => {
    expect(tokenize(`sdcard 3 --boot "/mnt/my card" --root '$(reboot)'`)).toEqual(['sdcard', '3', '--boot', '/mnt/my card', '--root', '$(reboot)']);
  });

  test('every command has a description, and options that Discord can express', () => {
    for (const c of commands) {
      expect(c.description.length).toBeGreaterThan(10);
      expect(c.description.length).toBeLessThanOrEqual(200);
      expect(c.name).toMatch(/^[a-z][a-z-]{0,31}$/);
      for (const o of c.options) expect(o.description.length).toBeLessThanOrEqual(100);
    }
  });
});
