import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";

/**
 * Dependencies point one way (README, "Layout"): http and rooms call services;
 * services use entities and infra; entities sit at the bottom; nothing imports http or
 * rooms but the composition root; the CLI works without the server. Read from the
 * imports themselves.
 */
const ROOT = path.resolve(__dirname, "../..");

function sources(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(rel);
    return entry.name.endsWith(".ts") ? [rel] : [];
  });
}

/** The repository-relative files a source file imports (relative imports only). */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), "utf8");
  const specifiers = [...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+"(\.[^"]+)"/gm), ...text.matchAll(/import\("(\.[^"]+)"\)/g)].map((m) => m[1]!);
  return specifiers.map((s) => path.relative(ROOT, path.resolve(path.dirname(path.join(ROOT, file)), s)));
}

const layerOf = (file: string) => file.split(path.sep)[0]!;

/** Which top-level folders (or root files) each layer may import. */
const ALLOWED: Record<string, string[]> = {
  entities: ["entities"],
  infra: ["infra", "entities", "config"],
  services: ["services", "entities", "infra", "config"],
  http: ["http", "services", "entities", "infra", "config", "package.json"],
  rooms: ["rooms", "services", "entities", "infra", "config"],
};

describe("layers", () => {
  for (const [layer, allowed] of Object.entries(ALLOWED)) {
    it(`${layer}/ imports only ${allowed.join(", ")}`, () => {
      const offending = sources(layer).flatMap((file) =>
        importsOf(file)
          .filter((target) => !allowed.includes(layerOf(target).replace(/\.ts$/, "").replace(/\.json$/, ".json")))
          .map((target) => `${file} → ${target}`),
      );
      assert.deepEqual(offending, []);
    });
  }

  it("the CLI runs without the server: it imports neither arena.config, http nor rooms", () => {
    const offending = importsOf("cli.ts").filter((t) => ["arena.config", "http", "rooms"].includes(layerOf(t).replace(/\.ts$/, "")));
    assert.deepEqual(offending, []);
  });
});
