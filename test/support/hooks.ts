import { bootServer, shutdownServer } from "./server";

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(60_000);
    await bootServer();
  },
  async afterAll(this: Mocha.Context) {
    this.timeout(30_000);
    await shutdownServer();
  },
};
