import type { Presence } from "@colyseus/core";
import type { EntityManager } from "typeorm";
import type { Database } from "../infra/database";
import type { EventBus } from "../infra/events";
import type { WriteLimits } from "../infra/write-limits";
import type { Page, PageQuery } from "./pagination";
import { notFound, validationFailed } from "./errors";
import { spendWrite } from "./write-budget";
import {
  toConversation,
  toMessage,
  toStored,
  type ConversationView,
  type MessageRow,
  type MessageView,
  type StoredMessage,
} from "./messages.schemas";

/**
 * What a user's feed subscribers are told. A message signal carries the message and the
 * positions that preceded it (each user's, and the pair's), read under the send's locks:
 * a room whose cursor equals that position delivers straight from the signal; any other
 * room (it missed a signal, or signals crossed processes out of order) reads the store.
 * `stored` sends every room to the store: a message may be there whose signal never went
 * out (its send's COMMIT lost the connection after the server committed).
 */
export type MailboxSignal =
  | { kind: "message"; seq: number; message: MessageView; prev: { users: Record<string, number>; pair: number } }
  | { kind: "read"; peer_id: string }
  | { kind: "stored" };

const mailboxChannel = (userId: string) => `dm.user.${userId}`;

/** Messages read from the store per round trip when a room catches up or a device resumes. */
export const BACKLOG_PAGE = 200;

const SELECT_MESSAGE = `SELECT m.id, m.seq, m.sender_id, u.username AS sender_username, m.recipient_id, m.content, m.client_msg_id, m.created_at
  FROM messages m JOIN users u ON u.id = m.sender_id`;
/** The pair of users $1 and $2, written as the `messages_pair` index's expressions so that it is used. */
const PAIR = `LEAST(m.sender_id, m.recipient_id) = LEAST($1::uuid, $2::uuid) AND GREATEST(m.sender_id, m.recipient_id) = GREATEST($1::uuid, $2::uuid)`;

/** A page of a pair's conversation, newest first (exported for the query-plan test). */
export const PAIR_HISTORY_SQL = `${SELECT_MESSAGE} WHERE ${PAIR} ORDER BY m.seq DESC LIMIT $3 OFFSET $4`;

/**
 * An advisory-lock key per user. Sends lock both users (in key order, so two sends
 * never wait on each other in a cycle); hence a user's messages commit in `seq` order
 * and what any reader sees of one user's (or one pair's) messages is a gap-free prefix,
 * which is what lets rooms resume and deliver by `seq` without ever skipping one.
 */
const lockKey = (userId: string) => BigInt(`0x${userId.replace(/-/g, "").slice(0, 15)}`);

/** Both users' lock keys in key order, so two sends never wait on each other in a cycle. */
const sortedLockKeys = (a: string, b: string) =>
  [lockKey(a), lockKey(b)].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)).map(String);

/** The newest position of the sender ($1), of the recipient ($2) and of their pair, before the send. */
const PREV_POSITIONS = `SELECT
  GREATEST((SELECT max(seq) FROM messages WHERE sender_id = $1), (SELECT max(seq) FROM messages WHERE recipient_id = $1)) AS prev_sender,
  GREATEST((SELECT max(seq) FROM messages WHERE sender_id = $2), (SELECT max(seq) FROM messages WHERE recipient_id = $2)) AS prev_recipient,
  (SELECT max(seq) FROM messages m WHERE ${PAIR}) AS prev_pair`;

interface PrevPositions {
  prev_sender: string | null;
  prev_recipient: string | null;
  prev_pair: string | null;
}

export interface SendInput {
  senderId: string;
  recipientId: string;
  content: string;
  clientMsgId?: string;
}

/**
 * Direct messages: the one place they are stored, read and announced, whichever edge
 * (REST, the inbox room, a DM channel room) a send came through.
 */
