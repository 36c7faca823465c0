package org.homeserver.bench.load;

import java.time.Duration;

/**
 * What one run does: {@code clients} clients in groups of {@code groupSize} (consecutive clients
 * share a group), of which {@code senders} send, spread over the groups round-robin; messages of
 * {@code messageBytes} of ciphertext; measured for {@code duration} after {@code warmup}. In a
 * key-packages run the clients claim, from {@code targetUsers} users whose clients publish,
 * {@code publishers} at a time. A pushes run sends {@code messages} messages in all, however long
 * that takes. A commits run puts every client in one group and has its members commit in turn.
 */
public record Plan(Scenario scenario, int clients, int groupSize, int senders, int messageBytes, Pacing pacing,
            Duration warmup, Duration duration, int connections, int targetUsers, int publishers, int messages) {
  /** A message carries its send time in its first 8 bytes of ciphertext. */
  static final int MIN_MESSAGE_BYTES = Long.BYTES;
  /** Stays well inside the 1 MiB an MLSMessage may have, whatever the framing around it. */
  static final int MAX_MESSAGE_BYTES = 1_000_000;

  public Plan {
    require(clients >= 1, "--clients must be at least 1");
    require(connections >= 1, "--connections must be at least 1");
    require(messageBytes >= MIN_MESSAGE_BYTES && messageBytes <= MAX_MESSAGE_BYTES,
        "--message-bytes must be from " + MIN_MESSAGE_BYTES + " to " + MAX_MESSAGE_BYTES);
    if (scenario == Scenario.KEY_PACKAGES) {
      require(targetUsers >= 1, "--target-users must be at least 1");
      require(publishers >= 1, "--publishers must be at least 1");
      require(!duration.isNegative() && !duration.isZero(), "--duration must be positive");
    }
    if (scenario.sends() || scenario == Scenario.PUSHES) {
      require(groupSize >= 2, "--group-size must be at least 2");
      require(clients % groupSize == 0, "--clients must be a multiple of --group-size");
      require(senders >= 1 && senders <= clients, "--senders must be from 1 to --clients");
      if (pacing instanceof Pacing.Open(double rate)) {
        require(rate > 0, "--rate must be positive");
      }
    }
    if (scenario.sends()) {
      require(!duration.isNegative() && !duration.isZero(), "--duration must be positive");
    }
    if (scenario == Scenario.PUSHES) {
      require(messages >= 1, "--messages must be at least 1");
    }
    if (scenario == Scenario.FEDERATED_ONE_TO_ONE) {
      require(groupSize == 2, "--group-size must be 2: the chats are 1:1");
      require(clients >= 2 && clients % 2 == 0, "--clients must be even and at least 2: half on each homeserver");
      require(senders >= 1 && senders <= clients / 2, "--senders must be from 1 to the chats (--clients / 2)");
      require(pacing instanceof Pacing.Closed, "federated-one-to-one runs closed loop only");
      require(!duration.isNegative() && !duration.isZero(), "--duration must be positive");
    }
    if (scenario == Scenario.COMMITS) {
      require(clients >= 2, "--clients must be at least 2");
      require(!duration.isNegative() && !duration.isZero(), "--duration must be positive");
    }
  }

  /** Every client a run registers: in a key-packages run the target users' clients too. */
  static int registeredClients(Scenario scenario, int clients, int targetUsers) {
    return switch (scenario) {
      case KEY_PACKAGES -> clients + targetUsers * KeyPackageRun.CLIENTS_PER_TARGET;
      // The hub's connections: its half of the federated chats and the local chats' clients.
      case FEDERATED_ONE_TO_ONE -> clients / 2 * 3;
      default -> clients;
    };
  }

  int groups() {
    return groupSize == 0 ? 0 : clients / groupSize;
  }

  /** Each message is queued for every member of its group but the sender. */
  int recipientsPerMessage() {
    return groupSize - 1;
  }

  private static void require(boolean condition, String problem) {
    if (!condition) {
      throw new IllegalArgumentException(problem);
    }
  }
}
