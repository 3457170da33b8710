import * as esbuild from 'esbuild';
await esbuild.build({ entryPoints: [process.argv[2] ?? 'exp.ts'], bundle: true, platform: 'node', format: 'cjs', target: 'node22', outfile: (process.argv[3] ?? 'exp.cjs'), logLevel: 'error' });
