package io.aegis.protocol.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.function.Consumer;

/** Edits JSON frames for tampering tests. */
public final class Frames {

    public static final ObjectMapper MAPPER = new ObjectMapper();

    private Frames() {
    }

    public static ObjectNode parse(String json) {
        try {
            return (ObjectNode) MAPPER.readTree(json);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Returns the frame after {@code edit} has changed its tree. */
    public static String edit(String json, Consumer<ObjectNode> edit) {
        ObjectNode n = parse(json);
        edit.accept(n);
        try {
            return MAPPER.writeValueAsString(n);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    public static String text(String json, String field) {
        JsonNode v = parse(json).get(field);
        return v == null ? null : v.asText();
    }
}
