package io.aegis.server.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.aegis.protocol.crypto.Hex;
import io.aegis.protocol.record.SignedBlock;
import io.aegis.server.delivery.Priority;
import io.aegis.server.delivery.QueuedMessage;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The bytes of {@link NodeEvents} between nodes: one JSON object per notice,
 * {@code {"k": kind, "o": origin node, ...fields}}. Committed messages are grouped by message id,
 * so that a broadcast's notice carries its command (body and signature) once, followed by one
 * short entry per recipient row: {@code {"k":"due","o":…,"g":[{"id","ch","ty","p","sk","ex",
 * "au","sg","h","pr","mr","c","e","r":[[row id, agent id, seq, attempts, sent_at], …]}]}}.
 *
 * <p>Decoding refuses what it does not understand (an {@link IOException}); a node never acts on
 * a half-read notice. Stateless and thread-safe.
 */
final class Notices {
  static final String DUE = "due";
  static final String CANCELLED = "cancelled";
  static final String RESPONSE = "response";
  static final String SESSION_OPENED = "session_opened";
  static final String HTTP_SESSION = "http_session";
  static final String REVOKED = "revoked";
  static final String LABELS = "labels";
  static final String POLICY = "policy";
  static final String ARTIFACT = "artifact";
  static final String DRAIN = "drain";
  static final String BACKLOG = "backlog";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Base64.Encoder B64 = Base64.getEncoder();
  private static final Base64.Decoder B64D = Base64.getDecoder();

  private Notices() {}

  /** A decoded notice: its kind, the node that sent it, and its fields. */
  record Notice(String kind, String origin, JsonNode fields) {
    String text(String field) throws IOException {
      JsonNode n = fields.get(field);
      if (n == null || !n.isTextual()) {
        throw new IOException("notice '" + kind + "' lacks text field '" + field + "'");
      }
      return n.asText();
    }
  }

  static ObjectNode notice(String kind, String origin) {
    return JSON.createObjectNode().put("k", kind).put("o", origin);
  }

  static byte[] bytes(ObjectNode notice) {
    try {
      return JSON.writeValueAsBytes(notice);
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode a notice", e);
    }
  }

  static Notice decode(byte[] bytes) throws IOException {
    JsonNode n = JSON.readTree(bytes);
    if (n == null || !n.isObject() || !n.path("k").isTextual() || !n.path("o").isTextual()) {
      throw new IOException("not a notice");
    }
    return new Notice(n.get("k").asText(), n.get("o").asText(), n);
  }

  /** A notice of committed messages. */
  static byte[] due(String origin, List<QueuedMessage> messages) {
    ObjectNode notice = notice(DUE, origin);
    ArrayNode groups = notice.putArray("g");
    Map<String, ArrayNode> rowsByMessage = new HashMap<>();
    for (QueuedMessage m : messages) {
      ArrayNode rows = rowsByMessage.get(m.messageId());
      if (rows == null) {
        ObjectNode g = groups.addObject()
            .put("id", m.messageId())
            .put("ch", m.channel())
            .put("ty", m.messageType())
            .put("p", B64.encodeToString(m.payload()))
            .put("sk", Hex.encode(m.block().signerKeyId()))
            .put("ex", m.block().expiresAt())
            .put("au", m.block().audience())
            .put("sg", B64.encodeToString(m.block().signature()))
            .put("pr", m.priority().rank())
            .put("mr", m.maxRetries())
            .put("c", m.createdAt().toEpochMilli())
            .put("e", m.expiresAt().toEpochMilli());
        ObjectNode headers = g.putObject("h");
        m.headers().forEach(headers::put);
        rows = g.putArray("r");
        rowsByMessage.put(m.messageId(), rows);
      }
      ArrayNode row = rows.addArray().add(m.rowId()).add(m.agentId()).add(m.seq()).add(m.attempts());
      if (m.sentAt() == null) {
        row.addNull();
      } else {
        row.add(m.sentAt().toEpochMilli());
      }
    }
    return bytes(notice);
  }

  /** The messages of a {@link #DUE} notice. */
  static List<QueuedMessage> messages(Notice notice) throws IOException {
    List<QueuedMessage> out = new ArrayList<>();
    try {
      for (JsonNode g : notice.fields().path("g")) {
        SignedBlock block = new SignedBlock(Hex.decode(g.get("sk").asText()), g.get("ex").asLong(),
            g.get("au").asText(), B64D.decode(g.get("sg").asText()));
        Map<String, String> headers = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = g.get("h").fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> h = it.next();
          headers.put(h.getKey(), h.getValue().asText());
        }
        byte[] payload = B64D.decode(g.get("p").asText());
        for (JsonNode r : g.get("r")) {
          out.add(new QueuedMessage(r.get(0).asText(), g.get("id").asText(), r.get(1).asText(), g.get("ch").asText(),
              g.get("ty").asText(), payload, block, headers, Priority.ofRank(g.get("pr").asInt()), r.get(2).asLong(),
              r.get(3).asInt(), r.get(4).isNull() ? null : Instant.ofEpochMilli(r.get(4).asLong()),
              g.get("mr").asInt(), Instant.ofEpochMilli(g.get("c").asLong()),
              Instant.ofEpochMilli(g.get("e").asLong())));
        }
      }
    } catch (RuntimeException e) {
      throw new IOException("malformed notice of committed messages: " + e.getMessage(), e);
    }
    return out;
  }

  static byte[] base64(byte[] b) {
    return B64.encode(b);
  }

  static byte[] unbase64(String s) throws IOException {
    try {
      return B64D.decode(s);
    } catch (IllegalArgumentException e) {
      throw new IOException("bad base64 in a notice", e);
    }
  }
}
