import type { EntityManager } from "typeorm";
import { Character } from "../../entities/character.entity";
import { INTERACTION_TYPES } from "../../entities/interaction.entity";
import { User } from "../../entities/user.entity";
import type { Database } from "../../infra/database";
import { notFound, validationFailed, type FieldError } from "../errors";
import { page, type Page, type PageQuery } from "../pagination";
import type { AuthClaims } from "../tokens";
import { audited, changesBetween } from "./audit";
import {
  toHistoryEntry,
  toInteraction,
  type CreateInteractionInput,
  type HistoryEntryView,
  type InteractionFilters,
  type InteractionView,
  type UpdateInteractionInput,
} from "./interactions.schemas";
import {
  appendAudit,
  auditTrail,
  deleteInteraction,
  findInteraction,
  insertInteraction,
  listInteractions,
  SiteScope,
  updateInteraction,
  type InteractionFields,
} from "./scope";

const interactionNotFound = () => notFound("interaction");

/**
 * Interactions of the caller's active site. Each call resolves the caller's `SiteScope`
 * first (membership read now) and reaches the tables only through `./scope`; writes
 * resolve it inside their transaction, and every write appends its audit entry there.
 */
export class InteractionService {
  constructor(private readonly db: Database) {}

  types() {
    return INTERACTION_TYPES.map(({ key, label }) => ({ key, label }));
  }

  async list(claims: AuthClaims, filters: InteractionFilters): Promise<Page<InteractionView>> {
    const m = this.db.manager;
    const scope = await SiteScope.resolve(m, claims);
    const [rows, total] = await listInteractions(m, scope, filters);
    return page(rows.map(toInteraction), total, filters);
  }

  async get(claims: AuthClaims, id: string): Promise<InteractionView> {
    const m = this.db.manager;
    const found = await findInteraction(m, await SiteScope.resolve(m, claims), id);
    if (!found) throw interactionNotFound();
    return toInteraction(found);
  }

  async create(claims: AuthClaims, input: CreateInteractionInput): Promise<InteractionView> {
    const created = await this.db.transaction(async (m) => {
      const scope = await SiteScope.resolve(m, claims, true);
      const people = await checkPeople(m, { subjectUserId: input.subject_user_id ?? null, characterId: input.character_id ?? null }, input.subject_user_id != null);
      const interaction = await insertInteraction(m, scope, {
        type: input.type,
        summary: input.summary,
        details: input.details ?? null,
        ...people,
        occurredAt: input.occurred_at ?? new Date(),
      });
      await appendAudit(m, scope, interaction.id, "create", changesBetween(null, audited(interaction)));
      return interaction;
    });
    return toInteraction(created);
  }

  /** Changes only what the body names; a change that alters nothing writes nothing and no audit entry. */
  async update(claims: AuthClaims, id: string, input: UpdateInteractionInput): Promise<InteractionView> {
    const updated = await this.db.transaction(async (m) => {
      const scope = await SiteScope.resolve(m, claims, true);
      const found = await findInteraction(m, scope, id, true);
      if (!found) throw interactionNotFound();
      const people =
        input.subject_user_id === undefined && input.character_id === undefined
          ? { subjectUserId: found.subjectUserId, characterId: found.characterId }
          : await checkPeople(
              m,
              {
                subjectUserId: input.subject_user_id === undefined ? found.subjectUserId : input.subject_user_id,
                characterId: input.character_id === undefined ? found.characterId : input.character_id,
              },
              input.subject_user_id !== undefined,
            );
      const next: InteractionFields = {
        type: input.type ?? found.type,
        summary: input.summary ?? found.summary,
        details: input.details === undefined ? found.details : input.details,
        ...people,
        occurredAt: input.occurred_at ?? found.occurredAt,
      };
      const changes = changesBetween(audited(found), audited(next));
      if (Object.keys(changes).length === 0) return found;
      await updateInteraction(m, scope, found.id, next);
      await appendAudit(m, scope, found.id, "update", changes);
      return (await findInteraction(m, scope, found.id))!;
    });
    return toInteraction(updated);
  }

  async remove(claims: AuthClaims, id: string): Promise<void> {
    await this.db.transaction(async (m) => {
      const scope = await SiteScope.resolve(m, claims, true);
      const found = await findInteraction(m, scope, id, true);
      if (!found) throw interactionNotFound();
      await deleteInteraction(m, scope, found.id);
      await appendAudit(m, scope, found.id, "delete", changesBetween(audited(found), null));
    });
  }

  /** Oldest first, also for a deleted interaction (its last entry is the delete); 404 when the site has no trace of it. */
  async history(claims: AuthClaims, id: string, query: PageQuery): Promise<Page<HistoryEntryView>> {
    const m = this.db.manager;
    const [rows, total] = await auditTrail(m, await SiteScope.resolve(m, claims), id, query);
    if (total === 0) throw interactionNotFound();
    return page(rows.map(toHistoryEntry), total, query);
  }
}

/**
 * The people an interaction is about must exist. A character's owner is its subject: a
 * character brings its owner as the subject unless the request named the subject too,
 * and then they must agree. So filtering by player finds what concerns their characters.
 */
async function checkPeople(
  m: EntityManager,
  people: { subjectUserId: string | null; characterId: string | null },
  subjectNamed: boolean,
): Promise<{ subjectUserId: string | null; characterId: string | null }> {
  const errors: FieldError[] = [];
  let { subjectUserId } = people;
  if (subjectUserId && !(await m.existsBy(User, { id: subjectUserId }))) errors.push({ field: "subject_user_id", message: "names no user" });
  if (people.characterId) {
    const character = await m.findOne(Character, { where: { id: people.characterId }, select: { id: true, ownerId: true } });
    if (!character) errors.push({ field: "character_id", message: "names no character" });
    else if (!subjectNamed || subjectUserId === null) subjectUserId = character.ownerId;
    else if (subjectUserId !== character.ownerId) errors.push({ field: "subject_user_id", message: "is not the owner of character_id" });
  }
  if (errors.length > 0) throw validationFailed(errors);
  return { subjectUserId, characterId: people.characterId };
}
