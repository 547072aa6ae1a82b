import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../support/paths';

const BOT_DIR = path.join(REPO_ROOT, 'functions', 'lib', 'bot');

/** Each bot module's imports of its sibling modules, type-only imports included (DESIGN §4). */
function siblingImports(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of readdirSync(BOT_DIR).filter((name) => name.endsWith('.ts'))) {
    const source = readFileSync(path.join(BOT_DIR, file), 'utf8');
    const targets = [...source.matchAll(/from '\.\/([\w-]+)'/g)].map((match) => `${match[1]}.ts`);
    graph.set(file, targets);
  }
  return graph;
}

describe('the bot modules', () => {
  it('import each other without a cycle (admin.ts and conversation.ts had one)', () => {
    // Prepare
    const graph = siblingImports();
    const cycles: string[] = [];
    const visit = (file: string, trail: string[]) => {
      if (trail.includes(file)) {
        cycles.push([...trail.slice(trail.indexOf(file)), file].join(' -> '));
        return;
      }
      for (const next of graph.get(file) ?? []) visit(next, [...trail, file]);
    };

    // Act
    for (const file of graph.keys()) visit(file, []);

    // Assess
    expect(graph.get('admin.ts')).not.toContain('conversation.ts');
    expect([...new Set(cycles)]).toEqual([]);
  });
});
