#!/usr/bin/env node
/**
 * `npm run bench [-- <name filter>...]`: runs every bench/*.bench.ts in sequence (each in its own
 * process, through tsx), passes their output through, and ends with one markdown table of all results
 * (the lines each bench prints as `BENCH {json}`, see bench/lib/measure.ts). Environment: DATABASE_URL
 * and NATS_URL select real services (see BENCHMARKS.md); BENCH_SECONDS shortens every case;
 * BENCH_ROUNDS sets how many interleaved rounds a comparison is split into.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PREFIX = 'BENCH ';
const filters = process.argv.slice(2);
const files = readdirSync(join(root, 'bench'))
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error(`no bench/*.bench.ts matches ${filters.join(' ')}`);
  process.exit(1);
}

const env = (name) => (process.env[name] ? 'set' : 'unset');
console.log(
  `# ${new Date().toISOString()}  node ${process.version}  ${availableParallelism()} cores  ` +
    `DATABASE_URL ${env('DATABASE_URL')}  NATS_URL ${env('NATS_URL')}  REDIS_URL ${env('REDIS_URL')}  ` +
    `BENCH_SECONDS ${process.env.BENCH_SECONDS ?? '(default)'}`,
);

/** Runs one bench file, echoing its output, and returns its result lines. */
function run(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    console.log(`\n## ${file}`);
    const child = spawn(process.execPath, ['--import', 'tsx', join('bench', file)], {
      cwd: root,
      env: process.env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const results = [];
    let buffered = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith(PREFIX)) results.push(JSON.parse(line.slice(PREFIX.length)));
        else console.log(line);
      }
    });
    child.on('close', (code, signal) => {
      if (buffered) console.log(buffered);
      const took = ((Date.now() - started) / 1000).toFixed(0);
      console.log(`(${file}: ${code === 0 ? 'ok' : `FAILED (${signal ?? `exit ${code}`})`} in ${took} s)`);
      resolve({ file, ok: code === 0, results });
    });
  });
}

const rate = (n) =>
  n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e4 ? `${(n / 1e3).toFixed(1)}k` : String(n);
const us = (n) => (n >= 10_000 ? `${(n / 1000).toFixed(1)} ms` : `${n} us`);

function summary(all) {
  const out = [
    '| benchmark | case | throughput | p50 | p99 | baseline | ratio vs baseline [per round] |',
    '|---|---|---:|---:|---:|---|---:|',
  ];
  for (const r of all) {
    const [bench, ...rest] = r.bench.split(': ');
    const name = rest.join(': ');
    const baseName = r.baseline_name.split(': ').slice(1).join(': ');
    const isBase = r.baseline_name === r.bench;
    const range = r.ratio_range ? ` [${r.ratio_range[0]}–${r.ratio_range[1]}]` : '';
    out.push(
      `| ${bench} | ${name} | ${rate(r.throughput)} ${r.unit} | ${us(r.p50_us)} | ${us(r.p99_us)} | ` +
        `${isBase ? '*baseline*' : `${baseName} (${rate(r.baseline)})`} | ${isBase ? '1' : `**${r.ratio}**${range}`} |`,
    );
  }
  return out.join('\n');
}

const started = Date.now();
const runs = [];
for (const file of files) runs.push(await run(file));
const all = runs.flatMap((r) => r.results);
console.log(`\n## Summary (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
console.log(summary(all));
const failed = runs.filter((r) => !r.ok).map((r) => r.file);
if (failed.length > 0) {
  console.error(`\nfailed: ${failed.join(', ')}`);
  process.exitCode = 1;
}
