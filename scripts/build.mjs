// Bundles the extension, the language server, its inference and corpus workers, the CLI and the report webview's
// script with esbuild, and ships onnxruntime-node (native, so not bundled) beside them with only this platform's binaries.
import * as esbuild from 'esbuild';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';

const production = process.argv.includes('--production');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  external: ['vscode', 'onnxruntime-node'],
};

await Promise.all([
  esbuild.build({ ...common, entryPoints: ['client/src/extension.ts'], outfile: 'dist/extension.js' }),
  esbuild.build({ ...common, entryPoints: ['server/src/server.ts'], outfile: 'dist/server.js' }),
  esbuild.build({ ...common, entryPoints: ['server/src/nerWorker.ts'], outfile: 'dist/nerWorker.js' }),
  esbuild.build({ ...common, entryPoints: ['server/src/corpusWorker.ts'], outfile: 'dist/corpusWorker.js' }),
  esbuild.build({ ...common, entryPoints: ['server/src/cli.ts'], outfile: 'dist/cli.js' }),
  // The report views' page script, for the webview (a browser): Chart.js bundled in, and its stylesheet beside it as
  // dist/webview.css, so that the page loads nothing from outside dist/.
  esbuild.build({
    ...common,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    external: [],
    entryPoints: ['client/src/webview/main.ts'],
    outfile: 'dist/webview.js',
  }),
]);
chmodSync('dist/cli.js', 0o755);
// Read at run time beside the bundles: by the gRPC inference client (grpcTransport.ts) and by the inference workers,
// which cut multi-head graphs to the heads a run reads (graphPruning.ts).
cpSync('server/src/core/ner/grpc_predict_v2.proto', 'dist/grpc_predict_v2.proto');
cpSync('server/src/core/ner/onnx.proto', 'dist/onnx.proto');
shipPackage('onnxruntime-common', ['package.json', 'dist']);
shipPackage('onnxruntime-node', ['package.json', 'dist', `bin/napi-v6/${process.platform}/${process.arch}`]);

/** Copies the listed parts of a package into dist/node_modules, unless that version is there already. */
function shipPackage(name, parts) {
  const from = path.join('node_modules', name);
  const to = path.join('dist', 'node_modules', name);
  const version = (dir) => (existsSync(path.join(dir, 'package.json')) ? JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).version : null);
  if (version(to) === version(from) && parts.every((part) => existsSync(path.join(to, part)))) return;
  rmSync(to, { recursive: true, force: true });
  for (const part of parts) {
    mkdirSync(path.dirname(path.join(to, part)), { recursive: true });
    cpSync(path.join(from, part), path.join(to, part), { recursive: true });
  }
}
