import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { readStatsFile, readStatsFilePatiently, StatsFileError, writeJsonAtomic } from "../../loadtest/lib/stats-file";
import { toMarkdown } from "../../loadtest/lib/table";
import { FleetStats, isFleetSnapshot, mergeSnapshots } from "../../loadtest/lib/world-stats";
import { splitFleet } from "../../loadtest/lib/world-fleet";
import { floorRows, scenarioRows, type RunFigures } from "../../loadtest/world-bench";

/** One run's figures, with `over` changed. */
const figures = (over: Partial<RunFigures> = {}): RunFigures => ({
  connected: 200,
  notInAtStart: 0,
  failed: 0,
  ticksPerSecond: 20,
  patchesPerClientSecond: 20,
  movesPerBotSecond: 6,
  tickP50: 2,
  tickP99: 5,
  cpuMsPerClientSecond: 0.3,
  kernelShare: 0.4,
  rssMb: 500,
  emptyRssMb: 400,
  kbPerClientSecond: 3,
  latencyP50: 40,
  latencyP99: 80,
  latencySamples: 1000,
  botLagP99: 20,
  watchers: 100,
  ...over,
});

/**
 * The world benchmark reads figures that bot and reference processes write while it
 * polls: a file not there yet or caught half-written must end that run with a reason,
 * never crash the harness and lose the other runs' figures.
 */
