// Prints the README's configuration table from lib/config.ts (a test keeps the two in sync).
import { describeConfig } from '../lib/config';

export function configTable(): string {
  const rows = describeConfig().map((c) => `| \`${c.name}\` | \`${c.default === '' ? '""' : c.default}\` | ${c.doc} |`);
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

if (require.main === module) process.stdout.write(`${configTable()}\n`);
