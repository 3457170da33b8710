// Adds up the JUnit files written by node's test runner and prints one closing line:
// "N passed, N failed, N skipped".
import { readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of process.argv.slice(2)) {
  const xml = readFileSync(file, 'utf8');
  // Each <testcase> is a leaf test; suites are <testsuite>. A failing case holds <failure>, a skipped one <skipped>.
  for (const match of xml.matchAll(/<testcase\b[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const body = match[2] ?? '';
    if (body.includes('<failure')) failed++;
    else if (body.includes('<skipped')) skipped++;
    else passed++;
  }
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
