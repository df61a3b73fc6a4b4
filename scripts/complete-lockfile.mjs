#!/usr/bin/env node
// The npm registry reachable from our build machines serves only the Linux builds of packages that ship
// one binary per platform (@next/swc-*, @biomejs/cli-*, @turbo/*). `npm install` there leaves the other
// platforms' optional packages out of package-lock.json, and `npm ci` then refuses the lock as out of
// sync, here and on a developer's Mac alike. This adds the missing optional entries (name, version,
// os/cpu/libc inferred from the package name, as their manifests declare), so `npm ci` skips them on
// other platforms and fetches them by name and version on theirs.
// Run it after any `npm install` that changes package-lock.json (`npm run lock:complete`).
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const packages = lock.packages;

function platformOf(name) {
  const n = name.toLowerCase();
  const os = /darwin/.test(n)
    ? 'darwin'
    : /win32|windows/.test(n)
      ? 'win32'
      : /android/.test(n)
        ? 'android'
        : /freebsd/.test(n)
          ? 'freebsd'
          : /linux/.test(n)
            ? 'linux'
            : null;
  const cpu = /arm64|aarch64/.test(n)
    ? 'arm64'
    : /x64|-64\b|x86_64/.test(n)
      ? 'x64'
      : /ia32/.test(n)
        ? 'ia32'
        : /arm\b|armv7|-arm-/.test(n)
          ? 'arm'
          : null;
  const libc = /musl/.test(n) ? 'musl' : /gnu/.test(n) ? 'glibc' : null;
  return { os, cpu, libc };
}

let added = 0;
for (const [where, entry] of Object.entries(packages)) {
  const optional = entry.optionalDependencies;
  if (!optional) continue;
  const base = where === '' ? '' : `${where}/`;
  for (const [name, spec] of Object.entries(optional)) {
    const candidates = [`${base}node_modules/${name}`, `node_modules/${name}`];
    if (candidates.some((c) => packages[c])) continue;
    const { os, cpu, libc } = platformOf(name);
    if (!os || !cpu) continue; // not a per-platform binary: leave it to npm
    const version = spec.replace(/^[\^~=]/, '');
    if (!/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(version)) continue;
    const rec = { version, cpu: [cpu], ...(entry.dev ? { dev: true } : {}), optional: true, os: [os] };
    if (libc) rec.libc = [libc];
    packages[`node_modules/${name}`] = rec;
    added += 1;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)),
);
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: added ${added} optional platform entries`);
