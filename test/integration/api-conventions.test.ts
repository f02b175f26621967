import assert from "node:assert/strict";
import crypto from "node:crypto";
import { PASSWORD_PATTERN } from "../../services/password-policy";
import { adminUser, api, newUser, uniqueName, userWithRoles } from "../support/api";
import { headerValues, requestRaw } from "../support/raw-headers";
import { baseUrl } from "../support/server";
import { createSite, siteMember } from "../support/sites";

/** An errors list as `field: message` lines, order-free. */
const fieldErrors = (body: { errors?: { field: string; message: string }[] }) => (body.errors ?? []).map((e) => `${e.field}: ${e.message}`).sort();

async function openapi() {
  const res = await api("GET", "/openapi.json");
  assert.equal(res.status, 200);
  return res.body as { paths: Record<string, Record<string, any>>; components: { schemas: Record<string, any> } };
}

describe("CORS: one policy for REST and matchmaking, without credentials", () => {
  const origin = { origin: "https://anywhere.example" };

  it("answers REST, matchmaking and their preflights with the same origin policy and never Access-Control-Allow-Credentials", async () => {
    const requests: [string, RequestInit][] = [
      ["/healthz", {}],
      ["/healthz", { headers: origin }],
      ["/api/v1/auth/login", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }],
      ["/api/v1/auth/login", { method: "OPTIONS", headers: { ...origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" } }],
      ["/matchmake/joinOrCreate/inbox", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }],
      ["/matchmake/joinOrCreate/inbox", { method: "POST", headers: { ...origin, "content-type": "application/json" }, body: "{}" }],
      ["/matchmake/joinOrCreate/inbox", { method: "OPTIONS", headers: { ...origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" } }],
    ];
    for (const [path, init] of requests) {
      const res = await fetch(`${baseUrl()}${path}`, init);
      const what = `${init.method ?? "GET"} ${path} ${JSON.stringify(init.headers ?? {})}`;
      assert.equal(res.headers.get("access-control-allow-credentials"), null, what);
      // The test server runs outside production, where CORS_ORIGINS defaults to "*".
      assert.equal(res.headers.get("access-control-allow-origin"), "*", what);
    }
  });
});

describe("field errors in one voice", () => {
  /** zod's own wording, which no answer may carry. */
  const ZOD_WORDING = /^(Invalid|Too (small|big)|Unrecognized|Expected)/;

  it("every operation with a body answers wrong types, empty and oversized values with short messages that name the limit", async () => {
    const doc = await openapi();
    const admin = await adminUser();
    const resolve = (schema: any) => (schema?.$ref ? doc.components.schemas[schema.$ref.split("/").pop()] : schema);
    const messages = new Map<string, string>();
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const schema = resolve(operation.requestBody?.content?.["application/json"]?.schema);
        if (!schema?.properties) continue;
        const url = path.replace(/\{[^}]+\}/g, "00000000-0000-4000-8000-000000000000");
        const wrongTypes = Object.fromEntries(
          Object.entries<any>(schema.properties).map(([name, p]) => [name, resolve(p).type === "string" ? 12345 : "not this"]),
        );
        const oversized = Object.fromEntries(
          Object.entries<any>(schema.properties)
            .filter(([, p]) => resolve(p).maxLength !== undefined)
            .map(([name, p]) => [name, "x".repeat(resolve(p).maxLength + 1)]),
        );
        for (const body of [{}, wrongTypes, oversized]) {
          const res = await api(method.toUpperCase(), url, { token: admin.token, body });
          if (res.status !== 400) continue;
          for (const e of res.body.errors ?? []) messages.set(`${method.toUpperCase()} ${path} ${e.field}`, e.message);
        }
      }
    }
    assert.ok(messages.size > 30, `only ${messages.size} field errors collected`);
    const off = [...messages].filter(([, m]) => ZOD_WORDING.test(m) || !/^(is|must|has) /.test(m));
    assert.deepEqual(off, []);
    const limits = [...messages.values()].filter((m) => /^must have at most \d+ (characters|items)$/.test(m));
    assert.ok(limits.length > 5, "oversized values are answered with their limit");
    assert.ok([...messages.values()].includes("must be a string"), "a wrong type is named, not taken for a missing value");
  });
});

describe("password rules", () => {
  it("the OpenAPI schema carries the policy (minLength, maxLength, pattern) wherever a password is set, and only the shape where one is typed to log in", async () => {
    const doc = await openapi();
    const { schemas } = doc.components;
    for (const [schema, field] of [["RegisterRequest", "password"], ["ResetPasswordRequest", "new_password"], ["ChangePasswordRequest", "new_password"]] as const) {
      const property = schemas[schema].properties[field];
      assert.equal(property.minLength, 8, `${schema}.${field}`);
      assert.equal(property.maxLength, 128, `${schema}.${field}`);
      assert.equal(property.pattern, PASSWORD_PATTERN, `${schema}.${field}`);
      assert.match(property.description, /letter.*digit.*username or email/);
    }
    // A password set under an older policy must still log in.
    assert.equal(schemas.LoginRequest.properties.password.minLength, 1);
    assert.equal(schemas.LoginRequest.properties.password.pattern, undefined);
    assert.equal(schemas.ChangePasswordRequest.properties.current_password.minLength, 1);
  });

  it("one 400 weak_password names everything wrong with a password at once", async () => {
    const username = uniqueName("pw");
    const res = await api("POST", "/api/v1/auth/register", { body: { username, email: `${username}@example.test`, password: "short" } });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, "weak_password");
    assert.deepEqual(fieldErrors(res.body), ["password: must contain a digit", "password: must have at least 8 characters"]);
    assert.equal(res.body.detail, "The password must have at least 8 characters and must contain a digit.");
  });

  it("the rule against the username joins the same list when the password breaks others too", async () => {
    // Letters only: the same string as a password lacks a digit as well.
    const username = Array.from(crypto.randomBytes(12), (b) => String.fromCharCode(97 + (b % 26))).join("");
    const res = await api("POST", "/api/v1/auth/register", { body: { username, email: `${username}@example.test`, password: username.toUpperCase() } });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, "weak_password");
    assert.deepEqual(fieldErrors(res.body), ["password: must contain a digit", "password: must not equal the username"]);
    assert.equal(res.body.detail, "The password must contain a digit and must not equal the username.");
  });

  it("a password equal to the email, and nothing else wrong, is weak_password naming that rule", async () => {
    const username = uniqueName("pwmail");
    const email = `a1${username}@example.test`;
    const res = await api("POST", "/api/v1/auth/register", { body: { username, email, password: email.toUpperCase() } });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, "weak_password");
    assert.deepEqual(fieldErrors(res.body), ["password: must not equal the email"]);
  });

  it("other invalid fields make it validation_failed, still naming every password problem", async () => {
    const res = await api("POST", "/api/v1/auth/register", { body: { username: "x", email: "not-an-email", password: "12345678" } });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, "validation_failed");
    assert.deepEqual(fieldErrors(res.body), ["email: must be an email address", "password: must contain a letter", "username: must have at least 3 characters"]);
  });

  it("a password of the wrong type is named as such, not as missing", async () => {
    const username = uniqueName("pwtype");
    const res = await api("POST", "/api/v1/auth/register", { body: { username, email: `${username}@example.test`, password: 12345678 } });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, "validation_failed");
    assert.deepEqual(fieldErrors(res.body), ["password: must be a string"]);
  });

  it("changing a password: every rule at once on new_password, then the rule against the stored username from the service", async () => {
    const user = await newUser("pwchange");
    const weak = await api("PUT", "/api/v1/users/me/password", { token: user.token, body: { current_password: user.password, new_password: "" } });
    assert.equal(weak.status, 400);
    assert.equal(weak.body.code, "weak_password");
    assert.deepEqual(fieldErrors(weak.body), ["new_password: must contain a digit", "new_password: must contain a letter", "new_password: must have at least 8 characters"]);
    assert.match(weak.body.detail, /^The new password must have at least 8 characters, must contain a letter and must contain a digit\.$/);

    // newUser's names hold letters and digits, so only the equality rule can refuse this one.
    const same = await api("PUT", "/api/v1/users/me/password", { token: user.token, body: { current_password: user.password, new_password: user.username.toUpperCase() } });
    assert.equal(same.status, 400);
    assert.equal(same.body.code, "weak_password");
    assert.deepEqual(fieldErrors(same.body), ["new_password: must not equal the username"]);
  });
});

