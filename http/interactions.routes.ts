import { pageOf, pageQuery } from "../services/pagination";
import type { InteractionService } from "../services/sites/interactions";
import {
  createInteractionBody,
  historyEntryView,
  interactionIdParams,
  interactionsQuery,
  interactionTypeView,
  interactionView,
  updateInteractionBody,
} from "../services/sites/interactions.schemas";
import type { Routes } from "./route";

const scoped = { 400: "no_active_site, validation_failed", 403: "forbidden (not a member of the active site)" };

export function interactionRoutes(interactions: InteractionService) {
  return (r: Routes) => {
    // Registered before /interactions/:id so that "types" is not taken for an id.
    r.add(
      { method: "get", path: "/interactions/types", tag: "interactions", summary: "The interaction types, with their labels", auth: true, response: interactionTypeView.array() },
      () => interactions.types(),
    );
    r.add(
      { method: "get", path: "/interactions", tag: "interactions", summary: "Interactions of the active site, filtered (AND), newest first by default", auth: true, query: interactionsQuery, response: pageOf(interactionView), errors: scoped },
      ({ auth, query }) => interactions.list(auth, query),
    );
    r.add(
      { method: "post", path: "/interactions", tag: "interactions", summary: "Record an interaction on the active site", auth: true, body: createInteractionBody, response: interactionView, errors: scoped, location: (interaction) => `/interactions/${interaction.id}` },
      ({ auth, body }) => interactions.create(auth, body),
    );
    r.add(
      { method: "get", path: "/interactions/:id", tag: "interactions", summary: "An interaction of the active site", auth: true, params: interactionIdParams, response: interactionView, errors: { ...scoped, 404: "not_found" } },
      ({ auth, params }) => interactions.get(auth, params.id),
    );
    r.add(
      { method: "patch", path: "/interactions/:id", tag: "interactions", summary: "Change an interaction of the active site", auth: true, params: interactionIdParams, body: updateInteractionBody, response: interactionView, errors: { ...scoped, 404: "not_found" } },
      ({ auth, params, body }) => interactions.update(auth, params.id, body),
    );
    r.add(
      { method: "delete", path: "/interactions/:id", tag: "interactions", summary: "Delete an interaction of the active site (its history stays)", auth: true, params: interactionIdParams, status: 204, errors: { ...scoped, 404: "not_found" } },
      async ({ auth, params }) => {
        await interactions.remove(auth, params.id);
      },
    );
    r.add(
      { method: "get", path: "/interactions/:id/history", tag: "interactions", summary: "Who changed an interaction, when and what, oldest first; kept after it is deleted", auth: true, params: interactionIdParams, query: pageQuery, response: pageOf(historyEntryView), errors: { ...scoped, 404: "not_found" } },
      ({ auth, params, query }) => interactions.history(auth, params.id, query),
    );
  };
}
