package dev.chimney.cli.control;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * A small streaming JSON writer (RFC 8259) for the control API: objects, arrays, strings, numbers, booleans and
 * null, with the commas placed for the caller. Misuse (a value where a name is due, an unbalanced end) throws.
 */
public final class JsonWriter {
    private final StringBuilder out = new StringBuilder(256);
    /** Per open container: 'o' object, 'a' array; upper case once it holds a member. */
    private final Deque<Character> stack = new ArrayDeque<>();
    private boolean nameWritten;

    public JsonWriter beginObject() {
        beforeValue();
        out.append('{');
        stack.push('o');
        return this;
    }

    public JsonWriter endObject() {
        end('o', '}');
        return this;
    }

    public JsonWriter beginArray() {
        beforeValue();
        out.append('[');
        stack.push('a');
        return this;
    }

    public JsonWriter endArray() {
        end('a', ']');
        return this;
    }

    /** The next member's name (inside an object). */
    public JsonWriter name(String name) {
        Character top = stack.peek();
        if (top == null || Character.toLowerCase(top) != 'o' || nameWritten) {
            throw new IllegalStateException("a name belongs inside an object, before its value: " + name);
        }
        if (top == 'O') {
            out.append(',');
        }
        stack.pop();
        stack.push('O');
        string(name);
        out.append(':');
        nameWritten = true;
        return this;
    }

    public JsonWriter value(String s) {
        beforeValue();
        if (s == null) {
            out.append("null");
        } else {
            string(s);
        }
        return this;
    }

    public JsonWriter value(long n) {
        beforeValue();
        out.append(n);
        return this;
    }

    /** A number; NaN and infinities, which JSON cannot carry, are written as null. */
    public JsonWriter value(double d) {
        beforeValue();
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            out.append("null");
        } else if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            out.append((long) d);
        } else {
            out.append(d);
        }
        return this;
    }

    public JsonWriter value(boolean b) {
        beforeValue();
        out.append(b);
        return this;
    }

    public JsonWriter nullValue() {
        beforeValue();
        out.append("null");
        return this;
    }

    /** Shorthands for one member. */
    public JsonWriter field(String name, String v) {
        return name(name).value(v);
    }

    public JsonWriter field(String name, long v) {
        return name(name).value(v);
    }

    public JsonWriter field(String name, double v) {
        return name(name).value(v);
    }

    public JsonWriter field(String name, boolean v) {
        return name(name).value(v);
    }

    /** The document; every container must be closed. */
    @Override
    public String toString() {
        if (!stack.isEmpty()) {
            throw new IllegalStateException("unclosed JSON container(s): " + stack.size());
        }
        return out.toString();
    }

    private void beforeValue() {
        Character top = stack.peek();
        if (top == null) {
            if (!out.isEmpty()) {
                throw new IllegalStateException("a JSON document has one top-level value");
            }
            return;
        }
        if (Character.toLowerCase(top) == 'o') {
            if (!nameWritten) {
                throw new IllegalStateException("an object member needs a name before its value");
            }
            nameWritten = false;
            return;
        }
        if (top == 'A') {
            out.append(',');
        } else {
            stack.pop();
            stack.push('A');
        }
    }

    private void end(char kind, char close) {
        Character top = stack.peek();
        if (top == null || Character.toLowerCase(top) != kind || nameWritten) {
            throw new IllegalStateException("unbalanced JSON: cannot close '" + close + "' here");
        }
        stack.pop();
        out.append(close);
    }

    private void string(String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x2028 || c == 0x2029) {
                        // control characters must be escaped (RFC 8259 §7); <, >, & so the JSON is inert in HTML
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