describe("Location on every 201 that creates an addressable resource", () => {
  it("the OpenAPI document declares Location on every 201 but those whose resource has no address of its own", async () => {
    const doc = await openapi();
    const missing: string[] = [];
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const created = operation.responses?.["201"];
        if (created && !created.headers?.Location) missing.push(`${method.toUpperCase()} ${path}`);
      }
    }
    // A direct message, a payment (its body carries checkout_url) and a comment have no route of their own.
    assert.deepEqual(missing.sort(), ["POST /api/v1/messages/dm", "POST /api/v1/payment/checkout", "POST /api/v1/stories/{id}/comments"]);
  });

  it("POST /characters answers Location, where the character is", async () => {
    const user = await newUser("loc");
    const res = await api("POST", "/api/v1/characters", { token: user.token, body: { name: "Located" } });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get("location"), `/api/v1/characters/${res.body.id}`);
    const there = await api("GET", res.headers.get("location")!, { token: user.token });
    assert.equal(there.status, 200);
    assert.equal(there.body.id, res.body.id);
  });

  it("POST /backgrounds answers Location, and GET /backgrounds/{id} reads it", async () => {
    const maintainer = await userWithRoles("locbg", ["maintainer"]);
    const res = await api("POST", "/api/v1/backgrounds", { token: maintainer.token, body: { name: uniqueName("Bg"), description: "d" } });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get("location"), `/api/v1/backgrounds/${res.body.id}`);
    const player = await newUser("locbgp");
    const there = await api("GET", res.headers.get("location")!, { token: player.token });
    assert.equal(there.status, 200);
    assert.deepEqual(there.body, res.body);
    assert.equal((await api("GET", "/api/v1/backgrounds/not-a-uuid", { token: player.token })).status, 404);
    assert.equal((await api("GET", "/api/v1/backgrounds/00000000-0000-4000-8000-000000000000", { token: player.token })).body.code, "not_found");
  });

  it("POST /auth/register, /sites, /sites/{id}/users and /interactions answer Location, each naming the created resource", async () => {
    const username = uniqueName("locreg");
    const reg = await api("POST", "/api/v1/auth/register", { body: { username, email: `${username}@example.test`, password: "correct-horse-1" } });
    assert.equal(reg.headers.get("location"), `/api/v1/users/${reg.body.id}`);

    const admin = await adminUser();
    const name = uniqueName("LocSite");
    const site = await api("POST", "/api/v1/sites", { token: admin.token, body: { name, slug: name.toLowerCase().replace(/_/g, "-") } });
    assert.equal(site.status, 201);
    assert.equal(site.headers.get("location"), `/api/v1/sites/${site.body.id}`);
    assert.equal((await api("GET", site.headers.get("location")!, { token: admin.token })).status, 200);

    const member = await api("POST", `/api/v1/sites/${site.body.id}/users`, { token: admin.token, body: { user_id: reg.body.id, site_role: "staff" } });
    assert.equal(member.status, 201);
    assert.equal(member.headers.get("location"), `/api/v1/sites/${site.body.id}/users/${reg.body.id}`);
    assert.equal((await api("DELETE", member.headers.get("location")!, { token: admin.token })).status, 204);

    const realm = await createSite(admin.token);
    const staff = await siteMember(realm.id);
    const interaction = await api("POST", "/api/v1/interactions", { token: staff.token, body: { type: "note", summary: "located" } });
    assert.equal(interaction.status, 201);
    assert.equal(interaction.headers.get("location"), `/api/v1/interactions/${interaction.body.id}`);
    assert.equal((await api("GET", interaction.headers.get("location")!, { token: staff.token })).body.id, interaction.body.id);
  });
});