export class MessageService {
  constructor(
    private readonly db: Database,
    private readonly presence: Presence,
    private readonly events: EventBus,
    private readonly limits: WriteLimits,
  ) {}

  /**
   * Stores a message (once per sender and `clientMsgId`), then announces it to both users.
   * A connection lost during the commit throws `CommitOutcomeUnknown` (the edges answer
   * `outcome_unknown`); the client's retry under the same `clientMsgId` returns the stored
   * message, or stores it now.
   */
  async send(input: SendInput): Promise<{ message: MessageView; created: boolean }> {
    if (input.senderId === input.recipientId) {
      throw validationFailed([{ field: "recipient_id", message: "must not be yourself" }]);
    }
    await spendWrite(this.limits, "dm", input.senderId);
    const sent = await this.db.transaction(async (m): Promise<{ row: MessageRow; prev?: PrevPositions }> => {
      // One statement takes both locks and checks the recipient: every round trip here is held under the pair's locks.
      const [locked]: { recipient: string | null }[] = await m.query(
        `SELECT pg_advisory_xact_lock($1), pg_advisory_xact_lock($2), (SELECT username FROM users WHERE id = $3) AS recipient`,
        [...sortedLockKeys(input.senderId, input.recipientId), input.recipientId],
      );
      if (locked!.recipient === null) throw notFound("user");
      // A later statement than the locks, so its snapshot includes every send that held them before.
      const [inserted]: (MessageRow & PrevPositions)[] = await m.query(
        `WITH prev AS (${PREV_POSITIONS}),
         ins AS (
           INSERT INTO messages (sender_id, recipient_id, content, client_msg_id) VALUES ($1, $2, $3, $4)
           ON CONFLICT (sender_id, client_msg_id) DO NOTHING
           RETURNING id, seq, sender_id, recipient_id, content, client_msg_id, created_at
         )
         SELECT ins.*, u.username AS sender_username, prev.* FROM ins CROSS JOIN prev JOIN users u ON u.id = ins.sender_id`,
        [input.senderId, input.recipientId, input.content, input.clientMsgId ?? null],
      );
      if (inserted) return { row: inserted, prev: inserted };
      const [stored]: MessageRow[] = await m.query(`${SELECT_MESSAGE} WHERE m.sender_id = $1 AND m.client_msg_id = $2`, [
        input.senderId,
        input.clientMsgId,
      ]);
      return { row: stored! };
    });
    const { row, prev } = sent;
    const message = toMessage(row);
    if (prev) {
      const signal: MailboxSignal = {
        kind: "message",
        seq: Number(row.seq),
        message,
        prev: {
          users: { [input.senderId]: Number(prev.prev_sender ?? 0), [input.recipientId]: Number(prev.prev_recipient ?? 0) },
          pair: Number(prev.prev_pair ?? 0),
        },
      };
      await Promise.all([
        this.presence.publish(mailboxChannel(row.sender_id), signal),
        this.presence.publish(mailboxChannel(row.recipient_id), signal),
        this.events.publish("message.created", message),
      ]);
    } else {
      // A retry of a stored message: its first send may have lost its answer before
      // announcing it, so the rooms re-read the store (they deliver nothing twice).
      const signal: MailboxSignal = { kind: "stored" };
      await Promise.all([this.presence.publish(mailboxChannel(row.sender_id), signal), this.presence.publish(mailboxChannel(row.recipient_id), signal)]);
    }
    return { message, created: prev !== undefined };
  }

  /** The conversation of `userId` with `peerId`, newest first. */
  async history(userId: string, peerId: string, q: PageQuery): Promise<Page<MessageView>> {
    const m = this.db.manager;
    await this.assertUser(m, peerId);
    const [rows, [{ total }]] = await Promise.all([
      m.query(PAIR_HISTORY_SQL, [userId, peerId, q.limit, q.offset]),
      m.query(`SELECT count(*)::int AS total FROM messages m WHERE ${PAIR}`, [userId, peerId]),
    ]);
    return { items: (rows as MessageRow[]).map(toMessage), total, limit: q.limit, offset: q.offset };
  }

