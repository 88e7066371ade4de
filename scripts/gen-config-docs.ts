/**
 * npm run docs:config            renders docs/configuration.md from the config schema in src/config.ts
 * npm run docs:config -- --check fails when the committed file differs
 */
import { readFile, writeFile } from 'node:fs/promises';
import { renderConfigReference } from '../src/config-docs.js';

const target = 'docs/configuration.md';
const text = renderConfigReference();
if (process.argv.includes('--check')) {
  if ((await readFile(target, 'utf8').catch(() => '')) !== text) {
    console.error(`${target} is stale: run npm run docs:config and commit it`);
    process.exit(1);
  }
  console.log(`${target} is current`);
} else {
  await writeFile(target, text);
  console.log(`wrote ${target}`);
}
