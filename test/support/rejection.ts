/** The rejection of `p`, or a failure if it resolved. */
export async function rejection(p: Promise<unknown>): Promise<Error> {
  const outcome = await p.then(
    (value: unknown) => ({ value }),
    (e: unknown) => ({ e }),
  );
  if (!('e' in outcome)) throw new Error('expected a rejection, but it resolved');
  if (!(outcome.e instanceof Error)) throw new Error(`expected an Error, got ${String(outcome.e)}`);
  return outcome.e;
}
