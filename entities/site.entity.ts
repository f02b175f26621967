import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";

/** What a member may do on a site: staff record interactions; managers also see who else is a member. */
export const SITE_ROLES = ["staff", "manager"] as const;
export type SiteRole = (typeof SITE_ROLES)[number];

/** A realm or shard that staff look after. */
@Entity("sites")
export class Site {
  @PrimaryGeneratedColumn("uuid")
  id!: string;

  @Column({ type: "text" })
  name!: string;

  @Column({ type: "text" })
  slug!: string;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt!: Date;

  @UpdateDateColumn({ name: "updated_at", type: "timestamptz" })
  updatedAt!: Date;
}

@Entity("site_members")
export class SiteMember {
  @PrimaryColumn({ name: "site_id", type: "uuid" })
  siteId!: string;

  @PrimaryColumn({ name: "user_id", type: "uuid" })
  userId!: string;

  @Column({ name: "site_role", type: "text" })
  siteRole!: SiteRole;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt!: Date;
}
