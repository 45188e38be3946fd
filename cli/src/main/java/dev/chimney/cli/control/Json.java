package dev.chimney.cli.control;

import dev.chimney.apps.SmallJson;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON answers of the control API as plain Java values for {@code chimney ctl} and the tests: objects become {@link
 * LinkedHashMap}s (member order kept), arrays {@link List}s, numbers {@link Long} when written as integers within range
 * and {@link Double} otherwise, plus String, Boolean and null. The parsing is core's {@link SmallJson} (strict, bounded
 * nesting); malformed input throws {@link IllegalArgumentException} naming the offset.
 */
public final class Json {
    private Json() {
    }

    public static Object parse(String text) {
        try {
            return plain(SmallJson.parse(text));
        } catch (SmallJson.Malformed e) {
            throw new IllegalArgumentException("malformed JSON: " + e.getMessage(), e);
        }
    }

    /** SmallJson's values with Java null for JSON null and Long/Double for numbers. */
    private static Object plain(Object v) {
        if (v == SmallJson.NULL) {
            return null;
        }
        if (v instanceof BigDecimal d) {
            if (d.scale() == 0 && d.unscaledValue().bitLength() < 64) {
                return d.longValue(); // written as an integer (no fraction, no exponent) and within range
            }
            return d.doubleValue();
        }
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, x) -> out.put((String) k, plain(x)));
            return out;
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            l.forEach(x -> out.add(plain(x)));
            return out;
        }
        return v;
    }

    /** The object member {@code path} (dot-separated names), or null when any step is missing. */
    public static Object at(Object root, String path) {
        Object v = root;
        for (String step : path.split("\\.")) {
            if (!(v instanceof Map<?, ?> m)) {
                return null;
            }
            v = m.get(step);
        }
        return v;
    }
}