describe("rate limit headers", () => {
  const login = (body: unknown) =>
    requestRaw(`${baseUrl()}/api/v1/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

  it("a login, counted by two limits, answers one RateLimit and one RateLimit-Policy header: the nearer limit's", async () => {
    const user = await newUser("rl");
    const res = await login({ username: user.username, password: user.password });
    assert.equal(res.status, 200);
    const policies = headerValues(res.headers, "RateLimit-Policy");
    const limits = headerValues(res.headers, "RateLimit");
    assert.equal(policies.length, 1, policies.join(" | "));
    assert.equal(limits.length, 1, limits.join(" | "));
    // This address has logged in many times in this run, this account once: the address limit is the nearer.
    assert.match(policies[0]!, /^"auth-login-ip";q=\d+;w=60$/);
    const [, quota] = /q=(\d+)/.exec(policies[0]!)!;
    const [, remaining] = /^"auth-login-ip";r=(\d+);t=\d+$/.exec(limits[0]!) ?? [];
    assert.ok(remaining !== undefined && Number(remaining) < Number(quota), `${limits[0]} under ${policies[0]}`);
  });

  it("a failed login and a registration carry one of each too", async () => {
    const failed = await login({ username: uniqueName("nobody"), password: "wrong-password-1" });
    assert.equal(failed.status, 401);
    assert.equal(headerValues(failed.headers, "RateLimit").length, 1);
    assert.equal(headerValues(failed.headers, "RateLimit-Policy").length, 1);
    const username = uniqueName("rlreg");
    const registered = await requestRaw(`${baseUrl()}/api/v1/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username, email: `${username}@example.test`, password: "correct-horse-1" }),
    });
    assert.equal(registered.status, 201);
    assert.deepEqual(headerValues(registered.headers, "RateLimit-Policy").map((p) => p.split(";")[0]), ['"auth-register-ip"']);
    assert.equal(headerValues(registered.headers, "RateLimit").length, 1);
  });

  it("a login name with a NUL character is 400 naming the field, not a failed account lookup", async () => {
    const res = await api("POST", "/api/v1/auth/login", { body: { username: "a\u0000b", password: "x" } });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, "validation_failed");
  });
});
