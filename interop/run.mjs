#!/usr/bin/env node
// Runs interoperability scenarios against a homeserver with ts-mls as the MLS implementation.
//   node run.mjs --target 127.0.0.1:7400 [--scenario connection] [--scenario big-group] ...
// Without --scenario every scenario runs. Exit status 0 when all pass; a failure prints which
// client saw what.
import { parseArgs } from "node:util";
import { Homeserver } from "./src/rpc.mjs";
import { bigGroup } from "./src/scenarios/big-group.mjs";
import { connection } from "./src/scenarios/connection.mjs";
import { grease } from "./src/scenarios/grease.mjs";
import { offline } from "./src/scenarios/offline.mjs";
import { refusals } from "./src/scenarios/refusals.mjs";
import { suites } from "./src/scenarios/suites.mjs";

const SCENARIOS = { connection, "big-group": bigGroup, offline, grease, suites, refusals };

const { values } = parseArgs({
  options: {
    target: { type: "string", default: "127.0.0.1:7400" },
    scenario: { type: "string", multiple: true, default: Object.keys(SCENARIOS) },
  },
});
const unknown = values.scenario.filter(name => !SCENARIOS[name]);
if (unknown.length) {
  console.error(`unknown scenario ${unknown.join(", ")}; known: ${Object.keys(SCENARIOS).join(", ")}`);
  process.exit(2);
}

const hs = new Homeserver(values.target);
const { domain } = await hs.call("auth", "GetServerInfo", {});
let failed = 0;
for (const name of values.scenario) {
  const started = Date.now();
  const say = line => console.log(`  ${name}: ${line}`);
  try {
    await SCENARIOS[name]({ hs, domain, say });
    console.log(`scenario ${name}: passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (error) {
    failed++;
    console.log(`scenario ${name}: FAILED after ${((Date.now() - started) / 1000).toFixed(1)} s\n${error.stack ?? error}`);
  }
}
hs.close();
process.exit(failed ? 1 : 0);
