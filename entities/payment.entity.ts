import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";

/** A pack of points for sale, curated by admins; only active ones can be bought. */
@Entity("products")
export class Product {
  @PrimaryGeneratedColumn("uuid")
  id!: string;

  @Column({ type: "text" })
  name!: string;

  @Column({ type: "integer" })
  points!: number;

  @Column({ name: "price_cents", type: "integer" })
  priceCents!: number;

  @Column({ type: "text" })
  currency!: string;

  @Column({ name: "is_active", type: "boolean", default: true })
  isActive!: boolean;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt!: Date;

  @UpdateDateColumn({ name: "updated_at", type: "timestamptz" })
  updatedAt!: Date;
}

export const PAYMENT_STATUSES = ["pending", "paid", "failed"] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/** One checkout: pending until the provider's webhook says paid or failed, then never again. */
@Entity("payments")
export class Payment {
  @PrimaryGeneratedColumn("uuid")
  id!: string;

  @Column({ name: "order_id", type: "text" })
  orderId!: string;

  @Column({ name: "user_id", type: "uuid" })
  userId!: string;

  @Column({ name: "product_id", type: "uuid" })
  productId!: string;

  @Column({ type: "integer" })
  points!: number;

  @Column({ name: "amount_cents", type: "integer" })
  amountCents!: number;

  @Column({ type: "text" })
  currency!: string;

  @Column({ type: "text" })
  provider!: string;

  @Column({ type: "text", default: "pending" })
  status!: PaymentStatus;

  @Column({ name: "provider_payment_id", type: "text", nullable: true })
  providerPaymentId!: string | null;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt!: Date;

  @Column({ name: "completed_at", type: "timestamptz", nullable: true })
  completedAt!: Date | null;
}

/** A user's points; changed only together with a ledger row (services/payments/ledger.ts). */
@Entity("point_balances")
export class PointBalance {
  @PrimaryColumn({ name: "user_id", type: "uuid" })
  userId!: string;

  @Column({ type: "bigint" })
  balance!: string;

  @Column({ name: "updated_at", type: "timestamptz" })
  updatedAt!: Date;
}

/** One change of a user's points; their sum is the balance. */
@Entity("point_transactions")
export class PointTransaction {
  @PrimaryGeneratedColumn("uuid")
  id!: string;

  @Column({ type: "bigint", generatedIdentity: "ALWAYS", insert: false, update: false })
  seq!: string;

  @Column({ name: "user_id", type: "uuid" })
  userId!: string;

  @Column({ type: "bigint" })
  delta!: string;

  @Column({ name: "balance_after", type: "bigint" })
  balanceAfter!: string;

  @Column({ type: "text" })
  reason!: string;

  @Column({ type: "text", nullable: true })
  ref!: string | null;

  @Column({ name: "idempotency_key", type: "text", nullable: true })
  idempotencyKey!: string | null;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt!: Date;
}
