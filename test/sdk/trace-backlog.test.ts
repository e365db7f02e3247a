import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TraceBacklog } from "../../src/sdk/trace-backlog.ts";

describe("TraceBacklog", () => {
  it("lets answers go at once while the writer keeps up", () => {
    const backlog = new TraceBacklog(() => 3, 3, 1);
    assert.equal(backlog.admit(), undefined);
  });

  it("holds answers while the backlog is over the limit, then lets them go in arrival order", async () => {
    let pending = 5;
    const backlog = new TraceBacklog(() => pending, 3, 1);
    const order: number[] = [];
    const first = backlog.admit()!.then(() => order.push(1));
    const second = backlog.admit()!.then(() => order.push(2));
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(order.length, 0);
    assert.equal(backlog.size, 2);
    // The writer dips below the limit: a newcomer still queues behind those waiting.
    pending = 2;
    const third = backlog.admit();
    assert.ok(third, "a newcomer waits its turn");
    const late = third.then(() => order.push(3));
    await Promise.all([first, second, late]);
    assert.deepEqual(order, [1, 2, 3]);
    assert.equal(backlog.size, 0);
    assert.equal(backlog.admit(), undefined);
  });
});
