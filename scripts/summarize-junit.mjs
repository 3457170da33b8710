// Adds up the JUnit files written by node's test runner and prints one closing line:
// "N passed, N failed, N skipped".
// Counted by elements, not by parsing tags: test names may hold a raw ">" inside their quoted attribute.
// Every leaf test is one <testcase>; a failing one holds exactly one <failure>, a skipped one one <skipped>.
import { readFileSync } from 'node:fs';

let total = 0;
let failed = 0;
let skipped = 0;
const count = (text, tag) => text.split(tag).length - 1;
for (const file of process.argv.slice(2)) {
  const xml = readFileSync(file, 'utf8');
  total += count(xml, '<testcase ');
  failed += count(xml, '<failure');
  skipped += count(xml, '<skipped');
}
console.log(`${total - failed - skipped} passed, ${failed} failed, ${skipped} skipped`);
