import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Node's arguments in a checkout's start script (`[exec] node <flags> <script>`): what `npm start`
 * runs there, without npm's own process in front.
 */
export function startArgv(checkout: string): string[] {
  const { scripts } = JSON.parse(readFileSync(join(checkout, 'package.json'), 'utf8'));
  const [command, ...argv] = String(scripts.start)
    .trim()
    .replace(/^exec\s+/, '')
    .split(/\s+/);
  if (command !== 'node')
    throw new Error(`${checkout}: the start script does not start node: ${scripts.start}`);
  return argv;
}

/** The node and V8 flags of a start script's arguments: those before the script it runs. */
export function nodeFlagsOf(argv: string[]): string[] {
  const script = argv.findIndex((arg, i) => !arg.startsWith('-') && argv[i - 1] !== '--import');
  return argv.slice(0, script === -1 ? argv.length : script);
}
