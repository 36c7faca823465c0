package org.homeserver.bench.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * This machine's raw PostgreSQL limit for the homeserver's smallest unit of durable work: pgbench
 * running one transaction per message, a BEGIN, an INSERT of one row with a payload of the message
 * size, and a COMMIT, from as many clients as the load generator has concurrent senders, into a
 * scratch table of a scratch database. The payload column is stored uncompressed, as ciphertext
 * would be (it does not compress).
 */
public final class Pgbench {
  /** Connections pgbench leaves free for others (superuser reserve, the generator's own). */
  private static final int SPARE_CONNECTIONS = 10;
  private static final Pattern TPS = Pattern.compile("tps = ([0-9.]+) \\(without initial connection time\\)");
  private static final Pattern LATENCY = Pattern.compile("latency average = ([0-9.]+) ms");

  /** What pgbench measured, and how it was run. */
  public record Result(double tps, double latencyMillis, int clients, int requestedClients, Duration duration,
                String command) {}

  private Pgbench() {}

  /**
   * Runs pgbench for {@code duration} with {@code clients} clients (fewer if PostgreSQL takes fewer
   * connections), in a scratch database it drops afterwards; its output goes to {@code pgbench.log}.
   */
  public static Result run(Postgres postgres, Path runDirectory, String database, int clients, int messageBytes,
      Duration duration) throws IOException, InterruptedException, SQLException {
    int usable = Math.max(1, Math.min(clients, postgres.maxConnections() - SPARE_CONNECTIONS));
    Path script = runDirectory.resolve("pgbench-message.sql");
    Files.writeString(script, """
        -- One message: one row of %d payload bytes in its own transaction.
        BEGIN;
        INSERT INTO message (payload) VALUES (decode(repeat('a5', %d), 'hex'));
        COMMIT;
        """.formatted(messageBytes, messageBytes));
    try (Postgres.ScratchDatabase scratch = postgres.createScratch(database)) {
      postgres.execute(scratch.name(), "create table message (id bigserial primary key, payload bytea not null)");
      postgres.execute(scratch.name(), "alter table message alter column payload set storage external");
      int threads = Math.min(usable, Runtime.getRuntime().availableProcessors());
      List<String> command = List.of("pgbench", "-n", "-M", "prepared",
          "-c", Integer.toString(usable), "-j", Integer.toString(threads),
          "-T", Long.toString(duration.toSeconds()), "-f", script.toString(),
          "-h", postgres.host(), "-p", Integer.toString(postgres.port()), "-U", postgres.user(), scratch.name());
      Path log = runDirectory.resolve("pgbench.log");
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
      if (!postgres.password().isEmpty()) {
        builder.environment().put("PGPASSWORD", postgres.password());
      }
      int status = builder.start().waitFor();
      String output = Files.readString(log);
      Matcher tps = TPS.matcher(output);
      if (status != 0 || !tps.find()) {
        throw new IOException("pgbench failed (exit status " + status + "):\n" + output.strip());
      }
      Matcher latency = LATENCY.matcher(output);
      return new Result(Double.parseDouble(tps.group(1)), latency.find() ? Double.parseDouble(latency.group(1)) : -1,
          usable, clients, duration, String.join(" ", command));
    }
  }
}
