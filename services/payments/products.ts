import type { EntityManager } from "typeorm";
import { Product } from "../../entities/payment.entity";
import type { Database } from "../../infra/database";
import { conflict, notFound } from "../errors";
import { page, type Page, type PageQuery } from "../pagination";
import { isUuid } from "../sql";
import {
  toAdminProduct,
  toProduct,
  type AdminProductView,
  type CreateProductInput,
  type ProductView,
  type UpdateProductInput,
} from "./payments.schemas";

const productNotFound = () => notFound("product");

/** The point packs on sale: admins curate them, players see the active ones. */
export class ProductService {
  constructor(private readonly db: Database) {}

  /** Active products, cheapest first. */
  async listActive(q: PageQuery): Promise<Page<ProductView>> {
    const [rows, total] = await this.db.manager.findAndCount(Product, {
      where: { isActive: true },
      order: { priceCents: "ASC", id: "ASC" },
      take: q.limit,
      skip: q.offset,
    });
    return page(rows.map(toProduct), total, q);
  }

  async create(input: CreateProductInput): Promise<AdminProductView> {
    const product = await this.db.manager.save(
      this.db.manager.create(Product, {
        name: input.name,
        points: input.points,
        priceCents: input.price_cents,
        currency: input.currency,
        isActive: input.is_active ?? true,
      }),
    );
    return toAdminProduct(product);
  }

  /** Changes a product; payments already started keep the points and price they were started with. */
  async update(id: string, input: UpdateProductInput): Promise<AdminProductView> {
    const product = await this.db.transaction(async (m) => {
      const found = isUuid(id) ? await m.findOne(Product, { where: { id }, lock: { mode: "pessimistic_write" } }) : null;
      if (!found) throw productNotFound();
      if (input.name !== undefined) found.name = input.name;
      if (input.points !== undefined) found.points = input.points;
      if (input.price_cents !== undefined) found.priceCents = input.price_cents;
      if (input.currency !== undefined) found.currency = input.currency;
      if (input.is_active !== undefined) found.isActive = input.is_active;
      return m.save(found);
    });
    return toAdminProduct(product);
  }

  /** The product a checkout buys: 404 when there is none, 409 `product_inactive` when it is off sale. */
  async forCheckout(m: EntityManager, id: string): Promise<Product> {
    const product = await m.findOneBy(Product, { id });
    if (!product) throw productNotFound();
    if (!product.isActive) throw conflict("product_inactive", "This product is not on sale.");
    return product;
  }
}
