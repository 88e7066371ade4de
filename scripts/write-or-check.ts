import { readFile, writeFile } from 'node:fs/promises';

/** Writes a generated file, or with --check fails when the committed one differs (CI runs --check). */
export async function writeOrCheck(target: string, text: string, regenerate: string): Promise<void> {
  if (process.argv.includes('--check')) {
    if ((await readFile(target, 'utf8').catch(() => '')) !== text) {
      console.error(`${target} is stale: run ${regenerate} and commit it`);
      process.exit(1);
    }
    console.log(`${target} is current`);
  } else {
    await writeFile(target, text);
    console.log(`wrote ${target}`);
  }
}
