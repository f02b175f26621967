import assert from "node:assert/strict";
import { api } from "../support/api";

describe("HTTP conventions", () => {
  it("an unknown route answers a 404 problem document", async () => {
    const res = await api("GET", "/api/v1/no-such-thing");
    assert.equal(res.status, 404);
    assert.match(res.headers.get("content-type") ?? "", /^application\/problem\+json/);
    assert.equal(res.body.code, "not_found");
    assert.equal(res.body.status, 404);
    assert.ok(res.body.type && res.body.title && res.body.detail);
  });

  it("a malformed JSON body answers 400 validation_failed", async () => {
    const res = await api("POST", "/api/v1/auth/register", { raw: '{"username": "abc",' });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, "validation_failed");
    assert.deepEqual(res.body.errors, [{ field: "body", message: "is not valid JSON" }]);
  });

  it("an oversized body answers 413 payload_too_large", async () => {
    const res = await api("POST", "/api/v1/auth/register", { body: { username: "x".repeat(200_000) } });
    assert.equal(res.status, 413);
    assert.equal(res.body.code, "payload_too_large");
  });

  it("a field of the wrong type is named as such, not as missing", async () => {
    const res = await api("POST", "/api/v1/auth/register", { body: { username: 5, email: "a@example.test", password: ["x"] } });
    assert.equal(res.status, 400);
    const byField = Object.fromEntries(res.body.errors.map((e: { field: string; message: string }) => [e.field, e.message]));
    assert.equal(byField.username, "must be a string");
    assert.equal(byField.password, "must be a string");
  });

  it("missing and unknown fields are 400 validation_failed naming each field", async () => {
    const res = await api("POST", "/api/v1/auth/register", { body: { username: "someone", is_admin: true, roles: ["admin"] } });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, "validation_failed");
    const byField = Object.fromEntries(res.body.errors.map((e: { field: string; message: string }) => [e.field, e.message]));
    assert.equal(byField.email, "is required");
    assert.equal(byField.password, "is required");
    assert.equal(byField.is_admin, "is unknown");
    assert.equal(byField.roles, "is unknown");
    assert.equal(byField.username, undefined);
  });

  it("a route that throws answers 500 internal_error with a request_id and no internals", async () => {
    const res = await api("GET", "/api/v1/__test/throw");
    assert.equal(res.status, 500);
    assert.equal(res.body.code, "internal_error");
    assert.match(res.body.request_id, /^[0-9a-f-]{36}$/);
    assert.equal(res.headers.get("x-request-id"), res.body.request_id);
    const text = JSON.stringify(res.body);
    assert.doesNotMatch(text, /secret detail|SELECT|stack/i);
  });

  it("keeps a well-formed incoming X-Request-Id", async () => {
    const res = await api("GET", "/api/v1/__test/throw", { headers: { "x-request-id": "lb-1234567890" } });
    assert.equal(res.body.request_id, "lb-1234567890");
  });

  it("sets security headers on every response", async () => {
    const res = await api("GET", "/healthz");
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.ok(res.headers.get("content-security-policy"));
    assert.equal(res.headers.get("x-powered-by"), null);
  });

  it("/healthz and /readyz answer when the process and its backends are up", async () => {
    assert.equal((await api("GET", "/healthz")).status, 200);
    const ready = await api("GET", "/readyz");
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body.checks, { database: "up", presence: "up" });
  });

  it("/openapi.json is an OpenAPI 3.1 document of the validated routes", async () => {
    const res = await api("GET", "/openapi.json");
    assert.equal(res.status, 200);
    assert.equal(res.body.openapi, "3.1.0");
    const register = res.body.paths["/api/v1/auth/register"].post;
    const schema = register.requestBody.content["application/json"].schema;
    const resolved = schema.$ref ? res.body.components.schemas[schema.$ref.split("/").pop()] : schema;
    assert.deepEqual([...resolved.required].sort(), ["email", "password", "username"]);
    assert.equal(resolved.additionalProperties, false);
  });

  it("/docs renders the API reference page", async () => {
    const res = await api("GET", "/docs/");
    assert.equal(res.status, 200);
    assert.match(String(res.body), /swagger-ui/i);
  });
});
