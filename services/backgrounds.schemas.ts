import { z } from "zod";
import type { Background } from "../entities/character.entity";

const name = z.string().trim().min(1).max(64);
const description = z.string().max(2000);
const bonuses = z.record(z.string().min(1).max(32), z.number().int().min(-1000).max(1000));

export const createBackgroundBody = z
  .strictObject({ name, description, bonuses: bonuses.optional() })
  .meta({ id: "CreateBackgroundRequest" });
export type CreateBackgroundInput = z.output<typeof createBackgroundBody>;

export const updateBackgroundBody = z
  .strictObject({ name: name.optional(), description: description.optional(), bonuses: bonuses.optional() })
  .meta({ id: "UpdateBackgroundRequest" });
export type UpdateBackgroundInput = z.output<typeof updateBackgroundBody>;

export const backgroundIdParams = z.object({ id: z.string() });

export const backgroundView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string(),
    bonuses: z.record(z.string(), z.number()),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: "Background" });
export type BackgroundView = z.infer<typeof backgroundView>;

export const toBackground = (b: Background): BackgroundView => ({
  id: b.id,
  name: b.name,
  description: b.description,
  bonuses: b.bonuses,
  created_at: b.createdAt.toISOString(),
  updated_at: b.updatedAt.toISOString(),
});
