/**
 * Tests that need the build (Lambda zips, the addon, the test models) fail when it is
 * missing instead of skipping: `make test` builds first, so a missing artefact is a bug
 * that a skip would hide. Only fixtures that live outside the repository may be absent.
 */
export function requireBuilt(artefacts: Record<string, boolean>): void {
  const missing = Object.entries(artefacts)
    .filter(([, present]) => !present)
    .map(([name]) => name);
  if (missing.length) {
    throw new Error(`Missing ${missing.join(', ')}: run \`make build native models\` (make test does this first).`);
  }
}
