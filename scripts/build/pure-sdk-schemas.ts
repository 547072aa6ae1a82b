import { readFile } from 'node:fs/promises';
import type { Plugin } from 'esbuild';

/**
 * AWS SDK clients describe their shapes in one schemas_0.js, with traits written as
 * computed keys (`{ [_xN]: ... }`). esbuild cannot prove a computed key free of side
 * effects, so it keeps every schema: @aws-sdk/client-ec2 alone adds 540 KiB. Writing the
 * module's own string constants into those keys lets tree shaking drop the unused ones.
 */
export const pureSdkSchemaKeys: Plugin = {
  name: 'pure-sdk-schema-keys',
  setup(build) {
    build.onLoad(
      { filter: /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/ },
      async (args) => {
        const source = await readFile(args.path, 'utf8');
        const strings = new Map(
          [...source.matchAll(/^const (_\w+) = ("[^"\\\n]*");$/gm)].map(([, name, literal]) => [name, literal]),
        );
        const contents = source.replace(/\[(_\w+)\]:/g, (whole, name: string) => {
          const literal = strings.get(name);
          return literal ? `[${literal}]:` : whole;
        });
        return { contents, loader: 'js' };
      },
    );
  },
};
