import { Room, ServerError, type RoomOptions } from "@colyseus/core";
import { databaseFailure } from "../../services/database-failures";
import { DomainError } from "../../services/errors";
import type { AuthClaims } from "../../services/tokens";

/** Colyseus 0.18 internals read by `seatHolder` (pinned version; see package.json). */
interface SeatBook {
  _reconnections: Record<string, [sessionId: string, unknown]>;
  _reservedSeats: Record<string, [options: unknown, auth: unknown, consumed: boolean, reconnecting: boolean]>;
}

/**
 * What every Tavern room shares at the edge with its clients:
 * - a failure in `onJoin` reaches the joining client as its status and code for a
 *   domain error and as a bare 500 `internal_error` otherwise (the room's
 *   `onUncaughtException` logs it), never with the error's own text;
 * - an unreachable database in `onCreate` or `onJoin` refuses the join with 503
 *   `service_unavailable` (the outage is logged once by the database, not per join);
 * - a failure in `onLeave` is logged there and goes no further: the client is gone;
 * - `seatHolder` lets the matchmaking edge check that a reconnection is made by the
 *   user who held the seat.
 */
export abstract class TavernRoom<T extends RoomOptions = RoomOptions> extends Room<T> {
  constructor() {
    super();
    const create = this.onCreate;
    if (create) {
      this.onCreate = async (...args: Parameters<NonNullable<typeof create>>) => {
        try {
          return await create.apply(this, args);
        } catch (err) {
          // Colyseus answers a ServerError with its code and message, and logs anything else.
          const unavailable = databaseFailure(err);
          throw unavailable ? new ServerError(unavailable.status, unavailable.code) : err;
        }
      };
    }
    // Room's constructor has already wrapped these for onUncaughtException; this wraps that.
    const join = this.onJoin;
    if (join) {
      this.onJoin = async (...args: Parameters<NonNullable<typeof join>>) => {
        try {
          return await join.apply(this, args);
        } catch (err) {
          throw joinFailure(err);
        }
      };
    }
    const leave = this.onLeave;
    if (leave) {
      this.onLeave = async (...args: Parameters<NonNullable<typeof leave>>) => {
        try {
          return await leave.apply(this, args);
        } catch {
          // Already logged by onUncaughtException.
        }
      };
    }
  }

  /** The user whose seat `reconnectionToken` names, if any: a dropped seat held for reconnection, or a live one. */
  seatHolder(reconnectionToken: string): string | undefined {
    const book = this as unknown as SeatBook;
    const held = book._reconnections[reconnectionToken]?.[0];
    const auth = held !== undefined ? book._reservedSeats[held]?.[1] : this.clients.find((c) => c.reconnectionToken === reconnectionToken)?.auth;
    return (auth as AuthClaims | undefined)?.userId;
  }
}

function joinFailure(err: unknown): ServerError {
  const known = err instanceof DomainError ? err : databaseFailure(err);
  if (known) return new ServerError(known.status, known.code);
  if (err instanceof ServerError && err.code >= 400 && err.code < 600) return err;
  return new ServerError(500, "internal_error");
}
