import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach } from "vitest";
import { type Override, type PluginConfig, readRecord, type RecordedCall, type RunningPlugin, startPluginServer } from "./server.js";

/**
 * The test plugin served from the test's own process (faster than a process of its own, for the
 * conformance checks that only look at the wire), with an override that answers chosen calls. Closed
 * after each test.
 */
export interface FakePlugin {
  config: PluginConfig;
  calls(): RecordedCall[];
  methods(): string[];
  close(): Promise<void>;
}

const running: RunningPlugin[] = [];

export async function fakePlugin(dir: string, name: string, override?: Override, opts: Partial<PluginConfig> = {}): Promise<FakePlugin> {
  const state = join(dir, "state");
  mkdirSync(state, { recursive: true });
  const config: PluginConfig = {
    socket: join(dir, `${name}.sock`),
    record: join(state, `${name}.record.jsonl`),
    control: join(state, `${name}.control.json`),
    ...opts,
  };
  const r = await startPluginServer(config, override);
  running.push(r);
  return {
    config,
    calls: () => readRecord(config.record),
    methods: () => readRecord(config.record).map((c) => c.method),
    close: () => r.close(),
  };
}

afterEach(async () => {
  while (running.length) await running.pop()!.close();
});
