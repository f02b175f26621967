import { Accounts1732300000000 } from "./1732300000000-accounts";

/** Every migration, in order. Listed explicitly so that no glob depends on the runtime. */
export const migrations = [Accounts1732300000000];
