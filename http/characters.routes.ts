import type { CharacterService } from "../services/characters";
import {
  characterIdParams,
  characterView,
  createCharacterBody,
  publicCharactersQuery,
  publicCharacterView,
  quickCreateBody,
  updateCharacterBody,
} from "../services/characters.schemas";
import type { QuickCreate } from "../services/quick-create";
import { page, pageOf, pageQuery } from "../services/pagination";
import type { Routes } from "./route";

export function characterRoutes(characters: CharacterService, quickCreate: QuickCreate) {
  return (r: Routes) => {
    r.add(
      { method: "post", path: "/characters", tag: "characters", summary: "Create a character", auth: true, body: createCharacterBody, response: characterView, errors: { 404: "not_found (background)" }, location: (character) => `/characters/${character.id}` },
      ({ auth, body }) => characters.create(auth, body),
    );
    r.add(
      {
        method: "post",
        path: "/characters/quick-create-30s",
        tag: "characters",
        summary: "Create a whole public character from five fields: generated greeting, start sets and two endings (idempotent per request_id)",
        auth: true,
        body: quickCreateBody,
        response: characterView,
        errors: { 409: "request_in_progress", 502: "generator_failed", 503: "generator_rate_limited", 504: "generator_timeout" },
        location: (character) => `/characters/${character.id}`,
      },
      async ({ auth, body, res }) => {
        const { character, created } = await quickCreate.create(auth, body);
        // A repeated request_id answers with the character made the first time.
        if (!created) res.status(200).json(character);
        return character;
      },
    );
    r.add(
      { method: "get", path: "/characters", tag: "characters", summary: "The caller's characters (cached; X-Cache: hit|miss)", auth: true, query: pageQuery, response: pageOf(characterView) },
      async ({ auth, query, res }) => {
        const { page: body, cache } = await characters.listOwn(auth, query);
        res.setHeader("X-Cache", cache);
        return body;
      },
    );
    // Registered before /characters/:id so that "public" is not taken for an id.
    r.add(
      { method: "get", path: "/characters/public", tag: "characters", summary: "Public characters by name substring and tag", auth: true, query: publicCharactersQuery, response: pageOf(publicCharacterView) },
      async ({ query }) => {
        const { items, total } = await characters.listPublic(query);
        return page(items, total, query);
      },
    );
    r.add(
      { method: "get", path: "/characters/:id", tag: "characters", summary: "A character: full view for owner and staff, public view of a public one", auth: true, params: characterIdParams, response: characterView.or(publicCharacterView), errors: { 403: "forbidden", 404: "not_found" } },
      ({ auth, params }) => characters.get(auth, params.id),
    );
    r.add(
      { method: "patch", path: "/characters/:id", tag: "characters", summary: "Edit one's own character", auth: true, params: characterIdParams, body: updateCharacterBody, response: characterView, errors: { 403: "forbidden", 404: "not_found" } },
      ({ auth, params, body }) => characters.update(auth, params.id, body),
    );
    r.add(
      { method: "delete", path: "/characters/:id", tag: "characters", summary: "Delete a character (owner or admin)", auth: true, params: characterIdParams, status: 204, errors: { 403: "forbidden", 404: "not_found" } },
      ({ auth, params }) => characters.remove(auth, params.id),
    );
  };
}
