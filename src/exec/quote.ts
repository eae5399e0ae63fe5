/**
 * POSIX single-quote quoting for the remote /bin/sh (dash on Debian, bash on Arch): every
 * argument becomes one word with no expansion, whatever it contains.
 */
export function shQuote(arg: string): string {
  if (arg !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function shJoin(argv: string[]): string {
  return argv.map(shQuote).join(' ');
}
