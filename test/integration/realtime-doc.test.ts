import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { CloseCode, matchMaker } from "@colyseus/core";
import type { Room } from "@colyseus/sdk";
import { z } from "zod";
import { CLOSE_REVOKED } from "../../rooms/shared/auth";
import type { RoomProtocol } from "../../rooms/shared/protocol";
import { CLOSE_SUPERSEDED } from "../../rooms/world-zone/world-zone.room";
import { api, newUser, type TestUser } from "../support/api";
import { baseUrl, sdk } from "../support/server";

/**
 * docs/realtime.md is how a clone learns the rooms: this keeps it true to the code. The
 * room types come from the booted server, each room's join options, message names and
 * state fields from what its class declares (`static protocol`, the names its code
 * registers and sends), and the snippets run as the document says they do.
 */

const ROOT = path.resolve(__dirname, "../..");
const DOC_PATH = path.join(ROOT, "docs/realtime.md");
const doc = fs.readFileSync(DOC_PATH, "utf8");

interface Section {
  level: number;
  title: string;
  body: string;
  children: Section[];
}

/** The document as a tree of headings; lines inside fenced code are body, never headings. */
function outline(markdown: string): Section {
  const root: Section = { level: 0, title: "", body: "", children: [] };
  const stack = [root];
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (line.startsWith("```")) fenced = !fenced;
    const heading = !fenced && /^(#{1,6}) (.*)$/.exec(line);
    if (heading) {
      const section: Section = { level: heading[1]!.length, title: heading[2]!.trim(), body: "", children: [] };
      while (stack[stack.length - 1]!.level >= section.level) stack.pop();
      stack[stack.length - 1]!.children.push(section);
      stack.push(section);
    } else {
      for (const open of stack) open.body += `${line}\n`;
    }
  }
  return root;
}

