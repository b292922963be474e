package io.aegis.server.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.stream.Collectors;

/**
 * The REST API's JSON: snake_case field names from Java record components, times as ISO-8601
 * strings, absent optionals omitted.
 *
 * <p>Request bodies are read strictly and deliberately: an unknown field is refused with
 * {@code unknown_field} naming it (a typo such as {@code "lables"} must not silently drop the
 * labels), as are duplicate keys, trailing content and values of the wrong type.
 */
public final class ApiJson {
  // Times to the millisecond, always with three digits (docs/API.md, Conventions): ISO_INSTANT,
  // Jackson's default, drops the fraction of a whole second.
  private static final java.time.format.DateTimeFormatter TIME = java.time.format.DateTimeFormatter
      .ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(java.time.ZoneOffset.UTC);

  public static final ObjectMapper MAPPER = JsonMapper.builder()
      .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
      .disable(JsonParser.Feature.ALLOW_COMMENTS)
      .serializationInclusion(JsonInclude.Include.NON_ABSENT)
      .addModule(new com.fasterxml.jackson.datatype.jsr310.JavaTimeModule())
      .addModule(new com.fasterxml.jackson.datatype.jdk8.Jdk8Module())
      .addModule(new com.fasterxml.jackson.databind.module.SimpleModule().addSerializer(java.time.Instant.class,
          new com.fasterxml.jackson.databind.ser.std.StdSerializer<java.time.Instant>(java.time.Instant.class) {
            @Override
            public void serialize(java.time.Instant value, com.fasterxml.jackson.core.JsonGenerator gen,
                                  com.fasterxml.jackson.databind.SerializerProvider provider) throws IOException {
              gen.writeString(TIME.format(value));
            }
          }))
      .build();

  private ApiJson() {}

  /** Reads a request body into {@code type}, turning every kind of bad input into a 400 that says why. */
  public static <T> T read(byte[] body, Class<T> type) {
    if (body == null || body.length == 0) {
      throw ApiException.badRequest("invalid_json", "a JSON request body is required");
    }
    return mapped(() -> MAPPER.readValue(body, type));
  }

  /**
   * Reads a part of a request already parsed (an item of a batch) into {@code type}, as strictly
   * as {@link #read(byte[], Class)} reads a body, without writing it out and parsing it again.
   */
  public static <T> T read(JsonNode node, Class<T> type) {
    return mapped(() -> MAPPER.treeToValue(node, type));
  }

  private interface Reading<T> {
    T read() throws IOException;
  }

  private static <T> T mapped(Reading<T> reading) {
    try {
      T value = reading.read();
      if (value == null) {
        throw ApiException.badRequest("invalid_json", "the request body must be a JSON object, not null");
      }
      return value;
    } catch (UnrecognizedPropertyException e) {
      throw ApiException.badRequest("unknown_field",
          "unknown field '" + e.getPropertyName() + "'" + at(e) + "; known fields: "
              + e.getKnownPropertyIds().stream().map(String::valueOf).sorted().collect(Collectors.joining(", ")));
    } catch (InvalidFormatException e) {
      throw ApiException.invalid("invalid value for '" + path(e) + "': " + e.getOriginalMessage().split("\n")[0]);
    } catch (MismatchedInputException e) {
      String p = path(e);
      throw ApiException.invalid(p.isEmpty()
          ? "the request body must be a JSON object"
          : "wrong type for '" + p + "'");
    } catch (JsonProcessingException e) {
      throw ApiException.badRequest("invalid_json", "malformed JSON: " + e.getOriginalMessage().split("\n")[0]);
    } catch (IOException e) {
      throw ApiException.badRequest("invalid_json", "unreadable request body");
    }
  }

  /** Parses arbitrary JSON (for documents, metadata); 400 on malformed input. */
  public static JsonNode tree(byte[] body) {
    try {
      return MAPPER.readTree(body);
    } catch (IOException e) {
      throw ApiException.badRequest("invalid_json", "malformed JSON");
    }
  }

  private static String at(MismatchedInputException e) {
    String p = path(e);
    int dot = p.lastIndexOf('.');
    return dot < 0 ? "" : " in '" + p.substring(0, dot) + "'";
  }

  private static String path(MismatchedInputException e) {
    return e.getPath().stream()
        .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
        .collect(Collectors.joining("."))
        .replace(".[", "[");
  }

  public static byte[] write(Object value) {
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize " + value.getClass().getName(), e);
    }
  }

  /** {@code {"error": {"code": code, "message": message}}} */
  public static byte[] error(String code, String message) {
    ObjectNode root = MAPPER.createObjectNode();
    ObjectNode error = root.putObject("error");
    error.put("code", code);
    error.put("message", message);
    return write(root);
  }
}
