package org.homeserver.platform.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.jul.LevelChangePropagator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import org.homeserver.platform.config.ConfigSchema.LogFormat;
import org.homeserver.platform.config.ConfigSchema.LogLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/** Sets up the process's logs: text for people, or one JSON object per line for collectors. */
public final class Logging {
  /** The gRPC class that logs every oversized or malformed request frame at WARN, with its stack trace. */
  static final String CALLER_CAUSED_TRANSPORT_WARNINGS = "io.grpc.netty.shaded.io.grpc.netty.NettyServerStream";

  private Logging() {}

  public static void configure(LogFormat format, LogLevel level) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return;
    }
    context.reset();
    // gRPC and the JDK log through java.util.logging: into the same lines (and JSON) as ours.
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    LevelChangePropagator levels = new LevelChangePropagator();
    levels.setContext(context);
    levels.setResetJUL(true);
    context.addListener(levels);
    Encoder<ILoggingEvent> encoder = switch (format) {
      case JSON -> {
        JsonEncoder json = new JsonEncoder();
        json.setWithSequenceNumber(false);
        json.setWithNanoseconds(false);
        json.setWithContext(false);
        // One readable "formattedMessage" rather than the template and its arguments apart.
        json.setWithFormattedMessage(true);
        json.setWithMessage(false);
        json.setWithArguments(false);
        yield json;
      }
      case TEXT -> {
        PatternLayoutEncoder text = new PatternLayoutEncoder();
        text.setPattern("%d{yyyy-MM-dd'T'HH:mm:ss.SSSX} %-5level %logger{24} %X %msg%n%ex");
        yield text;
      }
    };
    encoder.setContext(context);
    encoder.start();
    ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
    appender.setContext(context);
    appender.setName("console");
    appender.setTarget("System.err");
    appender.setEncoder(encoder);
    appender.start();
    ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.toLevel(level.name()));
    root.addAppender(appender);
    // Libraries are chatty at INFO; their warnings still show.
    for (String noisy : new String[] {"io.grpc.netty", "io.netty", "org.flywaydb", "com.zaxxer.hikari",
        "io.zonky", "io.lettuce", "reactor"}) {
      context.getLogger(noisy).setLevel(level == LogLevel.DEBUG || level == LogLevel.TRACE ? Level.INFO : Level.WARN);
    }
    // A request beyond twice the size limit is refused by the transport, which logs it with a stack
    // trace at WARN: the caller's doing, and anyone can send one, so only at DEBUG.
    context.getLogger(CALLER_CAUSED_TRANSPORT_WARNINGS).setLevel(
        level == LogLevel.DEBUG || level == LogLevel.TRACE ? Level.DEBUG : Level.ERROR);
  }
}
