package org.homeserver.mls.describe;

import java.util.LinkedHashMap;

/** A JSON object under construction: fields in the order they are added, added fluently. */
final class Fields extends LinkedHashMap<String, Object> {
  Fields with(String key, Object value) {
    put(key, value);
    return this;
  }
}
