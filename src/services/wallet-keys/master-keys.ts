/**
 * WALLET_MASTER_KEYS: "<version>:<base64 of 32 bytes>" entries separated by commas, newest first,
 * e.g. "2:q83v…=,1:Zm9v…=". New ciphertexts use the newest; older versions stay until rotation has
 * re-encrypted every wallet under the newest.
 */
export interface MasterKey {
  version: number;
  key: Buffer;
}

export interface Keyring {
  newest: MasterKey;
  get(version: number): MasterKey | undefined;
  versions: number[];
}

export function parseMasterKeys(spec: string): { ok: true; keys: MasterKey[] } | { ok: false; problem: string } {
  const entries = spec.split(',').map((e) => e.trim()).filter(Boolean);
  if (entries.length === 0) return { ok: false, problem: 'needs at least one "<version>:<base64 key>" entry' };
  const keys: MasterKey[] = [];
  for (const [i, entry] of entries.entries()) {
    const m = /^(\d{1,6}):([A-Za-z0-9+/]{43}=)$/.exec(entry);
    // The problem names the entry's position, never its content.
    if (!m) return { ok: false, problem: `entry ${i + 1} is not "<version>:<base64 of 32 bytes>"` };
    const version = Number(m[1]);
    const key = Buffer.from(m[2]!, 'base64');
    if (key.length !== 32) return { ok: false, problem: `entry ${i + 1} is not 32 bytes` };
    if (keys.some((k) => k.version === version)) return { ok: false, problem: `version ${version} appears twice` };
    if (keys.length && version >= keys.at(-1)!.version) return { ok: false, problem: 'versions must be listed newest (highest) first' };
    keys.push({ version, key });
  }
  return { ok: true, keys };
}

export function keyring(keys: readonly MasterKey[]): Keyring {
  if (!keys.length) throw new Error('keyring needs at least one key');
  const byVersion = new Map(keys.map((k) => [k.version, k]));
  return { newest: keys[0]!, get: (v) => byVersion.get(v), versions: keys.map((k) => k.version) };
}
