package dev.chimney.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code chimney bench --quick} for real: every case runs this module's harness main in a JVM of its own (as the
 * bench/run-*.sh scripts do) and the table holds what they measured, each ratio the chimney's figure over its
 * baseline.
 */
class BenchCommandQuickTest {
    private static final Pattern ROW = Pattern.compile("^(.+?)\\s+\\|\\s+([0-9.]+)\\s+\\|\\s+([0-9.]+)\\s+\\|"
            + "\\s+([0-9.]+)$", Pattern.MULTILINE);

    /** A row as printed; {@code slack} is half a unit of the last digit printed for the two figures. */
    private record Row(String figure, double chimney, double baseline, double ratio, double chimneySlack,
            double baselineSlack) {
    }

    private static double halfLastDigit(String number) {
        int dot = number.indexOf('.');
        return 0.5 * Math.pow(10, dot < 0 ? 0 : -(number.length() - dot - 1));
    }

    @Test
    void quickRunPrintsEveryFigureBesideItsBaselineWithMeasuredRatios() {
        CommandLine cli = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        long t0 = System.nanoTime();
        int code = cli.execute("bench", "--quick");
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("chimney bench --quick took %.1f s:%n%s", seconds, out);
        assertEquals(0, code, () -> out + "\n" + err);
        Matcher m = ROW.matcher(out.toString());
        List<Row> rows = new ArrayList<>();
        while (m.find()) {
            rows.add(new Row(m.group(1), Double.parseDouble(m.group(2)), Double.parseDouble(m.group(3)),
                    Double.parseDouble(m.group(4)), halfLastDigit(m.group(2)), halfLastDigit(m.group(3))));
        }
        assertEquals(7, rows.size(), out::toString); // memory send x2, receive x2, heap, socket bulk, socket rtt
        for (Row r : rows) {
            assertTrue(r.chimney() > 0 && r.baseline() > 0, () -> "not measured: " + r);
            // the printed figures are rounded and the ratio was computed before rounding: allow for both
            double ratio = r.chimney() / r.baseline();
            double slack = 0.005 + ratio * (r.chimneySlack() / r.chimney() + r.baselineSlack() / r.baseline())
                    * 1.01;
            assertEquals(ratio, r.ratio(), slack, () -> "ratio is not chimney / baseline: " + r);
        }
        // the offloaded figure is one measurement shown against two baselines, which were measured apart
        assertEquals(rows.get(0).chimney(), rows.get(1).chimney(), () -> out.toString());
        assertTrue(rows.get(0).figure().contains("host path") && rows.get(1).figure().contains("no target"),
                out::toString);
        Row heap = rows.get(4);
        assertTrue(heap.figure().startsWith("heap") && heap.baseline() > 500 && heap.chimney() > heap.baseline(),
                () -> "an offloaded connection holds a host record and a target context besides: " + heap);
    }
}
