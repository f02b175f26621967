import { Accounts1732300000000 } from "./1732300000000-accounts";
import { Characters1732300100000 } from "./1732300100000-characters";
import { Messages1732300200000 } from "./1732300200000-messages";
import { OutboxSchedule1732300500000 } from "./1732300500000-outbox-schedule";
import { Stories1732300600000 } from "./1732300600000-stories";
import { Payments1732300700000 } from "./1732300700000-payments";
import { Sites1732300800000 } from "./1732300800000-sites";
import { Cms1732300900000 } from "./1732300900000-cms";
import { CharacterCards1732301100000 } from "./1732301100000-character-cards";
import { Chat1732301400000 } from "./1732301400000-chat";

/** Every migration, in order. Listed explicitly so that no glob depends on the runtime. */
export const migrations = [
  Accounts1732300000000,
  Characters1732300100000,
  Messages1732300200000,
  OutboxSchedule1732300500000,
  Stories1732300600000,
  Payments1732300700000,
  Sites1732300800000,
  Cms1732300900000,
  CharacterCards1732301100000,
  Chat1732301400000,
];
