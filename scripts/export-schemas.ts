// Writes the published JSON Schemas, contract/json/<type>/v<N>.json, from contract/events.ts.
// A compatible (additive) change rewrites its file; a breaking one is refused and listed: it
// needs a new schema_version, added beside the old one. contract/compat.test.ts checks in CI.
import fs from 'node:fs';
import path from 'node:path';
import { breakingChanges } from '../contract/compat';
import { EVENT_SCHEMAS } from '../contract/events';

export const SCHEMA_DIR = path.resolve(__dirname, '../contract/json');

export function schemaFile(type: string, version: number): string {
  return path.join(SCHEMA_DIR, type, `v${version}.json`);
}

/** The schema as published: plain JSON (TypeBox's symbol keys dropped), stable key order. */
export function published(schema: object): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}

if (require.main === module) {
  let refused = 0;
  for (const schema of EVENT_SCHEMAS) {
    const file = schemaFile(schema.properties.event_type.const, schema.properties.schema_version.const);
    const text = published(schema);
    if (fs.existsSync(file)) {
      if (fs.readFileSync(file, 'utf8') === text) continue;
      const problems = breakingChanges(JSON.parse(fs.readFileSync(file, 'utf8')), JSON.parse(text));
      if (problems.length) {
        refused++;
        process.stderr.write(`${path.relative(process.cwd(), file)}: not additive, add a new schema_version instead:\n  ${problems.join('\n  ')}\n`);
        continue;
      }
    }
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
  }
  process.exit(refused ? 1 : 0);
}