  /** One row per peer `userId` has exchanged messages with, the latest conversation first. */
  async conversations(userId: string, q: PageQuery): Promise<Page<ConversationView>> {
    const rows: (Parameters<typeof toConversation>[0] & { total: number })[] = await this.db.manager.query(
      `WITH latest AS (
         SELECT DISTINCT ON (peer_id) peer_id, seq, content, created_at FROM (
           SELECT CASE WHEN sender_id = $1 THEN recipient_id ELSE sender_id END AS peer_id, seq, content, created_at
           FROM messages WHERE sender_id = $1 OR recipient_id = $1
         ) mine ORDER BY peer_id, seq DESC
       )
       SELECT l.peer_id AS user_id, u.username, l.content AS last_message, l.created_at AS last_at,
         (SELECT count(*) FROM messages m
           WHERE m.sender_id = l.peer_id AND m.recipient_id = $1
             AND m.seq > coalesce((SELECT r.last_read_seq FROM dm_read_markers r WHERE r.user_id = $1 AND r.peer_id = l.peer_id), 0)
         )::int AS unread_count,
         (count(*) OVER ())::int AS total
       FROM latest l JOIN users u ON u.id = l.peer_id
       ORDER BY l.seq DESC LIMIT $2 OFFSET $3`,
      [userId, q.limit, q.offset],
    );
    const total = rows[0]?.total ?? (q.offset > 0 ? await this.countConversations(userId) : 0);
    return { items: rows.map(toConversation), total, limit: q.limit, offset: q.offset };
  }

  /** Marks the conversation with `peerId` read up to `messageId` (never backwards). */
  async markRead(userId: string, peerId: string, messageId: string): Promise<void> {
    const m = this.db.manager;
    await this.assertUser(m, peerId);
    const [message]: { seq: string }[] = await m.query(`SELECT m.seq FROM messages m WHERE m.id = $3 AND ${PAIR}`, [userId, peerId, messageId]);
    if (!message) throw notFound("message");
    await m.query(
      `INSERT INTO dm_read_markers (user_id, peer_id, last_read_message_id, last_read_seq) VALUES ($1, $2, $3, $4)
       ON CONFLICT (user_id, peer_id) DO UPDATE
         SET last_read_message_id = EXCLUDED.last_read_message_id, last_read_seq = EXCLUDED.last_read_seq, updated_at = now()
         WHERE dm_read_markers.last_read_seq < EXCLUDED.last_read_seq`,
      [userId, peerId, messageId, message.seq],
    );
    const signal: MailboxSignal = { kind: "read", peer_id: peerId };
    await this.presence.publish(mailboxChannel(userId), signal);
  }

  /** The storage position of `messageId`, which must be one of `userId`'s messages; resume points are checked with it. */
  async positionOf(userId: string, messageId: string): Promise<number> {
    const [row]: { seq: string }[] = await this.db.manager.query(
      `SELECT seq FROM messages WHERE id = $1 AND (sender_id = $2 OR recipient_id = $2)`,
      [messageId, userId],
    );
    if (!row) throw notFound("message");
    return Number(row.seq);
  }

  /**
   * Up to `limit` messages of `userId` stored after position `afterSeq` (and at or before
   * `untilSeq`), oldest first: one page of a backlog, read page by page so that a resume
   * over any number of messages never holds them all.
   */
  async since(userId: string, afterSeq: number, { untilSeq = Number.MAX_SAFE_INTEGER, limit = BACKLOG_PAGE } = {}): Promise<StoredMessage[]> {
    const rows: MessageRow[] = await this.db.manager.query(
      `${SELECT_MESSAGE} WHERE m.seq IN (
         (SELECT seq FROM messages WHERE sender_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4)
         UNION ALL
         (SELECT seq FROM messages WHERE recipient_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4)
       ) ORDER BY m.seq LIMIT $4`,
      [userId, afterSeq, untilSeq, limit],
    );
    return rows.map(toStored);
  }