describe("world benchmark stats files", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), "world-bench-stats-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const snapshotJson = () => JSON.stringify(new FleetStats().snapshot());

  it("a missing stats file is reported as missing, naming the file", () => {
    const file = path.join(dir, "bots-0.json");
    assert.throws(() => readStatsFile(file, isFleetSnapshot), (err: unknown) => {
      assert.ok(err instanceof StatsFileError);
      assert.equal(err.reason, "missing");
      assert.match(err.message, /bots-0\.json/);
      return true;
    });
  });

  it("a half-written stats file is reported as malformed rather than read as nothing", () => {
    const file = path.join(dir, "bots-0.json");
    const whole = snapshotJson();
    writeFileSync(file, whole.slice(0, whole.length / 2));
    assert.throws(() => readStatsFile(file, isFleetSnapshot), (err: unknown) => {
      assert.ok(err instanceof StatsFileError);
      assert.equal(err.reason, "malformed");
      assert.match(err.message, /bots-0\.json.*half-written/);
      return true;
    });
  });

  it("a stats file of the wrong shape is malformed too", () => {
    const file = path.join(dir, "bots-0.json");
    writeFileSync(file, JSON.stringify({ joined: 3 }));
    assert.throws(() => readStatsFile(file, isFleetSnapshot), /wrong shape/);
  });

  it("a file still half-written after the reader's patience fails; one completed meanwhile is read", async () => {
    const stuck = path.join(dir, "stuck.json");
    writeFileSync(stuck, "{\"joined\": 1, \"lat");
    await assert.rejects(readStatsFilePatiently(stuck, isFleetSnapshot, 300), StatsFileError);

    const late = path.join(dir, "late.json");
    writeFileSync(late, "{\"joined\"");
    setTimeout(() => writeJsonAtomic(late, new FleetStats().snapshot()), 150);
    const read = await readStatsFilePatiently(late, isFleetSnapshot, 3000);
    assert.equal(read.joined, 0);
  });

  it("a writer replaces the file whole and leaves no temporary file behind", () => {
    const file = path.join(dir, "bots-0.json");
    const stats = new FleetStats();
    stats.joined = 7;
    stats.recordLatency(12);
    writeJsonAtomic(file, stats.snapshot());
    stats.joined = 8;
    writeJsonAtomic(file, stats.snapshot());
    assert.deepEqual(readdirSync(dir), ["bots-0.json"]);
    const read = readStatsFile(file, isFleetSnapshot);
    assert.equal(read.joined, 8);
    assert.equal(read.latency[12], 1);
  });

  it("the snapshots of several bot processes add up to one fleet", () => {
    const a = new FleetStats();
    const b = new FleetStats();
    a.joined = 3;
    b.joined = 4;
    a.moves = 100;
    b.moves = 50;
    a.recordLatency(5);
    b.recordLatency(5);
    a.lag[3] = 10;
    b.lag[3] = 5;
    const fleet = mergeSnapshots([a.snapshot(), b.snapshot()]);
    assert.equal(fleet.joined, 7);
    assert.equal(fleet.moves, 150);
    assert.equal(fleet.latency[5], 2);
    assert.equal(fleet.lag[3], 15);
  });

  it("a reference run that failed on its stats file leaves the product's figures in the table, with the reason", () => {
    const product = figures();
    const error = new StatsFileError("/tmp/x/reference.json", "malformed", "not complete JSON (40 bytes, half-written?)").message;
    const rows = scenarioRows("world 200 bots, AOI on (r=100)", product, { error });
    const failure = rows.find((r) => r.figure === "reference run failed");
    assert.ok(failure, "the failure has a row of its own");
    assert.match(failure.note!, /reference\.json malformed/);
    const ticks = rows.find((r) => r.figure === "ticks/s held")!;
    assert.deepEqual([ticks.value, ticks.reference], [20, null]);
    assert.equal(rows.find((r) => r.figure === "server RSS per client")!.value, 0.5);
    assert.match(rows.find((r) => r.figure === "moves sent per bot-second")!.note!, /product: bots fell behind/);
    assert.match(rows.find((r) => r.figure === "seq→patch latency p99")!.note!, /product: measured by the 100 watching bots/);
    // 80 ms, of which 20 the bots' own, at 20 ticks/s.
    assert.equal(rows.find((r) => r.figure === "seq→patch p99 less the bots' lag, in ticks")!.value, 1.2);
    const table = toMarkdown(rows, { notes: true });
    assert.match(table, /\| world 200 bots, AOI on \(r=100\) \| ticks\/s held \| 20\.0 \| n\/a \| n\/a \| ticks\/s \|/);
  });

  it("the floor's rows set the product's tick beside the floor's, and a failed floor run says why without losing the product's rows", () => {
    const rows = floorRows("world 200 bots, AOI on (r=100)", figures(), figures({ tickP50: 1, tickP99: 2.5, cpuMsPerClientSecond: 0.2, kernelShare: 0.6 }));
    const p99 = rows.find((r) => r.figure === "tick duration p99, against the floor")!;
    assert.deepEqual([p99.value, p99.reference], [5, 2.5]);
    const kernel = rows.find((r) => r.figure === "server CPU in the kernel, against the floor")!;
    assert.deepEqual([kernel.value, kernel.reference, kernel.unit], [40, 60, "%"]);
    assert.match(p99.note!, /no players/);
    assert.match(toMarkdown(rows, { notes: true }), /tick duration p99, against the floor \| 5\.00 \| 2\.50 \| 2\.00 \| ms/);

    const failed = floorRows("world 200 bots, AOI on (r=100)", figures(), { error: "process exited with 1" });
    assert.deepEqual(failed.map((r) => [r.figure, r.note]), [["floor run failed", "process exited with 1"]]);
  });

  it("a fleet puts its watching bots in a process of their own and splits the light ones evenly, every client once", () => {
    assert.deepEqual(splitFleet({ clients: 1000, processes: 4, watchers: 100 }), [
      { first: 0, count: 100, light: false },
      { first: 100, count: 225, light: true },
      { first: 325, count: 225, light: true },
      { first: 550, count: 225, light: true },
      { first: 775, count: 225, light: true },
    ]);
    assert.deepEqual(splitFleet({ clients: 50, processes: 4, watchers: 100 }).map((p) => [p.count, p.light]), [
      [12, false],
      [13, false],
      [12, false],
      [13, false],
    ]);
    assert.deepEqual(splitFleet({ clients: 3, processes: 4, watchers: 0 }), [
      { first: 0, count: 1, light: true },
      { first: 1, count: 1, light: true },
      { first: 2, count: 1, light: true },
    ]);
  });
});
