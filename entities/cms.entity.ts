import { Column, CreateDateColumn, Entity, PrimaryColumn } from "typeorm";

/**
 * One stored version of a CMS config. A write or a rollback adds a row; none is ever
 * changed. `config` is what was valid when it was written: reads fill in what later
 * schemas added.
 */
@Entity("cms_config_versions")
export class CmsConfigVersion {
  @PrimaryColumn({ type: "text" })
  key!: string;

  @PrimaryColumn({ type: "integer" })
  version!: number;

  @Column({ type: "jsonb" })
  config!: unknown;

  /** Set when this version is a rollback: the version whose content it repeats. */
  @Column({ name: "rolled_back_from", type: "integer", nullable: true })
  rolledBackFrom!: number | null;

  /** Null once that admin's account is deleted; the name below stays for the record. */
  @Column({ name: "updated_by", type: "uuid", nullable: true })
  updatedBy!: string | null;

  @Column({ name: "updated_by_username", type: "text" })
  updatedByUsername!: string;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt!: Date;
}
