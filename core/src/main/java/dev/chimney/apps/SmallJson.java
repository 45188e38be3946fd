package dev.chimney.apps;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Just enough JSON (RFC 8259) for the iperf3 control messages: a strict parser into {@link Map} (objects),
 * {@link List} (arrays), {@link String}, {@link BigDecimal} (numbers), {@link Boolean} and {@link #NULL}, with a
 * nesting limit, and the few accessors {@link Iperf3Server} needs. Input comes from the network, so every error is a
 * {@link Malformed} exception the caller counts; nothing else escapes. Runs once per test, not per packet.
 */
final class SmallJson {
    /** JSON null (a map cannot hold Java null as a value we can tell from absent). */
    static final Object NULL = new Object() {
        @Override
        public String toString() {
            return "null";
        }
    };

    /** Deeper nesting than this is refused (the messages we read are two levels deep). */
    private static final int MAX_DEPTH = 16;

    /** The input is not the JSON we accept; the message says where. */
    static final class Malformed extends Exception {
        Malformed(String message) {
            super(message, null, false, false);
        }
    }

    private final String text;
    private int pos;

    private SmallJson(String text) {
        this.text = text;
    }

    /** Parses one JSON value filling the whole text (whitespace around it allowed). */
    static Object parse(String text) throws Malformed {
        SmallJson p = new SmallJson(text);
        p.skipSpace();
        Object v = p.value(0);
        p.skipSpace();
        if (p.pos != text.length()) {
            throw p.error("text after the value");
        }
        return v;
    }

    /** Parses a JSON object; anything else is malformed. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> parseObject(String text) throws Malformed {
        if (parse(text) instanceof Map<?, ?> m) {
            return (Map<String, Object>) m;
        }
        throw new Malformed("expected a JSON object");
    }

    /** A number member as a long (fraction cut), {@code absent} when missing; malformed if not a number. */
    static long longMember(Map<String, Object> object, String name, long absent) throws Malformed {
        Object v = object.get(name);
        if (v == null) {
            return absent;
        }
        if (v instanceof BigDecimal d) {
            if (d.abs().compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
                throw new Malformed("'" + name + "' is out of range: " + d);
            }
            return d.longValue();
        }
        throw new Malformed("'" + name + "' is not a number: " + v);
    }

    /** iperf3 marks flags by presence ({@code "reverse": true}); false, 0 and null count as not set. */
    static boolean flagMember(Map<String, Object> object, String name) {
        Object v = object.get(name);
        return v != null && v != NULL && !Boolean.FALSE.equals(v)
                && !(v instanceof BigDecimal d && d.signum() == 0);
    }

    private Object value(int depth) throws Malformed {
        if (depth > MAX_DEPTH) {
            throw error("nested deeper than " + MAX_DEPTH);
        }
        if (pos >= text.length()) {
            throw error("value expected");
        }
        char c = text.charAt(pos);
        return switch (c) {
            case '{' -> object(depth);
            case '[' -> array(depth);
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", NULL);
            default -> number();
        };
    }

    private Map<String, Object> object(int depth) throws Malformed {
        Map<String, Object> m = new LinkedHashMap<>();
        pos++;
        skipSpace();
        if (peek() == '}') {
            pos++;
            return m;
        }
        while (true) {
            skipSpace();
            if (peek() != '"') {
                throw error("member name expected");
            }
            String name = string();
            skipSpace();
            expect(':');
            skipSpace();
            m.put(name, value(depth + 1));
            skipSpace();
            char c = next();
            if (c == '}') {
                return m;
            }
            if (c != ',') {
                throw error("',' or '}' expected");
            }
        }
    }

    private List<Object> array(int depth) throws Malformed {
        List<Object> list = new ArrayList<>();
        pos++;
        skipSpace();
        if (peek() == ']') {
            pos++;
            return list;
        }
        while (true) {
            skipSpace();
            list.add(value(depth + 1));
            skipSpace();
            char c = next();
            if (c == ']') {
                return list;
            }
            if (c != ',') {
                throw error("',' or ']' expected");
            }
        }
    }

    private String string() throws Malformed {
        expect('"');
        StringBuilder sb = new StringBuilder();
        while (true) {
            char c = next();
            if (c == '"') {
                return sb.toString();
            }
            if (c < 0x20) {
                throw error("control character in a string");
            }
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            char e = next();
            switch (e) {
                case '"', '\\', '/' -> sb.append(e);
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> {
                    if (pos + 4 > text.length()) {
                        throw error("short \\u escape");
                    }
                    int code = 0;
                    for (int i = 0; i < 4; i++) {
                        int d = Character.digit(text.charAt(pos++), 16);
                        if (d < 0) {
                            throw error("bad \\u escape");
                        }
                        code = code * 16 + d;
                    }
                    sb.append((char) code);
                }
                default -> throw error("bad escape \\" + e);
            }
        }
    }

    private Object literal(String word, Object value) throws Malformed {
        if (!text.startsWith(word, pos)) {
            throw error("unknown literal");
        }
        pos += word.length();
        return value;
    }

    /** RFC 8259 §6: -? int frac? exp?, no leading zeros, no '+', no bare '.'. */
    private BigDecimal number() throws Malformed {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
        } else if (!digits()) {
            throw error("value expected");
        }
        if (peek() == '.') {
            pos++;
            if (!digits()) {
                throw error("digit expected after '.'");
            }
        }
        if (peek() == 'e' || peek() == 'E') {
            pos++;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            if (!digits()) {
                throw error("digit expected in the exponent");
            }
        }
        if (pos - start > 64) {
            throw error("number too long");
        }
        try {
            BigDecimal d = new BigDecimal(text.substring(start, pos));
            if (Math.abs((long) d.scale()) > 400) {
                throw error("exponent out of range");
            }
            return d;
        } catch (NumberFormatException e) {
            throw error("bad number");
        }
    }

    private boolean digits() {
        int start = pos;
        while (pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') {
            pos++;
        }
        return pos > start;
    }

    private void skipSpace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private char next() throws Malformed {
        if (pos >= text.length()) {
            throw error("unexpected end");
        }
        return text.charAt(pos++);
    }

    private void expect(char c) throws Malformed {
        if (next() != c) {
            throw error("'" + c + "' expected");
        }
    }

    private Malformed error(String what) {
        return new Malformed(what + " at offset " + Math.min(pos, text.length()));
    }
}
