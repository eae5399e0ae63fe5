/**
 * TCP → Unix socket forwarder, run by Lab.exposeUnixSocket inside the manager's network namespace
 * (but in the machine's mount namespace, so the socket path resolves as jest sees it).
 * Usage: node forwarder.js <unixPath> <port>. Prints "listening" once bound to 127.0.0.1:<port>.
 */
import * as net from 'node:net';

const [unixPath, portText] = process.argv.slice(2);
const port = Number(portText);
if (!unixPath || !Number.isInteger(port) || port < 1 || port > 65535) {
  process.stderr.write('usage: forwarder.js <unixPath> <port>\n');
  process.exit(2);
}
process.stdout.on('error', () => undefined); // the lab stops reading once we are up

const server = net.createServer({ allowHalfOpen: true }, (client) => {
  const upstream = net.connect({ path: unixPath, allowHalfOpen: true });
  client.pipe(upstream);
  upstream.pipe(client);
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close);
  upstream.on('error', (e) => {
    process.stderr.write(`forwarder: ${unixPath}: ${e.message}\n`);
    close();
  });
  client.on('close', close);
  upstream.on('close', close);
});
server.on('error', (e) => {
  process.stderr.write(`forwarder: ${e.message}\n`);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => {
  process.stdout.write('listening\n');
});
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => process.exit(0));
