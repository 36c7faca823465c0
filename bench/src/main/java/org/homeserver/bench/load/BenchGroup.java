package org.homeserver.bench.load;

import java.util.List;
import org.homeserver.mls.TestGroup;

/**
 * A group of the run as its members see it once set up: its id, its members in leaf order, its
 * epoch, and the test client that builds its commits.
 */
record BenchGroup(byte[] groupId, List<SimulatedClient> members, long epoch, TestGroup mls) {}
