import { z } from "zod";

/** What `limit` is when a client names none. */
export const DEFAULT_PAGE_LIMIT = 50;

/** `limit` (default 50, capped at 100) and `offset` (default 0), the same for every list. */
export const pageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).default(DEFAULT_PAGE_LIMIT).transform((n) => Math.min(n, 100)),
  offset: z.coerce.number().int().min(0).default(0),
});
export type PageQuery = z.output<typeof pageQuery>;

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export const page = <T>(items: T[], total: number, q: PageQuery): Page<T> => ({ items, total, limit: q.limit, offset: q.offset });

export const pageOf = <S extends z.ZodType>(item: S) =>
  z.object({ items: z.array(item), total: z.number().int(), limit: z.number().int(), offset: z.number().int() });
