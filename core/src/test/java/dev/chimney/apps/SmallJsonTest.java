package dev.chimney.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The iperf3 server's JSON reader: what iperf3 (cJSON) writes parses; what RFC 8259 forbids is Malformed. */
class SmallJsonTest {

    @Test
    void readsIperf3ParametersAndResults() throws Exception {
        Map<String, Object> p = SmallJson.parseObject("{\"tcp\":true,\"omit\":0,\"time\":10,\"num\":0,\"parallel\":4,"
                + "\"reverse\":true,\"len\":131072,\"title\":\"a \\\"b\\\" \\u00e9\\n\",\"x\":null,\"f\":false}");
        assertEquals(10, SmallJson.longMember(p, "time", -1));
        assertEquals(4, SmallJson.longMember(p, "parallel", -1));
        assertEquals(7, SmallJson.longMember(p, "absent", 7));
        assertTrue(SmallJson.flagMember(p, "reverse"));
        assertFalse(SmallJson.flagMember(p, "omit"), "0 is not set");
        assertFalse(SmallJson.flagMember(p, "x"), "null is not set");
        assertFalse(SmallJson.flagMember(p, "f"));
        assertFalse(SmallJson.flagMember(p, "bidirectional"));
        assertEquals("a \"b\" \u00e9\n", p.get("title"));
        Map<String, Object> r = SmallJson.parseObject(" {\"cpu_util_total\":1.25e1,\"streams\":[{\"id\":1,"
                + "\"bytes\":5368709120,\"end_time\":10.000123},{\"id\":3,\"bytes\":-0}]} ");
        List<?> streams = (List<?>) r.get("streams");
        assertEquals(2, streams.size());
        @SuppressWarnings("unchecked")
        Map<String, Object> s = (Map<String, Object>) streams.get(0);
        assertEquals(5_368_709_120L, SmallJson.longMember(s, "bytes", -1), "beyond 32 bits");
        assertEquals(new BigDecimal("1.25e1"), r.get("cpu_util_total"));
    }

    @Test
    void refusesWhatIsNotJson() {
        String[] bad = {"", "{", "{\"a\":}", "{\"a\":1,}", "[1 2]", "{\"a\":01}", "{\"a\":+1}", "{\"a\":.5}",
            "{\"a\":1.}", "{\"a\":1e}", "{\"a\":tru}", "{\"a\":\"\u0001\"}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}",
            "{a:1}", "{} x", "\"unterminated", "{\"a\":1e999999999}", "[".repeat(100) + "]".repeat(100)};
        for (String text : bad) {
            assertThrows(SmallJson.Malformed.class, () -> SmallJson.parse(text), text);
        }
        assertThrows(SmallJson.Malformed.class, () -> SmallJson.parseObject("[1]"), "an array is not an object");
        assertThrows(SmallJson.Malformed.class, () -> SmallJson.longMember(Map.of("n", "7"), "n", 0), "a string");
        assertThrows(SmallJson.Malformed.class, () -> SmallJson.longMember(Map.of("n", new BigDecimal("1e30")),
                "n", 0), "beyond a long");
    }
}