const tree = outline(doc);
const find = (parent: Section, title: string) => parent.children.find((s) => s.title === title);
const roomSection = (name: string) => tree.children[0]?.children.find((s) => s.title === `\`${name}\``);
/** The message names a subsection documents: its `#### \`name\`` headings. */
const documentedMessages = (section: Section | undefined) =>
  (section?.children ?? []).map((s) => /^`([^`]+)`$/.exec(s.title)?.[1]).filter((name): name is string => name !== undefined);

/** The product's room types as the booted server registered them; `__`-prefixed ones exist only in tests. */
function registeredRooms(): [string, RoomProtocol | undefined][] {
  return Object.entries(matchMaker.getAllHandlers())
    .filter(([name]) => !name.startsWith("__"))
    .map(([name, handler]) => [name, (handler.klass as unknown as { protocol?: RoomProtocol }).protocol]);
}

/** A schema class's field names, as Colyseus keeps them in its metadata. */
function stateFields(klass: RoomProtocol["state"][number]): string[] {
  const metadata = (klass as unknown as Record<symbol, Record<string, { name?: string }> | undefined>)[Symbol.metadata];
  return Object.values(metadata ?? {})
    .map((field) => field?.name)
    .filter((name): name is string => typeof name === "string");
}

describe("docs/realtime.md holds what the code does", () => {
  it("has a section for every room type the server registers, and each declares its protocol", () => {
    const rooms = registeredRooms();
    assert.ok(rooms.length >= 3, `room types: ${rooms.map(([n]) => n)}`);
    for (const [name, protocol] of rooms) {
      assert.ok(roomSection(name), `docs/realtime.md has no "## \`${name}\`" section`);
      assert.ok(protocol, `room type ${name} declares no static protocol (rooms/shared/protocol.ts): the test cannot check its documentation`);
    }
  });

  it("documents every join option and routing key of every room type", () => {
    for (const [name, protocol] of registeredRooms()) {
      const join = find(roomSection(name)!, "Join");
      assert.ok(join, `${name}: no "### Join" subsection`);
      const options = Object.keys((protocol!.join.options as z.ZodObject).shape);
      for (const option of options) assert.match(join.body, new RegExp(`\\b${option}\\b`), `${name}: join option ${option} is not documented`);
      for (const key of protocol!.join.keys) assert.match(roomSection(name)!.body, new RegExp(`\`${key}\``), `${name}: routing key ${key} is not documented`);
    }
  });

  it("documents every field of every room's state schema", () => {
    for (const [name, protocol] of registeredRooms()) {
      const state = find(roomSection(name)!, "State");
      assert.ok(state, `${name}: no "### State" subsection`);
      for (const klass of protocol!.state) {
        assert.match(state.body, new RegExp(`\\b${klass.name}\\b`), `${name}: state class ${klass.name} is not documented`);
        for (const field of stateFields(klass)) assert.match(state.body, new RegExp(`\\b${field}:`), `${name}: ${klass.name}.${field} is not documented`);
      }
    }
  });

  it("documents every message in each direction, and no message the code does not have", () => {
    for (const [name, protocol] of registeredRooms()) {
      const section = roomSection(name)!;
      for (const [direction, title] of [["in", "Client to server"], ["out", "Server to client"]] as const) {
        const documented = documentedMessages(find(section, title)).sort();
        const declared = Object.values(protocol!.messages[direction]).sort();
        assert.deepEqual(documented, declared, `${name}, ${title}: documented ${documented.join(", ")}; the code has ${declared.join(", ")}`);
        for (const message of find(section, title)!.children) {
          assert.match(message.body, /```json\n\{/, `${name}: ${message.title} has no example`);
        }
      }
    }
  });

  it("the rooms register and send only the names they declare (no string literal as a message type)", () => {
    const literal = /(\.on|onMessage|sendTo\([^,]+,|\.broadcast|\.send)\(\s*["'`][^"'`*]/;
    // A room type's handler emits its rooms' lifecycle (defineRoom's events), not messages.
    const HANDLER_EVENT = /handler\.on\(\s*["'](create|dispose|join|leave|lock|unlock)["']/;
    const offenders: string[] = [];
    for (const dir of fs.readdirSync(path.join(ROOT, "rooms"))) {
      for (const file of fs.readdirSync(path.join(ROOT, "rooms", dir)).filter((f) => f.endsWith(".ts"))) {
        fs.readFileSync(path.join(ROOT, "rooms", dir, file), "utf8")
          .split("\n")
          .forEach((line, i) => {
            if (literal.test(line) && !HANDLER_EVENT.test(line)) offenders.push(`rooms/${dir}/${file}:${i + 1}: ${line.trim()}`);
          });
      }
    }
    assert.deepEqual(offenders, []);
  });

  it("lists the close codes a client meets: ours and Colyseus's", () => {
    const table = find(find(tree.children[0]!, "Rules every room follows")!, "Close codes")!.body;
    for (const code of [CLOSE_REVOKED, 4403, CLOSE_SUPERSEDED, 4410, CloseCode.CONSENTED, CloseCode.SERVER_SHUTDOWN, CloseCode.WITH_ERROR, CloseCode.FAILED_TO_RECONNECT, CloseCode.MAY_TRY_RECONNECT, 1009]) {
      assert.match(table, new RegExp(`^\\| ${code} \\|`, "m"), `close code ${code} is not in the table`);
    }
  });

  it("explains reconnection and the since_id resume, and points to docs/outages.md for outages", () => {
    assert.ok(find(tree.children[0]!, "Reconnection"), 'no "## Reconnection" section');
    assert.match(find(roomSection("inbox")!, "Join")!.body, /since_id/);
    const outages = find(tree.children[0]!, "Outages, shutdown and rejoining");
    assert.ok(outages, 'no "## Outages, shutdown and rejoining" section');
    assert.match(outages.body, /\]\(outages\.md\)/);
  });

  it("the README and the OpenAPI description link to it, and nothing in the repository points outside it", async () => {
    assert.match(fs.readFileSync(path.join(ROOT, "README.md"), "utf8"), /\]\(docs\/realtime\.md\)/);
    const openapi = await api("GET", "/openapi.json");
    assert.match(openapi.body.info.description, /docs\/realtime\.md/);
    // The contract this repository was built from lives outside it: no file may send a reader there,
    // by path (../shared/spec, ../shared/seeds) or by a bare name (realtime.md rather than docs/realtime.md).
    const pointer = /\.\.\/shared\/(spec|seeds)|shared\/spec\/|spec\/(api|realtime|platform)\.md|(^|[^\w/.-])(api|realtime|platform)\.md/;
    const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" }).split("\n").filter(Boolean);
    const outside: string[] = [];
    for (const file of files) {
      if (!/\.(ts|md|js|json|ya?ml|conf|example|html|css)$|^\.ci\/|^\.env/.test(file) || file === "package-lock.json" || file === "test/integration/realtime-doc.test.ts") continue;
      fs.readFileSync(path.join(ROOT, file), "utf8")
        .split("\n")
        .forEach((line, i) => {
          if (pointer.test(line)) outside.push(`${file}:${i + 1}: ${line.trim()}`);
        });
    }
    assert.deepEqual(outside, []);
  });

  it("the README tells a newcomer why npm warns EBADENGINE on Node 20, and where the Colyseus tools are", () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    assert.match(readme, /EBADENGINE[\s\S]{0,600}Node 22 binary from `node_modules\/\.bin`/);
    for (const name of ["/playground", "/monitor", "PLAYGROUND_ENABLED", "MONITOR_USER", "MONITOR_PASSWORD"]) assert.ok(readme.includes(name), name);
  });

  it("is served by the server at /docs/realtime.md, where the API reference links", async () => {
    const res = await fetch(`${baseUrl()}/docs/realtime.md`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/markdown/);
    assert.equal(await res.text(), doc);
  });
});

describe("the rooms register the messages they declare", () => {
  const open: Room[] = [];
  after(async () => {
    await Promise.all(open.splice(0).map((room) => room.leave().catch(() => undefined)));
  });

  /** Message types a live room has handlers for: what Colyseus dispatches, besides the catch-all. */
  function handled(roomId: string): string[] {
    const room = matchMaker.getLocalRoomById(roomId) as unknown as { onMessageEvents: { events: Record<string, unknown> } };
    return Object.keys(room.onMessageEvents.events).filter((type) => type !== "*" && !type.startsWith("__")).sort();
  }

  it("world_zone, inbox and dm_channel handle exactly their declared client messages", async () => {
    const [user, peer]: TestUser[] = await Promise.all([newUser("rdoc"), newUser("rdocp")]);
    const character = await api("POST", "/api/v1/characters", { token: user.token, body: { name: "Doc" } });
    const joins: [string, Record<string, unknown>][] = [
      ["world_zone", { character_id: character.body.id }],
      ["inbox", {}],
      ["dm_channel", { peer_id: peer.id }],
    ];
    const protocols = Object.fromEntries(registeredRooms());
    for (const [name, options] of joins) {
      const room = await sdk(user.token).joinOrCreate(name, options);
      room.onMessage("*", () => undefined);
      open.push(room);
      assert.deepEqual(handled(room.roomId), Object.values(protocols[name]!.messages.in).sort(), name);
    }
  });
});

describe("the snippets of docs/realtime.md", function () {
  this.timeout(120_000);

  it("run as written, one program in order, and print what the document says they print", async () => {
    const snippets = [...doc.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
    assert.ok(snippets.length >= 5, `${snippets.length} snippets`);
    // Beside the project's node_modules, as the document asks.
    const dir = fs.mkdtempSync(path.join(ROOT, ".doc-snippets-"));
    try {
      const file = path.join(dir, "first-session.mts");
      fs.writeFileSync(file, snippets.join("\n"));
      const { code, output } = await run(file, { TAVERN_URL: baseUrl() });
      assert.equal(code, 0, output);
      // Every `// <printed>` comment of a console.log line is a line the program prints.
      const promised = [...doc.matchAll(/console\.log\(.*\); \/\/ (.+)$/gm)].map((m) => m[1]!.trim());
      assert.ok(promised.length >= 8, `${promised.length} promised lines`);
      const printed = output.split("\n").map((l) => l.trim());
      for (const line of promised) assert.ok(printed.includes(line), `"${line}" not printed:\n${output}`);
      assert.ok(printed.includes("done"), output);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

function run(file: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", file], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
