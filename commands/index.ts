import { CommandDef } from '../src/commands/types';
import { command as addNode } from './add-node';
import { command as removeNode } from './remove-node';
import { command as route } from './route';
import { command as nat } from './nat';
import { command as ping } from './ping';
import { command as setTime } from './set-time';
import { command as status } from './status';
import { command as nodes } from './nodes';
import { command as doctor } from './doctor';
import { command as sdcard } from './sdcard';
import { command as sshKey } from './ssh-key';
import { command as audit } from './audit';
import { command as trustHost } from './trust-host';
import { command as mute } from './mute';
import { command as unmute } from './unmute';
import { command as alerts } from './alerts';
import { command as history } from './history';
import { command as inventory } from './inventory';

/** Every command, in the order help lists them. Transports (CLI, shell, Discord) all read this list. */
export const commands: CommandDef[] = [addNode, removeNode, route, nat, ping, setTime, status, nodes, doctor, sdcard, sshKey, trustHost, audit, alerts, mute, unmute, history, inventory];
