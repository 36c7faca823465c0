package org.homeserver.platform.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.homeserver.platform.config.ConfigSchema.LogFormat;
import org.homeserver.platform.config.ConfigSchema.LogLevel;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

class LoggingTest {
  private static List<String> logged(LogFormat format, LogLevel level, Runnable logging) {
    PrintStream original = System.err;
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    System.setErr(new PrintStream(buffer, true, StandardCharsets.UTF_8));
    try {
      Logging.configure(format, level);
      logging.run();
    } finally {
      System.setErr(original);
      Logging.configure(LogFormat.TEXT, LogLevel.WARN);
    }
    return buffer.toString(StandardCharsets.UTF_8).lines().toList();
  }

  @Test
  void jsonFormatWritesOneObjectPerLineWithTheRequestId() {
    List<String> lines = logged(LogFormat.JSON, LogLevel.INFO, () -> {
      MDC.put("request_id", "r-123");
      try {
        LoggerFactory.getLogger("test").info("hello {}", "world");
      } finally {
        MDC.remove("request_id");
      }
      LoggerFactory.getLogger("test").debug("not at info");
    });
    assertEquals(1, lines.size(), lines.toString());
    String line = lines.getFirst();
    assertTrue(line.startsWith("{") && line.endsWith("}"), line);
    assertTrue(line.contains("\"level\":\"INFO\""), line);
    assertTrue(line.contains("hello world"), line);
    assertTrue(line.contains("\"request_id\":\"r-123\""), line);
  }

  @Test
  void textFormatHonoursTheLevel() {
    List<String> lines = logged(LogFormat.TEXT, LogLevel.WARN, () -> {
      LoggerFactory.getLogger("test").info("quiet");
      LoggerFactory.getLogger("test").warn("loud");
    });
    assertEquals(1, lines.size(), lines.toString());
    assertTrue(lines.getFirst().contains("WARN") && lines.getFirst().endsWith("loud"), lines.getFirst());
  }
}
