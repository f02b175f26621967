import type { MigrationInterface, QueryRunner } from "typeorm";

export class Payments1732300700000 implements MigrationInterface {
  name = "Payments1732300700000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE products (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        points integer NOT NULL CHECK (points > 0),
        price_cents integer NOT NULL CHECK (price_cents > 0),
        currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
        is_active boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX products_active ON products (price_cents) WHERE is_active;

      -- What was bought is copied from the product at checkout: a later price change
      -- must not change what a pending payment costs or credits.
      CREATE TABLE payments (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        order_id text NOT NULL UNIQUE,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        product_id uuid NOT NULL REFERENCES products(id) ON DELETE RESTRICT,
        points integer NOT NULL CHECK (points > 0),
        amount_cents integer NOT NULL CHECK (amount_cents > 0),
        currency text NOT NULL,
        provider text NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'paid', 'failed')),
        provider_payment_id text,
        created_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz
      );
      CREATE INDEX payments_user ON payments (user_id, created_at);

      -- The balance is the sum of the user's ledger rows; both change in one statement.
      CREATE TABLE point_balances (
        user_id uuid PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        balance bigint NOT NULL CHECK (balance >= 0),
        updated_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE point_transactions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq bigint GENERATED ALWAYS AS IDENTITY,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        delta bigint NOT NULL CHECK (delta <> 0),
        balance_after bigint NOT NULL CHECK (balance_after >= 0),
        reason text NOT NULL,
        ref text,
        idempotency_key text,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX point_transactions_user ON point_transactions (user_id, seq);
      CREATE UNIQUE INDEX point_transactions_idempotency ON point_transactions (user_id, idempotency_key)
        WHERE idempotency_key IS NOT NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE point_transactions, point_balances, payments, products`);
  }
}