  /** Up to `limit` of the pair's messages stored after `afterSeq`, oldest first. */
  async pairSince(userId: string, peerId: string, afterSeq: number, limit = BACKLOG_PAGE): Promise<StoredMessage[]> {
    const rows: MessageRow[] = await this.db.manager.query(`${SELECT_MESSAGE} WHERE ${PAIR} AND m.seq > $3 ORDER BY m.seq LIMIT $4`, [
      userId,
      peerId,
      afterSeq,
      limit,
    ]);
    return rows.map(toStored);
  }

  /** The pair's last `limit` messages up to position `untilSeq`, newest first. */
  async pairRecent(userId: string, peerId: string, untilSeq: number, limit = 50): Promise<MessageView[]> {
    const rows: MessageRow[] = await this.db.manager.query(
      `${SELECT_MESSAGE} WHERE ${PAIR} AND m.seq <= $3 ORDER BY m.seq DESC LIMIT $4`,
      [userId, peerId, untilSeq, limit],
    );
    return rows.map(toMessage);
  }

  /** The position of the newest message of `userId` (with `peerId`, when given); 0 when none. */
  async latestPosition(userId: string, peerId?: string): Promise<number> {
    const [row]: { seq: string | null }[] = peerId
      ? await this.db.manager.query(`SELECT max(m.seq) AS seq FROM messages m WHERE ${PAIR}`, [userId, peerId])
      : await this.db.manager.query(`SELECT max(seq) AS seq FROM messages WHERE sender_id = $1 OR recipient_id = $1`, [userId]);
    return Number(row?.seq ?? 0);
  }

  /** Messages to `userId` not yet marked read, over every conversation. */
  async unreadTotal(userId: string): Promise<number> {
    const [row]: { n: number }[] = await this.db.manager.query(
      `SELECT count(*)::int AS n FROM messages m
       LEFT JOIN dm_read_markers r ON r.user_id = $1 AND r.peer_id = m.sender_id
       WHERE m.recipient_id = $1 AND m.seq > coalesce(r.last_read_seq, 0)`,
      [userId],
    );
    return row!.n;
  }

  /** The id of the last message each of the two users marked read in their conversation ("" when none). */
  async readMarkers(userId: string, peerId: string): Promise<Record<string, string>> {
    const rows: { user_id: string; last_read_message_id: string }[] = await this.db.manager.query(
      `SELECT user_id, last_read_message_id FROM dm_read_markers WHERE (user_id = $1 AND peer_id = $2) OR (user_id = $2 AND peer_id = $1)`,
      [userId, peerId],
    );
    const markers: Record<string, string> = { [userId]: "", [peerId]: "" };
    for (const r of rows) markers[r.user_id] = r.last_read_message_id;
    return markers;
  }

  /** The username of an existing user; 404 otherwise. */
  async username(userId: string): Promise<string> {
    return this.assertUser(this.db.manager, userId);
  }

  /** The presence channel on which every change of `userId`'s mailbox is signalled (MailboxSignal), on any process. */
  channelOf(userId: string): string {
    return mailboxChannel(userId);
  }

  private async assertUser(m: EntityManager, userId: string): Promise<string> {
    const [user]: { username: string }[] = await m.query(`SELECT username FROM users WHERE id = $1`, [userId]);
    if (!user) throw notFound("user");
    return user.username;
  }

  private async countConversations(userId: string): Promise<number> {
    const [row]: { n: number }[] = await this.db.manager.query(
      `SELECT count(DISTINCT CASE WHEN sender_id = $1 THEN recipient_id ELSE sender_id END)::int AS n
       FROM messages WHERE sender_id = $1 OR recipient_id = $1`,
      [userId],
    );
    return row!.n;
  }
}
