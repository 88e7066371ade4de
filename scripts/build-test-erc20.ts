/**
 * Compiles test/fixtures/erc20/TestToken.sol with the solc-js compiler from npm (bundled, offline)
 * and writes the committed artifact test/fixtures/erc20/TestToken.json, which tests load.
 *
 *   npm run build:test-erc20              # (re)write the artifact
 *   npm run build:test-erc20 -- --check   # exit 1 when the artifact is not what the source compiles to
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import solc from 'solc';

const FIXTURE_DIR = new URL('../test/fixtures/erc20/', import.meta.url);
const SOURCE = 'TestToken.sol';
const CONTRACT = 'TestToken';
const ARTIFACT = new URL(`${CONTRACT}.json`, FIXTURE_DIR);

interface TestTokenArtifact {
  contractName: string;
  abi: unknown[];
  bytecode: string;
  compiler: string;
  source: string;
}

interface SolcDiagnostic {
  severity: 'error' | 'warning' | 'info';
  formattedMessage: string;
}

interface SolcOutput {
  errors?: SolcDiagnostic[];
  contracts?: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>>;
}

/** solc's typings declare every member as `any`; this is the part of its API used here. */
const compiler = solc as { version(): string; compile(input: string): string };

async function build(): Promise<TestTokenArtifact> {
  const content = await readFile(new URL(SOURCE, FIXTURE_DIR), 'utf8');
  const input = {
    language: 'Solidity',
    sources: { [SOURCE]: { content } },
    settings: {
      optimizer: { enabled: true, runs: 200 },
      // Pinned so the artifact does not change with the compiler's default; anvil runs a later fork.
      evmVersion: 'cancun',
      outputSelection: { [SOURCE]: { [CONTRACT]: ['abi', 'evm.bytecode.object'] } },
    },
  };
  const output = JSON.parse(compiler.compile(JSON.stringify(input))) as SolcOutput;
  const diagnostics = output.errors ?? [];
  for (const d of diagnostics) process.stderr.write(d.formattedMessage);
  if (diagnostics.some((d) => d.severity === 'error')) throw new Error(`${SOURCE} does not compile`);

  const compiled = output.contracts?.[SOURCE]?.[CONTRACT];
  if (!compiled?.evm.bytecode.object) throw new Error(`solc produced no bytecode for ${CONTRACT}`);
  return {
    contractName: CONTRACT,
    abi: compiled.abi,
    bytecode: `0x${compiled.evm.bytecode.object}`,
    compiler: compiler.version(),
    source: SOURCE,
  };
}

async function main(): Promise<void> {
  const text = `${JSON.stringify(await build(), null, 2)}\n`;
  const path = fileURLToPath(ARTIFACT);
  if (process.argv.includes('--check')) {
    const current = await readFile(ARTIFACT, 'utf8').catch(() => '');
    if (current !== text) {
      process.stderr.write(`${path} is out of date: run npm run build:test-erc20\n`);
      process.exitCode = 1;
      return;
    }
    process.stdout.write(`${path} is up to date\n`);
    return;
  }
  await writeFile(ARTIFACT, text);
  process.stdout.write(`wrote ${path} (${compiler.version()})\n`);
}

await main();
