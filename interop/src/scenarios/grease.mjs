// Scenario d: KeyPackages made with ts-mls's default capabilities, which add random GREASE values
// (RFC 9420 section 13.5) for cipher suites, extensions, proposals and credentials, are accepted by
// the KeyPackage store and by the delivery service when a commit adds them.
import { defaultCapabilities } from "ts-mls";
import { User } from "../client.mjs";
import { check, checkGroup, connect, readAll, talk } from "../checks.mjs";

const COUNT = 20;
const isGrease = value => typeof value === "number" && (value & 0x0f0f) === 0x0a0a && (value >> 12) === ((value >> 4) & 0xf);

export async function grease({ hs, say }) {
  const gina = await (await User.register(hs, "gina")).newClient();
  const hal = await (await User.register(hs, "hal")).newClient();
  await connect(hal, gina);

  const packages = [];
  for (let i = 0; i < COUNT; i++) {
    packages.push(await gina.newKeyPackage({ capabilities: defaultCapabilities() }));
  }
  const greased = new Set(packages.flatMap(kp => {
    const { capabilities } = kp.publicPackage.leafNode;
    return [...capabilities.ciphersuites, ...capabilities.extensions, ...capabilities.proposals,
      ...capabilities.credentials].filter(isGrease);
  }));
  check(greased.size > 0, "ts-mls's default capabilities carried no GREASE value");
  const { counts } = await gina.publish(packages);
  check(counts.some(c => c.cipherSuite === 1 && c.count === COUNT), `stock after publishing: ${JSON.stringify(counts)}`);

  for (let round = 0; round < 3; round++) {
    const groupId = await hal.createGroup();
    await hal.commit(groupId, { add: await hal.claim(gina.user.userId) });
    const log = [];
    await talk(groupId, log, 6, [hal, gina]);
    await readAll(groupId, log, [hal, gina]);
    await checkGroup(groupId, [hal, gina], () => log);
  }
  say(`${COUNT} KeyPackages with ${greased.size} distinct GREASE values accepted; 3 of them added to groups`);
}
