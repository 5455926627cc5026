import fs from 'node:fs';
import path from 'node:path';

/**
 * The folder holding package.json, found from this file's location. Non-code assets (sql/,
 * dashboards/) live there, and this file runs both from source (lib/) and from the build
 * (dist/lib/), so paths relative to __dirname would differ between the two.
 */
export function packageRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${__dirname}`);
  }
}

export const assetPath = (...parts: string[]) => path.join(packageRoot(), ...parts);
