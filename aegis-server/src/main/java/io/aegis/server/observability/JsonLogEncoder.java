package io.aegis.server.observability;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.encoder.EncoderBase;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The log format for {@code AEGIS_LOG_FORMAT=json}: one JSON object per line, for log shippers
 * (Loki, Elasticsearch, CloudWatch) that index fields rather than grep text.
 *
 * <pre>{@code
 * {"time":"2026-05-01T12:00:00.123Z","level":"INFO","logger":"io.aegis.server.delivery.DeliveryEngine",
 *  "thread":"vert.x-eventloop-thread-1","message":"agent_id=web-01 message_id=0196… refused by the agent: no_handler",
 *  "node_id":"gw-1","agent_id":"web-01","message_id":"0196…"}
 * }</pre>
 *
 * <p>The text format stays the source of truth for what a line says: {@code message} is the same
 * text. The fields come from what the code already writes, so no log call changes shape:
 * <ul>
 *   <li>{@code agent_id}, {@code message_id}: a placeholder written {@code agent_id={}} or
 *       {@code message_id={}} in the message pattern (the convention every log call about an
 *       agent or a message follows), or the same key in the MDC;</li>
 *   <li>{@code node_id}: the logger context's property of that name, which {@link Observability}
 *       sets when the node starts;</li>
 *   <li>{@code exception}: the stack trace, when the call passed a throwable.</li>
 * </ul>
 * Like the text format it carries only what the message says: the code never logs a token, key
 * or payload, and this encoder adds nothing but the fields above.
 */
public final class JsonLogEncoder extends EncoderBase<ILoggingEvent> {
  /** The fields lifted out of a message pattern or the MDC, in the order they are written. */
  static final List<String> FIELDS = List.of("agent_id", "message_id");
  /** The logger-context property holding this node's id. */
  static final String NODE_ID = "node_id";

  private static final JsonFactory JSON = new JsonFactory();
  private static final byte[] NO_BYTES = new byte[0];

  @Override
  public byte[] headerBytes() {
    return NO_BYTES;
  }

  @Override
  public byte[] footerBytes() {
    return NO_BYTES;
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("time", Instant.ofEpochMilli(event.getTimeStamp()).toString());
      g.writeStringField("level", event.getLevel().toString());
      g.writeStringField("logger", event.getLoggerName());
      g.writeStringField("thread", event.getThreadName());
      g.writeStringField("message", event.getFormattedMessage());
      String node = event.getLoggerContextVO() == null ? null
          : event.getLoggerContextVO().getPropertyMap().get(NODE_ID);
      if (node != null) {
        g.writeStringField(NODE_ID, node);
      }
      for (Map.Entry<String, String> f : fields(event).entrySet()) {
        g.writeStringField(f.getKey(), f.getValue());
      }
      IThrowableProxy thrown = event.getThrowableProxy();
      if (thrown != null) {
        g.writeStringField("exception", ThrowableProxyUtil.asString(thrown));
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // writing to memory: cannot happen
    }
    out.write('\n');
    return out.toByteArray();
  }

  /** The {@link #FIELDS} this event names, from its MDC and then its message pattern. */
  static Map<String, String> fields(ILoggingEvent event) {
    Map<String, String> found = new LinkedHashMap<>();
    Map<String, String> mdc = event.getMDCPropertyMap();
    if (mdc != null) {
      for (String key : FIELDS) {
        String v = mdc.get(key);
        if (v != null) {
          found.put(key, v);
        }
      }
    }
    String pattern = event.getMessage();
    Object[] args = event.getArgumentArray();
    if (pattern == null || args == null) {
      return found;
    }
    // Walk the pattern's placeholders in order, as SLF4J does, and keep the argument of each one
    // written "<field>={}".
    int arg = 0;
    for (int i = pattern.indexOf("{}"); i >= 0 && arg < args.length; i = pattern.indexOf("{}", i + 2), arg++) {
      if (i > 0 && pattern.charAt(i - 1) == '\\') {
        arg--; // an escaped "\{}" is text, not a placeholder
        continue;
      }
      int eq = i - 1;
      if (eq < 0 || pattern.charAt(eq) != '=') {
        continue;
      }
      int start = eq;
      while (start > 0 && (Character.isLetterOrDigit(pattern.charAt(start - 1)) || pattern.charAt(start - 1) == '_')) {
        start--;
      }
      String key = pattern.substring(start, eq);
      if (FIELDS.contains(key) && args[arg] != null) {
        found.putIfAbsent(key, String.valueOf(args[arg]));
      }
    }
    return found;
  }
}
