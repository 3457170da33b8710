import { buildCases, BENCH_KEY } from '../bench/fixtures';
import { startBenchGateway } from '../bench/server';
const gw = await startBenchGateway(buildCases([2048]), BENCH_KEY);
console.log(gw.baseUrlFor('x', '2048').replace(/\/r\/x\/2048$/, ''));
setInterval(() => undefined, 1 << 30);
