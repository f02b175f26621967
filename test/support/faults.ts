import type { Mount } from "../../http";

/** Routes that exist only in the test server, to observe how failures reach clients. */
export const faultMounts: Mount[] = [
  (r) =>
    r.add({ method: "get", path: "/__test/throw", tag: "test", summary: "Throws a plain error" }, () => {
      throw new Error("secret detail: SELECT * FROM users; at stack frame");
    }),
];
