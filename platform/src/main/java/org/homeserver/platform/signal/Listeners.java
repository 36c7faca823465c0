package org.homeserver.platform.signal;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The listeners of each channel, and their dispatch; shared by both Signals implementations. */
final class Listeners {
  private static final Logger log = LoggerFactory.getLogger(Listeners.class);
  private final Map<String, List<Consumer<byte[]>>> byChannel = new ConcurrentHashMap<>();

  /** Adds a listener; true if it is the channel's first. */
  boolean add(String channel, Consumer<byte[]> listener) {
    boolean[] first = {false};
    byChannel.compute(channel, (c, list) -> {
      if (list == null) {
        list = new CopyOnWriteArrayList<>();
        first[0] = true;
      }
      list.add(listener);
      return list;
    });
    return first[0];
  }

  /** Removes a listener; true if the channel has none left. */
  boolean remove(String channel, Consumer<byte[]> listener) {
    boolean[] last = {false};
    byChannel.computeIfPresent(channel, (c, list) -> {
      list.remove(listener);
      last[0] = list.isEmpty();
      return list.isEmpty() ? null : list;
    });
    return last[0];
  }

  /** The channels that have listeners now. */
  java.util.Set<String> channels() {
    return java.util.Set.copyOf(byChannel.keySet());
  }

  void dispatch(String channel, byte[] message) {
    for (Consumer<byte[]> listener : byChannel.getOrDefault(channel, List.of())) {
      try {
        listener.accept(message);
      } catch (RuntimeException e) {
        log.error("signal listener on channel {} failed", channel, e);
      }
    }
  }
}
