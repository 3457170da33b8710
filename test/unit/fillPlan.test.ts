/** What Generate All Missing Images offers and how its progress is counted (src/core/batch/fillPlan.ts). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planFill, tallyStates } from '../../src/core/batch/fillPlan';

describe('planFill', () => {
  it('lists the empty links of every document in order, with their lines, skipping code blocks', () => {
    const a = ['# A', '', '![first]()', '', '```', '![in code]()', '```', '', 'text ![second] end'].join('\n');
    const b = '![third]( )\n';
    const plan = planFill([
      { document: 'a.md', text: a },
      { document: 'b.md', text: b },
    ]);
    assert.equal(plan.total, 3);
    assert.deepEqual(
      plan.links.map((l) => [l.document, l.link.prompt, l.line]),
      [
        ['a.md', 'first', 3],
        ['a.md', 'second', 9],
        ['b.md', 'third', 1],
      ],
    );
  });

  it('offers at most the bound and still counts every link', () => {
    const text = Array.from({ length: 5 }, (_, i) => `![image ${i}]()`).join('\n\n');
    const plan = planFill([
      { document: 1, text },
      { document: 2, text },
    ], 7);
    assert.equal(plan.links.length, 7);
    assert.equal(plan.total, 10);
    assert.deepEqual(plan.links.map((l) => l.line).slice(0, 5), [1, 3, 5, 7, 9]);
    assert.deepEqual(plan.links.slice(5).map((l) => [l.document, l.line]), [[2, 1], [2, 3]]);
  });

  it('offers nothing for documents without empty links', () => {
    assert.deepEqual(planFill([{ document: 'x', text: '![done](a.png)' }]), { links: [], total: 0 });
  });
});

describe('tallyStates', () => {
  it('counts each state, a paused run as running', () => {
    assert.deepEqual(tallyStates(['done', 'failed', 'running', 'paused', 'queued', 'done', 'cancelled']), {
      total: 7,
      done: 2,
      failed: 1,
      cancelled: 1,
      running: 2,
      queued: 1,
    });
  });
});
