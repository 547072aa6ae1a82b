/**
 * Bundles the web page (web/) with esbuild into dist/web: index.html, app.js and app.css.
 * config.json is not built: Terraform writes it in AWS, the local gateway serves it locally.
 * Prints the JavaScript's gzipped size, which must stay within the budget.
 */
import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { REPO_ROOT } from './build/functions';

export const WEB_SOURCE_DIR = path.join(REPO_ROOT, 'web');
export const WEB_DIST_DIR = path.join(REPO_ROOT, 'dist', 'web');
/** The budget for the page's JavaScript, gzipped. */
export const WEB_JS_BUDGET_BYTES = 150 * 1024;

export interface WebBuild {
  outDir: string;
  jsBytes: number;
  jsGzipBytes: number;
  cssGzipBytes: number;
}

export async function buildWeb(outDir = WEB_DIST_DIR): Promise<WebBuild> {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  await esbuild.build({
    entryPoints: {
      app: path.join(WEB_SOURCE_DIR, 'src', 'main.ts'),
      'app-styles': path.join(WEB_SOURCE_DIR, 'src', 'styles.css'),
    },
    outdir: outDir,
    bundle: true,
    platform: 'browser',
    target: ['es2022', 'chrome110', 'firefox115', 'safari16'],
    format: 'esm',
    minify: true,
    sourcemap: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  // One stylesheet named as index.html expects it.
  await copyFile(path.join(outDir, 'app-styles.css'), path.join(outDir, 'app.css'));
  await rm(path.join(outDir, 'app-styles.css'));
  await rm(path.join(outDir, 'app-styles.css.map'), { force: true });
  await copyFile(path.join(WEB_SOURCE_DIR, 'index.html'), path.join(outDir, 'index.html'));
  const js = await readFile(path.join(outDir, 'app.js'));
  const css = await readFile(path.join(outDir, 'app.css'));
  return {
    outDir,
    jsBytes: js.length,
    jsGzipBytes: gzipSync(js, { level: 9 }).length,
    cssGzipBytes: gzipSync(css, { level: 9 }).length,
  };
}

export function describeWebBuild(build: WebBuild): string {
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
  const share = ((build.jsGzipBytes / WEB_JS_BUDGET_BYTES) * 100).toFixed(1);
  return (
    `web page: app.js ${kib(build.jsBytes)}, ${kib(build.jsGzipBytes)} gzipped ` +
    `(${share}% of the ${kib(WEB_JS_BUDGET_BYTES)} budget); app.css ${kib(build.cssGzipBytes)} gzipped`
  );
}

async function main() {
  const build = await buildWeb();
  console.log(describeWebBuild(build));
  if (build.jsGzipBytes > WEB_JS_BUDGET_BYTES) {
    console.error('The page JavaScript is over its budget: drop a dependency or split the page.');
    process.exit(1);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
