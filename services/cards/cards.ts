import { Character } from "../../entities/character.entity";
import type { Database } from "../../infra/database";
import type { CharacterService } from "../characters";
import type { CharacterView } from "../characters.schemas";
import { forbidden, notFound } from "../errors";
import { isOwnerOr } from "../ownership";
import { isUuid } from "../sql";
import type { AuthClaims } from "../tokens";
import { cardFromJson, invalidCard, toCardV2, type ImportedCard } from "./card";
import { findText, imageChunks, PngError, placeholderPng, readChunks, textChunk, withChunks, writePng } from "./png";
import type { CardExport } from "./schemas";

export type CardMedia = "json" | "png";

export interface ExportedCard {
  card: CardExport;
  /** For a file name. */
  name: string;
  /** The card inside the character's portrait (or a placeholder), for `png`. */
  png?: Buffer;
}

/**
 * Character Cards in and out. An export is the owner's, staff's, or anyone's for a
 * public character. An import is parsed whole before anything is written, then stored
 * through CharacterService.create like any new character (write budget, list cache,
 * `character.created`), private and owned by the caller.
 */
export class CardService {
  constructor(
    private readonly db: Database,
    private readonly characters: CharacterService,
  ) {}

  async exportCard(claims: AuthClaims, id: string, media: CardMedia): Promise<ExportedCard> {
    const character = isUuid(id)
      ? await this.db.manager
          .createQueryBuilder(Character, "c")
          .addSelect(media === "png" ? ["c.portrait"] : [])
          .where("c.id = :id", { id })
          .getOne()
      : null;
    if (!character) throw notFound("character");
    if (!character.isPublic && !isOwnerOr(claims, character.ownerId, "operator")) throw forbidden();
    const card = toCardV2(character);
    if (media === "json") return { card, name: character.name };
    // PGlite hands bytea back as a plain Uint8Array, pg as a Buffer.
    const stored = character.portrait;
    const image = stored ? Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength) : placeholderPng(character.id);
    return { card, name: character.name, png: withChunks(image, [textChunk("chara", base64Json(card))]) };
  }

  async importCard(claims: AuthClaims, media: CardMedia, body: Buffer): Promise<CharacterView> {
    if (body.length === 0) throw invalidCard("The request has no body: send a card as application/json or image/png.");
    const { imported, portrait } = media === "png" ? fromPng(body) : { imported: cardFromJson(parseJson(body, "The body")), portrait: undefined };
    return this.characters.create(claims, imported.character, { card: imported.card, portrait });
  }
}

const base64Json = (value: unknown) => Buffer.from(JSON.stringify(value), "utf8").toString("base64");

/** The card of a PNG (its `ccv3` chunk when that one reads as a card, else `chara`) and the image without its metadata. */
function fromPng(file: Buffer): { imported: ImportedCard; portrait: Buffer } {
  let chunks;
  try {
    chunks = readChunks(file);
  } catch (err) {
    if (err instanceof PngError) throw invalidCard(`The PNG ${err.message}.`);
    throw err;
  }
  const v3 = findText(chunks, "ccv3");
  const v2 = findText(chunks, "chara");
  if (v3 === undefined && v2 === undefined) throw invalidCard("The PNG has no chara (or ccv3) tEXt chunk: it is an image, not a character card.");
  let imported: ImportedCard | undefined;
  if (v3 !== undefined) {
    try {
      imported = cardFromJson(decodeChunk(v3, "ccv3"));
    } catch (err) {
      // A V3 writer also leaves a V2 copy in chara; a broken ccv3 beside it is not worth refusing the card.
      if (v2 === undefined) throw err;
    }
  }
  imported ??= cardFromJson(decodeChunk(v2!, "chara"));
  return { imported, portrait: writePng(imageChunks(chunks)) };
}

function decodeChunk(text: string, keyword: string): unknown {
  const compact = text.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact) || compact.length % 4 === 1) throw invalidCard(`The PNG's ${keyword} chunk is not base64 text.`);
  return parseJson(Buffer.from(compact, "base64"), `The PNG's ${keyword} chunk`);
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function parseJson(bytes: Buffer, what: string): unknown {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw invalidCard(`${what} is not UTF-8 text.`);
  }
  try {
    // A byte order mark is how some editors save a card; it is not part of the JSON.
    return JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch {
    throw invalidCard(`${what} is not JSON${what === "The body" ? "" : " (base64 of a card's UTF-8 JSON)"}.`);
  }
}
