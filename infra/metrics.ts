import type { RegisteredHandler, Room } from "@colyseus/core";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/**
 * Prometheus metrics of one process (`GET /metrics`; each process serves its own and
 * Prometheus sums them). The world figures are what the benchmark reads: ticks run,
 * their duration and the clients they served.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly worldTicks = new Counter({
    name: "tavern_world_ticks_total",
    help: "Simulation ticks run by world zone rooms.",
    labelNames: ["zone_id"],
    registers: [this.registry],
  });

  readonly worldTickSeconds = new Histogram({
    name: "tavern_world_tick_seconds",
    help: "Duration of one world patch with the ticks it covers (more than one when a zone catches up): inputs, movement, interest management, events and the patch.",
    // Fine below 50 ms, where the benchmark reads p50/p99 by interpolation.
    buckets: [
      0.0005, 0.001, 0.002, 0.003, 0.004, 0.005, 0.006, 0.008, 0.01, 0.0125, 0.015, 0.0175, 0.02, 0.025, 0.03, 0.035,
      0.04, 0.045, 0.05, 0.06, 0.075, 0.1, 0.15, 0.2, 0.5,
    ],
    registers: [this.registry],
  });

  /** Set by each tick; a zone's series is removed when its room is disposed. */
  readonly worldPlayers = new Gauge({
    name: "tavern_world_players",
    help: "Players in world zone rooms of this process.",
    labelNames: ["zone_id"],
    registers: [this.registry],
  });

  readonly chatTurnSeconds = new Histogram({
    name: "tavern_chat_turn_seconds",
    help: "Turns played by the turn engine (character chat and origchat), from the engine taking the turn to its stored reply: the session's lease, the database, the generator.",
    labelNames: ["kind"],
    // Fine below 50 ms: the benchmark reads what the engine adds to the generator's own time.
    buckets: [0.0005, 0.001, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  /** The turn engine's clock (services/chat/engine.ts). */
  readonly chatTurns = {
    played: (kind: string, seconds: number) => this.chatTurnSeconds.observe({ kind }, seconds),
  };

  readonly httpRequestSeconds = new Histogram({
    name: "tavern_http_request_duration_seconds",
    help: "HTTP requests by method, route template (\"unmatched\" when no route took the URL) and status, from arrival to the last byte written.",
    labelNames: ["method", "route", "status"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly roomMessagesReceived = new Counter({
    name: "tavern_room_messages_received_total",
    help: "Messages rooms received from clients, by room type and message type (\"unknown\" for types the room does not handle).",
    labelNames: ["room_type", "type"],
    registers: [this.registry],
  });

  readonly roomMessagesSent = new Counter({
    name: "tavern_room_messages_sent_total",
    help: "Messages rooms sent to clients (one per recipient; state patches aside), by room type and message type.",
    labelNames: ["room_type", "type"],
    registers: [this.registry],
  });

  /** The live rooms of this process by room type, as the matchmaker reports their creation and disposal. */
  private readonly liveRooms = new Map<string, Set<Room>>();

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "tavern_" });
    const liveRooms = this.liveRooms;
    // Read at scrape time from the rooms that exist, so a disposed room cannot linger.
    new Gauge({
      name: "tavern_rooms",
      help: "Rooms alive on this process, by room type.",
      labelNames: ["room_type"],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [type, rooms] of liveRooms) this.set({ room_type: type }, rooms.size);
      },
    });
    new Gauge({
      name: "tavern_room_clients",
      help: "Clients connected to rooms of this process, by room type.",
      labelNames: ["room_type"],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [type, rooms] of liveRooms) {
          let clients = 0;
          for (const room of rooms) clients += room.clients.length;
          this.set({ room_type: type }, clients);
        }
      },
    });
  }

  /** Follows the rooms of every type in `rooms` (the server's room definitions), and returns them. */
  watchRooms<T extends Record<string, RegisteredHandler>>(rooms: T): T {
    for (const [type, handler] of Object.entries(rooms)) {
      const live = new Set<Room>();
      this.liveRooms.set(type, live);
      handler.on("create", (room) => live.add(room));
      handler.on("dispose", (room) => live.delete(room));
    }
    return rooms;
  }

  /** Counts for the rooms' shared message edge (rooms/shared/messages.ts). */
  readonly roomMessages = {
    received: (roomType: string, type: string) => this.roomMessagesReceived.inc({ room_type: roomType, type }),
    sent: (roomType: string, type: string, recipients: number) => {
      if (recipients > 0) this.roomMessagesSent.inc({ room_type: roomType, type }, recipients);
    },
  };
}
