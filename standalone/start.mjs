/**
 * `npm start`: the platform's TypeScript bundled into one module by esbuild, then run in this
 * process. Loaded file by file through tsx's loader (its hooks answer each import from a thread of
 * their own), its ~180 modules and zod's ~100 made every start on a 2-core machine about 0.4 s
 * slower and 0.9 s of CPU costlier than building this bundle (about 0.3 s) and loading it (README,
 * "Performance"). Built at every start, so it is never older than the sources; the packages in
 * node_modules are left out and loaded as usual.
 *
 * Plain JavaScript, so that node runs it without tsx. Services, scripts and tests keep running
 * from their sources through tsx.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, stop } from 'esbuild';

const entry = fileURLToPath(new URL('src/main.ts', import.meta.url));
const bundle = fileURLToPath(new URL('../node_modules/.cache/huijie/standalone.mjs', import.meta.url));

/**
 * Our own modules are bundled, every package (and node's built-ins) stays an import. Our modules
 * find their data files (migrations, the gazetteer, the overview's files) from their own
 * location: `import.meta.url`, `.dirname` and `.filename` are what they are in the source file,
 * not in the bundle. Packages, `import.meta.resolve` included, are found from the bundle's place,
 * the root's node_modules, where npm's workspaces put them all (none is installed for one
 * workspace only: a version only one workspace had would be found there no more).
 */
const ownModulesAsWritten = {
  name: 'own-modules-as-written',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@huijie/') ? undefined : { path: args.path, external: true },
    );
    build.onLoad({ filter: /\.ts$/ }, async (args) => ({
      loader: 'ts',
      contents: (await readFile(args.path, 'utf8'))
        .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href))
        .replaceAll('import.meta.dirname', JSON.stringify(dirname(args.path)))
        .replaceAll('import.meta.filename', JSON.stringify(args.path)),
    }));
  },
};

const { outputFiles } = await build({
  entryPoints: [entry],
  outfile: bundle,
  bundle: true,
  write: false,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Stack traces name the source files and lines (the start script runs node --enable-source-maps).
  sourcemap: 'linked',
  logLevel: 'warning',
  plugins: [ownModulesAsWritten],
});
await stop();
await mkdir(dirname(bundle), { recursive: true });
// Written aside and renamed into place: another start may be importing the bundle at this moment.
// The map first, so that the bundle never points to an older one.
for (const file of outputFiles.sort((a, b) => Number(a.path === bundle) - Number(b.path === bundle))) {
  const aside = `${dirname(file.path)}/.${basename(file.path)}.${process.pid}`;
  await writeFile(aside, file.contents);
  await rename(aside, file.path);
}
await import(pathToFileURL(bundle).href);
