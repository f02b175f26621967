import type { CardService } from "../services/cards/cards";
import { cardExport, cardQuery, importCardBody } from "../services/cards/schemas";
import { characterIdParams, characterView } from "../services/characters.schemas";
import type { Routes } from "./route";

/** A file name for a download, from a character's name: letters, digits, spaces, dots, dashes only. */
const fileName = (name: string) =>
  name
    .normalize("NFC")
    .replace(/[^\p{L}\p{N} ._-]+/gu, "_")
    .replace(/^[\s.]+|\s+$/g, "")
    .slice(0, 64) || "character";

/** Character Cards (V1, V2, V3 in; V2 out), as JSON or inside a PNG portrait. */
export function cardRoutes(cards: CardService, importLimit: string) {
  return (r: Routes) => {
    r.add(
      {
        method: "get",
        path: "/characters/:id/card",
        tag: "characters",
        summary: "A character as a Character Card V2: JSON, or with ?format=png (or Accept: image/png) a PNG portrait whose chara tEXt chunk holds it",
        auth: true,
        params: characterIdParams,
        query: cardQuery,
        response: cardExport,
        binaryResponseTypes: ["image/png"],
        errors: { 403: "forbidden", 404: "not_found" },
      },
      async ({ auth, params, query, req, res }) => {
        const media = query.format ?? (req.accepts(["application/json", "image/png"]) === "image/png" ? "png" : "json");
        const exported = await cards.exportCard(auth, params.id, media);
        res.vary("Accept");
        res.attachment(`${fileName(exported.name)}.${media}`);
        if (!exported.png) return exported.card;
        res.type("png").send(exported.png);
      },
    );
    r.add(
      {
        method: "post",
        path: "/characters/import",
        tag: "characters",
        summary: `Import a Character Card (V1, V2 or V3) as application/json, or a PNG card (ccv3 or chara tEXt chunk) as image/png, up to ${importLimit}: a new private character of the caller`,
        auth: true,
        rawBody: true,
        bodyTypes: ["application/json", "image/png"],
        bodyLimit: importLimit,
        body: importCardBody,
        response: characterView,
        errors: { 400: "invalid_card", 413: "payload_too_large", 429: "rate_limited" },
        location: (character) => `/characters/${character.id}`,
      },
      ({ auth, rawBody, req }) => cards.importCard(auth, req.is("image/png") ? "png" : "json", rawBody),
    );
  };
}
