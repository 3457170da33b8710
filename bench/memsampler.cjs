// Preload (`node -r bench/memsampler.cjs ...`): samples process.memoryUsage() every millisecond the event
// loop is free and prints the peaks at exit, to see which kind of memory a contender's peak RSS is made of
// (V8 heap: strings and objects; external/arrayBuffers: Buffers). Used for the findings in BENCHMARKS.md.
'use strict';
const peak = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
const sample = () => {
  const m = process.memoryUsage();
  for (const k of Object.keys(peak)) if (m[k] > peak[k]) peak[k] = m[k];
};
const timer = setInterval(sample, 1);
timer.unref();
process.on('exit', () => {
  sample();
  const mib = (n) => (n / 1048576).toFixed(1);
  process.stderr.write(`memsampler peaks MiB: rss ${mib(peak.rss)} heapTotal ${mib(peak.heapTotal)} heapUsed ${mib(peak.heapUsed)} external ${mib(peak.external)} arrayBuffers ${mib(peak.arrayBuffers)}\n`);
});
