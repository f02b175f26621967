import type { EntityManager } from "typeorm";
import { Background, Character } from "../entities/character.entity";
import type { Database } from "../infra/database";
import {
  toBackground,
  type BackgroundView,
  type CreateBackgroundInput,
  type UpdateBackgroundInput,
} from "./backgrounds.schemas";
import { conflict, notFound } from "./errors";
import { foreignKeyViolation, isUuid, uniqueViolation } from "./sql";

const nameTaken = () => conflict("name_taken", "A background with this name already exists.");
const inUse = () => conflict("in_use", "Characters still use this background.");
const backgroundNotFound = () => notFound("background");

/** Character backgrounds: a catalogue curated by maintainers, read by every player. */
export class BackgroundService {
  constructor(private readonly db: Database) {}

  async list(page: { limit: number; offset: number }): Promise<{ items: BackgroundView[]; total: number }> {
    const [rows, total] = await this.db.manager.findAndCount(Background, {
      order: { name: "ASC", id: "ASC" },
      take: page.limit,
      skip: page.offset,
    });
    return { items: rows.map(toBackground), total };
  }

  /** One background: where POST /backgrounds says it lives. */
  async get(id: string): Promise<BackgroundView> {
    const background = isUuid(id) ? await this.db.manager.findOneBy(Background, { id }) : null;
    if (!background) throw backgroundNotFound();
    return toBackground(background);
  }

  async create(input: CreateBackgroundInput): Promise<BackgroundView> {
    const saved = await this.db.transaction(async (m) => {
      await assertNameFree(m, input.name);
      return saveUnique(m, m.create(Background, { name: input.name, description: input.description, bonuses: input.bonuses ?? {} }));
    });
    return toBackground(saved);
  }

  async update(id: string, input: UpdateBackgroundInput): Promise<BackgroundView> {
    const saved = await this.db.transaction(async (m) => {
      const background = await findForUpdate(m, id);
      if (input.name !== undefined && input.name.toLowerCase() !== background.name.toLowerCase()) {
        await assertNameFree(m, input.name);
      }
      Object.assign(background, {
        ...(input.name !== undefined && { name: input.name }),
        ...(input.description !== undefined && { description: input.description }),
        ...(input.bonuses !== undefined && { bonuses: input.bonuses }),
      });
      return saveUnique(m, background);
    });
    return toBackground(saved);
  }

  async remove(id: string): Promise<void> {
    await this.db.transaction(async (m) => {
      const background = await findForUpdate(m, id);
      if (await m.existsBy(Character, { backgroundId: background.id })) {
        throw inUse();
      }
      await m.delete(Background, { id: background.id }).catch((err: unknown) => {
        // A character that took this background while we looked is caught by the foreign key.
        if (foreignKeyViolation(err)) throw inUse();
        throw err;
      });
    });
  }

  /** 404 "background not found" unless `id` names an existing background. */
  async assertExists(m: EntityManager, id: string): Promise<void> {
    if (!isUuid(id) || !(await m.existsBy(Background, { id }))) throw backgroundNotFound();
  }
}

async function findForUpdate(m: EntityManager, id: string): Promise<Background> {
  const background = isUuid(id)
    ? await m.findOne(Background, { where: { id }, lock: { mode: "pessimistic_write" } })
    : null;
  if (!background) throw backgroundNotFound();
  return background;
}

async function assertNameFree(m: EntityManager, name: string) {
  const taken = await m.createQueryBuilder(Background, "b").where("lower(b.name) = lower(:name)", { name }).getExists();
  if (taken) throw nameTaken();
}

/** Saves; a concurrent duplicate caught by the unique index is the same 409. */
async function saveUnique(m: EntityManager, background: Background): Promise<Background> {
  try {
    return await m.save(background);
  } catch (err) {
    if (uniqueViolation(err) === "backgrounds_name_lower") throw nameTaken();
    throw err;
  }
}
