import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn } from "typeorm";

/**
 * A direct message. `seq` is the total order of storage: "stored order", resume after
 * `since_id` and live delivery order all follow it (ids are random).
 */
@Entity("messages")
export class Message {
  @PrimaryGeneratedColumn("uuid")
  id!: string;

  @Column({ type: "bigint", generated: "identity", generatedIdentity: "ALWAYS", insert: false, update: false })
  seq!: string;

  @Column({ name: "sender_id", type: "uuid" })
  senderId!: string;

  @Column({ name: "recipient_id", type: "uuid" })
  recipientId!: string;

  @Column({ type: "text" })
  content!: string;

  @Column({ name: "client_msg_id", type: "text", nullable: true })
  clientMsgId!: string | null;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt!: Date;
}

/** How far `userId` has read the conversation with `peerId`; unread counts are measured from it. */
@Entity("dm_read_markers")
export class DmReadMarker {
  @PrimaryColumn({ name: "user_id", type: "uuid" })
  userId!: string;

  @PrimaryColumn({ name: "peer_id", type: "uuid" })
  peerId!: string;

  @Column({ name: "last_read_message_id", type: "uuid" })
  lastReadMessageId!: string;

  @Column({ name: "last_read_seq", type: "bigint" })
  lastReadSeq!: string;

  @Column({ name: "updated_at", type: "timestamptz" })
  updatedAt!: Date;
}
