package org.homeserver.platform.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/** What one class logs while a test runs, for tests of what an operator gets told. */
public final class CapturedLogs implements AutoCloseable {
  private final Logger logger;
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
  private final Level levelBefore;

  private CapturedLogs(String name) {
    this.logger = (Logger) LoggerFactory.getLogger(name);
    this.levelBefore = logger.getLevel();
    appender.start();
    logger.addAppender(appender);
  }

  public static CapturedLogs of(Class<?> source) {
    return new CapturedLogs(source.getName());
  }

  /** What the classes of {@code packageName} log, for classes a test outside it cannot name. */
  public static CapturedLogs ofPackage(String packageName) {
    return new CapturedLogs(packageName);
  }

  /** Captures {@code level} and above too, which the tests' logging configuration leaves out, until closed. */
  public CapturedLogs from(Level level) {
    logger.setLevel(level);
    return this;
  }

  /** The formatted messages logged at {@code level} so far, in order. */
  public List<String> at(Level level) {
    synchronized (appender) {
      return appender.list.stream().filter(e -> e.getLevel() == level).map(ILoggingEvent::getFormattedMessage).toList();
    }
  }

  @Override
  public void close() {
    logger.detachAppender(appender);
    logger.setLevel(levelBefore);
    appender.stop();
  }
}
