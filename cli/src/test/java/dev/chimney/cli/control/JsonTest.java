package dev.chimney.cli.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The control API's JSON writer and {@code ctl}'s parser (RFC 8259): round trips, escapes, misuse. */
class JsonTest {

    @Test
    void writerPlacesCommasAndEscapesAndTheParserReadsItBack() {
        String doc = new JsonWriter().beginObject()
                .field("name", "a \"quoted\" \\ line\nwith <tags> & tab\t and \u0001")
                .field("n", -42L).field("big", Long.MAX_VALUE).field("x", 1.5).field("nan", Double.NaN)
                .field("yes", true).name("none").nullValue()
                .name("list").beginArray().value(1).value("two").beginObject().endObject().beginArray().endArray()
                .endArray().endObject().toString();
        assertTrue(!doc.contains("<") && !doc.contains(">") && !doc.contains("&"), "inert in HTML: " + doc);
        Object v = Json.parse(doc);
        Map<?, ?> m = (Map<?, ?>) v;
        assertEquals("a \"quoted\" \\ line\nwith <tags> & tab\t and \u0001", m.get("name"));
        assertEquals(-42L, m.get("n"));
        assertEquals(Long.MAX_VALUE, m.get("big"));
        assertEquals(1.5, m.get("x"));
        assertEquals(null, m.get("nan"));
        assertEquals(true, m.get("yes"));
        assertTrue(m.containsKey("none") && m.get("none") == null);
        assertEquals(List.of(1L, "two", Map.of(), List.of()), m.get("list"));
        assertEquals(List.of("name", "n", "big", "x", "nan", "yes", "none", "list"), List.copyOf(m.keySet()),
                "member order kept");
        assertEquals(-42L, Json.at(v, "n"));
        assertEquals(null, Json.at(v, "list.x"));
    }

    @Test
    void writerMisuseThrows() {
        assertThrows(IllegalStateException.class, () -> new JsonWriter().beginObject().value(1));
        assertThrows(IllegalStateException.class, () -> new JsonWriter().beginArray().endObject());
        assertThrows(IllegalStateException.class, () -> new JsonWriter().beginObject().toString());
        assertThrows(IllegalStateException.class, () -> new JsonWriter().value(1).value(2));
        assertThrows(IllegalStateException.class, () -> new JsonWriter().beginArray().name("x"));
    }

    @Test
    void parserRejectsMalformedInputNamingTheOffset() {
        for (String bad : List.of("", "{", "{\"a\" 1}", "[1,]", "[1 2]", "\"open", "tru", "{\"a\":1} x", "01x",
                "\"\\q\"", "{a:1}")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse(bad), bad);
            assertTrue(e.getMessage().startsWith("malformed JSON: ") && e.getMessage().contains(" at offset "),
                    e.getMessage());
        }
        assertEquals("é\u2028", Json.parse("\"\\u00e9\\u2028\""));
        assertEquals(List.of(-1.0e3, 0L), Json.parse(" [ -1e3 , 0 ] "));
    }
}
