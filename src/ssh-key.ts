import * as fs from 'node:fs';
import * as path from 'node:path';
import { utils } from 'ssh2';

export interface BotKey {
  privateKey: Buffer;
  publicKey: string;
  path: string;
  created: boolean;
}

/** The bot's own ed25519 key, created on first start (mode 0600) and reused after. */
export function ensureBotKey(dataDir: string): BotKey {
  const keyPath = path.join(dataDir, 'id_ed25519');
  const pubPath = `${keyPath}.pub`;
  let created = false;
  if (!fs.existsSync(keyPath)) {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const pair = utils.generateKeyPairSync('ed25519', { comment: 'picluster' });
    fs.writeFileSync(keyPath, pair.private, { mode: 0o600 });
    fs.writeFileSync(pubPath, `${pair.public}\n`, { mode: 0o644 });
    created = true;
  }
  const st = fs.statSync(keyPath);
  if ((st.mode & 0o077) !== 0) fs.chmodSync(keyPath, 0o600);
  const privateKey = fs.readFileSync(keyPath);
  let publicKey: string;
  if (fs.existsSync(pubPath)) {
    publicKey = fs.readFileSync(pubPath, 'utf8').trim();
  } else {
    const parsed = utils.parseKey(privateKey);
    const k = Array.isArray(parsed) ? parsed[0] : parsed;
    if (k instanceof Error) throw new Error(`cannot read ${keyPath}: ${k.message}`);
    publicKey = `${k.type} ${k.getPublicSSH().toString('base64')} picluster`;
    fs.writeFileSync(pubPath, `${publicKey}\n`, { mode: 0o644 });
  }
  return { privateKey, publicKey, path: keyPath, created };
}
