/**
 * npm run docs:config            renders docs/configuration.md from the config schema in src/config.ts
 * npm run docs:config -- --check fails when the committed file differs
 */
import { renderConfigReference } from '../src/config-docs.js';
import { writeOrCheck } from './write-or-check.js';

await writeOrCheck('docs/configuration.md', renderConfigReference(), 'npm run docs:config');
